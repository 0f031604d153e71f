"""The arrange view: ruler on top, a row per track (header + lane), zoom and scroll.

Lanes are as wide as the window, not as long as the session: they paint the TimeScale's
visible range, so an hour-long session costs no more to show than a minute. Ctrl+wheel
zooms around the pointer, Shift+wheel (or a sideways wheel) scrolls in time, the
wheel alone scrolls through tracks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QScrollBar,
    QVBoxLayout,
    QWidget,
)

from app.session.model import Project
from app.ui.arrange.header import HEADER_WIDTH, TrackHeader
from app.ui.arrange.lane import TrackLane
from app.ui.arrange.ruler import Ruler
from app.ui.arrange.timescale import TimeScale
from app.ui.arrange.waveforms import WaveformStore
from app.ui.theme import ui_font

WHEEL_ZOOM_STEP = 1.25  # per notch of Ctrl+wheel
WHEEL_SCROLL_PX = 60  # per notch of Shift+wheel


class ArrangeView(QWidget):
    def __init__(self, store: WaveformStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.project: Project | None = None
        self.scale = TimeScale(parent=self)
        self._lanes: list[TrackLane] = []
        self._headers: list[TrackHeader] = []
        self._syncing = False

        corner = QWidget(objectName="rulerCorner")
        corner.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        corner.setFixedWidth(HEADER_WIDTH)
        corner_layout = QVBoxLayout(corner)
        corner_layout.setContentsMargins(17, 14, 8, 6)
        corner_layout.setSpacing(6)
        for text in ("Bars", "Time"):
            caption = QLabel(text, objectName="rulerCaption")
            caption.setFont(ui_font(8))
            corner_layout.addWidget(caption)
        self.ruler = Ruler(self.scale)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(0)
        top.addWidget(corner)
        top.addWidget(self.ruler)

        self.rows = QWidget(objectName="trackRows")
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(0)
        self.drop_hint = QLabel("Drop audio files here to import them onto new tracks  "
                                "·  File ▸ Import Audio… (Ctrl+I)", objectName="dropHint")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setFont(ui_font(9))
        self.drop_hint.setMinimumHeight(56)
        self.rows_layout.addWidget(self.drop_hint)
        self.rows_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.rows)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        self.hbar = QScrollBar(Qt.Orientation.Horizontal)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(HEADER_WIDTH, 0, 0, 0)
        bottom.addWidget(self.hbar)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bottom)

        self.scroll.viewport().installEventFilter(self)
        self.ruler.installEventFilter(self)
        self.scale.changed.connect(self._on_scale_changed)
        self.hbar.valueChanged.connect(self._on_hbar)
        store.changed.connect(self._on_peaks_changed)

    # -- content ---------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Show `project` (None: empty), zoomed out to the whole session."""
        self.project = project
        if project is not None:
            self.scale.sample_rate = project.sample_rate
        self.ruler.set_project(project)
        self.rebuild()
        self._update_width()
        self.scale.fit()

    def rebuild(self) -> None:
        """Recreate the rows after tracks were added, removed or reordered."""
        for widget in (*self._lanes, *self._headers):
            widget.setParent(None)
            widget.deleteLater()
        while self.rows_layout.count() > 2:  # the rows, then the hint and the stretch
            item = self.rows_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._lanes, self._headers = [], []
        if self.project is None:
            return
        for i, track in enumerate(self.project.tracks):
            row = QWidget()
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.setSpacing(0)
            header = TrackHeader(self.project, track)
            lane = TrackLane(self.project, track, self.scale, self.store, i)
            row_layout.addWidget(header)
            row_layout.addWidget(lane, 1)
            self.rows_layout.insertWidget(i, row)
            self._headers.append(header)
            self._lanes.append(lane)
            lane.installEventFilter(self)
            for media_id in lane.media_ids():
                if media_id in self.project.media:
                    self.store.request(self.project.media[media_id])
        self.scale.set_session_frames(self.project.length())

    def lanes(self) -> list[TrackLane]:
        return list(self._lanes)

    def headers(self) -> list[TrackHeader]:
        return list(self._headers)

    # -- zoom and scroll -------------------------------------------------------

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """factor < 1 zooms in (fewer frames per pixel)."""
        self.scale.zoom(factor, anchor_x)

    def fit(self) -> None:
        self.scale.fit()

    def _update_width(self) -> None:
        self.scale.set_width(max(1, self.scroll.viewport().width() - HEADER_WIDTH))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and obj is self.scroll.viewport():
            self._update_width()
        elif event.type() == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            return self._wheel(obj, event)
        return super().eventFilter(obj, event)

    def _wheel(self, obj: QObject, event: QWheelEvent) -> bool:
        mods = event.modifiers()
        delta = event.angleDelta()
        if mods & Qt.KeyboardModifier.ControlModifier:
            notches = delta.y() / 120.0
            x = event.position().x()
            if obj is self.scroll.viewport():
                x -= HEADER_WIDTH
            self.zoom(WHEEL_ZOOM_STEP ** -notches, x)
            return True
        sideways = delta.x() if delta.x() else (
            delta.y() if mods & Qt.KeyboardModifier.ShiftModifier else 0)
        if sideways:
            px = -sideways / 120.0 * WHEEL_SCROLL_PX
            self.scale.set_origin(self.scale.origin + px * self.scale.frames_per_pixel)
            return True
        return False

    def _on_hbar(self, value: int) -> None:
        if not self._syncing:
            self.scale.set_origin(value * self.scale.frames_per_pixel)

    def _on_scale_changed(self) -> None:
        s = self.scale
        self._syncing = True
        try:
            total_px = s.extent() / s.frames_per_pixel
            self.hbar.setRange(0, max(0, int(total_px - s.width)))
            self.hbar.setPageStep(s.width)
            self.hbar.setSingleStep(max(1, s.width // 20))
            self.hbar.setValue(int(round(s.origin / s.frames_per_pixel)))
        finally:
            self._syncing = False
        for lane in self._lanes:
            lane.update()

    def _on_peaks_changed(self, media_id: str) -> None:
        for lane in self._lanes:
            if media_id in lane.media_ids():
                lane.update()

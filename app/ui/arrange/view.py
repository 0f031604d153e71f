"""The arrange view: ruler on top, a row per track (header + lane), the overlay with the
playhead, and the gestures that edit clips, tracks and takes.

Lanes are as wide as the window, not as long as the session: they paint the TimeScale's
visible range, so an hour-long session costs no more to show than a minute. Ctrl+wheel
zooms around the pointer, Shift+wheel (or a sideways wheel) scrolls in time, the wheel
alone scrolls through tracks. Edits go out through `edit_sink` (the window's history);
the view follows the project again in `sync` after each change.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import (
    QColorDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QScrollBar,
    QVBoxLayout,
    QWidget,
)

from app.session import edits as E
from app.session.edits.automation import SetAutomationLaneVisible
from app.session.model import Clip, FadeShape, Project, Take, Track, TrackKind
from app.ui.arrange.automation import AutomationClip, AutomationRow
from app.ui.arrange.editor import ArrangeEditor
from app.ui.arrange.grid import bar_ticks
from app.ui.arrange.header import HEADER_WIDTH, TrackHeader
from app.ui.arrange.lane import TITLE_HEIGHT, Drag, TrackLane, backdrop, lane_height
from app.ui.arrange.overlay import Overlay
from app.ui.arrange.rename import inline_rename
from app.ui.arrange.ruler import Ruler
from app.ui.arrange.timescale import TimeScale
from app.ui.arrange.waveforms import WaveformStore
from app.ui.theme import COLOURS, ui_font

WHEEL_ZOOM_STEP = 1.25  # per notch of Ctrl+wheel
WHEEL_SCROLL_PX = 60  # per notch of Shift+wheel
FOLLOW_MARGIN = 0.92  # page when the playhead passes this fraction of the width
GAIN_DB_PER_PX = 0.25
GRID_CACHE = 8  # visible ranges whose grid lines are kept (lanes, automation rows)


class ArrangeView(QWidget):
    def __init__(self, store: WaveformStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.project: Project | None = None
        self.scale = TimeScale(parent=self)
        self.edit_sink: Callable[[E.Edit], object] | None = None
        self.report: Callable[[str], None] = lambda text: None
        self.on_locate: Callable[[int], None] = lambda frame: None
        self.on_audition: Callable[[str, Take], None] = lambda track_id, take: None
        self.on_midi_learn: Callable[[str, str], None] | None = None  # track id, param
        self.automation_clipboard: AutomationClip | None = None
        self.inputs = 2
        self.editor = ArrangeEditor(self._apply, self._report, self._close_merge)
        self.takes_open: set[str] = set()
        self.follow = True
        self.playhead = 0
        self.version = 0  # counts changes to the project, for the lanes' caches
        self._lanes: list[TrackLane] = []
        self._headers: list[TrackHeader] = []
        self._auto_rows: dict[str, list[AutomationRow]] = {}  # by track id
        self._layout_key: tuple = ()
        self._grid: dict[tuple, list] = {}
        self._backdrops: dict[tuple, QImage] = {}
        self._syncing = False

        corner = QWidget(objectName="rulerCorner")
        corner.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        corner.setFixedWidth(HEADER_WIDTH)
        corner_layout = QVBoxLayout(corner)
        corner_layout.setContentsMargins(17, 14, 8, 6)
        corner_layout.setSpacing(6)
        for text in ("Bars · markers", "Time · loop / punch"):
            caption = QLabel(text, objectName="rulerCaption")
            caption.setFont(ui_font(8))
            corner_layout.addWidget(caption)
        self.ruler = Ruler(self.scale, view=self)
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
        self.overlay = Overlay(self.scroll.viewport(), HEADER_WIDTH)

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
        self.rows.installEventFilter(self)
        self.scale.changed.connect(self._on_scale_changed)
        self.hbar.valueChanged.connect(self._on_hbar)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _v: self.overlay.update())
        store.changed.connect(self._on_peaks_changed)

    # -- plumbing to the window ---------------------------------------------------------

    def _apply(self, edit: E.Edit) -> object:
        if self.edit_sink is None:
            raise E.EditError("No project is open.")
        return self.edit_sink(edit)

    def _report(self, text: str) -> None:
        self.report(text)

    def _close_merge(self) -> None:
        self.close_merge()

    def close_merge(self) -> None:
        """Replaced by the window: ends the current merge of undo steps."""

    # -- content ---------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Show `project` (None: empty), zoomed out to the whole session."""
        self.project = None
        self.rebuild()  # a new project never reuses the old one's rows
        self.project = project
        self.takes_open.clear()
        self.editor.set_project(project)
        if project is not None:
            self.scale.sample_rate = project.sample_rate
        self.ruler.set_project(project)
        self.rebuild()
        self._update_width()
        self.scale.fit()
        self.set_playhead(0)

    def _key(self) -> tuple:
        if self.project is None:
            return ()
        return tuple((id(t), t.id, t.kind, lane_height(t, t.id in self.takes_open),
                      _shown_lanes(t)) for t in self.project.tracks)

    def sync(self) -> None:
        """Follow the project after a change: rebuild rows only if tracks, their order or
        heights changed; otherwise refresh headers and repaint the lanes."""
        self.version += 1
        if self._key() != self._layout_key:
            self.rebuild()
            return
        for header in self._headers:
            header.refresh()
        for lane in self._lanes:
            lane.update()
        for row in self.automation_rows():
            row.refresh()
        if self.project is not None:
            self.scale.set_session_frames(self.project.length())
        self.ruler.update()

    def rebuild(self) -> None:
        """Put the rows in the project's order after tracks were added, removed, reordered
        or resized. Rows of tracks that are still there are kept, so adding one track to
        two hundred builds one row, not two hundred and one."""
        scroll_y = self.scroll.verticalScrollBar().value()
        self.version += 1
        self.rows.setUpdatesEnabled(False)
        while self.rows_layout.count() > 2:  # the rows, then the hint and the stretch
            self.rows_layout.takeAt(0)
        self._layout_key = self._key()
        keep: dict[str, QWidget] = {}
        lanes, headers = [], []
        tracks = self.project.tracks if self.project is not None else []
        if self.project is not None:
            self.takes_open &= {t.id for t in tracks}
        old = {lane.track.id: (lane, header, lane.parentWidget())
               for lane, header in zip(self._lanes, self._headers, strict=True)}
        for i, track in enumerate(tracks):
            cached = old.get(track.id)
            want = lane_height(track, track.id in self.takes_open)
            if (cached is not None and cached[0].track is track and cached[0].height() == want
                    and cached[0].takes_open == (track.id in self.takes_open)
                    and [r.param for r in self._auto_rows.get(track.id, [])]
                    == _shown_lanes(track)):
                lane, header, row = cached
                if lane.index != i:
                    lane.index = i
                    lane.update()
                header.refresh()
            else:
                row = QWidget()
                column = QVBoxLayout(row)
                column.setContentsMargins(0, 0, 0, 0)
                column.setSpacing(0)
                row_layout = QHBoxLayout()
                row_layout.setSpacing(0)
                column.addLayout(row_layout)
                lane = TrackLane(self.project, track, self.scale, self.store, i, view=self)
                header = TrackHeader(self.project, track, view=self, height=lane.height(),
                                     inputs=self.inputs)
                row_layout.addWidget(header)
                row_layout.addWidget(lane, 1)
                lane.installEventFilter(self)
                self._auto_rows[track.id] = []
                for param in _shown_lanes(track):
                    auto = AutomationRow(self.project, track, param, self.scale, HEADER_WIDTH,
                                         view=self)
                    auto.show_playhead(self.playhead)
                    column.addWidget(auto)
                    self._auto_rows[track.id].append(auto)
                for media_id in lane.media_ids():
                    if media_id in self.project.media:
                        self.store.request(self.project.media[media_id])
            keep[track.id] = row
            self.rows_layout.insertWidget(i, row)
            lanes.append(lane)
            headers.append(header)
        for track_id, (_lane, _header, row) in old.items():
            if keep.get(track_id) is not row:
                row.setParent(None)
                row.deleteLater()
        self._auto_rows = {t.id: self._auto_rows.get(t.id, []) for t in tracks}
        self._lanes, self._headers = lanes, headers
        self.drop_hint.setVisible(len(tracks) < 12)
        self.rows.setUpdatesEnabled(True)
        self.scroll.verticalScrollBar().setValue(scroll_y)
        if self.project is not None:
            self.scale.set_session_frames(self.project.length())
        self.ruler.update()

    def grid_ticks(self, start: float, end: float) -> list:
        """Bar and beat lines in [start, end), computed once a frame for all lanes."""
        pr = self.project
        key = (start, end, self.scale.frames_per_pixel, pr.sample_rate, pr.tempo,
               pr.meter_num, pr.meter_den)
        ticks = self._grid.get(key)
        if ticks is None:
            if len(self._grid) >= GRID_CACHE:  # the ranges of earlier frames
                self._grid.clear()
            ticks = self._grid[key] = bar_ticks(start, end, self.scale.frames_per_pixel,
                                                pr.sample_rate, pr.tempo, pr.meter_num,
                                                pr.meter_den)
        return ticks

    def lane_backdrop(self, width: int, height: int, base: str, bar: str = COLOURS.grid_bar,
                      beat: str = COLOURS.grid_beat) -> QImage:
        """A lane's background with its bar and beat lines across the whole width, made
        once a frame for all lanes of that size and those colours."""
        s = self.scale
        pr = self.project
        key = (width, height, base, bar, beat, s.origin, s.frames_per_pixel, pr.sample_rate,
               pr.tempo, pr.meter_num, pr.meter_den)
        image = self._backdrops.get(key)
        if image is None:
            if len(self._backdrops) >= GRID_CACHE:
                self._backdrops.clear()
            ticks = self.grid_ticks(s.frame_at(0), s.frame_at(width) + 1)
            image = self._backdrops[key] = backdrop(ticks, s, width, height, base, bar, beat)
        return image

    def lanes(self) -> list[TrackLane]:
        return list(self._lanes)

    def automation_rows(self, track_id: str | None = None) -> list[AutomationRow]:
        """The automation lanes shown (under one track, or under all)."""
        if track_id is not None:
            return list(self._auto_rows.get(track_id, []))
        return [row for rows in self._auto_rows.values() for row in rows]

    def automation_row(self, track_id: str, param: str) -> AutomationRow:
        return next(r for r in self._auto_rows.get(track_id, []) if r.param == param)

    def headers(self) -> list[TrackHeader]:
        return list(self._headers)

    def lane_for(self, track_id: str) -> TrackLane:
        return next(lane for lane in self._lanes if lane.track.id == track_id)

    def header_for(self, track_id: str) -> TrackHeader:
        return next(h for h in self._headers if h.track.id == track_id)

    # -- playhead, cursor, follow ------------------------------------------------------

    def set_playhead(self, frame: int, following: bool = False) -> None:
        """Put the playhead at `frame`; with `following` (while playing) page the view
        when it runs past the right side."""
        self.playhead = int(frame)
        s = self.scale
        if following and self.follow:
            x = s.x_of(frame)
            if x > s.width * FOLLOW_MARGIN or x < 0:
                s.set_origin(frame - s.width * s.frames_per_pixel * 0.05)
        self.overlay.set_playhead(s.x_of(frame) if 0 <= s.x_of(frame) <= s.width else None)
        self.ruler.set_playhead(frame)
        for row in self.automation_rows():
            row.show_playhead(self.playhead)

    def _show_cursor(self) -> None:
        """The edit cursor's dashed line, once a click has put it somewhere."""
        x = self.scale.x_of(self.editor.cursor)
        shown = self.editor.cursor > 0 and 0 <= x <= self.scale.width
        self.overlay.set_cursor(x if shown else None)

    def focus_track(self, track_id: str) -> None:
        old = self.editor.selection.track
        self.editor.selection.track = track_id
        for header in self._headers:
            if header.track.id in (old, track_id):
                header.update()

    def selection_changed(self) -> None:
        self._show_cursor()
        for lane in self._lanes:
            lane.update()

    # -- zoom and scroll -----------------------------------------------------------------

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """factor < 1 zooms in (fewer frames per pixel)."""
        self.scale.zoom(factor, anchor_x)

    def fit(self) -> None:
        self.scale.fit()

    def zoom_to_range(self, start: int, end: int) -> None:
        s = self.scale
        if end <= start:
            return
        margin = (end - start) * 0.03
        fpp = (end - start + 2 * margin) / max(1, s.width)
        s.zoom(fpp / s.frames_per_pixel, 0)
        s.set_origin(start - margin)

    def zoom_to_selection(self) -> bool:
        rng = self.editor.selection_range()
        if rng is None:
            self.report("Select clips to zoom to first.")
            return False
        self.zoom_to_range(*rng)
        return True

    def _update_width(self) -> None:
        self.scale.set_width(max(1, self.scroll.viewport().width() - HEADER_WIDTH))
        self.overlay.setGeometry(self.scroll.viewport().rect())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and obj is self.scroll.viewport():
            self._update_width()
        elif event.type() == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            return self._wheel(obj, event)
        elif (event.type() == QEvent.Type.MouseButtonPress and obj is self.rows
              and isinstance(event, QMouseEvent) and self.project is not None):
            self.editor.select(None)
            self.selection_changed()
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
        for row in self.automation_rows():
            row.lane.update()
        self.set_playhead(self.playhead)
        self._show_cursor()

    def _on_peaks_changed(self, media_id: str) -> None:
        for lane in self._lanes:
            if media_id in lane.media_ids():
                lane.update()

    # -- live recording hook ---------------------------------------------------------------

    def show_growing_clip(self, track_id: str, start: int, length: int | None) -> None:
        """Show a clip being recorded on `track_id` from `start`, `length` frames so far;
        None ends it (the recorded take then arrives as an edit)."""
        lane = self.lane_for(track_id)
        lane.growing = None if length is None else (int(start), int(length))
        lane.update()

    # -- gestures from the lanes ---------------------------------------------------------

    def _viewport_rect(self, lane: TrackLane, clip: Clip, shift_frames: int = 0,
                       dy: float = 0.0) -> QRectF:
        origin = lane.mapTo(self.scroll.viewport(), QPoint(0, 0))
        x0 = self.scale.x_of(clip.position + shift_frames)
        x1 = self.scale.x_of(clip.end + shift_frames)
        return QRectF(origin.x() + x0, origin.y() + dy + 2, x1 - x0, lane.track.height - 4)

    def lane_at_viewport_y(self, y: float) -> TrackLane | None:
        for lane in self._lanes:
            top = lane.mapTo(self.scroll.viewport(), QPoint(0, 0)).y()
            if top <= y < top + lane.height():
                return lane
        return None

    def _drag_delta(self, lane: TrackLane, drag: Drag) -> tuple[int, int]:
        """Frames and audio-track steps a move drag has reached, snapped."""
        clip = drag.clip
        fpp = self.scale.frames_per_pixel
        raw = clip.position + (drag.x - drag.x0) * fpp
        target = self.editor.snapped(raw, fpp, self.editor.selection.clips)
        delta = max(target, 0) - clip.position
        y = lane.mapTo(self.scroll.viewport(), QPointF(drag.x, drag.y).toPoint()).y()
        under = self.lane_at_viewport_y(y)
        audio = [ln for ln in self._lanes if ln.track.kind is TrackKind.AUDIO]
        shift = 0
        if under is not None and under in audio and lane in audio:
            shift = audio.index(under) - audio.index(lane)
        return delta, shift

    def show_drag(self, lane: TrackLane, drag: Drag | None) -> None:
        if drag is None:
            self.overlay.set_shapes()
            return
        vp = self.scroll.viewport()
        if drag.kind in ("band", "swipe"):
            a = lane.mapTo(vp, QPointF(drag.x0, drag.y0).toPoint())
            b = lane.mapTo(vp, QPointF(drag.x, drag.y).toPoint())
            if drag.kind == "swipe":
                row_top = lane.mapTo(vp, QPoint(0, int(drag.y0))).y() - 10
                self.overlay.set_shapes(band=QRectF(min(a.x(), b.x()), row_top,
                                                    abs(b.x() - a.x()), 20))
            else:
                self.overlay.set_shapes(band=QRectF(QPointF(a), QPointF(b)).normalized())
            return
        if drag.kind == "move":
            delta, shift = self._drag_delta(lane, drag)
            audio = [ln for ln in self._lanes if ln.track.kind is TrackKind.AUDIO]
            ghosts = []
            for track_id, clip in self.editor.selected():
                src = self.lane_for(track_id)
                dst = src
                if shift and src in audio and 0 <= audio.index(src) + shift < len(audio):
                    dst = audio[audio.index(src) + shift]
                dy = dst.mapTo(vp, QPoint(0, 0)).y() - src.mapTo(vp, QPoint(0, 0)).y()
                ghosts.append(self._viewport_rect(src, clip, delta, dy))
            self.overlay.set_shapes(ghosts=ghosts)
            return
        x = lane.mapTo(vp, QPointF(drag.x, drag.y).toPoint()).x()
        top = lane.mapTo(vp, QPoint(0, 0)).y()
        self.overlay.set_shapes(band=QRectF(x - 1, top, 2, lane.track.height))

    def finish_drag(self, lane: TrackLane, drag: Drag, mods: Qt.KeyboardModifier) -> None:
        ed = self.editor
        fpp = self.scale.frames_per_pixel
        frame = self.scale.frame_at(drag.x)
        clip = drag.clip
        if drag.kind == "band":
            self._band_select(lane, drag, bool(mods & Qt.KeyboardModifier.ShiftModifier))
        elif drag.kind == "swipe":
            take = drag.take
            a = ed.snapped(self.scale.frame_at(drag.x0), fpp)
            b = ed.snapped(frame, fpp)
            start = max(min(a, b), take.position)
            end = min(max(a, b), take.position + take.length)
            if end > start:
                ed.apply(E.CompTake(lane.track.id, take.id, start, end))
                self.close_merge()
        elif drag.kind == "move":
            delta, shift = self._drag_delta(lane, drag)
            if delta or shift:
                ed.move([c.id for _, c in ed.selected()], delta, shift)
        elif drag.kind == "trim_start":
            ed.trim_start(clip.id, ed.snapped(frame, fpp, {clip.id}))
        elif drag.kind == "trim_end":
            ed.trim_end(clip.id, ed.snapped(frame, fpp, {clip.id}))
        elif drag.kind == "fade_in":
            ed.set_fades(clip.id, fade_in=int(max(0, min(clip.length, frame - clip.position))))
        elif drag.kind == "fade_out":
            ed.set_fades(clip.id, fade_out=int(max(0, min(clip.length, clip.end - frame))))
        elif drag.kind == "gain":
            gain = clip.gain_db - (drag.y - drag.y0) * GAIN_DB_PER_PX
            ed.set_gain(clip.id, max(-60.0, min(12.0, gain)))
            self.close_merge()
        self.selection_changed()

    def _band_select(self, lane: TrackLane, drag: Drag, extend: bool) -> None:
        vp = self.scroll.viewport()
        a = lane.mapTo(vp, QPointF(drag.x0, drag.y0).toPoint())
        b = lane.mapTo(vp, QPointF(drag.x, drag.y).toPoint())
        band = QRectF(QPointF(a), QPointF(b)).normalized()
        chosen = set()
        for other in self._lanes:
            for clip in other.track.clips:
                if self._viewport_rect(other, clip).intersects(band):
                    chosen.add(clip.id)
        self.editor.select_many(chosen, extend)

    def start_rename(self, lane: TrackLane, clip: Clip) -> QLineEdit:
        """An inline editor over the clip's title; Enter renames it."""
        x0 = max(0.0, self.scale.x_of(clip.position))

        def done(text: str) -> None:
            if text and text != clip.name:
                self.editor.rename(clip.id, text)

        return inline_rename(lane, clip.name, QRect(int(x0) + 2, 1, 200, TITLE_HEIGHT + 6),
                             done)

    def context_menu(self, lane: TrackLane, clip: Clip | None, take: Take | None,
                     event: QMouseEvent) -> None:
        menu = QMenu(self)
        if take is not None:
            menu.addAction("Audition this take", lambda: self.on_audition(lane.track.id, take))
            menu.addAction("Comp the whole take", lambda: self.editor.apply(
                E.CompTake(lane.track.id, take.id, take.position, take.position + take.length)))
        elif clip is not None:
            if clip.id not in self.editor.selection.clips:
                self.editor.select(clip.id)
                self.selection_changed()
            for which in ("in", "out"):
                sub = menu.addMenu(f"Fade {which} shape")
                for shape in FadeShape:
                    key = "in_shape" if which == "in" else "out_shape"
                    sub.addAction(shape.value.replace("_", " ").capitalize(),
                                  lambda s=shape, k=key: self.editor.set_fades(clip.id, **{k: s}))
            menu.addAction("Mute / unmute", self.editor.toggle_mute)
            menu.addAction("Rename…", lambda: self.start_rename(lane, clip))
            at = int(self.scale.frame_at(event.position().x()))
            menu.addAction("Split here", lambda: self.editor.split(at))
            menu.addAction("Reset gain", lambda: self.editor.set_gain(clip.id, 0.0))
            menu.addAction("Delete", self.editor.delete)
        else:
            return
        menu.popup(event.globalPosition().toPoint())

    # -- header requests -------------------------------------------------------------------

    def header_edit(self, track_id: str, what: str, value: object) -> None:
        """A header asked for a change: make it the matching edit (or a view change)."""
        track = self.project.track(track_id)
        if what == "takes":
            if value:
                self.takes_open.add(track_id)
            else:
                self.takes_open.discard(track_id)
            self.rebuild()
            return
        if what == "colour":
            chosen = QColorDialog.getColor(QColor(track.colour), self, "Track colour")
            if not chosen.isValid():
                return
            value = chosen.name()
        if what == "automation":
            lane = next((ln for ln in track.automation if ln.param == value), None)
            what, value = "automation_lane", (lane, str(value))
        edit = {
            "armed": lambda: E.SetArmed(track_id, bool(value)),
            "mute": lambda: E.SetParam(track_id, "mute", bool(value)),
            "solo": lambda: E.SetParam(track_id, "solo", bool(value)),
            "monitor": lambda: E.SetMonitor(track_id, str(value)),
            "input": lambda: E.SetInput(track_id, list(value)),
            "name": lambda: E.RenameTrack(track_id, str(value)),
            "colour": lambda: E.SetTrackColour(track_id, str(value)),
            "height": lambda: E.SetTrackView(track_id, height=int(value)),
            "folded": lambda: E.SetTrackView(track_id, folded=bool(value)),
            "automation_mode": lambda: E.SetAutomationMode(track_id, str(value)),
            "automation_lane": lambda: _toggle_lane(track_id, *value),
            "unmap": lambda: E.Compound("Remove MIDI mappings",
                                        [E.RemoveMidiMapping(i) for i in value]),
        }[what]()
        if not self.editor.apply(edit):
            self.header_for(track_id).refresh()
        self.close_merge()

    def show_reorder(self, header: TrackHeader, global_y: float) -> None:
        y = self.scroll.viewport().mapFromGlobal(QPointF(0, global_y)).y()
        self.overlay.set_shapes(reorder_y=self._drop_line(y)[1])

    def _drop_line(self, y: float) -> tuple[int, float]:
        """The track index a header dropped at viewport `y` goes to, and the line's y."""
        vp = self.scroll.viewport()
        for i, header in enumerate(self._headers):
            top = header.mapTo(vp, QPoint(0, 0)).y()
            if y < top + header.height() / 2:
                return i, top
        if not self._headers:
            return 0, 0
        last = self._headers[-1]
        return len(self._headers), last.mapTo(vp, QPoint(0, 0)).y() + last.height()

    def finish_reorder(self, header: TrackHeader, global_y: float, moved: bool) -> None:
        self.overlay.set_shapes()
        if not moved:
            return
        y = self.scroll.viewport().mapFromGlobal(QPointF(0, global_y)).y()
        index, _ = self._drop_line(y)
        old = self.project.track_index(header.track.id)
        new = index - 1 if index > old else index
        if new != old:
            self.editor.apply(E.ReorderTrack(header.track.id, new))

    def track_for_menu(self) -> Track | None:
        if self.project is None:
            return None
        tid = self.editor.selection.track
        return next((t for t in self.project.tracks if t.id == tid), None)


def _shown_lanes(track: Track) -> list[str]:
    return [lane.param for lane in track.automation if lane.visible]


def _toggle_lane(track_id: str, lane, param: str) -> E.Edit:
    """Show a parameter's lane (adding it the first time), or hide it if shown."""
    if lane is None:
        return E.AddAutomationLane(track_id, param)
    return SetAutomationLaneVisible(track_id, param, not lane.visible)

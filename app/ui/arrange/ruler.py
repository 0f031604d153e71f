"""The ruler above the lanes: bars|beats and markers on top, the clock and the loop and
punch ranges below, and the playhead.

Gestures: click the top half to move the playhead there; drag a marker flag to move it,
double-click it to rename it; drag in the bottom half to set the loop range (with Shift,
the punch range), or drag a range's edge to change it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import QLineEdit, QSizePolicy, QWidget

from app.session import edits as E
from app.session.model import Marker, Project
from app.ui.arrange.grid import bar_ticks, second_ticks
from app.ui.arrange.rename import inline_rename
from app.ui.arrange.timescale import TimeScale
from app.ui.theme import COLOURS, colour, mono_font, ui_font

RULER_HEIGHT = 52
MID = 30
EDGE_PX = 5
LOOP_COLOUR = QColor(95, 181, 138)
PUNCH_COLOUR = QColor(217, 83, 79)
BAR_TICK = QColor("#59616c")
MINOR_TICK = QColor("#3a4049")
CLOCK_BAND = QColor("#181b1f")
EDGE = QColor("#0c0d0f")
PLAYHEAD = QColor("#f5f6f8")
TEXT = QColor(COLOURS.text)
TEXT_DIM = QColor(COLOURS.text_dim)


class Ruler(QWidget):
    def __init__(self, scale: TimeScale, parent: QWidget | None = None, view=None) -> None:
        super().__init__(parent)
        self.scale = scale
        self.view = view
        self.project: Project | None = None
        self.playhead = 0
        self.setFixedHeight(RULER_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        scale.changed.connect(self.update)
        self._drag: tuple[str, float, object] | None = None
        self._preview: tuple[str, int, int] | None = None
        self._bar_font = ui_font(9, QFont.Weight.DemiBold)
        self._beat_font = ui_font(8)
        self._clock_font = mono_font(8)
        self._marker_font = ui_font(8, QFont.Weight.DemiBold)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.update()

    def set_playhead(self, frame: int) -> None:
        if frame != self.playhead:
            old = self.scale.x_of(self.playhead)
            self.playhead = frame
            new = self.scale.x_of(frame)
            self.update(int(old) - 7, 0, 15, self.height())
            self.update(int(new) - 7, 0, 15, self.height())

    # -- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, colour("panel"))
        p.fillRect(0, MID, w, h - MID, CLOCK_BAND)
        pr = self.project
        if pr is not None:
            start, end = self.scale.visible_range()
            self._paint_ranges(p, pr, h)
            self._paint_bars(p, pr, start, end)
            self._paint_clock(p, pr, start, end, h)
            self._paint_markers(p, pr, start, end)
            x = self.scale.x_of(self.playhead)
            if -8 <= x <= w + 8:
                p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(PLAYHEAD)
                p.drawPolygon(QPolygonF([QPointF(x - 6, h - 10), QPointF(x + 6, h - 10),
                                         QPointF(x, h - 1)]))
                p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(EDGE)
        p.drawLine(0, h - 1, w, h - 1)
        p.end()

    def _ranges(self, pr: Project) -> list[tuple[str, int, int, bool]]:
        out = [("loop", pr.loop.start, pr.loop.end, pr.loop.enabled),
               ("punch", pr.punch.start, pr.punch.end, pr.punch.enabled)]
        if self._preview is not None:
            which, s, e = self._preview
            out = [(n, s, e, True) if n == which else (n, a, b, on) for n, a, b, on in out]
        return out

    def _paint_ranges(self, p: QPainter, pr: Project, h: int) -> None:
        for which, start, end, on in self._ranges(pr):
            if end <= start:
                continue
            x0, x1 = self.scale.x_of(start), self.scale.x_of(end)
            c = QColor(LOOP_COLOUR if which == "loop" else PUNCH_COLOUR)
            c.setAlpha(110 if on else 40)
            top = MID + (0 if which == "loop" else 11)
            p.fillRect(QRectF(x0, top, x1 - x0, 10), c)
            c.setAlpha(230 if on else 90)
            p.fillRect(QRectF(x0, top, 2, 10), c)
            p.fillRect(QRectF(x1 - 2, top, 2, 10), c)

    def _paint_bars(self, p: QPainter, pr: Project, start: int, end: int) -> None:
        ticks = bar_ticks(start, end + 1, self.scale.frames_per_pixel, pr.sample_rate,
                          pr.tempo, pr.meter_num, pr.meter_den)
        xs = [round(self.scale.x_of(tick.frame)) + 0.5 for tick in ticks]
        # the lines of each kind at once, then the labels of each kind
        p.setPen(BAR_TICK)
        for x, tick in zip(xs, ticks, strict=True):
            if tick.major:
                p.drawLine(QPointF(x, MID - 14), QPointF(x, MID))
        p.setPen(MINOR_TICK)
        for x, tick in zip(xs, ticks, strict=True):
            if not tick.major:
                p.drawLine(QPointF(x, MID - 5), QPointF(x, MID))
        p.setPen(TEXT)
        p.setFont(self._bar_font)
        for x, tick in zip(xs, ticks, strict=True):
            if tick.major:
                p.drawText(QRectF(x + 4, MID - 17, 60, 14), Qt.AlignmentFlag.AlignVCenter,
                           tick.label)
        p.setPen(TEXT_DIM)
        p.setFont(self._beat_font)
        for x, tick in zip(xs, ticks, strict=True):
            if not tick.major and tick.label:
                p.drawText(QRectF(x + 4, MID - 15, 60, 14), Qt.AlignmentFlag.AlignVCenter,
                           tick.label)

    def _paint_clock(self, p: QPainter, pr: Project, start: int, end: int, h: int) -> None:
        ticks = second_ticks(start, end + 1, self.scale.frames_per_pixel, pr.sample_rate)
        xs = [round(self.scale.x_of(tick.frame)) + 0.5 for tick in ticks]
        p.setPen(MINOR_TICK)
        for x in xs:
            p.drawLine(QPointF(x, MID), QPointF(x, MID + 5))
        p.setPen(TEXT_DIM)
        p.setFont(self._clock_font)
        for x, tick in zip(xs, ticks, strict=True):
            p.drawText(QRectF(x + 4, MID + 2, 80, h - MID - 4), Qt.AlignmentFlag.AlignVCenter,
                       tick.label)

    def marker_rects(self) -> list[tuple[Marker, QRectF]]:
        if self.project is None:
            return []
        metrics = self.fontMetrics()
        out = []
        for marker in self.project.markers:
            x = round(self.scale.x_of(marker.position)) + 0.5
            width = metrics.horizontalAdvance(marker.name) + 14
            out.append((marker, QRectF(x, 1, width, 13)))
        return out

    def _paint_markers(self, p: QPainter, pr: Project, start: int, end: int) -> None:
        p.setFont(self._marker_font)
        for marker, flag in self.marker_rects():
            if flag.right() < 0 or flag.left() > self.width():
                continue
            x = flag.left()
            moving = self._drag is not None and self._drag[2] is marker
            p.fillRect(flag, QColor("#f2c46b" if moving else COLOURS.accent))
            p.setPen(QColor(COLOURS.window))
            p.drawText(flag.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, marker.name)
            p.setPen(QColor(COLOURS.accent))
            p.drawLine(QPointF(x, 1), QPointF(x, self.height()))

    # -- gestures ------------------------------------------------------------------------

    def marker_at(self, x: float, y: float) -> Marker | None:
        for marker, flag in reversed(self.marker_rects()):
            if flag.adjusted(-3, 0, 0, 2).contains(QPointF(x, y)):
                return marker
        return None

    def _range_edge(self, x: float, y: float) -> tuple[str, str] | None:
        pr = self.project
        which = "loop" if y < MID + 11 else "punch"
        rng = getattr(pr, which)
        if rng.end <= rng.start:
            return None
        if abs(self.scale.x_of(rng.start) - x) <= EDGE_PX:
            return which, "start"
        if abs(self.scale.x_of(rng.end) - x) <= EDGE_PX:
            return which, "end"
        return None

    def _frame(self, x: float) -> int:
        fpp = self.scale.frames_per_pixel
        if self.view is not None:
            return self.view.editor.snapped(self.scale.frame_at(x), fpp)
        return int(max(0.0, self.scale.frame_at(x)))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.project is None or event.button() != Qt.MouseButton.LeftButton:
            return
        x, y = event.position().x(), event.position().y()
        if y < MID:
            marker = self.marker_at(x, y)
            self._drag = ("marker", x, marker) if marker else ("locate", x, None)
            return
        edge = self._range_edge(x, y)
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        which = "punch" if shift or y >= MID + 11 else "loop"
        if edge is not None:
            self._drag = ("edge", x, edge)
        else:
            self._drag = ("range", x, which)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None or self.project is None:
            return
        kind, x0, target = self._drag
        x = event.position().x()
        if kind == "range":
            a, b = sorted((self._frame(x0), self._frame(x)))
            self._preview = (target, a, b)
        elif kind == "edge":
            which, side = target
            rng = getattr(self.project, which)
            a, b = (self._frame(x), rng.end) if side == "start" else (rng.start, self._frame(x))
            self._preview = (which, *sorted((a, b)))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        self._preview = None
        if drag is None or self.project is None or self.view is None:
            return
        kind, x0, target = drag
        x = event.position().x()
        moved = abs(x - x0) > 3
        ed = self.view.editor
        if kind == "locate" or (kind == "marker" and not moved):
            frame = target.position if kind == "marker" else int(max(0, self.scale.frame_at(x)))
            self.view.on_locate(frame)
        elif kind == "marker":
            moved_to = target.position + (x - x0) * self.scale.frames_per_pixel
            ed.apply(E.MoveMarker(target.id, ed.snapped(moved_to, self.scale.frames_per_pixel)))
            self.view.close_merge()
        elif kind == "range" and moved:
            a, b = sorted((self._frame(x0), self._frame(x)))
            if b > a:
                edit = E.SetLoop if target == "loop" else E.SetPunch
                ed.apply(edit(a, b, True))
                self.view.close_merge()
        elif kind == "edge" and moved:
            which, side = target
            rng = getattr(self.project, which)
            a, b = (self._frame(x), rng.end) if side == "start" else (rng.start, self._frame(x))
            a, b = sorted((a, b))
            if b > a:
                edit = E.SetLoop if which == "loop" else E.SetPunch
                ed.apply(edit(a, b, rng.enabled or True))
                self.view.close_merge()
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        marker = self.marker_at(event.position().x(), event.position().y())
        if marker is not None:
            self.start_rename(marker)

    def start_rename(self, marker: Marker) -> QLineEdit:
        x = int(max(0.0, self.scale.x_of(marker.position)))

        def done(text: str) -> None:
            if text and text != marker.name and self.view is not None:
                self.view.editor.apply(E.RenameMarker(marker.id, text))

        return inline_rename(self, marker.name, QRect(x, 0, 160, MID - 4), done)

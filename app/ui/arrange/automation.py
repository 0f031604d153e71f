"""Automation lanes under a track in the arrange view: the curve of one strip parameter
over the same TimeScale as the waveforms, and the gestures that edit it.

Gestures, each one undo step: click on the lane adds a point; drag a point to move it;
Ctrl+drag (or the pencil) draws, thinned; drag on empty lane selects a time range, then
drag inside the range up or down to raise or lower it; Delete removes the selected point
or range; the context menu sets a point's shape (linear or hold), copies and pastes.
Values sit on the lane in the parameter's own scale (the fader law for levels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from app.session import edits as E
from app.session.automation import (
    ParamScale,
    current_value,
    lane_arrays,
    lane_value,
    lane_values,
    param_scale,
)
from app.session.automation import thin as thin_points
from app.session.edits.automation import (
    PasteAutomation,
    RemoveAutomationRange,
    SetAutomationInterp,
    SetAutomationLaneVisible,
    ShiftAutomationRange,
)
from app.session.model import AutomationLane, AutomationPoint, Interp, Project, Track
from app.ui.arrange.lane import draw_wave
from app.ui.arrange.timescale import TimeScale
from app.ui.theme import ui_font

AUTOMATION_HEIGHT = 64
BACKGROUND = "#15181b"
GRID_BAR = "#262b30"
GRID_BEAT = "#1b1f23"
REFERENCE = QColor("#2a3036")
RANGE_FILL = QColor(224, 162, 60, 40)
ACCENT = QColor("#e0a23c")
POINT_EDGE = QPen(QColor("#0d0f11"), 1)
CURVE_OFFSETS = ((0.0, -0.3), (0.0, 0.3), (-0.3, 0.0), (0.3, 0.0))
HINT = QColor("#6c737a")
POINT_PX = 4  # half-size of a point's square, and how near a press picks it
DRAG_PX = 3  # movement that turns a press into a drag
MARGIN = 5  # pixels above the top and below the bottom of the value range


def param_name(project: Project, param: str, track: Track | None = None) -> str:
    """A lane's name as the menu and its header show it."""
    parts = param.split(".")
    if parts[0] == "cue" and len(parts) == 3:
        try:
            cue = project.cue(parts[1]).name
        except KeyError:
            cue = "cue"
        return f"{cue} {'pan' if parts[2] == 'pan' else 'level'}"
    if parts[0] == "sends" and len(parts) == 3:
        k = int(parts[1])
        if track is not None and k < len(track.strip.sends):
            bus = next((t.name for t in project.tracks if t.id == track.strip.sends[k].bus), "")
            if bus:
                return f"Send to {bus}"
        return f"Send {k + 1}"
    names = {"fader_db": "Fader", "pan": "Pan", "mute": "Mute", "trim_db": "Trim",
             "hpf_freq": "HPF freq", "comp_threshold_db": "Comp threshold",
             "gate_threshold_db": "Gate threshold", "drive_db": "Drive"}
    if parts[0] == "eq" and len(parts) == 3:
        return f"EQ {int(parts[1]) + 1} {'gain' if parts[2] == 'gain_db' else parts[2]}"
    return names.get(param, E.param_label(param).capitalize())


@dataclass
class AutomationClip:
    """Copied automation: points relative to the copy's start, and the span they cover."""

    param: str
    points: list[AutomationPoint] = field(default_factory=list)
    length: int = 0


class AutomationLaneWidget(QWidget):
    """The curve of one lane and its gestures; see the module docstring."""

    def __init__(self, project: Project, track: Track, param: str, scale: TimeScale,
                 view=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.track, self.param = project, track, param
        self.scale = scale
        self.view = view
        self.value_scale: ParamScale = param_scale(track, param)
        self.pencil = False  # the pencil tool: a plain drag draws
        self.selected: int | None = None  # index of the selected point
        self.range: tuple[int, int] | None = None  # selected time range
        self._press: tuple[str, float, float] | None = None  # what, x, y
        self._drawn: list[AutomationPoint] = []
        self._shift_px = 0.0  # a range raise or lower being dragged, in pixels
        self._arrays: tuple | None = None  # the lane's points as arrays, while unchanged
        self._provisional: tuple[np.ndarray, np.ndarray] | None = None  # a pass being written
        self.setFixedHeight(AUTOMATION_HEIGHT)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setObjectName("automationLane")

    # -- the model ----------------------------------------------------------------------

    @property
    def lane(self) -> AutomationLane | None:
        return next((ln for ln in self.track.automation if ln.param == self.param), None)

    def points(self) -> list[AutomationPoint]:
        lane = self.lane
        return lane.points if lane is not None else []

    def apply(self, edit: E.Edit) -> bool:
        if self.view is None:
            return False
        ok = bool(self.view.editor.apply(edit))
        self._arrays = None
        self.update()
        return ok

    def _close_merge(self) -> None:
        if self.view is not None:
            self.view.close_merge()

    # -- geometry -----------------------------------------------------------------------

    def y_of(self, value: float) -> float:
        usable = self.height() - 2 * MARGIN
        return MARGIN + (1.0 - self.value_scale.to_unit(value)) * usable

    def value_at(self, y: float) -> float:
        usable = max(1, self.height() - 2 * MARGIN)
        return self.value_scale.from_unit(1.0 - (y - MARGIN) / usable)

    def frame_at(self, x: float) -> int:
        return max(0, int(round(self.scale.frame_at(x))))

    def point_at(self, x: float, y: float) -> int | None:
        for i, p in enumerate(self.points()):
            if (abs(self.scale.x_of(p.time) - x) <= POINT_PX + 1
                    and abs(self.y_of(p.value) - y) <= POINT_PX + 1):
                return i
        return None

    def _in_range(self, x: float) -> bool:
        if self.range is None:
            return False
        return self.scale.x_of(self.range[0]) <= x <= self.scale.x_of(self.range[1])

    # -- painting -----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        colour = QColor(self.track.colour)
        if self.view is not None and self.view.project is not None:
            area = event.rect()
            p.drawImage(area.topLeft(), self.view.lane_backdrop(w, h, BACKGROUND, GRID_BAR,
                                                                GRID_BEAT), area)
        else:
            p.fillRect(0, 0, w, h, QColor(BACKGROUND))
        p.fillRect(0, int(self.y_of(self._reference())), w, 1, REFERENCE)
        if self.range is not None:
            x0, x1 = self.scale.x_of(self.range[0]), self.scale.x_of(self.range[1])
            p.fillRect(QRectF(x0, 0, x1 - x0, h), RANGE_FILL)
            p.fillRect(QRectF(x0, 0, 1, h), ACCENT)
            p.fillRect(QRectF(x1, 0, 1, h), ACCENT)
        lane = self._shown_lane()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not lane.points:
            pen = QPen(colour.darker(130), 1, Qt.PenStyle.DashLine)
            p.setPen(pen)
            y = self.y_of(current_value(self.project, self.track, self.param))
            p.drawLine(QPointF(0, y), QPointF(w, y))
            p.setPen(HINT)
            p.setFont(ui_font(8))
            p.drawText(QRectF(8, 0, w - 16, h), Qt.AlignmentFlag.AlignVCenter,
                       "Click to add a point · Ctrl+drag draws · drag selects a range")
            self._paint_provisional(p)
            p.end()
            return
        first, last = self.scale.frame_at(-POINT_PX), self.scale.frame_at(w + POINT_PX)
        arrays = self._lane_arrays(lane)
        times = arrays[0]
        i0 = max(0, int(np.searchsorted(times, first, side="left")) - 1)
        i1 = min(len(times), int(np.searchsorted(times, last, side="right")) + 1)
        if i1 - i0 <= w // 3:
            xs, ys = self._screen(arrays, i0, i1)
            self._paint_path(p, lane, i0, i1, xs, ys, colour)
            # zoomed out past the points, the curve alone says more
            if (i1 - i0 - 2) * 3 * POINT_PX <= w:
                self._paint_points(p, lane, i0, xs, ys, colour)
        else:
            self._paint_dense(p, arrays, colour)
        self._paint_provisional(p)
        p.end()

    def _paint_points(self, p: QPainter, lane: AutomationLane, i0: int, xs: list[float],
                      ys: list[float], colour: QColor) -> None:
        """The points from i0 on at xs, ys that fall on the lane: squares where the value
        holds, circles where it ramps; the selected ones in the accent colour."""
        p.setPen(POINT_EDGE)
        plain = colour.lighter(150)
        w = self.width()
        for i, x, y in zip(range(i0, i0 + len(xs)), xs, ys, strict=True):
            if not -POINT_PX <= x <= w + POINT_PX:
                continue
            pt = lane.points[i]
            chosen = i == self.selected or (self.range is not None
                                            and self.range[0] <= pt.time <= self.range[1])
            p.setBrush(ACCENT if chosen else plain)
            rect = QRectF(x - POINT_PX, y - POINT_PX, 2 * POINT_PX, 2 * POINT_PX)
            if pt.interp is Interp.HOLD:
                p.drawRect(rect)
            else:
                p.drawEllipse(rect)

    # -- a pass being written -----------------------------------------------------------

    def show_provisional(self, points: list[tuple[int, float]] | None) -> None:
        """Draw the (frame, value) points of a pass being written over the lane, until
        called with None (or nothing) when the pass has become the lane's points."""
        if not points:
            if self._provisional is not None:
                self._provisional = None
                self.update()
            return
        if self._provisional is not None and len(self._provisional[0]) == len(points):
            return  # nothing new since the last feed
        arr = np.asarray(points, dtype=np.float64)
        self._provisional = (arr[:, 0], arr[:, 1])
        self.update()

    def provisional(self) -> list[tuple[int, float]]:
        """The points of the pass being written that the lane shows."""
        if self._provisional is None:
            return []
        return [(int(t), float(v)) for t, v in zip(*self._provisional, strict=True)]

    def _paint_provisional(self, p: QPainter) -> None:
        if self._provisional is None:
            return
        times, values = self._provisional
        w = self.width()
        i0 = max(0, int(np.searchsorted(times, self.scale.frame_at(0))) - 1)
        i1 = min(len(times), int(np.searchsorted(times, self.scale.frame_at(w))) + 1)
        step = max(1, (i1 - i0) // max(1, 2 * w))  # a few vertices per pixel at most
        t, v = times[i0:i1:step], values[i0:i1:step]
        if len(t) < 2:
            return
        usable = self.height() - 2 * MARGIN
        ys = MARGIN + (1.0 - self.value_scale.to_units(v)) * usable
        line = [QPointF(self.scale.x_of(float(a)), float(y)) for a, y in zip(t, ys, strict=True)]
        p.setPen(QPen(QColor("#e8553e"), 2.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolyline(QPolygonF(line))

    def _screen(self, arrays: tuple[np.ndarray, np.ndarray, np.ndarray], i0: int,
                i1: int) -> tuple[list[float], list[float]]:
        """Where points i0..i1 sit on the lane, x and y, worked out for all at once."""
        times, values, _hold = arrays
        xs = (times[i0:i1] - self.scale.origin) / self.scale.frames_per_pixel
        usable = self.height() - 2 * MARGIN
        ys = MARGIN + (1.0 - self.value_scale.to_units(values[i0:i1])) * usable
        return xs.tolist(), ys.tolist()

    def _paint_path(self, p: QPainter, lane: AutomationLane, i0: int, i1: int,
                    xs: list[float], ys: list[float], colour: QColor) -> None:
        """The curve through the points on screen (and one each side), held steps as
        steps: a few vertices, however far the lane reaches."""
        w, h = self.width(), self.height()
        pts = lane.points
        line: list[QPointF] = []
        if i0 == 0:
            line.append(QPointF(-2, ys[0]))
        for k, x, y in zip(range(i0, i1), xs, ys, strict=True):
            line.append(QPointF(x, y))
            if pts[k].interp is Interp.HOLD and k + 1 < len(pts):
                line.append(QPointF(self.scale.x_of(pts[k + 1].time), y))
        if i1 == len(pts):
            line.append(QPointF(w + 2, ys[-1]))
        under = QColor(colour)
        under.setAlpha(46)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(under)
        # the faint fill's edge lies under the curve: no need to smooth it (a third faster)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.drawPolygon(QPolygonF([QPointF(line[0].x(), h), *line, QPointF(line[-1].x(), h)]))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # The curve is 1.6 px wide: four 1-px strokes a little apart draw it. The raster
        # engine strokes a 1-px line on its fast path but a wider one as a filled outline,
        # 25 times slower (0.8 ms for 140 vertices, 1 ms a lane in a 32-track session).
        p.setPen(QPen(colour.lighter(125), 1.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        curve = QPolygonF(line)
        for dx, dy in CURVE_OFFSETS:
            p.drawPolyline(curve.translated(dx, dy))

    def _lane_arrays(self, lane: AutomationLane) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The lane's points as arrays, kept while the project is unchanged."""
        key = (id(lane), len(lane.points), self.view.version if self.view is not None else 0)
        if self._arrays is None or self._arrays[0] != key or self._press is not None:
            self._arrays = (key, lane_arrays(lane))
        return self._arrays[1]

    def _paint_dense(self, p: QPainter, arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
                     colour: QColor) -> None:
        """Zoomed out past the points: per pixel column, the span the curve covers, drawn
        as images built with numpy (a polyline through thousands of turns is slow)."""
        w, h = self.width(), self.height()
        sub = 4
        xs = (np.arange(w * sub, dtype=np.float64) + 0.5) / sub
        values = lane_values(arrays, self.scale.origin + xs * self.scale.frames_per_pixel)
        ys = (MARGIN + (1.0 - self.value_scale.to_units(values)) * (h - 2 * MARGIN))
        ys = ys.reshape(w, sub)
        top, bottom = ys.min(axis=1), ys.max(axis=1)
        # the points themselves, however many fall between two samples of a column
        times, values, _hold = arrays
        cols = np.floor((times - self.scale.origin) / self.scale.frames_per_pixel)
        inside = (cols >= 0) & (cols < w)
        if inside.any():
            cols = cols[inside].astype(np.int64)
            py = MARGIN + (1.0 - self.value_scale.to_units(values[inside])) * (h - 2 * MARGIN)
            starts = np.flatnonzero(np.r_[True, np.diff(cols) != 0])
            at = cols[starts]
            top[at] = np.minimum(top[at], np.minimum.reduceat(py, starts))
            bottom[at] = np.maximum(bottom[at], np.maximum.reduceat(py, starts))
        # join each column to the next so steps and steep ramps stay one line
        top[1:] = np.minimum(top[1:], bottom[:-1])
        bottom[1:] = np.maximum(bottom[1:], top[:-1])
        a = 46
        under = QColor(colour.red() * a // 255, colour.green() * a // 255,
                       colour.blue() * a // 255, a)
        draw_wave(p, 0, bottom, np.full(w, float(h)), 0, h, under)
        draw_wave(p, 0, top - 0.8, bottom + 0.8, 0, h, colour.lighter(125))

    def _reference(self) -> float:
        s = self.value_scale
        if s.kind == "fader":
            return 0.0
        if s.kind == "toggle":
            return 0.5
        return s.low if s.low >= 0 or s.kind == "log" else 0.0

    def _shown_lane(self) -> AutomationLane:
        """The lane as the gesture in progress would leave it (drawing, raising)."""
        lane = self.lane or AutomationLane(self.param)
        if self._press is not None and self._press[0] == "draw" and len(self._drawn) > 1:
            lo, hi = self._drawn[0].time, self._drawn[-1].time
            kept = [pt for pt in lane.points if not lo <= pt.time <= hi]
            return AutomationLane(self.param, sorted(kept + self._drawn, key=lambda q: q.time))
        if self._press is not None and self._press[0] == "shift" and self.range is not None:
            delta = self._shift_delta(self._press)
            if delta:
                lo, hi = self.range
                shown = [AutomationPoint(pt.time, self.value_scale.clamp(pt.value + delta)
                                         if lo <= pt.time <= hi else pt.value, pt.interp)
                         for pt in lane.points]
                return AutomationLane(self.param, shown)
        return lane

    # -- gestures -----------------------------------------------------------------------

    def _shift_delta(self, press: tuple[str, float, float] | None) -> float:
        """The change in value a vertical drag in the range has reached."""
        if press is None:
            return 0.0
        _what, _x, y0 = press
        at = self.value_at(y0)
        return round(self.value_at(y0 + self._shift_px) - at, 2)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.lane is None:
            return
        x, y = event.position().x(), event.position().y()
        mods = event.modifiers()
        hit = self.point_at(x, y)
        self._close_merge()
        if hit is not None and not mods & Qt.KeyboardModifier.ControlModifier:
            self.selected, self.range = hit, None
            self._press = ("point", x, y)
        elif self.pencil or mods & Qt.KeyboardModifier.ControlModifier:
            self._press = ("draw", x, y)
            self._drawn = [AutomationPoint(self.frame_at(x), self.value_at(y))]
        elif self._in_range(x):
            self._press = ("shift", x, y)
            self._shift_px = 0.0
        else:
            self.selected = None
            self._press = ("empty", x, y)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None:
            return
        what, x0, y0 = self._press
        x, y = event.position().x(), event.position().y()
        if what == "point" and self.selected is not None:
            if abs(x - x0) < DRAG_PX and abs(y - y0) < DRAG_PX:
                return
            frame, value = self.frame_at(x), self.value_at(y)
            edit = E.MoveAutomationPoint(self.track.id, self.param, self.selected, frame, value)
            if self.apply(edit):
                self.selected = edit.new_index
        elif what == "draw":
            frame = self.frame_at(x)
            if frame > self._drawn[-1].time:
                self._drawn.append(AutomationPoint(frame, self.value_at(y)))
            self.update()
        elif what == "shift":
            self._shift_px = y - y0
            self.update()
        elif what in ("empty", "range") and abs(x - x0) >= DRAG_PX:
            a, b = sorted((self.frame_at(x0), self.frame_at(x)))
            self.range = (a, b)
            self._press = ("range", x0, y0)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        press, self._press = self._press, None
        if press is None:
            return
        what, x0, y0 = press
        x, y = event.position().x(), event.position().y()
        if what == "empty":
            self.range = None
            # on/off lanes step from point to point
            shape = Interp.HOLD if self.value_scale.kind == "toggle" else Interp.LINEAR
            edit = E.AddAutomationPoint(self.track.id, self.param, AutomationPoint(
                self.frame_at(x), self.value_at(y), shape))
            if self.apply(edit):
                self.selected = edit._index
        elif what == "draw":
            self._finish_draw()
        elif what == "shift":
            self._shift_px = y - y0
            delta = self._shift_delta(press)
            if delta and self.range is not None:
                self.apply(ShiftAutomationRange(self.track.id, self.param, *self.range, delta))
            self._shift_px = 0.0
        self._close_merge()
        self.update()

    def _finish_draw(self) -> None:
        drawn, self._drawn = self._drawn, []
        if len(drawn) < 2:
            return
        if self.value_scale.kind == "toggle":
            drawn = [AutomationPoint(p.time, p.value, Interp.HOLD) for p in drawn]
        # within a pixel of the stroke: the mouse's own jitter is not a shape
        kept = thin_points(drawn, self.value_scale, 0.75 / max(1, self.height() - 2 * MARGIN))
        start = kept[0].time
        relative = [AutomationPoint(p.time - start, p.value, p.interp) for p in kept]
        self.apply(PasteAutomation(self.track.id, self.param, relative, start))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        else:
            super().keyPressEvent(event)

    def delete_selection(self) -> bool:
        """Remove the selected range's points, or the selected point."""
        if self.range is not None and self.range[1] > self.range[0]:
            ok = self.apply(RemoveAutomationRange(self.track.id, self.param, *self.range))
            self.range = None
            return ok
        if self.selected is not None:
            ok = self.apply(E.RemoveAutomationPoint(self.track.id, self.param, self.selected))
            self.selected = None
            return ok
        return False

    def copy_range(self) -> AutomationClip | None:
        """The selected range's points, for pasting elsewhere (also kept by the view)."""
        if self.range is None:
            return None
        lo, hi = self.range
        lane = self.lane or AutomationLane(self.param)
        inside = [AutomationPoint(p.time - lo, p.value, p.interp)
                  for p in lane.points if lo <= p.time <= hi]
        # the curve's values at the range's edges, so the copy sounds as it looked
        for t in (lo, hi):
            if lane.points and not any(p.time == t - lo for p in inside):
                inside.append(AutomationPoint(t - lo, lane_value(lane, t)))
        clip = AutomationClip(self.param, sorted(inside, key=lambda p: p.time), hi - lo)
        if self.view is not None:
            self.view.automation_clipboard = clip
        return clip

    def paste(self, frame: int, clip: AutomationClip | None = None) -> bool:
        clip = clip or (self.view.automation_clipboard if self.view is not None else None)
        if clip is None or not clip.points:
            if self.view is not None:
                self.view.report("Nothing to paste: select a range of automation and copy it.")
            return False
        return self.apply(PasteAutomation(self.track.id, self.param, clip.points, frame,
                                          clip.length))

    def context_menu(self, x: float, y: float) -> QMenu:
        """The lane's menu for a right-click at (x, y)."""
        menu = QMenu(self)
        hit = self.point_at(x, y)
        if hit is not None:
            self.selected = hit
            shape = self.points()[hit].interp
            for interp, text in ((Interp.LINEAR, "Linear to the next point"),
                                 (Interp.HOLD, "Hold until the next point")):
                act = menu.addAction(text, lambda i=interp, k=hit: self.apply(
                    SetAutomationInterp(self.track.id, self.param, k, i)))
                act.setCheckable(True)
                act.setChecked(shape is interp)
            menu.addAction("Delete point", self.delete_selection)
            menu.addSeparator()
        if self.range is not None:
            menu.addAction("Copy range", self.copy_range)
            menu.addAction("Delete range", self.delete_selection)
        at = self.frame_at(x)
        paste = menu.addAction("Paste here", lambda: self.paste(at))
        paste.setEnabled(self.view is not None and self.view.automation_clipboard is not None)
        pencil = menu.addAction("Pencil (drag draws)", lambda: self.set_pencil(not self.pencil))
        pencil.setCheckable(True)
        pencil.setChecked(self.pencil)
        menu.addSeparator()
        menu.addAction("Hide lane", lambda: self.apply(
            SetAutomationLaneVisible(self.track.id, self.param, False)))
        menu.addAction("Remove lane and its points", lambda: self.apply(
            E.RemoveAutomationLane(self.track.id, self.param)))
        return menu

    def set_pencil(self, on: bool) -> None:
        self.pencil = on
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        self.context_menu(event.pos().x(), event.pos().y()).popup(event.globalPos())


class AutomationRow(QWidget):
    """A lane's row: a small header (name, value at the playhead, hide) and the curve."""

    def __init__(self, project: Project, track: Track, param: str, scale: TimeScale,
                 header_width: int, view=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track, self.param = track, param
        side = QWidget(objectName="automationHeader")
        side.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        side.setFixedWidth(header_width)
        c = QColor(track.colour)
        side.setStyleSheet("#automationHeader { background: #1b1f23; border-bottom: 1px solid "
                           f"#0f1113; border-left: 5px solid rgba({c.red()}, {c.green()}, "
                           f"{c.blue()}, 110); }}")
        col = QVBoxLayout(side)
        col.setContentsMargins(17, 4, 8, 4)
        col.setSpacing(1)
        top = QHBoxLayout()
        top.setSpacing(3)
        self.name_label = QLabel(param_name(project, param, track))
        self.name_label.setFont(ui_font(8.5, ui_font().Weight.DemiBold))
        self.name_label.setStyleSheet(f"color: {QColor(track.colour).lighter(130).name()};")
        top.addWidget(self.name_label, 1)
        self.pencil_button = QToolButton(text="✎", checkable=True,
                                         toolTip="Pencil: a drag draws the curve")
        self.hide_button = QToolButton(text="×", toolTip="Hide this lane (its points stay)")
        for b in (self.pencil_button, self.hide_button):
            b.setFixedSize(20, 16)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            top.addWidget(b)
        col.addLayout(top)
        self.value_label = QLabel()
        self.value_label.setFont(ui_font(8))
        self.value_label.setStyleSheet("color: #9aa3ab;")
        col.addWidget(self.value_label)
        col.addStretch(1)
        self.lane = AutomationLaneWidget(project, track, param, scale, view=view)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(self.lane, 1)
        self.setFixedHeight(AUTOMATION_HEIGHT)
        self.pencil_button.toggled.connect(self.lane.set_pencil)
        self.hide_button.clicked.connect(lambda: self.lane.apply(
            SetAutomationLaneVisible(track.id, param, False)))
        self._frame = 0
        self.show_playhead(0)

    def show_playhead(self, frame: int) -> None:
        """The lane's value at the playhead in the header (the static value without points)."""
        self._frame = frame
        lane = self.lane.lane
        value = lane_value(lane, frame) if lane is not None else None
        if value is None:
            value = current_value(self.lane.project, self.track, self.param)
        text = self.lane.value_scale.text(value)
        if text != self.value_label.text():
            self.value_label.setText(text)

    def refresh(self) -> None:
        self.show_playhead(self._frame)
        self.lane.update()

"""Automation: lanes of a strip or cue parameter, the points on them, and how a strip
plays them (its automation mode)."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from enum import Enum
from typing import Any

from app.session.automation import lane_value, param_scale
from app.session.edits.base import Edit, EditError, _SetFields
from app.session.edits.checks import _cue, _enum, _frame, _insert_sorted, _lane, _number, _track
from app.session.edits.params import _PARAM_RANGES, param_label
from app.session.model import (
    AutomationLane,
    AutomationMode,
    AutomationPoint,
    Interp,
    Project,
    Track,
    get_path,
)


def _check_automation_param(project: Project, track: Track, param: str) -> None:
    parts = param.split(".")
    if parts[0] == "cue":
        if len(parts) != 3 or parts[2] not in ("level_db", "pan"):
            raise EditError(f"{param!r} is not an automatable cue parameter.")
        _cue(project, parts[1])
        return
    try:
        value = get_path(track.strip, param)
    except KeyError:
        raise EditError(f"{track.name} has no parameter {param!r}.") from None
    if isinstance(value, Enum) or not isinstance(value, bool | float | int):
        raise EditError(f"{param!r} of {track.name} cannot be automated.")


def _check_automation_value(track: Track, param: str, value: Any) -> float:
    what = f"An automation value for {param_label(param)}"
    parts = param.split(".")
    if parts[0] == "cue":
        return _number(value, what, *((-1.0, 1.0) if parts[2] == "pan" else (-math.inf, 0.0)))
    if isinstance(get_path(track.strip, param), bool):
        return _number(value, what, 0.0, 1.0)
    return _number(value, what, *_PARAM_RANGES.get(parts[-1], (-math.inf, math.inf)))


class AddAutomationLane(Edit):
    def __init__(self, track_id: str, param: str) -> None:
        self.track_id, self.param = track_id, param
        self.label = f"Add {param_label(param)} automation"

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        _check_automation_param(project, track, self.param)
        if any(lane.param == self.param for lane in track.automation):
            raise EditError(f"{track.name} already has a lane for {param_label(self.param)}.")
        track.automation.append(AutomationLane(self.param))

    def undo(self, project: Project) -> None:
        project.track(self.track_id).automation.pop()


class RemoveAutomationLane(Edit):
    def __init__(self, track_id: str, param: str) -> None:
        self.track_id, self.param = track_id, param
        self.label = f"Remove {param_label(param)} automation"
        self._removed: tuple[int, AutomationLane] | None = None

    def do(self, project: Project) -> None:
        lanes = _track(project, self.track_id).automation
        lane = _lane(project, self.track_id, self.param)
        index = lanes.index(lane)
        self._removed = (index, lanes.pop(index))

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        project.track(self.track_id).automation.insert(*self._removed)


class _PointEdit(Edit):
    def __init__(self, track_id: str, param: str) -> None:
        self.track_id, self.param = track_id, param

    def _points(self, project: Project) -> list[AutomationPoint]:
        return _lane(project, self.track_id, self.param).points

    def _point(self, project: Project, time: int, value: float, interp: Any) -> AutomationPoint:
        track = _track(project, self.track_id)
        return AutomationPoint(
            _frame(time, "An automation point time"),
            _check_automation_value(track, self.param, value),
            _enum(Interp, interp, "The interpolation"),
        )


class AddAutomationPoint(_PointEdit):
    """Add a point to a lane; points stay in time order."""

    def __init__(self, track_id: str, param: str, point: AutomationPoint) -> None:
        super().__init__(track_id, param)
        self.point = copy.deepcopy(point)
        self.label = "Add automation point"
        self._index = 0

    def do(self, project: Project) -> None:
        points = self._points(project)
        point = self._point(project, self.point.time, self.point.value, self.point.interp)
        self._index = _insert_sorted(points, point, lambda p: p.time)

    def undo(self, project: Project) -> None:
        self._points(project).pop(self._index)


class RemoveAutomationPoint(_PointEdit):
    def __init__(self, track_id: str, param: str, index: int) -> None:
        super().__init__(track_id, param)
        self.index = index
        self.label = "Remove automation point"
        self._removed: AutomationPoint | None = None

    def do(self, project: Project) -> None:
        points = self._points(project)
        if not 0 <= self.index < len(points):
            raise EditError(f"The lane has no point number {self.index}.")
        self._removed = points.pop(self.index)

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        self._points(project).insert(self.index, self._removed)


class MoveAutomationPoint(_PointEdit):
    """Move point number `index` to a new time and value; a drag is one undo step."""

    mergeable = True

    def __init__(self, track_id: str, param: str, index: int, time: int, value: float) -> None:
        super().__init__(track_id, param)
        self.index, self.time, self.value = index, time, value
        self.label = "Move automation point"
        self._old: AutomationPoint | None = None
        self._new_index = 0

    @property
    def new_index(self) -> int:
        """Where the point is after the move (points are kept in time order)."""
        return self._new_index

    def do(self, project: Project) -> None:
        points = self._points(project)
        if not 0 <= self.index < len(points):
            raise EditError(f"The lane has no point number {self.index}.")
        point = self._point(project, self.time, self.value, points[self.index].interp)
        self._old = points.pop(self.index)
        self._new_index = _insert_sorted(points, point, lambda p: p.time)

    def undo(self, project: Project) -> None:
        points = self._points(project)
        points.pop(self._new_index)
        points.insert(self.index, self._old)

    def merge(self, other: Edit) -> bool:
        if not (isinstance(other, MoveAutomationPoint) and other.track_id == self.track_id
                and other.param == self.param and other.index == self._new_index):
            return False
        self.time, self.value, self._new_index = other.time, other.value, other._new_index
        return True


class SetAutomationPoints(_SetFields):
    """Replace all points of a lane (a recorded pass); they are sorted by time."""

    def __init__(self, track_id: str, param: str, points: Iterable[AutomationPoint]) -> None:
        super().__init__()
        self.track_id, self.param = track_id, param
        self.points = copy.deepcopy(list(points))
        self.label = f"Write {param_label(param)} automation"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id, self.param)

    def _target(self, project: Project) -> AutomationLane:
        return _lane(project, self.track_id, self.param)

    def _compute(self, project: Project, lane: AutomationLane) -> dict[str, Any]:
        track = _track(project, self.track_id)
        points = [
            AutomationPoint(_frame(p.time, "An automation point time"),
                            _check_automation_value(track, self.param, p.value),
                            _enum(Interp, p.interp, "The interpolation"))
            for p in self.points
        ]
        points.sort(key=lambda p: p.time)
        return {"points": points}


class SetAutomationMode(Edit):
    """Choose how a strip's automation plays (off, read, touch, latch, write, trim)."""

    def __init__(self, track_id: str, mode: AutomationMode | str) -> None:
        self.track_id, self.mode = track_id, mode
        self.label = "Set automation mode"
        self._old: AutomationMode | None = None

    @property
    def structural(self) -> bool:
        return False

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        try:
            mode = AutomationMode(self.mode)
        except ValueError:
            choices = ", ".join(m.value for m in AutomationMode)
            raise EditError(f"Automation mode {self.mode!r} is not one of {choices}.") from None
        self._old, track.automation_mode = track.automation_mode, mode
        self.mode = mode
        self.label = f"Set {track.name} automation to {mode.value}"

    def undo(self, project: Project) -> None:
        assert self._old is not None
        _track(project, self.track_id).automation_mode = self._old


class _ReplacePoints(_PointEdit):
    """Edits that rework a lane's points as a whole; the first do fixes the outcome."""

    def __init__(self, track_id: str, param: str) -> None:
        super().__init__(track_id, param)
        self._old: list[AutomationPoint] = []
        self._new: list[AutomationPoint] | None = None

    def _rework(self, project: Project, points: list[AutomationPoint]) -> list[AutomationPoint]:
        raise NotImplementedError

    def do(self, project: Project) -> None:
        lane = _lane(project, self.track_id, self.param)
        if self._new is None:
            new = self._rework(project, copy.deepcopy(lane.points))
            new.sort(key=lambda p: p.time)
            self._new = new
        self._old, lane.points = lane.points, copy.deepcopy(self._new)

    def undo(self, project: Project) -> None:
        _lane(project, self.track_id, self.param).points = self._old


def _range(start: int, end: int) -> tuple[int, int]:
    start, end = _frame(start, "The range start"), _frame(end, "The range end")
    if end <= start:
        raise EditError("The range is empty: its end must come after its start.")
    return start, end


def _interp_at(points: list[AutomationPoint], time: int) -> Interp:
    """The shape of the segment a new point at `time` splits, so the curve keeps it."""
    before = [p for p in points if p.time <= time]
    return before[-1].interp if before else Interp.LINEAR


class ShiftAutomationRange(_ReplacePoints):
    """Raise or lower a lane within [start, end] by `delta` (in the parameter's unit,
    clamped to its range). Points at the range's edges, and one frame outside them, keep
    the curve outside the range where it was."""

    def __init__(self, track_id: str, param: str, start: int, end: int, delta: float) -> None:
        super().__init__(track_id, param)
        self.start, self.end, self.delta = start, end, delta
        self.label = f"Raise {param_label(param)} automation" if delta >= 0 else \
            f"Lower {param_label(param)} automation"

    def _rework(self, project: Project, points: list[AutomationPoint]) -> list[AutomationPoint]:
        start, end = _range(self.start, self.end)
        delta = _number(self.delta, "The automation change")
        track = _track(project, self.track_id)
        scale = param_scale(track, self.param)
        lane = AutomationLane(self.param, points)
        if not points:
            raise EditError("The lane has no points to raise or lower.")
        times = {p.time for p in points}
        anchors = [start, end, end + 1] + ([start - 1] if start > 0 else [])
        added = [AutomationPoint(t, lane_value(lane, t), _interp_at(points, t))
                 for t in anchors if t not in times]
        out = []
        for p in points + added:
            if start <= p.time <= end:
                value = _check_automation_value(track, self.param, scale.clamp(p.value + delta))
                p = AutomationPoint(p.time, value, p.interp)
            out.append(p)
        return out


class RemoveAutomationRange(_ReplacePoints):
    """Delete a lane's points within [start, end]."""

    def __init__(self, track_id: str, param: str, start: int, end: int) -> None:
        super().__init__(track_id, param)
        self.start, self.end = start, end
        self.label = f"Delete {param_label(param)} automation"

    def _rework(self, project: Project, points: list[AutomationPoint]) -> list[AutomationPoint]:
        start, end = _range(self.start, self.end)
        kept = [p for p in points if not start <= p.time <= end]
        if len(kept) == len(points):
            raise EditError("There are no automation points in that range.")
        return kept


class PasteAutomation(_ReplacePoints):
    """Put copied points (times relative to the copy's start) at frame `at`, replacing the
    lane's points over the span they cover."""

    def __init__(self, track_id: str, param: str, points: Iterable[AutomationPoint],
                 at: int, length: int | None = None) -> None:
        super().__init__(track_id, param)
        self.points = copy.deepcopy(list(points))
        self.at = at
        self.length = length
        self.label = f"Paste {param_label(param)} automation"

    def _rework(self, project: Project, points: list[AutomationPoint]) -> list[AutomationPoint]:
        at = _frame(self.at, "The paste position")
        if not self.points:
            raise EditError("There is no automation to paste.")
        pasted = [self._point(project, at + p.time, p.value, p.interp) for p in self.points]
        span = self.length if self.length is not None else max(p.time for p in self.points)
        end = at + _frame(span, "The pasted length")
        return [p for p in points if not at <= p.time <= end] + pasted


class MoveAutomationRange(_ReplacePoints):
    """Move a lane's points within [start, end) by `delta` frames (with the clips above
    them); points already where they land are replaced."""

    def __init__(self, track_id: str, param: str, start: int, end: int, delta: int) -> None:
        super().__init__(track_id, param)
        self.start, self.end, self.delta = start, end, delta
        self.label = f"Move {param_label(param)} automation"

    def _rework(self, project: Project, points: list[AutomationPoint]) -> list[AutomationPoint]:
        start, end = _range(self.start, self.end)
        delta = int(self.delta)
        if start + delta < 0:
            raise EditError("Automation cannot move before the start of the session.")
        moving = [p for p in points if start <= p.time < end]
        moved = [AutomationPoint(p.time + delta, p.value, p.interp) for p in moving]
        stay = [p for p in points if not (start <= p.time < end)
                and not start + delta <= p.time < end + delta]
        return stay + moved


class SetAutomationInterp(_PointEdit):
    """The shape from point number `index` to the next: a straight line or a held step."""

    def __init__(self, track_id: str, param: str, index: int, interp: Interp | str) -> None:
        super().__init__(track_id, param)
        self.index, self.interp = index, interp
        self.label = "Set automation shape"
        self._old: Interp | None = None

    def do(self, project: Project) -> None:
        points = self._points(project)
        if not 0 <= self.index < len(points):
            raise EditError(f"The lane has no point number {self.index}.")
        interp = _enum(Interp, self.interp, "The interpolation")
        self._old, points[self.index].interp = points[self.index].interp, interp

    def undo(self, project: Project) -> None:
        assert self._old is not None
        self._points(project)[self.index].interp = self._old


class SetAutomationLaneVisible(Edit):
    """Show or hide a lane under its track in the arrange window (its points stay)."""

    def __init__(self, track_id: str, param: str, visible: bool) -> None:
        self.track_id, self.param, self.visible = track_id, param, bool(visible)
        self.label = f"{'Show' if visible else 'Hide'} {param_label(param)} automation"
        self._old = True

    def do(self, project: Project) -> None:
        lane = _lane(project, self.track_id, self.param)
        self._old, lane.visible = lane.visible, self.visible

    def undo(self, project: Project) -> None:
        _lane(project, self.track_id, self.param).visible = self._old

"""Automation: lanes of a strip or cue parameter, the points on them, and how a strip
plays them (its automation mode)."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from enum import Enum
from typing import Any

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

"""The timeline: markers, tempo, meter, and the loop and punch ranges."""

from __future__ import annotations

import copy
from typing import Any

from app.session.edits.base import Edit, EditError, _SetFields
from app.session.edits.checks import (
    _check_new_id,
    _flag,
    _frame,
    _insert_sorted,
    _marker_index,
    _number,
    _whole,
)
from app.session.model import (
    Marker,
    Project,
    new_id,
)

MIN_TEMPO = 20.0


MAX_TEMPO = 999.0


METER_DENOMINATORS = (1, 2, 4, 8, 16, 32)


class AddMarker(Edit):
    def __init__(self, name: str, position: int, marker_id: str | None = None) -> None:
        self.marker = Marker(name, position, marker_id or new_id())
        self.label = "Add marker"

    def do(self, project: Project) -> None:
        _frame(self.marker.position, "The marker position")
        if not isinstance(self.marker.name, str):
            raise EditError(f"A marker name must be text, not {self.marker.name!r}.")
        _check_new_id(project, self.marker.id, "marker")
        _insert_sorted(project.markers, copy.deepcopy(self.marker), lambda m: m.position)

    def undo(self, project: Project) -> None:
        project.markers.pop(_marker_index(project, self.marker.id))


class RemoveMarker(Edit):
    def __init__(self, marker_id: str) -> None:
        self.marker_id = marker_id
        self.label = "Remove marker"
        self._removed: tuple[int, Marker] | None = None

    def do(self, project: Project) -> None:
        index = _marker_index(project, self.marker_id)
        self._removed = (index, project.markers.pop(index))

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        project.markers.insert(*self._removed)


class RenameMarker(_SetFields):
    def __init__(self, marker_id: str, name: str) -> None:
        super().__init__()
        self.marker_id, self.name = marker_id, name
        self.label = "Rename marker"

    def _key(self) -> tuple[Any, ...]:
        return (self.marker_id,)

    def _target(self, project: Project) -> Marker:
        return project.markers[_marker_index(project, self.marker_id)]

    def _compute(self, project: Project, target: Marker) -> dict[str, Any]:
        if not isinstance(self.name, str):
            raise EditError(f"A marker name must be text, not {self.name!r}.")
        return {"name": self.name.strip()}


class MoveMarker(Edit):
    """Move a marker; markers stay in time order."""

    mergeable = True

    def __init__(self, marker_id: str, position: int) -> None:
        self.marker_id, self.position = marker_id, position
        self.label = "Move marker"
        self._old = (0, 0)
        self._new_index = 0

    def do(self, project: Project) -> None:
        index = _marker_index(project, self.marker_id)
        position = _frame(self.position, "The marker position")
        marker = project.markers.pop(index)
        self._old = (index, marker.position)
        marker.position = position
        self._new_index = _insert_sorted(project.markers, marker, lambda m: m.position)

    def undo(self, project: Project) -> None:
        marker = project.markers.pop(self._new_index)
        index, marker.position = self._old
        project.markers.insert(index, marker)

    def merge(self, other: Edit) -> bool:
        if not isinstance(other, MoveMarker) or other.marker_id != self.marker_id:
            return False
        self.position, self._new_index = other.position, other._new_index
        return True


class SetTempo(_SetFields):
    mergeable = True

    def __init__(self, bpm: float) -> None:
        super().__init__()
        self.bpm = bpm
        self.label = "Set tempo"

    def _key(self) -> tuple[Any, ...]:
        return ()

    def _target(self, project: Project) -> Project:
        return project

    def _compute(self, project: Project, target: Project) -> dict[str, Any]:
        return {"tempo": _number(self.bpm, "The tempo (BPM)", MIN_TEMPO, MAX_TEMPO)}


class SetMeter(_SetFields):
    def __init__(self, numerator: int, denominator: int) -> None:
        super().__init__()
        self.numerator, self.denominator = numerator, denominator
        self.label = "Set meter"

    def _key(self) -> tuple[Any, ...]:
        return ()

    def _target(self, project: Project) -> Project:
        return project

    def _compute(self, project: Project, target: Project) -> dict[str, Any]:
        num = _whole(self.numerator, "The beats per bar", 1)
        if num > 64:
            raise EditError(f"{num} beats per bar is more than 64.")
        if self.denominator not in METER_DENOMINATORS or isinstance(self.denominator, bool):
            raise EditError(f"The beat unit {self.denominator!r} must be one of "
                            f"{', '.join(map(str, METER_DENOMINATORS))}.")
        return {"meter_num": num, "meter_den": int(self.denominator)}


class _SetRange(_SetFields):
    mergeable = True
    which = ""

    def __init__(self, start: int, end: int, enabled: bool = True) -> None:
        super().__init__()
        self.start, self.end, self.enabled = start, end, enabled
        self.label = f"Set {self.which} range"

    def _key(self) -> tuple[Any, ...]:
        return ()

    def _target(self, project: Project) -> Any:
        return getattr(project, self.which)

    def _compute(self, project: Project, target: Any) -> dict[str, Any]:
        start = _frame(self.start, f"The {self.which} start")
        end = _frame(self.end, f"The {self.which} end")
        enabled = _flag(self.enabled, f"The {self.which} switch")
        if end < start or (enabled and end == start):
            raise EditError(f"The {self.which} range {start} .. {end} must end after it starts.")
        return {"start": start, "end": end, "enabled": enabled}


class SetLoop(_SetRange):
    which = "loop"


class SetPunch(_SetRange):
    which = "punch"


class SetClick(_SetFields):
    """Turn the click (metronome) on or off."""

    def __init__(self, enabled: bool) -> None:
        super().__init__()
        self.enabled = enabled
        self.label = "Click on" if enabled else "Click off"

    def _key(self) -> tuple[Any, ...]:
        return ()

    def _target(self, project: Project) -> Project:
        return project

    def _compute(self, project: Project, target: Project) -> dict[str, Any]:
        return {"click": _flag(self.enabled, "The click switch")}

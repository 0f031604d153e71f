"""Undoable edits the mixer needs that `app.session.edits` does not have yet.

They follow the same protocol (check before touching, undo puts back exactly, merge a
drag into one step) and are plain Python, so they can move into the session package
unchanged. Control-room settings are edits too: they are saved with the project, and
going through the history is what tells the engine (see `binder`).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from app.session.edits import Edit, EditError, check_param_value, param_label
from app.session.model import (
    AutomationMode,
    ControlRoom,
    Project,
    Send,
    SoloMode,
    TrackKind,
    get_path,
)


def _track(project: Project, track_id: str):
    try:
        return project.track(track_id)
    except KeyError:
        raise EditError(f"There is no track with id {track_id!r}.") from None


class SetStripParams(Edit):
    """Set several parameters of one strip at once (an EQ point dragged in frequency and
    gain); consecutive changes of the same parameters merge into one undo step."""

    mergeable = True

    def __init__(self, track_id: str, values: dict[str, Any], label: str = "") -> None:
        self.track_id = track_id
        self.values = dict(values)
        self.label = label or "Set " + ", ".join(param_label(p) for p in self.values)
        self._old: dict[str, Any] = {}

    @property
    def structural(self) -> bool:
        return any(p.endswith(".bus") for p in self.values)

    @property
    def paths(self) -> list[str]:
        return list(self.values)

    def _set(self, project: Project, values: dict[str, Any]) -> None:
        strip = _track(project, self.track_id).strip
        for path, value in values.items():
            head, _, last = path.rpartition(".")
            setattr(get_path(strip, head) if head else strip, last, value)

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        checked = {p: check_param_value(project, track, p, v) for p, v in self.values.items()}
        old = {p: get_path(track.strip, p) for p in checked}
        self._set(project, checked)
        self.values, self._old = checked, old

    def undo(self, project: Project) -> None:
        self._set(project, self._old)

    def merge(self, other: Edit) -> bool:
        if not (isinstance(other, SetStripParams) and other.track_id == self.track_id
                and set(other.values) == set(self.values)):
            return False
        self.values = dict(other.values)
        return True


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


_ROOM_FIELDS = {
    "source": str,
    "level_db": float,
    "dim": bool,
    "dim_db": float,
    "mono": bool,
    "cut": bool,
    "solo_mode": SoloMode,
    "click_db": float,
    "small_speaker": bool,
    "talkback_input": int,
    "talkback_db": float,
    "ext_input": int,
}
_ROOM_NAMES = {
    "source": "monitor source",
    "level_db": "control room level",
    "dim_db": "dim level",
    "solo_mode": "solo mode",
    "click_db": "click level",
    "small_speaker": "small speakers",
    "talkback_input": "talkback input",
    "talkback_db": "talkback level",
    "ext_input": "external input",
}


def _room_value(project: Project, name: str, value: Any) -> Any:
    kind = _ROOM_FIELDS.get(name)
    if kind is None:
        raise EditError(f"The control room has no setting {name!r}.")
    what = f"The {_ROOM_NAMES.get(name, name)}"
    if kind is bool:
        if not isinstance(value, bool):
            raise EditError(f"{what} must be on or off, not {value!r}.")
        return value
    if kind is SoloMode:
        try:
            return SoloMode(value)
        except ValueError:
            raise EditError(f"{what} {value!r} is not in place, AFL or PFL.") from None
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            raise EditError(f"{what} must be an input channel or -1 for none, not {value!r}.")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value > 24.0:
            raise EditError(f"{what} must be a level up to +24 dB, not {value!r}.")
        return float(value)
    if value not in ("main", "ext") and value not in {c.id for c in project.cues}:
        raise EditError(f"The control room cannot listen to {value!r}: "
                        "choose main, external or a cue mix.")
    return value


class SetControlRoom(Edit):
    """Change control-room settings (source, level, dim, mono, cut, solo mode, ...);
    a level drag is one undo step."""

    mergeable = True

    def __init__(self, **values: Any) -> None:
        self.values = values
        names = ", ".join(_ROOM_NAMES.get(k, k) for k in values)
        self.label = f"Set {names}"
        self._old: ControlRoom | None = None

    @property
    def structural(self) -> bool:
        return False

    def do(self, project: Project) -> None:
        checked = {k: _room_value(project, k, v) for k, v in self.values.items()}
        self._old = copy.deepcopy(project.control_room)
        for k, v in checked.items():
            setattr(project.control_room, k, v)
        self.values = checked

    def undo(self, project: Project) -> None:
        assert self._old is not None
        project.control_room = copy.deepcopy(self._old)

    def merge(self, other: Edit) -> bool:
        if not (isinstance(other, SetControlRoom) and set(other.values) == set(self.values)):
            return False
        self.values = dict(other.values)
        return True


MAX_SENDS = 8  # the engine's send slots per strip


class AddSend(Edit):
    """Add a send from a track or bus to an aux bus; it is silent until its level is raised."""

    def __init__(self, track_id: str, bus_id: str) -> None:
        self.track_id, self.bus_id = track_id, bus_id
        self.label = "Add send"

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        bus = _track(project, self.bus_id)
        sends = track.strip.sends
        if track.kind is TrackKind.MASTER:
            raise EditError("The master feeds the outputs; it has no sends.")
        if any(s.bus == bus.id for s in sends):
            raise EditError(f"{track.name} already sends to {bus.name}.")
        if len(sends) >= MAX_SENDS:
            raise EditError(f"{track.name} already has {MAX_SENDS} sends, the most a strip can "
                            "have.")
        sends.append(Send(bus.id))
        try:
            check_param_value(project, track, f"sends.{len(sends) - 1}.bus", bus.id)
        except EditError:
            sends.pop()
            raise
        self.label = f"Send {track.name} to {bus.name}"

    def undo(self, project: Project) -> None:
        _track(project, self.track_id).strip.sends.pop()

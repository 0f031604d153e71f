"""The control room: what the engineer hears (source, level, dim, mono, cut, solo mode,
click, talkback). Its settings are saved with the project, so changing them is an edit,
and going through the history is what tells the engine."""

from __future__ import annotations

import copy
import math
from typing import Any

from app.session.edits.base import Edit, EditError
from app.session.model import ControlRoom, Project, SoloMode

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

"""Strip parameters: the names people call them, their valid ranges, and SetParam.

A fader move, a pan turn or an EQ knob becomes a `SetParam` on a dotted path of the
strip (`fader_db`, `eq.2.gain_db`, `sends.0.level_db`); a drag of one parameter merges
into one undo step. `SetStripParams` sets several at once (an EQ point dragged in
frequency and gain).
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

from app.session.edits.base import Edit, EditError
from app.session.edits.checks import _enum, _flag, _number, _track
from app.session.edits.routing import _check_no_loop
from app.session.model import (
    Project,
    Track,
    TrackKind,
    get_path,
)

MIN_FREQ = 10.0


MAX_FREQ = 24000.0


_PARAM_NAMES = {
    "trim_db": "trim",
    "invert": "polarity",
    "hpf_on": "high-pass",
    "hpf_freq": "high-pass frequency",
    "eq_on": "EQ",
    "gate_on": "gate",
    "gate_threshold_db": "gate threshold",
    "gate_range_db": "gate range",
    "gate_attack_ms": "gate attack",
    "gate_release_ms": "gate release",
    "comp_on": "compressor",
    "comp_threshold_db": "compressor threshold",
    "comp_ratio": "compressor ratio",
    "comp_knee_db": "compressor knee",
    "comp_attack_ms": "compressor attack",
    "comp_release_ms": "compressor release",
    "comp_makeup_db": "compressor make-up",
    "drive_on": "drive",
    "drive_db": "drive",
    "pan": "pan",
    "fader_db": "fader",
    "mute": "mute",
    "solo": "solo",
    "solo_isolate": "solo isolate",
    "freq": "frequency",
    "gain_db": "gain",
    "q": "Q",
    "kind": "type",
    "enabled": "on",
    "level_db": "level",
    "pre": "pre-fader",
    "bus": "destination",
}


# Ranges by the last name of a path; any other number only has to be finite.
_PARAM_RANGES: dict[str, tuple[float, float]] = {
    "pan": (-1.0, 1.0),
    "hpf_freq": (MIN_FREQ, MAX_FREQ),
    "freq": (MIN_FREQ, MAX_FREQ),
    "comp_ratio": (1.0, math.inf),
    "q": (0.05, 50.0),
    "comp_knee_db": (0.0, math.inf),
    "gate_attack_ms": (0.0, 10000.0),
    "gate_release_ms": (0.0, 10000.0),
    "comp_attack_ms": (0.0, 10000.0),
    "comp_release_ms": (0.0, 10000.0),
}


def param_label(path: str) -> str:
    """What a person calls the strip parameter at `path`, e.g. "EQ 3 gain" for eq.2.gain_db."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] in ("eq", "sends") and parts[1].isdigit():
        group = "EQ" if parts[0] == "eq" else "send"
        return f"{group} {int(parts[1]) + 1} {_PARAM_NAMES.get(parts[2], parts[2])}"
    if len(parts) == 3 and parts[0] == "cue":
        return f"cue {_PARAM_NAMES.get(parts[2], parts[2])}"
    return _PARAM_NAMES.get(path, path.replace("_", " "))


def check_param_value(project: Project, track: Track, path: str, value: Any) -> Any:
    """`value` made ready for the strip parameter at `path` of `track`, or EditError."""
    try:
        old = get_path(track.strip, path)
    except KeyError:
        raise EditError(f"{track.name} has no parameter {path!r}.") from None
    what = f"The {param_label(path)} of {track.name}"
    last = path.rpartition(".")[2]
    if isinstance(old, bool):
        return _flag(value, what)
    if isinstance(old, Enum):
        return _enum(type(old), value, what)
    if isinstance(old, float | int):
        low, high = _PARAM_RANGES.get(last, (-math.inf, math.inf))
        return _number(value, what, low, high)
    if last == "bus":
        bus = _track(project, value) if isinstance(value, str) else None
        if bus is None or bus.kind is not TrackKind.BUS:
            raise EditError(f"A send can only go to a bus, not {value!r}.")
        _check_no_loop(project, track, bus.id)
        return value
    raise EditError(f"{path!r} of {track.name} is not a single value that can be set.")


class SetParam(Edit):
    """Set one strip parameter by dotted path; a drag of one parameter is one undo step."""

    mergeable = True

    def __init__(self, track_id: str, path: str, value: Any) -> None:
        self.track_id, self.path, self.value = track_id, path, value
        self.label = f"Set {param_label(path)}"
        self._old: Any = None
        self._new: Any = None

    @property
    def structural(self) -> bool:
        return self.path.endswith(".bus")

    def _parent(self, project: Project) -> tuple[Any, str]:
        head, _, last = self.path.rpartition(".")
        track = _track(project, self.track_id)
        return (get_path(track.strip, head) if head else track.strip), last

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        new = check_param_value(project, track, self.path, self.value)
        parent, last = self._parent(project)
        if not is_dataclass(parent) or last not in {f.name for f in fields(parent)}:
            raise EditError(f"{self.path!r} of {track.name} cannot be set.")
        self.label = f"Set {track.name} {param_label(self.path)}"
        self._old = getattr(parent, last)
        self._new = new
        setattr(parent, last, new)

    def undo(self, project: Project) -> None:
        parent, last = self._parent(project)
        setattr(parent, last, self._old)

    def merge(self, other: Edit) -> bool:
        if not (isinstance(other, SetParam) and other.track_id == self.track_id
                and other.path == self.path):
            return False
        self.value = other._new
        self._new = other._new
        return True


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

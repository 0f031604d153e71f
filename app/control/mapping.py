"""Learned mappings: what a control's message means for the parameter it was learned for.

Fader levels (a strip's fader and send levels) go through the fader law, so a
controller's fader covers the same travel as the one on the screen; other numbers are
spread linearly between the mapping's ends; switches flip on a button press and follow
the upper or lower half of a knob.
"""

from __future__ import annotations

from typing import Any

from app.control.events import ControlEvent
from app.session.edits import TRANSPORT
from app.session.faders import fader_db, fader_pos
from app.session.model import MidiKind, MidiMapping, MidiMode

RELATIVE_STEPS = 128  # encoder ticks from one end to the other

# Default ends by the last name of a strip path; anything else in dB gets +-24.
_DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "pan": (-1.0, 1.0),
    "hpf_freq": (20.0, 1000.0),
    "freq": (20.0, 20000.0),
    "q": (0.1, 10.0),
    "comp_ratio": (1.0, 20.0),
    "comp_knee_db": (0.0, 24.0),
    "gate_range_db": (-80.0, 0.0),
    "gate_threshold_db": (-80.0, 0.0),
    "comp_threshold_db": (-60.0, 0.0),
}


def is_level(param: str) -> bool:
    """Whether `param` is a level on a fader law (the fader, a send level)."""
    return param == "fader_db" or param.endswith(".level_db")


def describe(kind: MidiKind, channel: int, number: int) -> str:
    """A control as people read it, e.g. "CC 7 on channel 1"."""
    if kind is MidiKind.PITCH:
        return f"pitch-bend on channel {channel + 1}"
    return f"{'CC' if kind is MidiKind.CC else 'note'} {number} on channel {channel + 1}"


def default_range(param: str, current: Any) -> tuple[float, float]:
    """The ends a newly learned control covers for `param` (current value `current`)."""
    if isinstance(current, bool) or is_level(param) or param in ("play", "stop"):
        return (0.0, 1.0)
    last = param.rpartition(".")[2]
    if last in _DEFAULT_RANGES:
        return _DEFAULT_RANGES[last]
    if last.endswith("_ms"):
        return (0.1, 1000.0)
    return (-24.0, 24.0)


def learned(event: ControlEvent, target: str, param: str, current: Any) -> MidiMapping:
    """The mapping made when `event` is the first thing seen while learning `param`."""
    low, high = default_range(param, current)
    return MidiMapping(event.kind, event.channel, event.number, target, param, low, high)


def _norm(event: ControlEvent) -> float:
    return event.value / (16383.0 if event.kind is MidiKind.PITCH else 127.0)


def mapped_value(mapping: MidiMapping, event: ControlEvent, current: Any) -> Any:
    """The parameter's new value for `event`, or None when it changes nothing."""
    if mapping.target == TRANSPORT:
        raise ValueError("transport mappings have no value; use `triggers`")
    if event.kind is MidiKind.NOTE:
        if not event.pressed:
            return None
        if isinstance(current, bool):
            return not current
        return mapping.low if current == mapping.high else mapping.high
    low, high = mapping.low, mapping.high
    if isinstance(current, bool):
        if mapping.mode is MidiMode.RELATIVE:
            return None if event.steps == 0 else event.steps > 0
        return _norm(event) >= 0.5
    if mapping.mode is MidiMode.RELATIVE:
        step = event.steps * (high - low) / RELATIVE_STEPS
        at = fader_pos(current) if is_level(mapping.param) else float(current)
        pos = min(max(at + step, min(low, high)), max(low, high))
    else:
        pos = low + _norm(event) * (high - low)
    return fader_db(pos) if is_level(mapping.param) else pos


def triggers(event: ControlEvent) -> bool:
    """Whether `event` fires a transport action (a press, or a knob past half way up)."""
    if event.kind is MidiKind.NOTE:
        return event.pressed
    return _norm(event) >= 0.5

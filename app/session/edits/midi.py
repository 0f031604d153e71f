"""Hardware control mappings: learning a knob for a parameter, and forgetting it.

A mapping is saved with the project, so adding or removing one is an undoable edit.
Learning a control that already drives something moves it: the old mapping of the same
message goes in the same undo step. A mapping whose track was later removed stays (the
track may come back with undo); the control surface reports and skips it.
"""

from __future__ import annotations

import copy
import math

from app.session.edits.base import Edit, EditError
from app.session.model import MidiKind, MidiMapping, MidiMode, Project

TRANSPORT = "transport"
TRANSPORT_ACTIONS = ("play", "stop", "record", "rewind", "forward", "loop")


def same_control(a: MidiMapping, b: MidiMapping) -> bool:
    """Whether two mappings listen to the same hardware message."""
    return (a.kind, a.channel, a.number) == (b.kind, b.channel, b.number)


def check_mapping(mapping: MidiMapping) -> MidiMapping:
    """`mapping` with its kind and mode as enum members, or EditError saying what is wrong."""
    try:
        kind = MidiKind(mapping.kind)
        mode = MidiMode(mapping.mode)
    except ValueError:
        raise EditError(f"A MIDI mapping of kind {mapping.kind!r} and mode {mapping.mode!r} "
                        "is not possible; kinds are cc, pitch and note.") from None
    for what, value, top in (("channel", mapping.channel, 15), ("number", mapping.number, 127)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise EditError(f"A MIDI mapping's {what} must be 0..{top}, not {value!r}.")
    for what, value in (("low", mapping.low), ("high", mapping.high)):
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise EditError(f"A MIDI mapping's {what} end must be a finite number, "
                            f"not {value!r}.")
    if not mapping.target or not mapping.param:
        raise EditError("A MIDI mapping needs a parameter to control.")
    if mapping.target == TRANSPORT and mapping.param not in TRANSPORT_ACTIONS:
        raise EditError(f"{mapping.param!r} is not a transport action; choose one of "
                        f"{', '.join(TRANSPORT_ACTIONS)}.")
    checked = copy.deepcopy(mapping)
    checked.kind, checked.mode = kind, mode
    checked.low, checked.high = float(mapping.low), float(mapping.high)
    return checked


class AddMidiMapping(Edit):
    """Map a hardware control to a parameter; replaces the control's previous mapping."""

    label = "Learn MIDI control"

    def __init__(self, mapping: MidiMapping) -> None:
        self.mapping = mapping
        self._before: list[MidiMapping] | None = None

    @property
    def structural(self) -> bool:
        return False

    def do(self, project: Project) -> None:
        mapping = check_mapping(self.mapping)
        if any(m.id == mapping.id for m in project.midi_mappings):
            raise EditError("This MIDI mapping is already in the project.")
        self._before = copy.deepcopy(project.midi_mappings)
        project.midi_mappings = [m for m in project.midi_mappings
                                 if not same_control(m, mapping)]
        project.midi_mappings.append(copy.deepcopy(mapping))
        self.mapping = mapping

    def undo(self, project: Project) -> None:
        assert self._before is not None
        project.midi_mappings = copy.deepcopy(self._before)


class RemoveMidiMapping(Edit):
    """Forget a hardware control's mapping, by the mapping's id."""

    label = "Forget MIDI control"

    def __init__(self, mapping_id: str) -> None:
        self.mapping_id = mapping_id
        self._removed: tuple[int, MidiMapping] | None = None

    @property
    def structural(self) -> bool:
        return False

    def do(self, project: Project) -> None:
        for i, m in enumerate(project.midi_mappings):
            if m.id == self.mapping_id:
                self._removed = (i, m)
                del project.midi_mappings[i]
                return
        raise EditError("That MIDI mapping is not in the project any more.")

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        i, m = self._removed
        project.midi_mappings.insert(i, copy.deepcopy(m))

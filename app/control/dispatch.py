"""The dispatcher: controller events become edits, and the project goes back as feedback.

It runs on the GUI thread, called with what the queue drained each tick. While learning,
the first control moved is mapped to the parameter being learned. Otherwise a learned
mapping wins, then the Mackie Control protocol. A strip parameter's move is offered to
the engine binder first (`ride`): while the engine writes that parameter as automation
it plays it, the project's static value stays and the pass is the undo step. Every
other change goes through the EditHistory (so the engine binder hears it, and undo
works); a hand on a control is one gesture, one undo step, ended by a touch release or
by a pause in its movement.

Feedback follows the project, whatever changed it (the screen, undo, automation), and
skips faders that a hand is moving, so motor faders never fight the hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from app.control import mapping as maps
from app.control.events import ControlEvent, PortStatus
from app.control.mackie import Bank, MackieSurface, SetLevel, Toggle, Touch, Transport
from app.session.edits import (
    TRANSPORT,
    TRANSPORT_ACTIONS,
    AddMidiMapping,
    Change,
    Edit,
    EditError,
    EditHistory,
    SetArmed,
    SetParam,
)
from app.session.model import MidiKind, MidiMapping, get_path

GESTURE_PAUSE_S = 0.5

Key = tuple[MidiKind, int, int]


class ControlDispatcher:
    """Applies controller events to `history`'s project and computes feedback."""

    def __init__(
        self,
        history: EditHistory,
        send: Callable[[list[list[int]]], int] | None = None,
        transport: Callable[[str], None] | None = None,
        report: Callable[[str], None] | None = None,
        mackie: bool = True,
        gesture_pause: float = GESTURE_PAUSE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.history = history
        self.send = send
        self.transport = transport
        self.report = report
        self.surface = MackieSurface() if mackie else None
        self.gesture_pause = gesture_pause
        self.clock = clock
        self.selected = ""
        # (track id, path, held): a touch-sensing fader was taken or let go, for
        # automation writing (EngineBinder.touch)
        self.touch: Callable[[str, str, bool], None] | None = None
        # (track id, path, value) -> True when the engine took the move as automation
        # (EngineBinder.ride); False: it is an edit
        self.ride: Callable[[str, str, Any], bool] | None = None
        self.applied = 0  # edits applied from the controller so far
        self._learning: tuple[str, str] | None = None
        self._on_learned: Callable[[MidiMapping], None] | None = None
        self._gestures: dict[Key, float] = {}  # control -> when it last moved
        self._strip_of: dict[Key, int] = {}  # Mackie faders in a gesture -> strip
        self._ridden: dict[Key, Any] = {}  # controls riding automation -> last value
        self._reported: set[str] = set()
        self._dirty = True
        self._unsubscribe = history.subscribe(self._changed)

    def close(self) -> None:
        """Stop following the history."""
        self._unsubscribe()

    # -- learning -------------------------------------------------------------

    @property
    def learning(self) -> tuple[str, str] | None:
        """(target, param) being learned, or None."""
        return self._learning

    def learn(self, target: str, param: str,
              on_learned: Callable[[MidiMapping], None] | None = None) -> None:
        """Map the next control moved to `param` of track `target` (or a transport action
        with target "transport"); EditError if there is no such parameter."""
        if target == TRANSPORT:
            if param not in TRANSPORT_ACTIONS:
                raise EditError(f"{param!r} is not a transport action.")
        else:
            self._current(target, param)
        self._learning = (target, param)
        self._on_learned = on_learned

    def cancel_learn(self) -> None:
        self._learning = None
        self._on_learned = None

    def _current(self, target: str, param: str) -> Any:
        try:
            track = self.history.project.track(target)
        except KeyError:
            raise EditError("That track is not in the project any more.") from None
        try:
            return get_path(track.strip, param)
        except KeyError:
            raise EditError(f"{track.name} has no parameter {param!r}.") from None

    def _learn(self, event: ControlEvent) -> None:
        assert self._learning is not None
        if event.kind is MidiKind.NOTE and not event.pressed:
            return
        target, param = self._learning
        current = None if target == TRANSPORT else self._current(target, param)
        mapping = maps.learned(event, target, param, current)
        callback = self._on_learned
        self.cancel_learn()
        self.history.close_merge()
        self.history.apply(AddMidiMapping(mapping))
        if callback is not None:
            callback(mapping)

    # -- events ---------------------------------------------------------------

    def process(self, events: Sequence[ControlEvent], statuses: Sequence[PortStatus] = ()
                ) -> None:
        """Apply what one drain of the queue brought, then end stale gestures and send
        feedback."""
        for status in statuses:
            self._say(status.message)
            if status.connected and self.surface is not None:
                self.surface.resend()
                self._dirty = True
        if events:
            by_control = {m.id: m for m in self.history.project.midi_mappings}
            mapped: dict[Key, MidiMapping] = {
                (m.kind, m.channel, m.number): m for m in by_control.values()}
            for event in events:
                try:
                    if self._learning is not None:
                        self._learn(event)
                    elif event.key in mapped:
                        self._mapped(mapped[event.key], event)
                    elif self.surface is not None:
                        for action in self.surface.interpret(event, self.history.project):
                            self._act(action, event.key)
                except EditError as e:
                    self._say(str(e))
        self.tick()

    def tick(self) -> None:
        """End gestures that paused, and bring the hardware to the project."""
        now = self.clock()
        for key, last in list(self._gestures.items()):
            strip = self._strip_of.get(key)
            touched = strip is not None and self.surface is not None \
                and strip in self.surface.touched
            if now - last >= self.gesture_pause and not touched:
                self._end_gesture(key)
        if self._dirty and self.surface is not None and self.send is not None:
            self._dirty = False
            hold = set(self._strip_of.values())
            messages = self.surface.feedback(self.history.project, hold, self.selected)
            if messages and self.send(messages) < len(messages):
                # Nobody is listening yet (a controller still connecting): show it all
                # again once somebody is.
                self.surface.resend()
                self._dirty = True

    def _say(self, message: str) -> None:
        if self.report is not None:
            self.report(message)

    def _changed(self, change: Change) -> None:
        self._dirty = True

    def _begin(self, key: Key) -> None:
        """A control moves: a new hand on it starts a new undo step."""
        if key not in self._gestures:
            self.history.close_merge()
        self._gestures[key] = self.clock()

    def _apply(self, edit: Edit, key: Key) -> None:
        self._begin(key)
        self.history.apply(edit)
        self.applied += 1

    def _rides(self, track_id: str, path: str, value: Any, key: Key) -> bool:
        """Whether the move went to the engine as automation (then it is no edit)."""
        if self.ride is None or not self.ride(track_id, path, value):
            return False
        self._gestures[key] = self.clock()
        self._ridden[key] = value
        return True

    def _end_gesture(self, key: Key) -> None:
        self._gestures.pop(key, None)
        self._ridden.pop(key, None)
        self._strip_of.pop(key, None)
        self.history.close_merge()
        self._dirty = True

    def _mapped(self, mapping: MidiMapping, event: ControlEvent) -> None:
        where = maps.describe(mapping.kind, mapping.channel, mapping.number)
        if mapping.target == TRANSPORT:
            if maps.triggers(event) and self.transport is not None:
                self.transport(mapping.param)
            return
        try:
            track = self.history.project.track(mapping.target)
            current = get_path(track.strip, mapping.param)
        except KeyError:
            if mapping.id not in self._reported:
                self._reported.add(mapping.id)
                self._say(f"The MIDI control {where} is mapped to a parameter that is not "
                          "in the project any more; it is ignored until it is learned "
                          "again.")
            return
        self._reported.discard(mapping.id)
        # a relative control rides on from where its ride stands, not the static value
        value = maps.mapped_value(mapping, event, self._ridden.get(event.key, current))
        if value is not None and self._rides(track.id, mapping.param, value, event.key):
            return
        if value is not None and value != current:
            self._apply(SetParam(track.id, mapping.param, value), event.key)

    def _act(self, action: Any, key: Key) -> None:
        project = self.history.project
        surface = self.surface
        assert surface is not None
        if isinstance(action, SetLevel):
            self._strip_of[key] = action.strip
            if self._rides(action.track_id, "fader_db", action.db, key):
                return
            if project.track(action.track_id).strip.fader_db != action.db:
                self._apply(SetParam(action.track_id, "fader_db", action.db), key)
            else:
                self._begin(key)
        elif isinstance(action, Touch):
            fader = (MidiKind.PITCH, action.strip, 0)
            if action.on:
                surface.touched.add(action.strip)
                self._strip_of[fader] = action.strip
                self._begin(fader)
            else:
                surface.touched.discard(action.strip)
                self._end_gesture(fader)
            track = surface.strips(project)[action.strip]
            if track is not None and self.touch is not None:
                self.touch(track.id, "fader_db", action.on)
        elif isinstance(action, Toggle):
            if action.what == "select":
                self.selected = action.track_id
                self._dirty = True
                return
            track = project.track(action.track_id)
            if action.what == "armed":
                edit: Edit = SetArmed(track.id, not track.armed)
            else:
                edit = SetParam(track.id, action.what, not get_path(track.strip, action.what))
            self.history.close_merge()
            self.history.apply(edit)
            self.history.close_merge()
            self.applied += 1
        elif isinstance(action, Bank):
            surface.move_bank(project, action.strips)
            self._dirty = True
        elif isinstance(action, Transport) and self.transport is not None:
            self.transport(action.action)

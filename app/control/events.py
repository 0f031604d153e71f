"""Controller events and the bounded queue between the MIDI thread and the GUI.

Continuous controls (CC, pitch-bend) are coalesced: the queue keeps one entry per
control with its latest value and, for endless encoders, the sum of the relative steps
seen since the last drain, so thousands of messages a second cost one dict entry each.
Buttons (notes) keep their order, since a press and its release both matter, in a deque
that drops the oldest beyond its bound and counts the drops. Port news (unplugged,
back) goes in a small deque of its own.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from app.session.model import MidiKind

NOTE_BACKLOG = 1024
STATUS_BACKLOG = 64


@dataclass(frozen=True)
class ControlEvent:
    """One control's news. `value` is 0..127, or 0..16383 for pitch-bend; for notes a
    velocity (0 is a release). `steps` sums relative encoder steps (+1 per 1..63 tick
    up, -1 per tick down from 65..127) over the coalesced messages."""

    kind: MidiKind
    channel: int
    number: int
    value: int
    steps: int = 0
    count: int = 1  # how many messages this event stands for

    @property
    def key(self) -> tuple[MidiKind, int, int]:
        return (self.kind, self.channel, self.number)

    @property
    def pressed(self) -> bool:
        return self.kind is MidiKind.NOTE and self.value > 0


@dataclass(frozen=True)
class PortStatus:
    """A MIDI port came or went; `message` says so in words."""

    connected: bool
    message: str


def relative_steps(value: int) -> int:
    """The signed step of a relative encoder's CC value (two's complement, 7 bits)."""
    if value == 0 or value == 64:
        return 0
    return value if value < 64 else value - 128


def decode(data: list[int] | bytes) -> ControlEvent | None:
    """The event in a raw MIDI message, or None for messages no control sends."""
    if len(data) < 3:
        return None
    status, a, b = data[0], data[1] & 0x7F, data[2] & 0x7F
    kind, channel = status & 0xF0, status & 0x0F
    if kind == 0xB0:
        return ControlEvent(MidiKind.CC, channel, a, b, relative_steps(b))
    if kind == 0xE0:
        return ControlEvent(MidiKind.PITCH, channel, 0, a | (b << 7))
    if kind == 0x90:
        return ControlEvent(MidiKind.NOTE, channel, a, b)
    if kind == 0x80:
        return ControlEvent(MidiKind.NOTE, channel, a, 0)
    return None


class EventQueue:
    """Thread-safe, bounded: `put` from the MIDI thread never waits for long, `drain`
    from the GUI takes everything since the last drain."""

    def __init__(self, note_backlog: int = NOTE_BACKLOG) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[MidiKind, int, int], ControlEvent] = {}
        self._notes: deque[ControlEvent] = deque(maxlen=note_backlog)
        self._status: deque[PortStatus] = deque(maxlen=STATUS_BACKLOG)
        self._received = 0
        self._dropped = 0

    def put(self, event: ControlEvent) -> None:
        with self._lock:
            self._received += 1
            if event.kind is MidiKind.NOTE:
                if len(self._notes) == self._notes.maxlen:
                    self._dropped += 1
                self._notes.append(event)
                return
            old = self._latest.get(event.key)
            if old is not None:
                event = ControlEvent(event.kind, event.channel, event.number, event.value,
                                     old.steps + event.steps, old.count + 1)
            self._latest[event.key] = event

    def put_status(self, status: PortStatus) -> None:
        with self._lock:
            self._status.append(status)

    def drain(self) -> tuple[list[ControlEvent], list[PortStatus]]:
        """Everything since the last drain: one event per moved control and every
        button in order, then port news."""
        with self._lock:
            events = [*self._latest.values(), *self._notes]
            status = list(self._status)
            self._latest = {}
            self._notes.clear()
            self._status.clear()
        return events, status

    @property
    def received(self) -> int:
        """Messages put since the queue was made."""
        return self._received

    @property
    def dropped(self) -> int:
        """Button messages lost because the GUI fell more than a backlog behind."""
        return self._dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._latest) + len(self._notes)

"""The Mackie Control (MCU) protocol for a bank of eight strips and the master fader.

Faders are 14-bit pitch-bend, one MIDI channel per strip (0-7, the master on 8), on the
same fader law as the screen. Buttons are notes (127 pressed, 0 released): rec-arm
0x00-0x07, solo 0x08-0x0F, mute 0x10-0x17, select 0x18-0x1F, fader touch 0x68-0x70,
bank left/right 0x2E/0x2F, channel left/right 0x30/0x31, and the transport. The same
notes sent back light the buttons' LEDs, and pitch-bend sent back moves motor faders.

`MackieSurface` turns events into actions and the project into feedback; it remembers
what it last sent and where the hardware faders are, so it only sends changes and never
pushes a fader that the hand is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.control.events import ControlEvent
from app.session.faders import fader_db, fader_pos
from app.session.model import MidiKind, Project, Track

STRIPS = 8
MASTER = 8  # the master fader's channel and touch offset
FADER_TOP = 16383
ARM, SOLO, MUTE, SELECT, TOUCH = 0x00, 0x08, 0x10, 0x18, 0x68
BANK_LEFT, BANK_RIGHT, CHANNEL_LEFT, CHANNEL_RIGHT = 0x2E, 0x2F, 0x30, 0x31
TRANSPORT_NOTES = {
    0x5B: "rewind",
    0x5C: "forward",
    0x5D: "stop",
    0x5E: "play",
    0x5F: "record",
    0x56: "loop",
}


@dataclass(frozen=True)
class SetLevel:
    """A fader moved by hand: set the strip's fader to `db`."""

    strip: int
    track_id: str
    db: float


@dataclass(frozen=True)
class Toggle:
    """A button pressed: flip `what` ("mute", "solo", "armed" or "select") of a track."""

    strip: int
    track_id: str
    what: str


@dataclass(frozen=True)
class Touch:
    strip: int
    on: bool


@dataclass(frozen=True)
class Bank:
    """Move the bank by `strips` (eight for bank buttons, one for channel buttons)."""

    strips: int


@dataclass(frozen=True)
class Transport:
    action: str


Action = SetLevel | Toggle | Touch | Bank | Transport


def raw_to_db(raw: int) -> float:
    return fader_db(raw / FADER_TOP)


def db_to_raw(db: float) -> int:
    return int(round(fader_pos(db) * FADER_TOP))


def pitch_bend(channel: int, raw: int) -> list[int]:
    return [0xE0 | channel, raw & 0x7F, (raw >> 7) & 0x7F]


def led(note: int, on: bool) -> list[int]:
    return [0x90, note, 127 if on else 0]


class MackieSurface:
    """A bank of eight strips (plus the master) of a project on a Mackie Control."""

    def __init__(self) -> None:
        self.bank = 0  # index in project.tracks of the first strip
        self.touched: set[int] = set()
        self._sent: dict[tuple[str, int], int] = {}

    def strips(self, project: Project) -> list[Track | None]:
        """The tracks under the eight strips (None where the bank runs out), then master."""
        tracks: list[Track | None] = list(project.tracks[self.bank:self.bank + STRIPS])
        tracks += [None] * (STRIPS - len(tracks))
        return [*tracks, project.master]

    def move_bank(self, project: Project, strips: int) -> None:
        last = max(0, len(project.tracks) - 1)
        self.bank = min(max(0, self.bank + strips), last)

    def reset(self) -> None:
        """Forget the hardware's state (after it reconnects): send everything again."""
        self.resend()
        self.touched.clear()

    def resend(self) -> None:
        """Send everything again with the next feedback (what was sent got lost)."""
        self._sent.clear()

    def interpret(self, event: ControlEvent, project: Project) -> list[Action]:
        """What `event` asks for, on the current bank."""
        strips = self.strips(project)
        if event.kind is MidiKind.PITCH:
            track = strips[event.channel] if event.channel <= MASTER else None
            if track is None:
                return []
            self._sent[("fader", event.channel)] = event.value  # the fader is there now
            return [SetLevel(event.channel, track.id, raw_to_db(event.value))]
        if event.kind is not MidiKind.NOTE:
            return []
        note = event.number
        if TOUCH <= note <= TOUCH + MASTER:
            return [Touch(note - TOUCH, event.pressed)]
        if not event.pressed:
            return []
        if note in TRANSPORT_NOTES:
            return [Transport(TRANSPORT_NOTES[note])]
        if note in (BANK_LEFT, BANK_RIGHT):
            return [Bank(STRIPS if note == BANK_RIGHT else -STRIPS)]
        if note in (CHANNEL_LEFT, CHANNEL_RIGHT):
            return [Bank(1 if note == CHANNEL_RIGHT else -1)]
        if note < SELECT + STRIPS:
            group, strip = note & ~0x07, note & 0x07
            track = strips[strip]
            if track is None:
                return []
            what = {ARM: "armed", SOLO: "solo", MUTE: "mute", SELECT: "select"}[group]
            return [Toggle(strip, track.id, what)]
        return []

    def feedback(self, project: Project, hold: set[int], selected: str = "") -> list[list[int]]:
        """Messages that bring the hardware to the project, leaving faders in `hold`
        (touched or moving by hand) where the hand puts them."""
        out: list[list[int]] = []
        for i, track in enumerate(self.strips(project)):
            db = track.strip.fader_db if track is not None else -120.0
            at = self._sent.get(("fader", i))
            if i not in hold and i not in self.touched \
                    and (at is None or abs(raw_to_db(at) - db) >= 0.05):
                raw = db_to_raw(db)
                self._sent[("fader", i)] = raw
                out.append(pitch_bend(i, raw))
            if i == MASTER:
                continue
            lit = {
                ARM + i: track is not None and track.armed,
                SOLO + i: track is not None and track.strip.solo,
                MUTE + i: track is not None and track.strip.mute,
                SELECT + i: track is not None and track.id == selected,
            }
            for note, on in lit.items():
                if self._sent.get(("led", note)) != int(on):
                    self._sent[("led", note)] = int(on)
                    out.append(led(note, on))
        return out

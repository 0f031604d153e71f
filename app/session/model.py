"""The session document: plain dataclasses for a project and everything in it.

No Qt, no audio I/O. Times on the timeline are integer sample frames at the project
rate; levels are in dB; pan is -1 (left) .. +1 (right). Objects that other objects
refer to (tracks, clips, takes, media, cues, markers) carry a stable string id so
that edits, the engine plan and automation can address them across undo and save.

Strip parameters are addressed by a dotted path relative to a track's StripParams,
such as "fader_db", "eq.2.gain_db" or "sends.0.level_db"; `get_path` and `set_path`
resolve such paths, and the engine and automation use the same names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, is_dataclass
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1
DEFAULT_RATE = 48000
MIN_RATE = 8000
MAX_RATE = 768000


def new_id() -> str:
    """A short random id, unique within any realistic project."""
    return uuid.uuid4().hex[:12]


class TrackKind(StrEnum):
    AUDIO = "audio"
    BUS = "bus"
    MASTER = "master"


class MonitorMode(StrEnum):
    AUTO = "auto"  # input while armed and stopped or recording, disk otherwise
    INPUT = "input"
    OFF = "off"


class FadeShape(StrEnum):
    LINEAR = "linear"
    EQUAL_POWER = "equal_power"
    S_CURVE = "s_curve"
    LOG = "log"


class Interp(StrEnum):
    LINEAR = "linear"
    HOLD = "hold"


class AutomationMode(StrEnum):
    OFF = "off"
    READ = "read"
    TOUCH = "touch"
    LATCH = "latch"
    WRITE = "write"
    TRIM = "trim"


class MidiKind(StrEnum):
    CC = "cc"
    PITCH = "pitch"  # pitch-bend: 14 bits per channel (Mackie Control faders)
    NOTE = "note"


class MidiMode(StrEnum):
    ABSOLUTE = "absolute"  # the control's position is the value
    RELATIVE = "relative"  # endless encoders: 1..63 up, 65..127 down, by steps


class EqKind(StrEnum):
    LOW_SHELF = "low_shelf"
    PEAK = "peak"
    HIGH_SHELF = "high_shelf"


class SoloMode(StrEnum):
    IN_PLACE = "in_place"
    AFL = "afl"
    PFL = "pfl"


@dataclass
class Range:
    """A span of the timeline in frames, [start, end)."""

    start: int = 0
    end: int = 0
    enabled: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Marker:
    name: str
    position: int
    id: str = field(default_factory=new_id)


@dataclass
class EqBand:
    kind: EqKind = EqKind.PEAK
    freq: float = 1000.0
    gain_db: float = 0.0
    q: float = 0.707
    enabled: bool = True


def default_eq() -> list[EqBand]:
    return [
        EqBand(EqKind.LOW_SHELF, 100.0),
        EqBand(EqKind.PEAK, 400.0, q=1.0),
        EqBand(EqKind.PEAK, 2500.0, q=1.0),
        EqBand(EqKind.HIGH_SHELF, 8000.0),
    ]


@dataclass
class Send:
    """A send from a strip to an aux bus (a Track of kind BUS), by the bus's id."""

    bus: str
    level_db: float = -120.0
    pre: bool = False
    enabled: bool = True


@dataclass
class StripParams:
    """Everything on a channel strip, in signal-flow order."""

    trim_db: float = 0.0
    invert: bool = False
    hpf_on: bool = False
    hpf_freq: float = 80.0
    eq_on: bool = True
    eq: list[EqBand] = field(default_factory=default_eq)
    gate_on: bool = False
    gate_threshold_db: float = -50.0
    gate_range_db: float = -80.0
    gate_attack_ms: float = 1.0
    gate_release_ms: float = 100.0
    comp_on: bool = False
    comp_threshold_db: float = -18.0
    comp_ratio: float = 4.0
    comp_knee_db: float = 6.0
    comp_attack_ms: float = 10.0
    comp_release_ms: float = 120.0
    comp_makeup_db: float = 0.0
    drive_on: bool = False
    drive_db: float = 0.0
    pan: float = 0.0
    fader_db: float = 0.0
    mute: bool = False
    solo: bool = False
    solo_isolate: bool = False
    sends: list[Send] = field(default_factory=list)


@dataclass
class InputAssign:
    """Device input channels (0-based) feeding a track: [] none, [n] mono, [l, r] stereo."""

    channels: list[int] = field(default_factory=list)


@dataclass
class MediaFile:
    """A file in the project's audio/ folder. `path` is relative to the project folder."""

    path: str
    frames: int
    channels: int
    sample_rate: int
    name: str = ""  # what the user knows it as (the original file name)
    id: str = field(default_factory=new_id)


@dataclass
class Clip:
    """A region of a media file placed on the timeline."""

    media: str  # MediaFile id
    position: int  # timeline frame of the clip's first sample
    length: int  # frames
    source_offset: int = 0  # frame in the media file where the clip starts
    gain_db: float = 0.0
    fade_in: int = 0  # frames
    fade_in_shape: FadeShape = FadeShape.EQUAL_POWER
    fade_out: int = 0
    fade_out_shape: FadeShape = FadeShape.EQUAL_POWER
    mute: bool = False
    name: str = ""
    id: str = field(default_factory=new_id)

    @property
    def end(self) -> int:
        return self.position + self.length


@dataclass
class Take:
    """One recorded pass: a media file placed on the timeline, with its fault marks."""

    media: str
    position: int
    length: int
    source_offset: int = 0
    name: str = ""
    xruns: list[int] = field(default_factory=list)  # frames into the take
    overruns: list[int] = field(default_factory=list)
    id: str = field(default_factory=new_id)


@dataclass
class CompRange:
    """A timeline span [start, end) played from one take."""

    take: str
    start: int
    end: int


@dataclass
class TakeLane:
    takes: list[Take] = field(default_factory=list)
    comp: list[CompRange] = field(default_factory=list)
    crossfade: int = 480  # frames at comp boundaries


@dataclass
class AutomationPoint:
    time: int
    value: float
    interp: Interp = Interp.LINEAR


@dataclass
class AutomationLane:
    param: str  # a StripParams path, or "cue.<cue id>.level_db" / ".pan"
    points: list[AutomationPoint] = field(default_factory=list)
    visible: bool = True


@dataclass
class Track:
    name: str
    kind: TrackKind = TrackKind.AUDIO
    colour: str = "#4f9dde"
    input: InputAssign = field(default_factory=InputAssign)
    output: str = ""  # id of the bus or master this feeds; "" means the master
    armed: bool = False
    record_safe: bool = False
    monitor: MonitorMode = MonitorMode.AUTO
    strip: StripParams = field(default_factory=StripParams)
    clips: list[Clip] = field(default_factory=list)
    takes: TakeLane = field(default_factory=TakeLane)
    automation: list[AutomationLane] = field(default_factory=list)
    automation_mode: AutomationMode = AutomationMode.READ
    bus_effect: str = ""  # for buses: "", "reverb" or "delay" (the built-in returns)
    height: int = 96  # lane height in the arrange window, pixels
    folded: bool = False
    id: str = field(default_factory=new_id)


@dataclass
class CueSend:
    level_db: float = 0.0
    pan: float = 0.0
    pre: bool = True
    enabled: bool = True


@dataclass
class CueMix:
    """A headphone mix: its own level and pan per strip, into its own output pair."""

    name: str
    output: int = 2  # first device output channel of the pair (0-based)
    sends: dict[str, CueSend] = field(default_factory=dict)  # by track id
    master_db: float = 0.0
    click_db: float = -120.0
    talkback: bool = True  # receives talkback while it is held
    id: str = field(default_factory=new_id)


@dataclass
class ControlRoom:
    source: str = "main"  # "main", "ext", or a cue id
    level_db: float = 0.0
    dim: bool = False
    dim_db: float = -20.0
    mono: bool = False
    cut: bool = False
    solo_mode: SoloMode = SoloMode.IN_PLACE
    click_db: float = -12.0
    small_speaker: bool = False
    talkback_input: int = -1  # device input channel, -1 for none
    talkback_db: float = 0.0
    ext_input: int = -1  # first channel of the external input pair


@dataclass
class MidiMapping:
    """A hardware control learned for a parameter, saved with the project.

    `target` is a track id (then `param` is a strip path such as "fader_db" or
    "sends.0.level_db") or "transport" (then `param` is play, stop, record, rewind,
    forward or loop). `low` and `high` are the values at the control's ends; for fader
    levels they are positions on the fader's travel 0..1, so the hardware follows the
    same law as the screen.
    """

    kind: MidiKind
    channel: int  # 0..15
    number: int  # CC or note number; 0 for pitch-bend
    target: str
    param: str
    low: float = 0.0
    high: float = 1.0
    mode: MidiMode = MidiMode.ABSOLUTE
    id: str = field(default_factory=new_id)


@dataclass
class Project:
    name: str = "Untitled"
    sample_rate: int = DEFAULT_RATE
    tempo: float = 120.0
    meter_num: int = 4
    meter_den: int = 4
    click: bool = False
    markers: list[Marker] = field(default_factory=list)
    loop: Range = field(default_factory=Range)
    punch: Range = field(default_factory=Range)
    tracks: list[Track] = field(default_factory=list)  # audio tracks and buses, in order
    master: Track = field(default_factory=lambda: Track("Master", TrackKind.MASTER))
    cues: list[CueMix] = field(default_factory=list)
    media: dict[str, MediaFile] = field(default_factory=dict)
    control_room: ControlRoom = field(default_factory=ControlRoom)
    midi_mappings: list[MidiMapping] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def all_tracks(self) -> list[Track]:
        """Every strip: the tracks and buses in order, then the master."""
        return [*self.tracks, self.master]

    def track(self, track_id: str) -> Track:
        for t in self.all_tracks():
            if t.id == track_id:
                return t
        raise KeyError(f"no track with id {track_id!r}")

    def track_index(self, track_id: str) -> int:
        for i, t in enumerate(self.tracks):
            if t.id == track_id:
                return i
        raise KeyError(f"no track with id {track_id!r}")

    def find_clip(self, clip_id: str) -> tuple[Track, Clip]:
        for t in self.tracks:
            for c in t.clips:
                if c.id == clip_id:
                    return t, c
        raise KeyError(f"no clip with id {clip_id!r}")

    def cue(self, cue_id: str) -> CueMix:
        for c in self.cues:
            if c.id == cue_id:
                return c
        raise KeyError(f"no cue with id {cue_id!r}")

    def buses(self) -> list[Track]:
        return [t for t in self.tracks if t.kind is TrackKind.BUS]

    def length(self) -> int:
        """The frame after the last clip or take on any track (0 when empty)."""
        ends = [c.end for t in self.tracks for c in t.clips]
        ends += [k.position + k.length for t in self.tracks for k in t.takes.takes]
        return max(ends, default=0)

    def seconds(self, frames: int) -> float:
        return frames / self.sample_rate

    def frames(self, seconds: float) -> int:
        return int(round(seconds * self.sample_rate))


def _step(obj: Any, key: str) -> Any:
    if isinstance(obj, list):
        return obj[int(key)]
    if isinstance(obj, dict):
        return obj[key]
    if is_dataclass(obj) and key in {f.name for f in fields(obj)}:
        return getattr(obj, key)
    raise KeyError(key)


def get_path(root: Any, path: str) -> Any:
    """The value at a dotted path such as "eq.2.gain_db" below `root`."""
    obj = root
    try:
        for key in path.split("."):
            obj = _step(obj, key)
    except (KeyError, IndexError, ValueError) as e:
        raise KeyError(f"no parameter {path!r}") from e
    return obj


def set_path(root: Any, path: str, value: Any) -> None:
    """Set the value at a dotted path below `root` (see get_path)."""
    head, _, last = path.rpartition(".")
    parent = get_path(root, head) if head else root
    if isinstance(parent, list):
        parent[int(last)] = value
    elif isinstance(parent, dict):
        parent[last] = value
    elif is_dataclass(parent) and last in {f.name for f in fields(parent)}:
        setattr(parent, last, value)
    else:
        raise KeyError(f"no parameter {path!r}")

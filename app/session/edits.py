"""Undoable edits: the only way anything changes a Project.

An Edit is a small record of one change, holding ids and values (never references to
objects inside the project, which undo and redo replace). `do(project)` first checks
that the change is possible and raises EditError with a sentence for the user before
touching anything; `undo(project)` puts back exactly what `do` changed. An edit's first
`do` fixes its outcome (new ids, clamped fades, the sorted position of a point), so a
redo after an undo gives the same project again.

`EditHistory` is the undo stack: it applies edits, merges consecutive changes of one
parameter (a fader drag becomes one undo step until `close_merge`), keeps a clean
marker for "saved", and tells subscribers about every change so the UI and the engine
can follow. It is pure Python; `app.ui.undo` mirrors it into a QUndoStack for Qt.
"""

from __future__ import annotations

import bisect
import copy
import math
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from typing import Any, ClassVar

from app.session.model import (
    MAX_RATE,
    MIN_RATE,
    AutomationLane,
    AutomationPoint,
    Clip,
    CompRange,
    CueMix,
    CueSend,
    FadeShape,
    InputAssign,
    Interp,
    Marker,
    MediaFile,
    MonitorMode,
    Project,
    Take,
    TakeLane,
    Track,
    TrackKind,
    get_path,
    new_id,
)
from app.session.store import ProjectError, check_media_path

__all__ = [
    "EditError",
    "Edit",
    "Compound",
    "Change",
    "EditHistory",
    "param_label",
    "check_param_value",
    "downstream",
    # tracks
    "AddTrack",
    "RemoveTrack",
    "RenameTrack",
    "ReorderTrack",
    "DuplicateTrack",
    "SetTrackColour",
    "SetArmed",
    "SetRecordSafe",
    "SetMonitor",
    "SetInput",
    "SetTrackOutput",
    "SetParam",
    # media and clips
    "AddMedia",
    "AddClip",
    "RemoveClip",
    "MoveClip",
    "TrimClipStart",
    "TrimClipEnd",
    "SplitClip",
    "SetClipFades",
    "SetClipGain",
    "SetClipMute",
    "RenameClip",
    # takes
    "AddTake",
    "RemoveTake",
    "SetComp",
    "CompTake",
    # timeline
    "AddMarker",
    "RemoveMarker",
    "RenameMarker",
    "MoveMarker",
    "SetTempo",
    "SetMeter",
    "SetLoop",
    "SetPunch",
    # automation
    "AddAutomationLane",
    "RemoveAutomationLane",
    "AddAutomationPoint",
    "MoveAutomationPoint",
    "RemoveAutomationPoint",
    "SetAutomationPoints",
    # cue mixes
    "AddCue",
    "RemoveCue",
    "RenameCue",
    "SetCueOutput",
    "SetCueParam",
    "SetCueSend",
]

MIN_TEMPO = 20.0
MAX_TEMPO = 999.0
MIN_FREQ = 10.0
MAX_FREQ = 24000.0
METER_DENOMINATORS = (1, 2, 4, 8, 16, 32)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class EditError(Exception):
    """An edit that cannot be made; the message says why, and nothing was changed."""


# -- value checks --------------------------------------------------------------


def _whole(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EditError(f"{what} must be a whole number, not {value!r}.")
    if value < minimum:
        raise EditError(f"{what} {int(value)} is below {minimum}.")
    return int(value)


def _frame(value: Any, what: str, minimum: int = 0) -> int:
    """A timeline frame or a length in frames."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EditError(f"{what} must be a whole number of frames, not {value!r}.")
    if value < minimum:
        where = "before the start of the timeline" if minimum == 0 else f"below {minimum}"
        raise EditError(f"{what} {int(value)} is {where}.")
    return int(value)


def _number(value: Any, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EditError(f"{what} must be a number, not {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise EditError(f"{what} must be a finite number, not {value}.")
    if not low <= value <= high:
        raise EditError(f"{what} must be within {low:g} .. {high:g}, not {value:g}.")
    return value


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise EditError(f"{what} must be true or false, not {value!r}.")
    return value


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"{what} cannot be empty.")
    return value.strip()


def _enum(cls: type[Enum], value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise EditError(f"{what} {value!r} is not one of {choices}.") from None


# -- lookups that fail with a sentence -------------------------------------------


def _track(project: Project, track_id: str) -> Track:
    try:
        return project.track(track_id)
    except KeyError:
        raise EditError(f"There is no track with id {track_id!r}.") from None


def _audio_track(project: Project, track_id: str, doing: str) -> Track:
    track = _track(project, track_id)
    if track.kind is not TrackKind.AUDIO:
        kind = "the master" if track.kind is TrackKind.MASTER else "a bus"
        raise EditError(f"{track.name} is {kind}; only audio tracks can {doing}.")
    return track


def _clip(project: Project, clip_id: str) -> tuple[Track, Clip]:
    try:
        return project.find_clip(clip_id)
    except KeyError:
        raise EditError(f"There is no clip with id {clip_id!r}.") from None


def _media(project: Project, media_id: str) -> MediaFile:
    try:
        return project.media[media_id]
    except KeyError:
        raise EditError(f"There is no media with id {media_id!r} in the pool.") from None


def _cue(project: Project, cue_id: str) -> CueMix:
    try:
        return project.cue(cue_id)
    except KeyError:
        raise EditError(f"There is no cue mix with id {cue_id!r}.") from None


def _take(track: Track, take_id: str) -> Take:
    for take in track.takes.takes:
        if take.id == take_id:
            return take
    raise EditError(f"{track.name} has no take with id {take_id!r}.")


def _lane(project: Project, track_id: str, param: str) -> AutomationLane:
    track = _track(project, track_id)
    for lane in track.automation:
        if lane.param == param:
            return lane
    raise EditError(f"{track.name} has no automation lane for {param!r}.")


def _marker_index(project: Project, marker_id: str) -> int:
    for i, marker in enumerate(project.markers):
        if marker.id == marker_id:
            return i
    raise EditError(f"There is no marker with id {marker_id!r}.")


def _all_ids(project: Project) -> set[str]:
    ids = {t.id for t in project.all_tracks()}
    ids |= {c.id for t in project.tracks for c in t.clips}
    ids |= {k.id for t in project.tracks for k in t.takes.takes}
    ids |= {c.id for c in project.cues} | {m.id for m in project.markers}
    return ids


def _check_new_id(project: Project, item_id: str, what: str) -> None:
    if not isinstance(item_id, str) or not item_id:
        raise EditError(f"A new {what} needs an id.")
    if item_id in _all_ids(project):
        raise EditError(f"The id {item_id!r} of the new {what} is already in use.")


def _check_span(
    project: Project, media_id: str, source_offset: int, length: int, what: str
) -> None:
    """The [source_offset, source_offset + length) part of a media file exists."""
    media = _media(project, media_id)
    if length < 1:
        raise EditError(f"The {what} would be {length} frames long; it needs at least one.")
    if source_offset < 0:
        raise EditError(f"The {what} would start before the beginning of its audio.")
    if source_offset + length > media.frames:
        raise EditError(
            f"The {what} would run past the end of its audio "
            f"({media.name or media.path}, {media.frames} frames)."
        )


def _check_clip(project: Project, clip: Clip) -> None:
    _frame(clip.position, "The clip position")
    _frame(clip.length, "The clip length", 1)
    _frame(clip.source_offset, "The clip's source offset")
    _check_span(project, clip.media, clip.source_offset, clip.length, "clip")
    _check_fades(clip.fade_in, clip.fade_out, clip.length)
    _number(clip.gain_db, "The clip gain (dB)")


def _check_fades(fade_in: int, fade_out: int, length: int) -> None:
    _frame(fade_in, "The fade-in length")
    _frame(fade_out, "The fade-out length")
    if fade_in + fade_out > length:
        raise EditError(
            f"Fades of {fade_in} and {fade_out} frames do not fit in a clip of {length} frames."
        )


def _check_take(project: Project, take: Take) -> None:
    _frame(take.position, "The take position")
    _frame(take.source_offset, "The take's source offset")
    _check_span(project, take.media, take.source_offset, _frame(take.length, "The take"), "take")


def _check_media(media: MediaFile) -> None:
    try:
        check_media_path(media.path)
    except ProjectError as e:
        raise EditError(f"The audio file cannot be added: {e}") from None
    _frame(media.frames, "The media length")
    if isinstance(media.channels, bool) or not isinstance(media.channels, int) \
            or media.channels < 1:
        raise EditError(f"A media file needs at least one channel, not {media.channels!r}.")
    if isinstance(media.sample_rate, bool) or not isinstance(media.sample_rate, int) \
            or not MIN_RATE <= media.sample_rate <= MAX_RATE:
        raise EditError(f"The media sample rate {media.sample_rate!r} is not supported.")


def downstream(project: Project, track_id: str) -> set[str]:
    """Ids of every strip that `track_id` feeds, through outputs and sends, transitively."""
    feeds: dict[str, set[str]] = {}
    for t in project.tracks:
        feeds[t.id] = {t.output or project.master.id} | {s.bus for s in t.strip.sends}
    feeds[project.master.id] = {s.bus for s in project.master.strip.sends}
    seen: set[str] = set()
    todo = [track_id]
    while todo:
        for nxt in feeds.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_no_loop(project: Project, source: Track, dest_id: str) -> None:
    """Refuse a route from `source` into `dest_id` when `dest_id` already feeds `source`."""
    if dest_id == source.id or source.id in downstream(project, dest_id):
        dest = project.track(dest_id)
        raise EditError(
            f"Routing {source.name} into {dest.name} would make a loop: "
            f"{dest.name} already feeds {source.name}."
        )


# -- strip parameters ------------------------------------------------------------

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


def _check_automation_param(project: Project, track: Track, param: str) -> None:
    parts = param.split(".")
    if parts[0] == "cue":
        if len(parts) != 3 or parts[2] not in ("level_db", "pan"):
            raise EditError(f"{param!r} is not an automatable cue parameter.")
        _cue(project, parts[1])
        return
    try:
        value = get_path(track.strip, param)
    except KeyError:
        raise EditError(f"{track.name} has no parameter {param!r}.") from None
    if isinstance(value, Enum) or not isinstance(value, bool | float | int):
        raise EditError(f"{param!r} of {track.name} cannot be automated.")


def _check_automation_value(track: Track, param: str, value: Any) -> float:
    what = f"An automation value for {param_label(param)}"
    parts = param.split(".")
    if parts[0] == "cue":
        return _number(value, what, *((-1.0, 1.0) if parts[2] == "pan" else (-math.inf, 0.0)))
    if isinstance(get_path(track.strip, param), bool):
        return _number(value, what, 0.0, 1.0)
    return _number(value, what, *_PARAM_RANGES.get(parts[-1], (-math.inf, math.inf)))


# -- the edit protocol -------------------------------------------------------------


class Edit:
    """One undoable change. Subclasses implement do and undo; see the module docstring."""

    label: str = "Edit"
    # Whether consecutive edits of one kind and target may merge into one undo step.
    mergeable: ClassVar[bool] = False

    @property
    def structural(self) -> bool:
        """False when only a parameter value changed, which the engine follows without
        rebuilding its plan (fader, pan, levels); True otherwise."""
        return True

    def do(self, project: Project) -> None:
        raise NotImplementedError

    def undo(self, project: Project) -> None:
        raise NotImplementedError

    def merge(self, other: Edit) -> bool:
        """Absorb `other`, done right after this edit; True when it was absorbed."""
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label!r}>"


class Compound(Edit):
    """Several edits as one undo step; if one is refused, the ones before it are undone."""

    def __init__(self, label: str, edits: Iterable[Edit]) -> None:
        self.label = label
        self.edits = list(edits)

    @property
    def structural(self) -> bool:
        return any(e.structural for e in self.edits)

    def do(self, project: Project) -> None:
        done: list[Edit] = []
        try:
            for edit in self.edits:
                edit.do(project)
                done.append(edit)
        except EditError:
            for edit in reversed(done):
                edit.undo(project)
            raise

    def undo(self, project: Project) -> None:
        for edit in reversed(self.edits):
            edit.undo(project)


class _SetFields(Edit):
    """Sets some attributes of one object found by id; remembers the old values.

    Subclasses say how to find the object (`_target`), compute and check the new values
    (`_compute`, called on the first do only) and what identifies the target (`_key`).
    """

    def __init__(self) -> None:
        self._new: dict[str, Any] | None = None
        self._old: dict[str, Any] = {}

    def _target(self, project: Project) -> Any:
        raise NotImplementedError

    def _compute(self, project: Project, target: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _key(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def do(self, project: Project) -> None:
        target = self._target(project)
        new = self._compute(project, target) if self._new is None else self._new
        self._old = {k: copy.deepcopy(getattr(target, k)) for k in new}
        for k, v in new.items():
            setattr(target, k, copy.deepcopy(v))
        self._new = new

    def undo(self, project: Project) -> None:
        target = self._target(project)
        for k, v in self._old.items():
            setattr(target, k, copy.deepcopy(v))

    def merge(self, other: Edit) -> bool:
        if not (self.mergeable and type(other) is type(self)):
            return False
        assert isinstance(other, _SetFields)
        if other._key() != self._key() or self._new is None or other._new is None:
            return False
        for k, v in other._old.items():
            self._old.setdefault(k, v)
        self._new = {**self._new, **other._new}
        return True


# -- tracks ----------------------------------------------------------------------------


class AddTrack(Edit):
    """Add an audio track or a bus at `index` (default: the end)."""

    def __init__(self, track: Track, index: int | None = None) -> None:
        self.track = copy.deepcopy(track)
        self.index = index
        self.label = "Add bus" if track.kind is TrackKind.BUS else "Add track"

    def do(self, project: Project) -> None:
        track = self.track
        if track.kind not in (TrackKind.AUDIO, TrackKind.BUS):
            raise EditError("There is only one master; add an audio track or a bus.")
        _name(track.name, "A track name")
        _check_new_id(project, track.id, "track")
        ids = [c.id for c in track.clips] + [k.id for k in track.takes.takes]
        for item_id in ids:
            _check_new_id(project, item_id, "clip or take")
        if len(set(ids)) != len(ids):
            raise EditError("The new track uses one clip or take id twice.")
        for clip in track.clips:
            _check_clip(project, clip)
        for take in track.takes.takes:
            _check_take(project, take)
        buses = {b.id for b in project.buses()}
        if track.output not in buses | {"", project.master.id}:
            raise EditError(f"The new track feeds {track.output!r}, which is not a bus.")
        for send in track.strip.sends:
            if send.bus not in buses:
                raise EditError(f"The new track sends to {send.bus!r}, which is not a bus.")
        index = len(project.tracks) if self.index is None else self.index
        if not 0 <= index <= len(project.tracks):
            raise EditError(f"Track position {index} is outside 0 .. {len(project.tracks)}.")
        project.tracks.insert(index, copy.deepcopy(track))

    def undo(self, project: Project) -> None:
        project.tracks.pop(project.track_index(self.track.id))


class _References:
    """What other objects said about a track or cue that is going away, to put back."""

    def __init__(self) -> None:
        self.tracks: dict[str, tuple[str, list[Any], list[AutomationLane]]] = {}
        self.cue_sends: dict[str, dict[str, CueSend]] = {}
        self.control_room_source: str | None = None

    def keep_track(self, track: Track) -> None:
        if track.id not in self.tracks:
            self.tracks[track.id] = (
                track.output,
                copy.deepcopy(track.strip.sends),
                copy.deepcopy(track.automation),
            )

    def restore(self, project: Project) -> None:
        for track_id, (output, sends, automation) in self.tracks.items():
            track = project.track(track_id)
            track.output = output
            track.strip.sends = sends
            track.automation = automation
        for cue_id, sends in self.cue_sends.items():
            project.cue(cue_id).sends = sends
        if self.control_room_source is not None:
            project.control_room.source = self.control_room_source


def _renumbered_lane(param: str, old_to_new: dict[int, int | None]) -> str | None:
    """An automation path after sends were removed: renumbered, or None when its send went."""
    parts = param.split(".")
    if parts[0] != "sends" or len(parts) < 2 or not parts[1].isdigit():
        return param
    new_index = old_to_new.get(int(parts[1]))
    return None if new_index is None else ".".join(["sends", str(new_index), *parts[2:]])


class RemoveTrack(Edit):
    """Remove a track or bus. Sends to a removed bus go with it, tracks that fed it feed
    the master, and its cue sends are dropped; undo puts all of that back."""

    def __init__(self, track_id: str) -> None:
        self.track_id = track_id
        self.label = "Remove track"
        self._removed: tuple[int, Track, _References] | None = None

    def do(self, project: Project) -> None:
        if project.master.id == self.track_id:
            raise EditError("The master cannot be removed.")
        track = _track(project, self.track_id)
        self.label = f"Remove {track.name}"
        refs = _References()
        for other in project.all_tracks():
            if other is track:
                continue
            if other.output == track.id:
                refs.keep_track(other)
                other.output = ""
            kept = [i for i, s in enumerate(other.strip.sends) if s.bus != track.id]
            if len(kept) != len(other.strip.sends):
                refs.keep_track(other)
                old_to_new: dict[int, int | None] = {old: new for new, old in enumerate(kept)}
                other.strip.sends = [other.strip.sends[i] for i in kept]
                lanes = []
                for lane in other.automation:
                    param = _renumbered_lane(lane.param, old_to_new)
                    if param is not None:
                        lane.param = param
                        lanes.append(lane)
                other.automation = lanes
        for cue in project.cues:
            if track.id in cue.sends:
                refs.cue_sends[cue.id] = copy.deepcopy(cue.sends)
                del cue.sends[track.id]
        index = project.track_index(track.id)
        project.tracks.pop(index)
        self._removed = (index, track, refs)

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        index, track, refs = self._removed
        project.tracks.insert(index, track)
        refs.restore(project)


class RenameTrack(_SetFields):
    def __init__(self, track_id: str, name: str) -> None:
        super().__init__()
        self.track_id, self.name = track_id, name
        self.label = "Rename track"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        return _track(project, self.track_id)

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        return {"name": _name(self.name, "A track name")}


class ReorderTrack(Edit):
    """Move a track or bus to `index` in the track list."""

    def __init__(self, track_id: str, index: int) -> None:
        self.track_id, self.index = track_id, index
        self.label = "Move track"
        self._old_index = -1

    def do(self, project: Project) -> None:
        if project.master.id == self.track_id:
            raise EditError("The master stays at the end; it cannot be moved.")
        _track(project, self.track_id)
        if not 0 <= self.index < len(project.tracks):
            raise EditError(f"Track position {self.index} is outside 0 .. "
                            f"{len(project.tracks) - 1}.")
        self._old_index = project.track_index(self.track_id)
        project.tracks.insert(self.index, project.tracks.pop(self._old_index))

    def undo(self, project: Project) -> None:
        project.tracks.insert(self._old_index, project.tracks.pop(self.index))


class DuplicateTrack(Edit):
    """Copy a track or bus (with new ids for it, its clips and takes) just below it.

    The copy is not armed, and each cue mix that hears the original hears the copy too.
    """

    def __init__(self, track_id: str, new_track_id: str | None = None) -> None:
        self.track_id = track_id
        self.new_track_id = new_track_id or new_id()
        self.label = "Duplicate track"
        self._copy: Track | None = None

    def do(self, project: Project) -> None:
        if project.master.id == self.track_id:
            raise EditError("The master cannot be duplicated.")
        track = _track(project, self.track_id)
        _check_new_id(project, self.new_track_id, "track")
        if self._copy is None:
            dup = copy.deepcopy(track)
            dup.id = self.new_track_id
            dup.name = f"{track.name} copy"
            dup.armed = False
            for clip in dup.clips:
                clip.id = new_id()
            take_ids = {}
            for take in dup.takes.takes:
                take_ids[take.id] = take.id = new_id()
            for comp in dup.takes.comp:
                comp.take = take_ids[comp.take]
            self._copy = dup
        self.label = f"Duplicate {track.name}"
        project.tracks.insert(project.track_index(track.id) + 1, copy.deepcopy(self._copy))
        for cue in project.cues:
            if track.id in cue.sends:
                cue.sends[self.new_track_id] = copy.deepcopy(cue.sends[track.id])

    def undo(self, project: Project) -> None:
        project.tracks.pop(project.track_index(self.new_track_id))
        for cue in project.cues:
            cue.sends.pop(self.new_track_id, None)


class SetTrackColour(_SetFields):
    def __init__(self, track_id: str, colour: str) -> None:
        super().__init__()
        self.track_id, self.colour = track_id, colour
        self.label = "Set track colour"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        return _track(project, self.track_id)

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        if not isinstance(self.colour, str) or not _COLOUR.match(self.colour):
            raise EditError(f"A colour is written #rrggbb, not {self.colour!r}.")
        return {"colour": self.colour.lower()}


class SetArmed(_SetFields):
    """Arm or disarm an audio track for recording (a record-safe track cannot be armed)."""

    def __init__(self, track_id: str, armed: bool) -> None:
        super().__init__()
        self.track_id, self.armed = track_id, armed
        self.label = "Arm track" if armed else "Disarm track"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        return _audio_track(project, self.track_id, "record")

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        armed = _flag(self.armed, "Armed")
        if armed and target.record_safe:
            raise EditError(f"{target.name} is record-safe; turn that off to arm it.")
        return {"armed": armed}


class SetRecordSafe(_SetFields):
    """Protect a track from arming; making an armed track safe disarms it."""

    def __init__(self, track_id: str, safe: bool) -> None:
        super().__init__()
        self.track_id, self.safe = track_id, safe
        self.label = "Set record safe" if safe else "Clear record safe"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        return _audio_track(project, self.track_id, "record")

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        safe = _flag(self.safe, "Record safe")
        return {"record_safe": safe, "armed": False} if safe else {"record_safe": False}


class SetMonitor(_SetFields):
    def __init__(self, track_id: str, mode: MonitorMode | str) -> None:
        super().__init__()
        self.track_id, self.mode = track_id, mode
        self.label = "Set input monitoring"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        return _audio_track(project, self.track_id, "monitor an input")

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        return {"monitor": _enum(MonitorMode, self.mode, "The monitor mode")}


class SetInput(_SetFields):
    """Assign device input channels: [] none, [n] mono, [left, right] stereo."""

    def __init__(self, track_id: str, channels: Sequence[int]) -> None:
        super().__init__()
        self.track_id, self.channels = track_id, list(channels)
        self.label = "Set input"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        return _audio_track(project, self.track_id, "record an input")

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        channels = [_whole(c, "An input channel") for c in self.channels]
        if len(channels) > 2 or len(set(channels)) != len(channels):
            raise EditError(
                f"An input is none, one channel or two different channels, not {channels}."
            )
        return {"input": InputAssign(channels)}


class SetTrackOutput(_SetFields):
    """Feed a track or bus into a bus (by id) or, with "", into the master."""

    def __init__(self, track_id: str, output: str) -> None:
        super().__init__()
        self.track_id, self.output = track_id, output
        self.label = "Set output"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> Track:
        track = _track(project, self.track_id)
        if track.kind is TrackKind.MASTER:
            raise EditError("The master feeds the outputs; it cannot be routed into a bus.")
        return track

    def _compute(self, project: Project, track: Track) -> dict[str, Any]:
        if self.output in ("", project.master.id):
            return {"output": ""}
        dest = _track(project, self.output) if isinstance(self.output, str) else None
        if dest is None or dest.kind is not TrackKind.BUS:
            raise EditError(f"A track can only feed a bus or the master, not {self.output!r}.")
        _check_no_loop(project, track, dest.id)
        self.label = f"Route {track.name} to {dest.name}"
        return {"output": dest.id}


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


# -- media and clips ---------------------------------------------------------------------


class AddMedia(Edit):
    """Put an audio file (already in the project's audio/ folder) into the media pool."""

    def __init__(self, media: MediaFile) -> None:
        self.media = copy.deepcopy(media)
        self.label = "Import audio"

    def do(self, project: Project) -> None:
        _check_media(self.media)
        if self.media.id in project.media:
            raise EditError(f"The media id {self.media.id!r} is already in the pool.")
        project.media[self.media.id] = copy.deepcopy(self.media)

    def undo(self, project: Project) -> None:
        del project.media[self.media.id]


class AddClip(Edit):
    """Place a clip on an audio track, adding its media to the pool too when given."""

    def __init__(self, track_id: str, clip: Clip, media: MediaFile | None = None) -> None:
        self.track_id = track_id
        self.clip = copy.deepcopy(clip)
        self.media = AddMedia(media) if media is not None else None
        self.label = "Import audio" if media is not None else "Add clip"

    def do(self, project: Project) -> None:
        track = _audio_track(project, self.track_id, "hold clips")
        _check_new_id(project, self.clip.id, "clip")
        if self.media is not None:
            self.media.do(project)
        try:
            _check_clip(project, self.clip)
        except EditError:
            if self.media is not None:
                self.media.undo(project)
            raise
        track.clips.append(copy.deepcopy(self.clip))

    def undo(self, project: Project) -> None:
        track, clip = project.find_clip(self.clip.id)
        track.clips.remove(clip)
        if self.media is not None:
            self.media.undo(project)


class RemoveClip(Edit):
    """Take a clip off the timeline; its audio stays in the pool and on disk."""

    def __init__(self, clip_id: str) -> None:
        self.clip_id = clip_id
        self.label = "Remove clip"
        self._removed: tuple[str, int, Clip] | None = None

    def do(self, project: Project) -> None:
        track, clip = _clip(project, self.clip_id)
        index = track.clips.index(clip)
        track.clips.pop(index)
        self._removed = (track.id, index, clip)

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        track_id, index, clip = self._removed
        project.track(track_id).clips.insert(index, clip)


class MoveClip(Edit):
    """Move a clip in time and/or to another audio track (where it goes last in the list)."""

    mergeable = True

    def __init__(self, clip_id: str, position: int, track_id: str | None = None) -> None:
        self.clip_id, self.position, self.track_id = clip_id, position, track_id
        self.label = "Move clip"
        self._origin: tuple[str, int, int] | None = None
        self._dest = ""

    def do(self, project: Project) -> None:
        track, clip = _clip(project, self.clip_id)
        position = _frame(self.position, "The clip position")
        dest = track
        if self.track_id is not None and self.track_id != track.id:
            dest = _audio_track(project, self.track_id, "hold clips")
        self._origin = (track.id, track.clips.index(clip), clip.position)
        if dest is not track:
            track.clips.remove(clip)
            dest.clips.append(clip)
        clip.position = position
        self._dest = dest.id

    def undo(self, project: Project) -> None:
        assert self._origin is not None
        track_id, index, position = self._origin
        dest, clip = project.find_clip(self.clip_id)
        if dest.id != track_id:
            dest.clips.remove(clip)
            project.track(track_id).clips.insert(index, clip)
        clip.position = position

    def merge(self, other: Edit) -> bool:
        if not isinstance(other, MoveClip) or other.clip_id != self.clip_id:
            return False
        assert self._origin is not None
        # Coming back to the origin track puts the clip last, which a single
        # move would not do; keep that as its own step so redo stays exact.
        if other._dest == self._origin[0] != self._dest:
            return False
        self.position, self.track_id, self._dest = other.position, other._dest, other._dest
        return True


class _ClipFields(_SetFields):
    def __init__(self, clip_id: str) -> None:
        super().__init__()
        self.clip_id = clip_id

    def _key(self) -> tuple[Any, ...]:
        return (self.clip_id,)

    def _target(self, project: Project) -> Clip:
        return _clip(project, self.clip_id)[1]


def _clamped_fades(clip: Clip, length: int) -> dict[str, int]:
    fade_in = min(clip.fade_in, length)
    return {"fade_in": fade_in, "fade_out": min(clip.fade_out, length - fade_in)}


class TrimClipStart(_ClipFields):
    """Move a clip's start to timeline frame `start`, keeping its end and its audio in place.

    The source offset moves with the start; fades shrink to fit when the clip gets short.
    """

    mergeable = True

    def __init__(self, clip_id: str, start: int) -> None:
        super().__init__(clip_id)
        self.start = start
        self.label = "Trim clip start"

    def _compute(self, project: Project, clip: Clip) -> dict[str, Any]:
        start = _frame(self.start, "The clip start")
        delta = start - clip.position
        length = clip.length - delta
        _check_span(project, clip.media, clip.source_offset + delta, length, "trimmed clip")
        return {"position": start, "source_offset": clip.source_offset + delta,
                "length": length, **_clamped_fades(clip, length)}


class TrimClipEnd(_ClipFields):
    """Move a clip's end to timeline frame `end` (exclusive); fades shrink to fit."""

    mergeable = True

    def __init__(self, clip_id: str, end: int) -> None:
        super().__init__(clip_id)
        self.end = end
        self.label = "Trim clip end"

    def _compute(self, project: Project, clip: Clip) -> dict[str, Any]:
        length = _frame(self.end, "The clip end") - clip.position
        _check_span(project, clip.media, clip.source_offset, length, "trimmed clip")
        return {"length": length, **_clamped_fades(clip, length)}


class SplitClip(Edit):
    """Cut a clip in two at timeline frame `frame`; the right part gets a new id.

    The left part keeps the fade-in, the right part the fade-out, each shortened to fit.
    """

    def __init__(self, clip_id: str, frame: int, new_clip_id: str | None = None) -> None:
        self.clip_id, self.frame = clip_id, frame
        self.new_clip_id = new_clip_id or new_id()
        self.label = "Split clip"
        self._original: Clip | None = None

    def do(self, project: Project) -> None:
        track, clip = _clip(project, self.clip_id)
        frame = _frame(self.frame, "The split point")
        if not clip.position < frame < clip.end:
            raise EditError(
                f"Frame {frame} is not inside the clip ({clip.position} .. {clip.end}); "
                "a split needs frames on both sides."
            )
        _check_new_id(project, self.new_clip_id, "clip")
        self._original = copy.deepcopy(clip)
        left = frame - clip.position
        right = copy.deepcopy(clip)
        right.id = self.new_clip_id
        right.position = frame
        right.source_offset = clip.source_offset + left
        right.length = clip.length - left
        right.fade_in = 0
        right.fade_out = min(clip.fade_out, right.length)
        clip.length = left
        clip.fade_in = min(clip.fade_in, left)
        clip.fade_out = 0
        track.clips.insert(track.clips.index(clip) + 1, right)

    def undo(self, project: Project) -> None:
        assert self._original is not None
        track, right = project.find_clip(self.new_clip_id)
        track.clips.remove(right)
        index = track.clips.index(project.find_clip(self.clip_id)[1])
        track.clips[index] = copy.deepcopy(self._original)


class SetClipFades(_ClipFields):
    """Set fade lengths (frames) and shapes; None leaves that one as it is."""

    mergeable = True

    def __init__(
        self,
        clip_id: str,
        fade_in: int | None = None,
        fade_out: int | None = None,
        fade_in_shape: FadeShape | str | None = None,
        fade_out_shape: FadeShape | str | None = None,
    ) -> None:
        super().__init__(clip_id)
        self.fade_in, self.fade_out = fade_in, fade_out
        self.fade_in_shape, self.fade_out_shape = fade_in_shape, fade_out_shape
        self.label = "Set clip fades"

    def _compute(self, project: Project, clip: Clip) -> dict[str, Any]:
        new: dict[str, Any] = {}
        if self.fade_in is not None:
            new["fade_in"] = _frame(self.fade_in, "The fade-in length")
        if self.fade_out is not None:
            new["fade_out"] = _frame(self.fade_out, "The fade-out length")
        if self.fade_in_shape is not None:
            new["fade_in_shape"] = _enum(FadeShape, self.fade_in_shape, "The fade-in shape")
        if self.fade_out_shape is not None:
            new["fade_out_shape"] = _enum(FadeShape, self.fade_out_shape, "The fade-out shape")
        _check_fades(new.get("fade_in", clip.fade_in), new.get("fade_out", clip.fade_out),
                     clip.length)
        return new


class SetClipGain(_ClipFields):
    mergeable = True

    def __init__(self, clip_id: str, gain_db: float) -> None:
        super().__init__(clip_id)
        self.gain_db = gain_db
        self.label = "Set clip gain"

    def _compute(self, project: Project, clip: Clip) -> dict[str, Any]:
        return {"gain_db": _number(self.gain_db, "The clip gain (dB)", -120.0, 48.0)}


class SetClipMute(_ClipFields):
    def __init__(self, clip_id: str, mute: bool) -> None:
        super().__init__(clip_id)
        self.mute = mute
        self.label = "Mute clip" if mute else "Unmute clip"

    def _compute(self, project: Project, clip: Clip) -> dict[str, Any]:
        return {"mute": _flag(self.mute, "Clip mute")}


class RenameClip(_ClipFields):
    def __init__(self, clip_id: str, name: str) -> None:
        super().__init__(clip_id)
        self.name = name
        self.label = "Rename clip"

    def _compute(self, project: Project, clip: Clip) -> dict[str, Any]:
        if not isinstance(self.name, str):
            raise EditError(f"A clip name must be text, not {self.name!r}.")
        return {"name": self.name.strip()}


# -- takes and comping --------------------------------------------------------------------


def _check_comp(track: Track, comp: Sequence[CompRange]) -> None:
    spans = {k.id: (k.position, k.position + k.length) for k in track.takes.takes}
    end = 0
    for r in comp:
        if r.take not in spans:
            raise EditError(f"{track.name} has no take with id {r.take!r} to comp from.")
        start_f = _frame(r.start, "A comp range start")
        end_f = _frame(r.end, "A comp range end")
        if start_f >= end_f:
            raise EditError(f"A comp range {start_f} .. {end_f} is empty.")
        if start_f < end:
            raise EditError("Comp ranges must be in time order and must not overlap.")
        low, high = spans[r.take]
        if start_f < low or end_f > high:
            raise EditError(
                f"The comp range {start_f} .. {end_f} reaches outside its take ({low} .. {high})."
            )
        end = end_f


class AddTake(Edit):
    """Add a recorded pass to a track's take lane."""

    def __init__(self, track_id: str, take: Take) -> None:
        self.track_id = track_id
        self.take = copy.deepcopy(take)
        self.label = "Add take"

    def do(self, project: Project) -> None:
        track = _audio_track(project, self.track_id, "hold takes")
        _check_new_id(project, self.take.id, "take")
        _check_take(project, self.take)
        track.takes.takes.append(copy.deepcopy(self.take))

    def undo(self, project: Project) -> None:
        takes = project.track(self.track_id).takes.takes
        takes.pop(next(i for i, k in enumerate(takes) if k.id == self.take.id))


class RemoveTake(Edit):
    """Remove a take and the parts of the comp that played it; its audio stays on disk."""

    def __init__(self, track_id: str, take_id: str) -> None:
        self.track_id, self.take_id = track_id, take_id
        self.label = "Remove take"
        self._removed: tuple[int, Take, list[CompRange]] | None = None

    def do(self, project: Project) -> None:
        lane = _track(project, self.track_id).takes
        take = _take(_track(project, self.track_id), self.take_id)
        index = lane.takes.index(take)
        self._removed = (index, lane.takes.pop(index), lane.comp)
        lane.comp = [copy.deepcopy(r) for r in lane.comp if r.take != self.take_id]

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        index, take, comp = self._removed
        lane = project.track(self.track_id).takes
        lane.takes.insert(index, take)
        lane.comp = comp


class _CompFields(_SetFields):
    def __init__(self, track_id: str) -> None:
        super().__init__()
        self.track_id = track_id

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id,)

    def _target(self, project: Project) -> TakeLane:
        return _track(project, self.track_id).takes


class SetComp(_CompFields):
    """Replace the comp: which take plays over which span of the timeline."""

    def __init__(self, track_id: str, comp: Sequence[CompRange]) -> None:
        super().__init__(track_id)
        self.comp = copy.deepcopy(list(comp))
        self.label = "Set comp"

    def _compute(self, project: Project, lane: TakeLane) -> dict[str, Any]:
        _check_comp(_track(project, self.track_id), self.comp)
        return {"comp": self.comp}


def comp_with(comp: Sequence[CompRange], take_id: str, start: int, end: int) -> list[CompRange]:
    """`comp` with [start, end) played from `take_id`: ranges it covers are cut or dropped,
    and touching ranges of one take join."""
    out: list[CompRange] = []
    for r in comp:
        if r.start < start:
            out.append(CompRange(r.take, r.start, min(r.end, start)))
        if r.end > end:
            out.append(CompRange(r.take, max(r.start, end), r.end))
    out.append(CompRange(take_id, start, end))
    out.sort(key=lambda r: r.start)
    joined: list[CompRange] = []
    for r in out:
        if joined and joined[-1].take == r.take and joined[-1].end == r.start:
            joined[-1].end = r.end
        else:
            joined.append(r)
    return joined


class CompTake(_CompFields):
    """Swipe [start, end) of one take into the comp, overwriting what played there."""

    mergeable = True

    def __init__(self, track_id: str, take_id: str, start: int, end: int) -> None:
        super().__init__(track_id)
        self.take_id, self.start, self.end = take_id, start, end
        self.label = "Comp take"

    def _compute(self, project: Project, lane: TakeLane) -> dict[str, Any]:
        track = _track(project, self.track_id)
        _take(track, self.take_id)
        start = _frame(self.start, "The comp start")
        end = _frame(self.end, "The comp end")
        new = comp_with(lane.comp, self.take_id, start, end)
        _check_comp(track, new)
        return {"comp": new}


# -- markers, tempo, ranges ------------------------------------------------------------------


def _insert_sorted(items: list[Any], item: Any, key: Callable[[Any], int]) -> int:
    index = bisect.bisect_right(items, key(item), key=key)
    items.insert(index, item)
    return index


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


# -- automation -------------------------------------------------------------------------------


class AddAutomationLane(Edit):
    def __init__(self, track_id: str, param: str) -> None:
        self.track_id, self.param = track_id, param
        self.label = f"Add {param_label(param)} automation"

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        _check_automation_param(project, track, self.param)
        if any(lane.param == self.param for lane in track.automation):
            raise EditError(f"{track.name} already has a lane for {param_label(self.param)}.")
        track.automation.append(AutomationLane(self.param))

    def undo(self, project: Project) -> None:
        project.track(self.track_id).automation.pop()


class RemoveAutomationLane(Edit):
    def __init__(self, track_id: str, param: str) -> None:
        self.track_id, self.param = track_id, param
        self.label = f"Remove {param_label(param)} automation"
        self._removed: tuple[int, AutomationLane] | None = None

    def do(self, project: Project) -> None:
        lanes = _track(project, self.track_id).automation
        lane = _lane(project, self.track_id, self.param)
        index = lanes.index(lane)
        self._removed = (index, lanes.pop(index))

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        project.track(self.track_id).automation.insert(*self._removed)


class _PointEdit(Edit):
    def __init__(self, track_id: str, param: str) -> None:
        self.track_id, self.param = track_id, param

    def _points(self, project: Project) -> list[AutomationPoint]:
        return _lane(project, self.track_id, self.param).points

    def _point(self, project: Project, time: int, value: float, interp: Any) -> AutomationPoint:
        track = _track(project, self.track_id)
        return AutomationPoint(
            _frame(time, "An automation point time"),
            _check_automation_value(track, self.param, value),
            _enum(Interp, interp, "The interpolation"),
        )


class AddAutomationPoint(_PointEdit):
    """Add a point to a lane; points stay in time order."""

    def __init__(self, track_id: str, param: str, point: AutomationPoint) -> None:
        super().__init__(track_id, param)
        self.point = copy.deepcopy(point)
        self.label = "Add automation point"
        self._index = 0

    def do(self, project: Project) -> None:
        points = self._points(project)
        point = self._point(project, self.point.time, self.point.value, self.point.interp)
        self._index = _insert_sorted(points, point, lambda p: p.time)

    def undo(self, project: Project) -> None:
        self._points(project).pop(self._index)


class RemoveAutomationPoint(_PointEdit):
    def __init__(self, track_id: str, param: str, index: int) -> None:
        super().__init__(track_id, param)
        self.index = index
        self.label = "Remove automation point"
        self._removed: AutomationPoint | None = None

    def do(self, project: Project) -> None:
        points = self._points(project)
        if not 0 <= self.index < len(points):
            raise EditError(f"The lane has no point number {self.index}.")
        self._removed = points.pop(self.index)

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        self._points(project).insert(self.index, self._removed)


class MoveAutomationPoint(_PointEdit):
    """Move point number `index` to a new time and value; a drag is one undo step."""

    mergeable = True

    def __init__(self, track_id: str, param: str, index: int, time: int, value: float) -> None:
        super().__init__(track_id, param)
        self.index, self.time, self.value = index, time, value
        self.label = "Move automation point"
        self._old: AutomationPoint | None = None
        self._new_index = 0

    @property
    def new_index(self) -> int:
        """Where the point is after the move (points are kept in time order)."""
        return self._new_index

    def do(self, project: Project) -> None:
        points = self._points(project)
        if not 0 <= self.index < len(points):
            raise EditError(f"The lane has no point number {self.index}.")
        point = self._point(project, self.time, self.value, points[self.index].interp)
        self._old = points.pop(self.index)
        self._new_index = _insert_sorted(points, point, lambda p: p.time)

    def undo(self, project: Project) -> None:
        points = self._points(project)
        points.pop(self._new_index)
        points.insert(self.index, self._old)

    def merge(self, other: Edit) -> bool:
        if not (isinstance(other, MoveAutomationPoint) and other.track_id == self.track_id
                and other.param == self.param and other.index == self._new_index):
            return False
        self.time, self.value, self._new_index = other.time, other.value, other._new_index
        return True


class SetAutomationPoints(_SetFields):
    """Replace all points of a lane (a recorded pass); they are sorted by time."""

    def __init__(self, track_id: str, param: str, points: Iterable[AutomationPoint]) -> None:
        super().__init__()
        self.track_id, self.param = track_id, param
        self.points = copy.deepcopy(list(points))
        self.label = f"Write {param_label(param)} automation"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id, self.param)

    def _target(self, project: Project) -> AutomationLane:
        return _lane(project, self.track_id, self.param)

    def _compute(self, project: Project, lane: AutomationLane) -> dict[str, Any]:
        track = _track(project, self.track_id)
        points = [
            AutomationPoint(_frame(p.time, "An automation point time"),
                            _check_automation_value(track, self.param, p.value),
                            _enum(Interp, p.interp, "The interpolation"))
            for p in self.points
        ]
        points.sort(key=lambda p: p.time)
        return {"points": points}


# -- cue mixes --------------------------------------------------------------------------------


def _check_output(output: Any) -> int:
    return _whole(output, "The first output channel of a cue mix")


class AddCue(Edit):
    def __init__(self, cue: CueMix) -> None:
        self.cue = copy.deepcopy(cue)
        self.label = "Add cue mix"

    def do(self, project: Project) -> None:
        _name(self.cue.name, "A cue mix name")
        _check_output(self.cue.output)
        _check_new_id(project, self.cue.id, "cue mix")
        for track_id in self.cue.sends:
            if _track(project, track_id).kind is TrackKind.MASTER:
                raise EditError("A cue mix is built from tracks and buses, not the master.")
        project.cues.append(copy.deepcopy(self.cue))

    def undo(self, project: Project) -> None:
        project.cues.pop()


class RemoveCue(Edit):
    """Remove a cue mix, with any automation of its levels; the control room falls back to
    the main mix if it was listening to it."""

    def __init__(self, cue_id: str) -> None:
        self.cue_id = cue_id
        self.label = "Remove cue mix"
        self._removed: tuple[int, CueMix, _References] | None = None

    def do(self, project: Project) -> None:
        cue = _cue(project, self.cue_id)
        refs = _References()
        prefix = f"cue.{cue.id}."
        for track in project.all_tracks():
            if any(lane.param.startswith(prefix) for lane in track.automation):
                refs.keep_track(track)
                track.automation = [a for a in track.automation if not a.param.startswith(prefix)]
        if project.control_room.source == cue.id:
            refs.control_room_source = cue.id
            project.control_room.source = "main"
        index = project.cues.index(cue)
        self._removed = (index, project.cues.pop(index), refs)
        self.label = f"Remove {cue.name}"

    def undo(self, project: Project) -> None:
        assert self._removed is not None
        index, cue, refs = self._removed
        project.cues.insert(index, cue)
        refs.restore(project)


class _CueFields(_SetFields):
    def __init__(self, cue_id: str) -> None:
        super().__init__()
        self.cue_id = cue_id

    def _key(self) -> tuple[Any, ...]:
        return (self.cue_id,)

    def _target(self, project: Project) -> CueMix:
        return _cue(project, self.cue_id)


class RenameCue(_CueFields):
    def __init__(self, cue_id: str, name: str) -> None:
        super().__init__(cue_id)
        self.name = name
        self.label = "Rename cue mix"

    def _compute(self, project: Project, cue: CueMix) -> dict[str, Any]:
        return {"name": _name(self.name, "A cue mix name")}


class SetCueOutput(_CueFields):
    """Send a cue mix to the output pair starting at device channel `output` (0-based)."""

    def __init__(self, cue_id: str, output: int) -> None:
        super().__init__(cue_id)
        self.output = output
        self.label = "Set cue output"

    def _compute(self, project: Project, cue: CueMix) -> dict[str, Any]:
        return {"output": _check_output(self.output)}


_CUE_PARAMS = ("master_db", "click_db", "talkback")


class SetCueParam(_CueFields):
    """Set a cue mix's own master level, click level or talkback switch."""

    mergeable = True

    def __init__(self, cue_id: str, name: str, value: Any) -> None:
        super().__init__(cue_id)
        self.name, self.value = name, value
        self.label = f"Set cue {name.removesuffix('_db').replace('_', ' ')}"

    @property
    def structural(self) -> bool:
        return False

    def _key(self) -> tuple[Any, ...]:
        return (self.cue_id, self.name)

    def _compute(self, project: Project, cue: CueMix) -> dict[str, Any]:
        if self.name not in _CUE_PARAMS:
            raise EditError(f"A cue mix has no setting {self.name!r}.")
        if self.name == "talkback":
            return {"talkback": _flag(self.value, "Talkback")}
        return {self.name: _number(self.value, f"The cue {self.name}", high=24.0)}


class SetCueSend(Edit):
    """Set how a strip is heard in a cue mix; None leaves that setting as it is."""

    mergeable = True

    def __init__(
        self,
        cue_id: str,
        track_id: str,
        level_db: float | None = None,
        pan: float | None = None,
        pre: bool | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.cue_id, self.track_id = cue_id, track_id
        self.level_db, self.pan, self.pre, self.enabled = level_db, pan, pre, enabled
        self.label = "Set cue send"
        self._old: CueSend | None = None
        self._new: CueSend | None = None

    @property
    def structural(self) -> bool:
        return False

    def do(self, project: Project) -> None:
        cue = _cue(project, self.cue_id)
        track = _track(project, self.track_id)
        if track.kind is TrackKind.MASTER:
            raise EditError("A cue mix is built from tracks and buses, not the master.")
        if self._new is None:
            send = copy.deepcopy(cue.sends.get(track.id, CueSend()))
            if self.level_db is not None:
                send.level_db = _number(self.level_db, "The cue level (dB)", high=24.0)
            if self.pan is not None:
                send.pan = _number(self.pan, "The cue pan", -1.0, 1.0)
            if self.pre is not None:
                send.pre = _flag(self.pre, "Pre-fader")
            if self.enabled is not None:
                send.enabled = _flag(self.enabled, "The cue send switch")
            self._new = send
        self.label = f"Set {track.name} in {cue.name}"
        self._old = cue.sends.get(track.id)
        cue.sends[track.id] = copy.deepcopy(self._new)

    def undo(self, project: Project) -> None:
        sends = project.cue(self.cue_id).sends
        if self._old is None:
            del sends[self.track_id]
        else:
            sends[self.track_id] = self._old

    def merge(self, other: Edit) -> bool:
        if not (isinstance(other, SetCueSend) and other.cue_id == self.cue_id
                and other.track_id == self.track_id):
            return False
        self._new = other._new
        return True


# -- the history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a history listener is told: `action` is "do", "undo", "redo" or "clean";
    `edit` is the edit done or undone (None for "clean"); `merged` says a "do" was
    absorbed into the previous undo step."""

    action: str
    edit: Edit | None = None
    merged: bool = False


class EditHistory:
    """The undo stack of one project; every change to the project goes through `apply`."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._edits: list[Edit] = []
        self._index = 0  # edits[:index] are done
        self._clean: int | None = 0  # None when the saved state can no longer be reached
        self._merge_open = False
        self._listeners: list[Callable[[Change], None]] = []

    @property
    def project(self) -> Project:
        return self._project

    @property
    def index(self) -> int:
        """How many undo steps are done."""
        return self._index

    @property
    def count(self) -> int:
        """How many undo steps exist, done or undone."""
        return len(self._edits)

    def apply(self, edit: Edit) -> bool:
        """Do `edit` and record it; True when it merged into the previous step.

        Raises EditError, with the project and the history unchanged, if it is refused.
        """
        edit.do(self._project)
        del self._edits[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None
        merged = (
            self._merge_open
            and self._index > 0
            and self._clean != self._index  # never change the saved step after the fact
            and self._edits[-1].merge(edit)
        )
        if not merged:
            self._edits.append(edit)
            self._index += 1
        self._merge_open = True
        self._notify(Change("do", edit, merged))
        return merged

    def undo(self) -> Edit:
        if not self.can_undo:
            raise EditError("There is nothing to undo.")
        edit = self._edits[self._index - 1]
        edit.undo(self._project)
        self._index -= 1
        self._merge_open = False
        self._notify(Change("undo", edit))
        return edit

    def redo(self) -> Edit:
        if not self.can_redo:
            raise EditError("There is nothing to redo.")
        edit = self._edits[self._index]
        edit.do(self._project)
        self._index += 1
        self._merge_open = False
        self._notify(Change("redo", edit))
        return edit

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._edits)

    @property
    def undo_label(self) -> str:
        """The label of the step undo would take back, or "" when there is none."""
        return self._edits[self._index - 1].label if self.can_undo else ""

    @property
    def redo_label(self) -> str:
        return self._edits[self._index].label if self.can_redo else ""

    def close_merge(self) -> None:
        """End the current step: the next edit starts a new one (call on mouse release)."""
        self._merge_open = False

    def mark_clean(self) -> None:
        """Remember the current state as saved."""
        self._clean = self._index
        self._merge_open = False
        self._notify(Change("clean"))

    @property
    def is_dirty(self) -> bool:
        return self._clean != self._index

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call `callback` after every change; returns a function that unsubscribes."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _notify(self, change: Change) -> None:
        for callback in list(self._listeners):
            callback(change)

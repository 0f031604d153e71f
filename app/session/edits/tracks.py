"""Tracks and buses: add, remove, rename, reorder, duplicate, colour, arming, input."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.session.edits.base import Compound, Edit, EditError, _SetFields
from app.session.edits.checks import (
    _audio_track,
    _check_new_id,
    _enum,
    _flag,
    _name,
    _track,
    _whole,
)
from app.session.edits.clips import AddClip, _check_clip
from app.session.edits.routing import _References, _remove_sends
from app.session.edits.takes import _check_take
from app.session.model import (
    Clip,
    InputAssign,
    MediaFile,
    MonitorMode,
    Project,
    Track,
    TrackKind,
    new_id,
)

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


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
            gone = {i for i, s in enumerate(other.strip.sends) if s.bus == track.id}
            _remove_sends(other, gone, refs)
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


class SetTrackView(_SetFields):
    """How a track's row looks in the arrange window: its lane height and, for buses,
    whether it is folded. Saved with the project; changes nothing that plays."""

    mergeable = True

    def __init__(self, track_id: str, height: int | None = None,
                 folded: bool | None = None) -> None:
        super().__init__()
        self.track_id, self.height, self.folded = track_id, height, folded
        self.label = "Resize track" if height is not None else "Fold track"

    def _key(self) -> tuple[Any, ...]:
        return (self.track_id, self.height is None, self.folded is None)

    def _target(self, project: Project) -> Track:
        return _track(project, self.track_id)

    def _compute(self, project: Project, target: Track) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.height is not None:
            height = _whole(self.height, "A lane height")
            if not 24 <= height <= 1000:
                raise EditError(f"A lane height is 24 to 1000 pixels, not {height}.")
            out["height"] = height
        if self.folded is not None:
            out["folded"] = _flag(self.folded, "Folded")
        return out


TRACK_COLOURS = ("#5aa6e6", "#e0714f", "#5fb58a", "#e8b94a", "#c678dd", "#4fc1c9",
                 "#e06c9f", "#9fbf5a")


def import_track_edit(project: Project, mf: MediaFile, position: int) -> Compound:
    """One undo step that puts imported media on a new track, as one clip at `position`."""
    name = Path(mf.name or mf.path).stem or "Audio"
    audio_tracks = sum(t.kind is TrackKind.AUDIO for t in project.tracks)
    track = Track(name, colour=TRACK_COLOURS[audio_tracks % len(TRACK_COLOURS)])
    clip = Clip(mf.id, position, mf.frames, name=name)
    # After the last audio track, so the buses stay together at the bottom.
    index = max((i + 1 for i, t in enumerate(project.tracks) if t.kind is TrackKind.AUDIO),
                default=0)
    return Compound(f"Import {mf.name or name}",
                    [AddTrack(track, index), AddClip(track.id, clip, mf)])

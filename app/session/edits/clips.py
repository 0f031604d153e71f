"""Media and clips: the media pool, placing, moving, trimming, splitting, fading clips."""

from __future__ import annotations

import copy
from typing import Any

from app.session.edits.base import Edit, EditError, _SetFields
from app.session.edits.checks import (
    _audio_track,
    _check_new_id,
    _clip,
    _enum,
    _flag,
    _frame,
    _media,
    _number,
)
from app.session.model import (
    MAX_RATE,
    MIN_RATE,
    Clip,
    FadeShape,
    MediaFile,
    Project,
    new_id,
)
from app.session.store import ProjectError, check_media_path


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

"""Checks shared by the edits: values and lookups that fail with an EditError sentence.

Each returns the value made ready to store (a whole number, a finite float, a stripped
name, an enum member) or the object found by id, so an edit can check everything before
it touches the project.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable
from enum import Enum
from typing import Any

from app.session.edits.base import EditError
from app.session.model import (
    AutomationLane,
    Clip,
    CueMix,
    MediaFile,
    Project,
    Take,
    Track,
    TrackKind,
)


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


def _insert_sorted(items: list[Any], item: Any, key: Callable[[Any], int]) -> int:
    index = bisect.bisect_right(items, key(item), key=key)
    items.insert(index, item)
    return index

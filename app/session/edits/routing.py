"""Where a strip's signal goes: outputs, sends to buses, and the loop check.

Also what a removed track, bus, send or cue leaves behind in other objects
(`_References`), so its removal can be undone exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from app.session.edits.base import EditError, _SetFields
from app.session.edits.checks import _track
from app.session.model import (
    AutomationLane,
    CueSend,
    Project,
    Track,
    TrackKind,
)


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


def _remove_sends(track: Track, gone: Collection[int], refs: _References) -> None:
    """Remove the sends of `track` at the indices `gone`, keeping what was there in `refs`.

    The automation of the remaining sends is renumbered to follow them, and the lanes of
    the removed ones go too.
    """
    kept = [i for i in range(len(track.strip.sends)) if i not in gone]
    if len(kept) == len(track.strip.sends):
        return
    refs.keep_track(track)
    old_to_new: dict[int, int | None] = {old: new for new, old in enumerate(kept)}
    track.strip.sends = [track.strip.sends[i] for i in kept]
    lanes = []
    for lane in track.automation:
        param = _renumbered_lane(lane.param, old_to_new)
        if param is not None:
            lane.param = param
            lanes.append(lane)
    track.automation = lanes


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

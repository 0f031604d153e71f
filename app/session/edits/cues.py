"""Cue mixes: the performers' headphone mixes, their settings and per-strip sends."""

from __future__ import annotations

import copy
from typing import Any

from app.session.edits.base import Edit, EditError, _SetFields
from app.session.edits.checks import _check_new_id, _cue, _flag, _name, _number, _track, _whole
from app.session.edits.routing import _References
from app.session.model import (
    CueMix,
    CueSend,
    Project,
    TrackKind,
)


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

"""Sends from a track or bus to an aux bus: adding and removing them.

A send's level, pre/post and destination are strip parameters (`SetParam` on
`sends.N.level_db`); these edits change how many sends a strip has.
"""

from __future__ import annotations

from app.session.edits.base import Edit, EditError
from app.session.edits.checks import _track
from app.session.edits.params import check_param_value
from app.session.edits.routing import _References, _remove_sends
from app.session.model import Project, Send, TrackKind

MAX_SENDS = 8  # the engine's send slots per strip


class AddSend(Edit):
    """Add a send from a track or bus to an aux bus; it is silent until its level is raised."""

    def __init__(self, track_id: str, bus_id: str) -> None:
        self.track_id, self.bus_id = track_id, bus_id
        self.label = "Add send"

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        bus = _track(project, self.bus_id)
        sends = track.strip.sends
        if track.kind is TrackKind.MASTER:
            raise EditError("The master feeds the outputs; it has no sends.")
        if any(s.bus == bus.id for s in sends):
            raise EditError(f"{track.name} already sends to {bus.name}.")
        if len(sends) >= MAX_SENDS:
            raise EditError(f"{track.name} already has {MAX_SENDS} sends, the most a strip can "
                            "have.")
        sends.append(Send(bus.id))
        try:
            check_param_value(project, track, f"sends.{len(sends) - 1}.bus", bus.id)
        except EditError:
            sends.pop()
            raise
        self.label = f"Send {track.name} to {bus.name}"

    def undo(self, project: Project) -> None:
        _track(project, self.track_id).strip.sends.pop()


class RemoveSend(Edit):
    """Remove send number `index` of a track or bus, with its automation; the automation
    of the sends after it is renumbered to follow them. Undo puts all of that back."""

    def __init__(self, track_id: str, index: int) -> None:
        self.track_id, self.index = track_id, index
        self.label = "Remove send"
        self._refs: _References | None = None

    def do(self, project: Project) -> None:
        track = _track(project, self.track_id)
        sends = track.strip.sends
        if isinstance(self.index, bool) or not isinstance(self.index, int) \
                or not 0 <= self.index < len(sends):
            raise EditError(f"{track.name} has no send number {self.index!r}.")
        bus_id = sends[self.index].bus
        bus = next((t for t in project.all_tracks() if t.id == bus_id), None)
        refs = _References()
        _remove_sends(track, {self.index}, refs)
        self._refs = refs
        self.label = f"Remove send from {track.name} to {bus.name if bus else bus_id}"

    def undo(self, project: Project) -> None:
        assert self._refs is not None
        self._refs.restore(project)

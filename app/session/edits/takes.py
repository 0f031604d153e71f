"""Takes and comping: recorded passes on a track's take lane and which one plays when."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from app.session.edits.base import Edit, EditError, _SetFields
from app.session.edits.checks import _audio_track, _check_new_id, _frame, _take, _track
from app.session.edits.clips import _check_span
from app.session.model import (
    CompRange,
    Project,
    Take,
    TakeLane,
    Track,
)


def _check_take(project: Project, take: Take) -> None:
    _frame(take.position, "The take position")
    _frame(take.source_offset, "The take's source offset")
    _check_span(project, take.media, take.source_offset, _frame(take.length, "The take"), "take")


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

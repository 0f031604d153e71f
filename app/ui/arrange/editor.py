"""What the arrange view's gestures and keys do to the project: selection, snap, and the
clip edits (move, trim, split, fades, gain, duplicate, copy and paste, nudge, delete,
mute, rename), each one undo step through the window's history.

No painting here: lanes, the ruler and the menus call these methods, and tests can too.
Refused edits come back as a sentence through `report`, and nothing changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from app.session import edits as E
from app.session.edits.automation import MoveAutomationRange, PasteAutomation
from app.session.model import AutomationPoint, Clip, FadeShape, Project, TrackKind, new_id
from app.ui.arrange.grid import frames_per_beat

SNAP_PX = 8  # clip edges pull within this many pixels


class Snap(StrEnum):
    BAR = "bar"
    BEAT = "beat"
    HALF = "1/2 beat"
    QUARTER = "1/4 beat"


SNAP_DIVISIONS = {Snap.BEAT: 1, Snap.HALF: 2, Snap.QUARTER: 4}


@dataclass
class ClipboardItem:
    track_id: str
    clip: Clip
    # with "move automation with clips": lane param -> points under the clip, their
    # times relative to the clip's start
    automation: dict[str, list[AutomationPoint]] = field(default_factory=dict)


@dataclass
class Selection:
    clips: set[str] = field(default_factory=set)
    track: str | None = None  # the focused track (for paste and Track menu actions)


class ArrangeEditor:
    """Selection, snap and clip edits for one open project."""

    def __init__(self, apply: Callable[[E.Edit], object], report: Callable[[str], None],
                 close_merge: Callable[[], None] = lambda: None) -> None:
        self._apply = apply
        self.report = report
        self.close_merge = close_merge
        self.project: Project | None = None
        self.selection = Selection()
        self.snap_on = True
        self.snap = Snap.BEAT
        self.cursor = 0  # the edit cursor: where a click on empty lane put it
        self.clipboard: list[ClipboardItem] = []
        self.move_automation = False  # moving, copying and pasting clips carries automation

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.selection = Selection()
        self.clipboard = []
        self.cursor = 0

    def apply(self, edit: E.Edit) -> bool:
        """Do an edit; False (with the reason reported) when it is refused."""
        try:
            self._apply(edit)
        except E.EditError as e:
            self.report(str(e))
            return False
        return True

    # -- selection -------------------------------------------------------------------

    def select(self, clip_id: str | None, extend: bool = False) -> None:
        if not extend:
            self.selection.clips.clear()
        if clip_id is not None:
            if extend and clip_id in self.selection.clips:
                self.selection.clips.discard(clip_id)
            else:
                self.selection.clips.add(clip_id)
                self.selection.track = self.project.find_clip(clip_id)[0].id

    def select_many(self, clip_ids: set[str], extend: bool = False) -> None:
        if not extend:
            self.selection.clips.clear()
        self.selection.clips |= clip_ids

    def selected(self) -> list[tuple[str, Clip]]:
        """(track id, clip) for each selected clip that still exists, in timeline order."""
        out = []
        for t in self.project.tracks if self.project else []:
            out += [(t.id, c) for c in t.clips if c.id in self.selection.clips]
        self.selection.clips = {c.id for _, c in out}
        return sorted(out, key=lambda tc: tc[1].position)

    def selection_range(self) -> tuple[int, int] | None:
        chosen = self.selected()
        if not chosen:
            return None
        return min(c.position for _, c in chosen), max(c.end for _, c in chosen)

    # -- snap --------------------------------------------------------------------------

    def grid_step(self) -> float:
        p = self.project
        beat = frames_per_beat(p.sample_rate, p.tempo, p.meter_den)
        if self.snap is Snap.BAR:
            return beat * p.meter_num
        return beat / SNAP_DIVISIONS[self.snap]

    def snapped(self, frame: float, frames_per_pixel: float,
                ignore: set[str] | frozenset[str] = frozenset()) -> int:
        """`frame` pulled to the grid, or to a clip edge within SNAP_PX, when snap is on."""
        frame = max(0.0, frame)
        if not self.snap_on or self.project is None:
            return int(round(frame))
        reach = SNAP_PX * frames_per_pixel
        best, best_d = None, reach
        for t in self.project.tracks:
            for c in t.clips:
                if c.id in ignore:
                    continue
                for edge in (c.position, c.end):
                    d = abs(edge - frame)
                    if d < best_d:
                        best, best_d = edge, d
        if best is not None:
            return int(best)
        step = self.grid_step()
        return int(round(round(frame / step) * step))

    # -- clip edits ------------------------------------------------------------------

    def move(self, clip_ids: list[str], delta: int, track_shift: int = 0) -> bool:
        """Move clips by `delta` frames and `track_shift` audio tracks, as one step; clips
        that end up overlapping another get crossfades over the overlap."""
        p = self.project
        audio = [t.id for t in p.tracks if t.kind is TrackKind.AUDIO]
        moves = []
        for clip_id in clip_ids:
            track, clip = p.find_clip(clip_id)
            target = track.id
            if track_shift and track.id in audio:
                i = audio.index(track.id) + track_shift
                if not 0 <= i < len(audio):
                    self.report("There is no track there to move the clip to.")
                    return False
                target = audio[i]
            if clip.position + delta < 0:
                self.report("A clip cannot start before the beginning of the session.")
                return False
            moves.append(E.MoveClip(clip_id, clip.position + delta,
                                    target if target != track.id else None))
            if self.move_automation and delta and target == track.id:
                moves += [MoveAutomationRange(track.id, lane.param, clip.position, clip.end,
                                              delta)
                          for lane in track.automation
                          if any(clip.position <= pt.time < clip.end for pt in lane.points)]
        if not moves:
            return False
        label = "Move clip" if len(moves) == 1 else f"Move {len(moves)} clips"
        if not self.apply(E.Compound(label, moves)):
            return False
        self.close_merge()
        self._crossfade(clip_ids)
        return True

    def _crossfade(self, clip_ids: list[str]) -> None:
        """Fade both sides of every overlap the moved clips made, so they crossfade."""
        fades: dict[str, dict[str, int]] = {}
        for clip_id in clip_ids:
            track, clip = self.project.find_clip(clip_id)
            for other in track.clips:
                if other.id == clip.id:
                    continue
                first, second = (other, clip) if other.position <= clip.position else (clip, other)
                overlap = min(first.end, second.end) - second.position
                if overlap <= 0 or second.end <= first.end:
                    continue
                fades.setdefault(first.id, {})["fade_out"] = overlap
                fades.setdefault(second.id, {})["fade_in"] = overlap
        parts = [E.SetClipFades(cid, **f) for cid, f in fades.items()]
        if parts:
            self.apply(E.Compound("Crossfade", parts))
            self.close_merge()

    def trim_start(self, clip_id: str, frame: int) -> bool:
        ok = self.apply(E.TrimClipStart(clip_id, frame))
        self.close_merge()
        return ok

    def trim_end(self, clip_id: str, frame: int) -> bool:
        ok = self.apply(E.TrimClipEnd(clip_id, frame))
        self.close_merge()
        return ok

    def set_fades(self, clip_id: str, fade_in: int | None = None, fade_out: int | None = None,
                  in_shape: FadeShape | None = None, out_shape: FadeShape | None = None) -> bool:
        kwargs = {k: v for k, v in (("fade_in", fade_in), ("fade_out", fade_out),
                                    ("fade_in_shape", in_shape), ("fade_out_shape", out_shape))
                  if v is not None}
        ok = self.apply(E.SetClipFades(clip_id, **kwargs))
        self.close_merge()
        return ok

    def set_gain(self, clip_id: str, gain_db: float) -> bool:
        return self.apply(E.SetClipGain(clip_id, round(gain_db, 2)))

    def split(self, frame: int) -> int:
        """Split the selected clips (or, with none selected, every clip) under `frame`;
        how many were split."""
        chosen = [c for _, c in self.selected()] or [
            c for t in self.project.tracks for c in t.clips]
        parts = [E.SplitClip(c.id, frame) for c in chosen if c.position < frame < c.end]
        if not parts:
            self.report("There is no clip under the cursor to split.")
            return 0
        return len(parts) if self.apply(E.Compound("Split", parts)) else 0

    def delete(self) -> int:
        chosen = self.selected()
        if not chosen:
            self.report("Select clips to delete first.")
            return 0
        label = "Delete clip" if len(chosen) == 1 else f"Delete {len(chosen)} clips"
        if self.apply(E.Compound(label, [E.RemoveClip(c.id) for _, c in chosen])):
            self.selection.clips.clear()
            return len(chosen)
        return 0

    def duplicate(self) -> list[str]:
        """Copies of the selected clips right after the selection; the copies are selected."""
        rng = self.selection_range()
        if rng is None:
            self.report("Select clips to duplicate first.")
            return []
        return self._place([ClipboardItem(t, c, self._automation_under(c))
                            for t, c in self.selected()],
                           rng[1] - rng[0], "Duplicate")

    def copy(self) -> int:
        chosen = self.selected()
        if not chosen:
            self.report("Select clips to copy first.")
            return 0
        start = chosen[0][1].position
        self.clipboard = []
        for track_id, clip in chosen:
            c = copy.deepcopy(clip)
            c.position -= start
            self.clipboard.append(ClipboardItem(track_id, c, self._automation_under(clip)))
        return len(self.clipboard)

    def _automation_under(self, clip: Clip) -> dict[str, list[AutomationPoint]]:
        """The automation points under a clip, relative to its start, when they go with it."""
        if not self.move_automation:
            return {}
        track, _ = self.project.find_clip(clip.id)
        out = {}
        for lane in track.automation:
            points = [AutomationPoint(p.time - clip.position, p.value, p.interp)
                      for p in lane.points if clip.position <= p.time < clip.end]
            if points:
                out[lane.param] = points
        return out

    def paste(self, frame: int) -> list[str]:
        if not self.clipboard:
            self.report("Nothing to paste: copy clips first (Ctrl+C).")
            return []
        return self._place(self.clipboard, frame, "Paste")

    def _place(self, items: list[ClipboardItem], offset: int, label: str) -> list[str]:
        ids = {t.id for t in self.project.tracks}
        adds, new_ids = [], []
        for item in items:
            if item.track_id not in ids:
                continue
            c = copy.deepcopy(item.clip)
            c.id = new_id()
            c.position += offset
            adds.append(E.AddClip(item.track_id, c))
            adds += [PasteAutomation(item.track_id, param, points, c.position, c.length)
                     for param, points in item.automation.items()]
            new_ids.append(c.id)
        if not adds:
            self.report("The tracks those clips came from are gone.")
            return []
        if not self.apply(E.Compound(label, adds)):
            return []
        self.select_many(set(new_ids))
        return new_ids

    def nudge(self, direction: int) -> bool:
        chosen = self.selected()
        if not chosen:
            return False
        step = int(round(self.grid_step() / 4)) * direction
        return self.move([c.id for _, c in chosen], step)

    def toggle_mute(self) -> bool:
        chosen = self.selected()
        if not chosen:
            self.report("Select clips to mute first.")
            return False
        mute = not all(c.mute for _, c in chosen)
        return self.apply(E.Compound("Mute clips" if mute else "Unmute clips",
                                     [E.SetClipMute(c.id, mute) for _, c in chosen]))

    def rename(self, clip_id: str, name: str) -> bool:
        return self.apply(E.RenameClip(clip_id, name.strip()))

"""Random edit sequences: every step undoes and redoes exactly, the project stays valid,
and undo all, redo all and save-then-open give back the same project."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from app.session import edits as e
from app.session.model import (
    AutomationPoint,
    Clip,
    CompRange,
    CueMix,
    FadeShape,
    Interp,
    Marker,
    MediaFile,
    MonitorMode,
    Project,
    Send,
    Take,
    Track,
    TrackKind,
)
from app.session.store import create_project, open_project, save_project, validate

PICK = st.integers(0, 10_000)
FRAMES = st.integers(-100, 12_000)
NAMES = st.text(max_size=10)
COLOURS = st.sampled_from(["#112233", "#ABCDEF", "blue", "#12345"])
SHAPES = st.sampled_from([*FadeShape, None])

PARAMS: dict[str, st.SearchStrategy] = {
    "fader_db": st.floats(-150, 30),
    "trim_db": st.floats(-30, 30) | st.just(float("inf")),
    "pan": st.floats(-1.5, 1.5),
    "hpf_freq": st.floats(1, 30000),
    "eq.1.gain_db": st.floats(-24, 24),
    "eq.2.freq": st.floats(5, 30000),
    "eq.3.q": st.floats(0, 60),
    "eq.0.kind": st.sampled_from(["peak", "low_shelf", "high_shelf", "notch"]),
    "comp_ratio": st.floats(0.5, 30),
    "comp_on": st.booleans(),
    "mute": st.booleans() | st.just(1),
    "solo": st.booleans(),
    "sends.0.level_db": st.floats(-120, 10),
    "sends.0.pre": st.booleans(),
}
LANE_PARAMS = ["fader_db", "pan", "eq.1.gain_db", "mute", "sends.0.level_db", "sends.1.level_db",
               "cue"]


def pick(items: list, i: int):
    return items[i % len(items)]


def write_wav(folder: Path, name: str, frames: int, channels: int) -> MediaFile:
    data = np.linspace(-0.5, 0.5, frames * channels, dtype=np.float32).reshape(frames, channels)
    sf.write(folder / "audio" / name, data, 48000, subtype="FLOAT")
    return MediaFile(f"audio/{name}", frames, channels, 48000, name)


class EditMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory(prefix="glassroom-edits-")
        self.folder = Path(self._tmp.name) / "Song.glassroom"
        project = create_project(self.folder)
        a = write_wav(self.folder, "a.wav", 4800, 1)
        b = write_wav(self.folder, "b.wav", 9600, 2)
        project.media = {a.id: a, b.id: b}
        vocal = Track("Vocal")
        vocal.clips.append(Clip(a.id, 100, 4000, source_offset=200, fade_in=50, fade_out=80))
        take = Take(b.id, 0, 9600)
        vocal.takes.takes.append(take)
        vocal.takes.comp.append(CompRange(take.id, 0, 9600))
        bus = Track("Reverb", TrackKind.BUS, bus_effect="reverb")
        vocal.strip.sends.append(Send(bus.id, -12.0))
        project.tracks = [vocal, Track("Guitar"), bus]
        project.cues.append(CueMix("Drums"))
        project.control_room.source = project.cues[0].id
        project.markers.append(Marker("Intro", 0))
        self.history = e.EditHistory(project)
        self.project: Project = project
        self.media_count = 2
        self.initial = copy.deepcopy(project)
        # snapshots[k]: the project after k undo steps; the saved one, when reachable
        self.snapshots = [copy.deepcopy(project)]
        self.saved: Project | None = None

    def teardown(self) -> None:
        try:
            final = copy.deepcopy(self.project)
            index = self.history.index
            while self.history.can_undo:
                self.history.undo()
            assert self.project == self.initial
            while self.history.can_redo:
                self.history.redo()
            assert self.project == self.snapshots[-1]
            while self.history.index > index:
                self.history.undo()
            assert self.project == final
            save_project(self.project, self.folder)
            assert open_project(self.folder).project == final
        finally:
            self._tmp.cleanup()

    # -- applying ----------------------------------------------------------------

    def apply(self, edit: e.Edit) -> None:
        before = copy.deepcopy(self.project)
        index, count = self.history.index, self.history.count
        try:
            merged = self.history.apply(edit)
        except e.EditError as error:
            assert str(error)
            assert self.project == before, f"refused {edit!r} changed the project"
            assert (self.history.index, self.history.count) == (index, count)
            return
        del self.snapshots[index + 1:]
        if merged:
            self.snapshots[-1] = copy.deepcopy(self.project)
        else:
            self.snapshots.append(copy.deepcopy(self.project))
        assert len(self.snapshots) == self.history.index + 1

    def audio_tracks(self) -> list[Track]:
        return [t for t in self.project.tracks if t.kind is TrackKind.AUDIO]

    def clips(self) -> list[Clip]:
        return [c for t in self.project.tracks for c in t.clips]

    def any_track_id(self, i: int) -> str:
        return pick(self.project.all_tracks(), i).id

    # -- history ------------------------------------------------------------------

    @precondition(lambda self: self.history.can_undo)
    @rule()
    def undo(self) -> None:
        self.history.undo()
        assert self.project == self.snapshots[self.history.index]

    @precondition(lambda self: self.history.can_redo)
    @rule()
    def redo(self) -> None:
        self.history.redo()
        assert self.project == self.snapshots[self.history.index]

    @rule()
    def close_merge(self) -> None:
        self.history.close_merge()

    @rule()
    def save(self) -> None:
        save_project(self.project, self.folder)
        self.history.mark_clean()
        self.saved = copy.deepcopy(self.project)
        assert open_project(self.folder).project == self.project

    # -- tracks -------------------------------------------------------------------

    @rule(kind=st.sampled_from([TrackKind.AUDIO, TrackKind.BUS, TrackKind.MASTER]), i=PICK)
    def add_track(self, kind: TrackKind, i: int) -> None:
        self.apply(e.AddTrack(Track(f"T{i}", kind), i % (len(self.project.tracks) + 2)))

    @rule(i=PICK)
    def remove_track(self, i: int) -> None:
        self.apply(e.RemoveTrack(self.any_track_id(i)))

    @rule(i=PICK, name=NAMES)
    def rename_track(self, i: int, name: str) -> None:
        self.apply(e.RenameTrack(self.any_track_id(i), name))

    @rule(i=PICK, j=PICK)
    def reorder_track(self, i: int, j: int) -> None:
        self.apply(e.ReorderTrack(self.any_track_id(i), j % (len(self.project.tracks) + 1)))

    @rule(i=PICK)
    def duplicate_track(self, i: int) -> None:
        self.apply(e.DuplicateTrack(self.any_track_id(i)))

    @rule(i=PICK, colour=COLOURS)
    def set_colour(self, i: int, colour: str) -> None:
        self.apply(e.SetTrackColour(self.any_track_id(i), colour))

    @rule(i=PICK, on=st.booleans(), which=st.sampled_from(["arm", "safe"]))
    def arm_or_safe(self, i: int, on: bool, which: str) -> None:
        cls = e.SetArmed if which == "arm" else e.SetRecordSafe
        self.apply(cls(self.any_track_id(i), on))

    @rule(i=PICK, mode=st.sampled_from([*MonitorMode, "loud"]))
    def monitor(self, i: int, mode: MonitorMode | str) -> None:
        self.apply(e.SetMonitor(self.any_track_id(i), mode))

    @rule(i=PICK, channels=st.lists(st.integers(-1, 3), max_size=3))
    def set_input(self, i: int, channels: list[int]) -> None:
        self.apply(e.SetInput(self.any_track_id(i), channels))

    @rule(i=PICK, j=PICK, via_send=st.booleans())
    def route(self, i: int, j: int, via_send: bool) -> None:
        dest = pick(["", *(b.id for b in self.project.buses())], j)
        if via_send:
            self.apply(e.SetParam(self.any_track_id(i), "sends.0.bus", dest))
        else:
            self.apply(e.SetTrackOutput(self.any_track_id(i), dest))

    @rule(i=PICK, j=PICK, k=st.integers(-1, 2), add=st.booleans())
    def add_or_remove_send(self, i: int, j: int, k: int, add: bool) -> None:
        track_id = self.any_track_id(i)
        if add:
            buses = ["nope", *(b.id for b in self.project.buses())]
            self.apply(e.AddSend(track_id, pick(buses, j)))
        else:
            self.apply(e.RemoveSend(track_id, k))

    @rule(i=PICK, path=st.sampled_from(sorted(PARAMS)), data=st.data(), drag=st.integers(1, 4))
    def set_param(self, i: int, path: str, data: st.DataObject, drag: int) -> None:
        track_id = self.any_track_id(i)
        for _ in range(drag):
            self.apply(e.SetParam(track_id, path, data.draw(PARAMS[path])))

    # -- clips -----------------------------------------------------------------------

    @rule(i=PICK, m=PICK, offset=FRAMES, length=FRAMES, position=FRAMES)
    def add_clip(self, i: int, m: int, offset: int, length: int, position: int) -> None:
        media = pick(list(self.project.media), m)
        track = self.any_track_id(i)
        self.apply(e.AddClip(track, Clip(media, position, length, source_offset=offset)))

    @rule(i=PICK, frames=st.integers(0, 3000))
    def import_clip(self, i: int, frames: int) -> None:
        self.media_count += 1
        media = write_wav(self.folder, f"import{self.media_count}.wav", frames, 1)
        track = self.any_track_id(i)
        self.apply(e.AddClip(track, Clip(media.id, 0, frames), media))

    @precondition(lambda self: self.clips())
    @rule(i=PICK)
    def remove_clip(self, i: int) -> None:
        self.apply(e.RemoveClip(pick(self.clips(), i).id))

    @precondition(lambda self: self.clips())
    @rule(i=PICK, j=PICK, position=FRAMES, other_track=st.booleans())
    def move_clip(self, i: int, j: int, position: int, other_track: bool) -> None:
        track = self.any_track_id(j) if other_track else None
        self.apply(e.MoveClip(pick(self.clips(), i).id, position, track))

    @precondition(lambda self: self.clips())
    @rule(i=PICK, delta=st.integers(-300, 3000) | st.integers(-5000, 5000), start=st.booleans())
    def trim(self, i: int, delta: int, start: bool) -> None:
        clip = pick(self.clips(), i)
        if start:
            self.apply(e.TrimClipStart(clip.id, clip.position + delta))
        else:
            self.apply(e.TrimClipEnd(clip.id, clip.end + delta))

    @precondition(lambda self: self.clips())
    @rule(i=PICK, where=st.floats(-0.1, 1.1))
    def split(self, i: int, where: float) -> None:
        clip = pick(self.clips(), i)
        self.apply(e.SplitClip(clip.id, clip.position + int(where * clip.length)))

    @precondition(lambda self: self.clips())
    @rule(i=PICK, fade_in=st.none() | FRAMES, fade_out=st.none() | FRAMES,
          shape_in=SHAPES, shape_out=SHAPES)
    def fades(self, i: int, fade_in, fade_out, shape_in, shape_out) -> None:
        clip = pick(self.clips(), i)
        self.apply(e.SetClipFades(clip.id, fade_in, fade_out, shape_in, shape_out))

    @precondition(lambda self: self.clips())
    @rule(i=PICK, gain=st.floats(-200, 60), mute=st.booleans(), name=NAMES)
    def clip_details(self, i: int, gain: float, mute: bool, name: str) -> None:
        clip_id = pick(self.clips(), i).id
        self.apply(e.SetClipGain(clip_id, gain))
        self.apply(e.SetClipMute(clip_id, mute))
        self.apply(e.RenameClip(clip_id, name))

    @precondition(lambda self: len(self.clips()) >= 2)
    @rule(i=PICK, j=PICK)
    def delete_two_clips(self, i: int, j: int) -> None:
        clips = self.clips()
        self.apply(e.Compound("Delete clips", [e.RemoveClip(pick(clips, i).id),
                                               e.RemoveClip(pick(clips, j).id)]))

    # -- takes ------------------------------------------------------------------------

    @rule(i=PICK, frames=st.integers(0, 2000), position=FRAMES)
    def record_take(self, i: int, frames: int, position: int) -> None:
        self.media_count += 1
        media = write_wav(self.folder, f"take{self.media_count}.wav", frames, 1)
        track = self.any_track_id(i)
        take = Take(media.id, position, frames)
        self.apply(e.Compound("Record", [
            e.AddMedia(media),
            e.AddTake(track, take),
            e.AddClip(track, Clip(media.id, position, frames)),
        ]))

    @precondition(lambda self: any(t.takes.takes for t in self.project.tracks))
    @rule(i=PICK, j=PICK, start=FRAMES, length=st.integers(-10, 8000), remove=st.booleans())
    def comp(self, i: int, j: int, start: int, length: int, remove: bool) -> None:
        track = pick([t for t in self.project.tracks if t.takes.takes], i)
        take = pick(track.takes.takes, j)
        if remove:
            self.apply(e.RemoveTake(track.id, take.id))
        else:
            self.apply(e.CompTake(track.id, take.id, start, start + length))

    @precondition(lambda self: any(t.takes.takes for t in self.project.tracks))
    @rule(i=PICK, keep=st.integers(0, 3))
    def set_comp(self, i: int, keep: int) -> None:
        track = pick([t for t in self.project.tracks if t.takes.takes], i)
        self.apply(e.SetComp(track.id, track.takes.comp[:keep]))

    # -- timeline ----------------------------------------------------------------------

    @rule(name=NAMES, position=FRAMES)
    def add_marker(self, name: str, position: int) -> None:
        self.apply(e.AddMarker(name, position))

    @precondition(lambda self: self.project.markers)
    @rule(i=PICK, position=FRAMES, name=NAMES, action=st.sampled_from(["move", "rename", "rm"]))
    def change_marker(self, i: int, position: int, name: str, action: str) -> None:
        marker_id = pick(self.project.markers, i).id
        if action == "move":
            self.apply(e.MoveMarker(marker_id, position))
        elif action == "rename":
            self.apply(e.RenameMarker(marker_id, name))
        else:
            self.apply(e.RemoveMarker(marker_id))

    @rule(bpm=st.floats(0, 1200), num=st.integers(0, 70), den=st.integers(0, 33))
    def tempo_and_meter(self, bpm: float, num: int, den: int) -> None:
        self.apply(e.SetTempo(bpm))
        self.apply(e.SetMeter(num, den))

    @rule(start=FRAMES, length=st.integers(-10, 5000), on=st.booleans(), loop=st.booleans())
    def set_range(self, start: int, length: int, on: bool, loop: bool) -> None:
        cls = e.SetLoop if loop else e.SetPunch
        self.apply(cls(start, start + length, on))

    # -- automation ---------------------------------------------------------------------

    def lane_param(self, k: int) -> str:
        param = pick(LANE_PARAMS, k)
        return f"cue.{self.project.cues[0].id}.level_db" if param == "cue" and self.project.cues \
            else param

    @rule(i=PICK, k=PICK)
    def add_lane(self, i: int, k: int) -> None:
        self.apply(e.AddAutomationLane(self.any_track_id(i), self.lane_param(k)))

    def lanes(self) -> list[tuple[str, str, int]]:
        return [(t.id, a.param, len(a.points)) for t in self.project.all_tracks()
                for a in t.automation]

    @precondition(lambda self: self.lanes())
    @rule(i=PICK, j=PICK, time=FRAMES, value=st.floats(-30, 3),
          action=st.sampled_from(["add", "move", "remove", "remove_lane"]), drag=st.integers(1, 3))
    def automate(self, i: int, j: int, time: int, value: float, action: str, drag: int) -> None:
        track_id, param, n = pick(self.lanes(), i)
        if action == "add":
            self.apply(e.AddAutomationPoint(track_id, param, AutomationPoint(time, value)))
        elif action == "move":
            index = j % (n + 1)
            for step in range(drag):
                edit = e.MoveAutomationPoint(track_id, param, index, time + 100 * step, value)
                self.apply(edit)
                index = edit.new_index
        elif action == "remove":
            self.apply(e.RemoveAutomationPoint(track_id, param, j % (n + 1)))
        else:
            self.apply(e.RemoveAutomationLane(track_id, param))

    @precondition(lambda self: self.lanes())
    @rule(i=PICK, times=st.lists(st.integers(-5, 20000), max_size=6), value=st.floats(-1, 0))
    def write_pass(self, i: int, times: list[int], value: float) -> None:
        track_id, param, _ = pick(self.lanes(), i)
        points = [AutomationPoint(t, value, Interp.HOLD) for t in times]
        self.apply(e.SetAutomationPoints(track_id, param, points))

    # -- cue mixes -----------------------------------------------------------------------

    @rule(name=NAMES, output=st.integers(-1, 8))
    def add_cue(self, name: str, output: int) -> None:
        self.apply(e.AddCue(CueMix(name, output)))

    @precondition(lambda self: self.project.cues)
    @rule(i=PICK, j=PICK, level=st.none() | st.floats(-130, 30), pan=st.none() | st.floats(-2, 2),
          pre=st.none() | st.booleans(), drag=st.integers(1, 3))
    def cue_send(self, i: int, j: int, level, pan, pre, drag: int) -> None:
        cue_id = pick(self.project.cues, i).id
        track_id = self.any_track_id(j)
        for step in range(drag):
            nudged = None if level is None else level - step
            self.apply(e.SetCueSend(cue_id, track_id, level_db=nudged, pan=pan, pre=pre))

    @precondition(lambda self: self.project.cues)
    @rule(i=PICK, name=NAMES, output=st.integers(-1, 8), click=st.floats(-130, 30),
          action=st.sampled_from(["rename", "output", "click", "remove"]))
    def change_cue(self, i: int, name: str, output: int, click: float, action: str) -> None:
        cue_id = pick(self.project.cues, i).id
        if action == "rename":
            self.apply(e.RenameCue(cue_id, name))
        elif action == "output":
            self.apply(e.SetCueOutput(cue_id, output))
        elif action == "click":
            self.apply(e.SetCueParam(cue_id, "click_db", click))
        else:
            self.apply(e.RemoveCue(cue_id))

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def project_is_valid(self) -> None:
        p = self.project
        validate(p)
        for track in p.tracks:
            for clip in track.clips:
                media = p.media[clip.media]
                assert clip.length >= 1 and clip.position >= 0 and clip.source_offset >= 0
                assert clip.source_offset + clip.length <= media.frames
                assert clip.fade_in + clip.fade_out <= clip.length
            spans = {k.id: (k.position, k.position + k.length) for k in track.takes.takes}
            end = 0
            for r in track.takes.comp:
                assert end <= r.start < r.end
                assert spans[r.take][0] <= r.start and r.end <= spans[r.take][1]
                end = r.end
            for lane in track.automation:
                times = [pt.time for pt in lane.points]
                assert times == sorted(times)
            for send in track.strip.sends:
                assert p.track(send.bus).kind is TrackKind.BUS
            assert track.output in {"", *(b.id for b in p.buses())}
            assert not (track.armed and track.record_safe)
        for track in p.all_tracks():
            assert track.id not in e.downstream(p, track.id), f"{track.name} feeds itself"
        assert [m.position for m in p.markers] == sorted(m.position for m in p.markers)
        for cue in p.cues:
            assert all(p.track(t).kind is not TrackKind.MASTER for t in cue.sends)
        assert p.control_room.source in {"main", "ext", *(c.id for c in p.cues)}

    @invariant()
    def history_matches_snapshots(self) -> None:
        assert self.project == self.snapshots[self.history.index]
        if not self.history.is_dirty:
            assert self.project == (self.initial if self.saved is None else self.saved)


EditMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestEditStateMachine = EditMachine.TestCase

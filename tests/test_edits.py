"""Undoable edits: each does and undoes exactly, refusals change nothing, drags merge."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from app.session.edits import (
    AddAutomationLane,
    AddAutomationPoint,
    AddClip,
    AddCue,
    AddMarker,
    AddMedia,
    AddSend,
    AddTake,
    AddTrack,
    Change,
    Compound,
    CompTake,
    DuplicateTrack,
    Edit,
    EditError,
    EditHistory,
    MoveAutomationPoint,
    MoveClip,
    MoveMarker,
    RemoveAutomationLane,
    RemoveAutomationPoint,
    RemoveClip,
    RemoveCue,
    RemoveMarker,
    RemoveSend,
    RemoveTake,
    RemoveTrack,
    RenameClip,
    RenameCue,
    RenameMarker,
    RenameTrack,
    ReorderTrack,
    SetArmed,
    SetAutomationMode,
    SetAutomationPoints,
    SetClipFades,
    SetClipGain,
    SetClipMute,
    SetComp,
    SetControlRoom,
    SetCueOutput,
    SetCueParam,
    SetCueSend,
    SetInput,
    SetLoop,
    SetMeter,
    SetMonitor,
    SetParam,
    SetPunch,
    SetRecordSafe,
    SetStripParams,
    SetTempo,
    SetTrackColour,
    SetTrackOutput,
    SplitClip,
    TrimClipEnd,
    TrimClipStart,
    comp_with,
    param_label,
)
from app.session.model import (
    AutomationLane,
    AutomationPoint,
    Clip,
    CompRange,
    CueMix,
    CueSend,
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


def make_project() -> Project:
    """A small session: two audio tracks, a reverb bus, a cue mix, takes and markers."""
    p = Project(name="Song")
    p.media = {
        "m1": MediaFile("audio/vox.wav", 48000, 1, 48000, "vox.wav", id="m1"),
        "m2": MediaFile("audio/gtr.wav", 96000, 2, 48000, "gtr.wav", id="m2"),
    }
    vocal = Track("Vocal", id="vocal")
    vocal.clips = [
        Clip("m1", position=1000, length=20000, source_offset=5000, fade_in=300,
             fade_out=400, fade_in_shape=FadeShape.LINEAR, id="c1"),
        Clip("m1", position=30000, length=10000, id="c2"),
    ]
    vocal.takes.takes = [Take("m2", 0, 50000, id="t1"), Take("m2", 0, 50000, 40000, id="t2")]
    vocal.takes.comp = [CompRange("t1", 0, 20000), CompRange("t2", 20000, 50000)]
    vocal.strip.sends = [Send("reverb", -10.0)]
    vocal.automation = [
        AutomationLane("fader_db", [AutomationPoint(0, -6.0), AutomationPoint(48000, 0.0),
                                    AutomationPoint(96000, -3.0)]),
        AutomationLane("sends.0.level_db", [AutomationPoint(0, -10.0)]),
    ]
    guitar = Track("Guitar", id="guitar", output="reverb")
    guitar.clips = [Clip("m2", position=0, length=96000, id="c3")]
    reverb = Track("Reverb", TrackKind.BUS, id="reverb", bus_effect="reverb")
    p.tracks = [vocal, guitar, reverb]
    p.master.id = "master"
    p.cues = [CueMix("Drummer", id="cue1",
                     sends={"vocal": CueSend(-3.0), "reverb": CueSend(-12.0)})]
    vocal.automation.append(AutomationLane("cue.cue1.level_db", [AutomationPoint(0, -3.0)]))
    p.control_room.source = "cue1"
    p.markers = [Marker("Verse", 0, id="mk1"), Marker("Chorus", 96000, id="mk2")]
    return p


EDITS: dict[str, Callable[[], Edit]] = {
    "add audio track": lambda: AddTrack(Track("Bass", id="bass"), 1),
    "add bus": lambda: AddTrack(Track("Delay", TrackKind.BUS, id="delay")),
    "remove track": lambda: RemoveTrack("vocal"),
    "remove bus with sends and feeds": lambda: RemoveTrack("reverb"),
    "rename track": lambda: RenameTrack("vocal", "Lead vocal"),
    "reorder track": lambda: ReorderTrack("reverb", 0),
    "duplicate track": lambda: DuplicateTrack("vocal"),
    "set colour": lambda: SetTrackColour("guitar", "#AA3300"),
    "arm": lambda: SetArmed("vocal", True),
    "record safe": lambda: SetRecordSafe("vocal", True),
    "monitor": lambda: SetMonitor("vocal", "input"),
    "input": lambda: SetInput("vocal", [2, 3]),
    "route to bus": lambda: SetTrackOutput("vocal", "reverb"),
    "route to master": lambda: SetTrackOutput("guitar", ""),
    "fader": lambda: SetParam("vocal", "fader_db", -6.5),
    "eq point": lambda: SetStripParams("vocal", {"eq.1.freq": 2000.0, "eq.1.gain_db": 4.0}),
    "automation mode": lambda: SetAutomationMode("vocal", "touch"),
    "control room": lambda: SetControlRoom(source="main", dim=True, level_db=-12.0),
    "add send": lambda: AddSend("guitar", "reverb"),
    "remove send with its automation": lambda: RemoveSend("vocal", 0),
    "eq gain": lambda: SetParam("master", "eq.2.gain_db", 3.0),
    "eq kind": lambda: SetParam("vocal", "eq.0.kind", "peak"),
    "send pre": lambda: SetParam("vocal", "sends.0.pre", True),
    "move clip in time": lambda: MoveClip("c1", 2000),
    "move clip to another track": lambda: MoveClip("c1", 500, "guitar"),
    "trim start": lambda: TrimClipStart("c1", 1500),
    "trim end": lambda: TrimClipEnd("c1", 15000),
    "split": lambda: SplitClip("c1", 11000, "c1b"),
    "fades": lambda: SetClipFades("c2", 100, 200, "s_curve", FadeShape.LOG),
    "clip gain": lambda: SetClipGain("c2", -4.0),
    "clip mute": lambda: SetClipMute("c2", True),
    "rename clip": lambda: RenameClip("c2", "Ad lib"),
    "add media": lambda: AddMedia(MediaFile("audio/new.wav", 100, 1, 48000, id="m3")),
    "add clip": lambda: AddClip("guitar", Clip("m1", 100000, 1000, id="c9")),
    "import clip with media": lambda: AddClip(
        "guitar", Clip("m3", 0, 50, id="c9"), MediaFile("audio/new.wav", 100, 1, 48000, id="m3")
    ),
    "remove clip": lambda: RemoveClip("c1"),
    "add take": lambda: AddTake("vocal", Take("m1", 1000, 48000, id="t3")),
    "remove take": lambda: RemoveTake("vocal", "t1"),
    "set comp": lambda: SetComp("vocal", [CompRange("t2", 100, 200)]),
    "comp a range": lambda: CompTake("vocal", "t2", 10000, 15000),
    "add marker": lambda: AddMarker("Bridge", 50000, "mk3"),
    "remove marker": lambda: RemoveMarker("mk1"),
    "rename marker": lambda: RenameMarker("mk1", "Intro"),
    "move marker past another": lambda: MoveMarker("mk1", 100000),
    "tempo": lambda: SetTempo(96.5),
    "meter": lambda: SetMeter(6, 8),
    "loop": lambda: SetLoop(1000, 2000),
    "punch": lambda: SetPunch(5000, 9000),
    "add lane": lambda: AddAutomationLane("guitar", "pan"),
    "remove lane": lambda: RemoveAutomationLane("vocal", "fader_db"),
    "add point": lambda: AddAutomationPoint("vocal", "fader_db", AutomationPoint(24000, -1.0)),
    "move point": lambda: MoveAutomationPoint("vocal", "fader_db", 0, 60000, 2.0),
    "remove point": lambda: RemoveAutomationPoint("vocal", "fader_db", 1),
    "set points": lambda: SetAutomationPoints(
        "vocal", "fader_db", [AutomationPoint(9, 1.0), AutomationPoint(3, 2.0, Interp.HOLD)]
    ),
    "add cue": lambda: AddCue(CueMix("Singer", output=4, id="cue2")),
    "remove cue": lambda: RemoveCue("cue1"),
    "rename cue": lambda: RenameCue("cue1", "Drums"),
    "cue output": lambda: SetCueOutput("cue1", 6),
    "cue click": lambda: SetCueParam("cue1", "click_db", -6.0),
    "cue send level": lambda: SetCueSend("cue1", "vocal", level_db=-1.0),
    "new cue send": lambda: SetCueSend("cue1", "guitar", pan=-0.5, pre=False),
    "compound delete": lambda: Compound("Delete", [RemoveClip("c1"), RemoveClip("c3")]),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_each_edit_does_and_undoes_exactly(name: str) -> None:
    project = make_project()
    before = copy.deepcopy(project)
    edit = EDITS[name]()
    edit.do(project)
    after = copy.deepcopy(project)
    assert project != before, "the edit changed nothing"
    edit.undo(project)
    assert project == before
    edit.do(project)
    assert project == after, "redo gave a different project"
    edit.undo(project)
    assert project == before


REFUSALS: dict[str, tuple[Callable[[], Edit], str]] = {
    "remove master": (lambda: RemoveTrack("master"), "master cannot be removed"),
    "unknown track": (lambda: RenameTrack("nope", "x"), "no track"),
    "empty name": (lambda: RenameTrack("vocal", "  "), "cannot be empty"),
    "add master": (lambda: AddTrack(Track("M2", TrackKind.MASTER)), "only one master"),
    "duplicate id": (lambda: AddTrack(Track("Dup", id="guitar")), "already in use"),
    "bad colour": (lambda: SetTrackColour("vocal", "red"), "#rrggbb"),
    "arm a bus": (lambda: SetArmed("reverb", True), "Reverb is a bus; only audio tracks"),
    "clips on the master": (
        lambda: AddClip("master", Clip("m1", 0, 10)), "is the master; only audio tracks"),
    "bad input": (lambda: SetInput("vocal", [1, 1]), "different channels"),
    "negative input": (lambda: SetInput("vocal", [-1]), "below 0"),
    "pan out of range": (lambda: SetParam("vocal", "pan", 1.5), "within -1 .. 1"),
    "frequency too low": (lambda: SetParam("vocal", "eq.1.freq", 5.0), "within 10 .. 24000"),
    "ratio below 1": (lambda: SetParam("vocal", "comp_ratio", 0.5), "within 1 .. inf"),
    "infinite level": (lambda: SetParam("vocal", "fader_db", float("inf")), "finite"),
    "nan level": (lambda: SetParam("vocal", "trim_db", float("nan")), "finite"),
    "bool for number": (lambda: SetParam("vocal", "fader_db", True), "must be a number"),
    "number for bool": (lambda: SetParam("vocal", "mute", 1), "true or false"),
    "unknown param": (lambda: SetParam("vocal", "eq.9.gain_db", 1.0), "no parameter"),
    "whole list": (lambda: SetParam("vocal", "eq", []), "not a single value"),
    "send to audio track": (lambda: SetParam("vocal", "sends.0.bus", "guitar"), "only go to a bus"),
    "bus into itself": (lambda: SetTrackOutput("reverb", "reverb"), "would make a loop"),
    "master into a bus": (lambda: SetTrackOutput("master", "reverb"), "cannot be routed"),
    "output to audio track": (lambda: SetTrackOutput("vocal", "guitar"), "only feed a bus"),
    "bad eq kind": (lambda: SetParam("vocal", "eq.0.kind", "notch"), "not one of"),
    "negative move": (lambda: MoveClip("c1", -1), "before the start"),
    "move to bus": (lambda: MoveClip("c1", 0, "reverb"), "only audio tracks"),
    "unknown clip": (lambda: MoveClip("zz", 0), "no clip"),
    "trim start to zero length": (lambda: TrimClipStart("c1", 21000), "at least one"),
    "trim start before media": (lambda: TrimClipStart("c2", 29999), "before the beginning"),
    "trim end past media": (lambda: TrimClipEnd("c1", 1000 + 43001), "past the end"),
    "trim end to zero": (lambda: TrimClipEnd("c1", 1000), "at least one"),
    "split at start": (lambda: SplitClip("c1", 1000), "not inside the clip"),
    "split outside": (lambda: SplitClip("c1", 50000), "not inside the clip"),
    "fades too long": (lambda: SetClipFades("c2", 6000, 5000), "do not fit"),
    "bad fade shape": (lambda: SetClipFades("c2", fade_in_shape="wobbly"), "not one of"),
    "clip past media": (lambda: AddClip("vocal", Clip("m1", 0, 48001)), "past the end"),
    "clip of unknown media": (lambda: AddClip("vocal", Clip("m9", 0, 10)), "no media"),
    "media outside folder": (
        lambda: AddMedia(MediaFile("../x.wav", 10, 1, 48000)), "outside the project"),
    "compound half refused": (
        lambda: Compound("Two", [RemoveClip("c1"), RemoveClip("c1")]), "no clip"),
    "take past media": (lambda: AddTake("vocal", Take("m1", 0, 48001)), "past the end"),
    "comp overlap": (
        lambda: SetComp("vocal", [CompRange("t1", 0, 100), CompRange("t2", 50, 200)]),
        "must not overlap"),
    "comp outside take": (lambda: CompTake("vocal", "t1", 40000, 60000), "outside its take"),
    "comp unknown take": (lambda: CompTake("vocal", "t9", 0, 10), "no take"),
    "negative marker": (lambda: AddMarker("x", -5), "before the start"),
    "tempo zero": (lambda: SetTempo(0), "within 20 .. 999"),
    "meter": (lambda: SetMeter(4, 3), "must be one of"),
    "empty loop": (lambda: SetLoop(100, 100), "must end after"),
    "backwards punch": (lambda: SetPunch(100, 50, False), "must end after"),
    "duplicate lane": (lambda: AddAutomationLane("vocal", "fader_db"), "already has a lane"),
    "lane for enum": (lambda: AddAutomationLane("vocal", "eq.0.kind"), "cannot be automated"),
    "point out of range": (
        lambda: AddAutomationPoint("vocal", "fader_db", AutomationPoint(0, float("inf"))),
        "finite"),
    "move missing point": (
        lambda: MoveAutomationPoint("vocal", "fader_db", 7, 0, 0.0), "no point number 7"),
    "cue send for master": (lambda: SetCueSend("cue1", "master", level_db=0.0), "not the master"),
    "new cue hearing the master": (
        lambda: AddCue(CueMix("x", sends={"master": CueSend()})), "not the master"),
    "cue pan": (lambda: SetCueSend("cue1", "vocal", pan=2.0), "within -1 .. 1"),
    "cue output": (lambda: SetCueOutput("cue1", -2), "below 0"),
    "second send to one bus": (lambda: AddSend("vocal", "reverb"), "already sends to Reverb"),
    "send from the master": (lambda: AddSend("master", "reverb"), "has no sends"),
    "remove a missing send": (lambda: RemoveSend("vocal", 1), "no send number 1"),
    "automation mode": (lambda: SetAutomationMode("vocal", "loud"), "not one of"),
    "control room source": (lambda: SetControlRoom(source="cue9"), "cannot listen to"),
    "arm a safe track": (
        lambda: Compound("x", [SetRecordSafe("vocal", True), SetArmed("vocal", True)]),
        "record-safe"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refusals_leave_the_project_unchanged(name: str) -> None:
    factory, message = REFUSALS[name]
    project = make_project()
    before = copy.deepcopy(project)
    with pytest.raises(EditError, match=message):
        factory().do(project)
    assert project == before


def test_a_refused_edit_is_not_recorded() -> None:
    history = EditHistory(make_project())
    history.apply(SetTempo(100))
    with pytest.raises(EditError):
        history.apply(SetTempo(-3))
    assert history.count == 1 and history.project.tempo == 100.0
    assert history.undo_label == "Set tempo"


def test_fader_drag_merges_into_one_step_until_release() -> None:
    project = make_project()
    history = EditHistory(project)
    for db in (-1.0, -2.0, -3.5, -6.0):
        history.apply(SetParam("vocal", "fader_db", db))
    assert history.count == 1
    assert history.undo_label == "Set Vocal fader"
    history.close_merge()
    history.apply(SetParam("vocal", "fader_db", -9.0))
    assert history.count == 2
    history.apply(SetParam("vocal", "pan", 0.5))  # another parameter: a new step
    assert history.count == 3
    history.undo()
    history.undo()
    assert project.track("vocal").strip.fader_db == -6.0
    history.undo()
    assert project.track("vocal").strip.fader_db == 0.0  # the first old value
    history.redo()
    assert project.track("vocal").strip.fader_db == -6.0  # the latest new value


def test_drags_of_other_kinds_merge() -> None:
    project = make_project()
    history = EditHistory(project)
    before = copy.deepcopy(project)
    history.apply(MoveClip("c1", 3000))
    history.apply(MoveClip("c1", 4000, "guitar"))
    history.apply(MoveClip("c1", 5000))
    history.close_merge()
    history.apply(TrimClipEnd("c3", 50000))
    history.apply(TrimClipEnd("c3", 60000))
    history.close_merge()
    history.apply(MoveMarker("mk1", 200000))
    history.apply(MoveMarker("mk1", 50000))
    history.close_merge()
    history.apply(MoveAutomationPoint("vocal", "fader_db", 0, 70000, 1.0))
    history.apply(MoveAutomationPoint("vocal", "fader_db", 1, 20000, 2.0))
    history.close_merge()
    history.apply(SetCueSend("cue1", "guitar", level_db=-5.0))
    history.apply(SetCueSend("cue1", "guitar", pan=0.25))
    assert history.count == 5
    final = copy.deepcopy(project)
    assert [p.time for p in project.track("vocal").automation[0].points] == [20000, 48000, 96000]
    assert [m.name for m in project.markers] == ["Verse", "Chorus"]
    assert project.track("guitar").clips[-1].position == 5000
    while history.can_undo:
        history.undo()
    assert project == before
    while history.can_redo:
        history.redo()
    assert project == final


def test_moving_a_clip_back_to_its_track_stays_exact() -> None:
    project = make_project()
    history = EditHistory(project)
    history.apply(MoveClip("c1", 3000, "guitar"))
    history.apply(MoveClip("c1", 3000, "vocal"))
    final = copy.deepcopy(project)
    assert [c.id for c in project.track("vocal").clips] == ["c2", "c1"]
    history.undo()
    history.undo()
    history.redo()
    history.redo()
    assert project == final


def test_merging_never_changes_the_saved_step() -> None:
    history = EditHistory(make_project())
    history.apply(SetParam("vocal", "fader_db", -1.0))
    history.mark_clean()
    assert not history.is_dirty
    history.apply(SetParam("vocal", "fader_db", -2.0))
    assert history.count == 2 and history.is_dirty
    history.undo()
    assert not history.is_dirty


def test_clean_state_lost_when_its_branch_is_discarded() -> None:
    history = EditHistory(make_project())
    history.apply(SetTempo(100))
    history.mark_clean()
    history.undo()
    assert history.is_dirty
    history.apply(SetTempo(90))
    history.undo()
    assert history.is_dirty  # the saved tempo 100 can no longer be reached


def test_history_labels_listeners_and_limits() -> None:
    history = EditHistory(make_project())
    seen: list[Change] = []
    unsubscribe = history.subscribe(seen.append)
    assert not history.can_undo and not history.can_redo
    assert history.undo_label == history.redo_label == ""
    with pytest.raises(EditError, match="nothing to undo"):
        history.undo()
    history.apply(MoveClip("c1", 0))
    history.apply(SetParam("vocal", "fader_db", -1.0))
    history.apply(SetParam("vocal", "fader_db", -2.0))
    history.undo()
    assert history.redo_label == "Set Vocal fader"
    assert history.undo_label == "Move clip"
    history.mark_clean()
    assert [(c.action, c.merged) for c in seen] == [
        ("do", False), ("do", False), ("do", True), ("undo", False), ("clean", False)
    ]
    assert not seen[1].edit.structural and seen[0].edit.structural
    unsubscribe()
    history.redo()
    assert len(seen) == 5
    with pytest.raises(EditError, match="nothing to redo"):
        history.redo()


def test_ids_resolve_after_undoing_remove_and_add() -> None:
    project = make_project()
    history = EditHistory(project)
    history.apply(RemoveTrack("vocal"))
    history.apply(AddTrack(Track("Vocal 2", id="v2")))
    history.apply(AddClip("v2", Clip("m1", 0, 100, id="new")))
    history.undo()
    history.undo()
    history.undo()
    history.apply(SetParam("vocal", "fader_db", -4.0))  # the restored track
    history.apply(MoveClip("c1", 0))
    history.undo()
    history.undo()
    history.redo()
    assert project.track("vocal").strip.fader_db == -4.0
    assert project.find_clip("c1")[0].id == "vocal"


def test_removing_a_bus_takes_its_sends_and_renumbers_send_automation() -> None:
    project = make_project()
    vocal = project.track("vocal")
    vocal.strip.sends.insert(0, Send("other", -20.0))
    project.tracks.append(Track("Other", TrackKind.BUS, id="other"))
    vocal.automation.append(AutomationLane("sends.0.level_db"))
    vocal.automation[1].param = "sends.1.level_db"
    before = copy.deepcopy(project)
    edit = RemoveTrack("other")
    edit.do(project)
    assert [s.bus for s in vocal.strip.sends] == ["reverb"]
    assert [a.param for a in vocal.automation] == [
        "fader_db", "sends.0.level_db", "cue.cue1.level_db"]
    edit.undo(project)
    assert project == before
    RemoveTrack("reverb").do(project)
    assert project.track("guitar").output == ""
    assert "reverb" not in project.cue("cue1").sends


def test_removing_a_send_renumbers_the_automation_of_the_sends_after_it() -> None:
    project = make_project()
    project.tracks.append(Track("Delay", TrackKind.BUS, id="delay"))
    history = EditHistory(project)
    history.apply(AddSend("vocal", "delay"))
    vocal = project.track("vocal")
    vocal.automation.append(AutomationLane("sends.1.level_db", [AutomationPoint(0, -4.0)]))
    before = copy.deepcopy(project)
    history.apply(RemoveSend("vocal", 0))
    assert [s.bus for s in vocal.strip.sends] == ["delay"]
    assert [a.param for a in vocal.automation] == [
        "fader_db", "cue.cue1.level_db", "sends.0.level_db"]
    assert history.undo_label == "Remove send from Vocal to Reverb"
    history.undo()
    assert project == before
    history.redo()
    assert [s.bus for s in project.track("vocal").strip.sends] == ["delay"]


def test_routing_loops_through_sends_and_outputs_are_refused() -> None:
    project = make_project()
    project.tracks.append(Track("Delay", TrackKind.BUS, id="delay", output="reverb"))
    project.track("reverb").strip.sends.append(Send("delay"))  # reverb -> delay -> reverb
    before = copy.deepcopy(project)
    with pytest.raises(EditError, match="Reverb into Delay would make a loop"):
        SetParam("reverb", "sends.0.bus", "delay").do(project)
    with pytest.raises(EditError, match="would make a loop"):
        SetTrackOutput("delay", "delay").do(project)
    project.master.strip.sends.append(Send("reverb"))
    with pytest.raises(EditError, match="Master into Reverb would make a loop"):
        SetParam("master", "sends.0.bus", "reverb").do(project)
    project.master.strip.sends.clear()
    assert project == before
    SetTrackOutput("delay", "").do(project)
    assert project.track("delay").output == ""


def test_remove_cue_falls_back_to_main_and_drops_its_lanes() -> None:
    project = make_project()
    RemoveCue("cue1").do(project)
    assert project.control_room.source == "main"
    assert all(not a.param.startswith("cue.") for a in project.track("vocal").automation)


def test_split_arithmetic_with_offsets_and_fades() -> None:
    project = make_project()
    SplitClip("c1", 11000, "right").do(project)
    track = project.track("vocal")
    left, right = track.clips[0], track.clips[1]
    assert (left.id, right.id) == ("c1", "right")
    assert (left.position, left.length, left.source_offset) == (1000, 10000, 5000)
    assert (right.position, right.length, right.source_offset) == (11000, 10000, 15000)
    assert (left.fade_in, left.fade_out, right.fade_in, right.fade_out) == (300, 0, 0, 400)
    assert right.fade_in_shape is FadeShape.LINEAR and left.end == right.position
    SplitClip("right", 11100, "tiny").do(project)
    assert track.clips[1].fade_out == 0 and track.clips[2].fade_out == 400


def test_split_near_the_edge_shortens_the_fade() -> None:
    project = make_project()
    SplitClip("c1", 1100, "r").do(project)
    left = project.find_clip("c1")[1]
    assert left.length == 100 and left.fade_in == 100


def test_trim_arithmetic() -> None:
    project = make_project()
    clip = project.find_clip("c1")[1]
    TrimClipStart("c1", 500).do(project)  # extend left into the media
    assert (clip.position, clip.length, clip.source_offset, clip.end) == (500, 20500, 4500, 21000)
    TrimClipStart("c1", 20800).do(project)
    assert (clip.length, clip.source_offset) == (200, 24800)
    assert (clip.fade_in, clip.fade_out) == (200, 0)  # fades shrink to fit
    TrimClipEnd("c1", 44000).do(project)  # right up to the media's last frame
    assert (clip.length, clip.source_offset + clip.length) == (23200, 48000)
    with pytest.raises(EditError):
        TrimClipEnd("c1", clip.end + 1).do(project)


def test_trim_drag_merges_and_undo_restores_fades() -> None:
    project = make_project()
    before = copy.deepcopy(project)
    history = EditHistory(project)
    history.apply(TrimClipStart("c1", 20900))  # fades clamp to 100
    history.apply(TrimClipStart("c1", 2000))  # drag back out: the merged step keeps them
    assert history.count == 1
    clip = project.find_clip("c1")[1]
    assert (clip.fade_in, clip.fade_out) == (100, 0)
    after = copy.deepcopy(project)
    history.undo()
    assert project == before
    history.redo()
    assert project == after


def test_comp_swipe_splits_and_overwrites() -> None:
    comp = [CompRange("a", 0, 100), CompRange("b", 100, 300)]
    assert comp_with(comp, "c", 50, 150) == [
        CompRange("a", 0, 50), CompRange("c", 50, 150), CompRange("b", 150, 300)]
    assert comp_with(comp, "c", 120, 180) == [
        CompRange("a", 0, 100), CompRange("b", 100, 120), CompRange("c", 120, 180),
        CompRange("b", 180, 300)]
    assert comp_with(comp, "a", 100, 200) == [CompRange("a", 0, 200), CompRange("b", 200, 300)]
    assert comp_with(comp, "c", 0, 300) == [CompRange("c", 0, 300)]
    assert comp_with([], "c", 400, 500) == [CompRange("c", 400, 500)]


def test_remove_take_drops_its_comp_ranges() -> None:
    project = make_project()
    RemoveTake("vocal", "t1").do(project)
    assert project.track("vocal").takes.comp == [CompRange("t2", 20000, 50000)]


def test_recorded_take_as_one_step() -> None:
    project = make_project()
    before = copy.deepcopy(project)
    history = EditHistory(project)
    media = MediaFile("audio/take3.wav", 24000, 1, 48000, id="m3")
    history.apply(Compound("Record take", [
        AddMedia(media),
        AddTake("guitar", Take("m3", 1000, 24000, id="t9")),
        AddClip("guitar", Clip("m3", 1000, 24000, id="c9")),
    ]))
    assert history.undo_label == "Record take"
    assert project.find_clip("c9")[1].media == "m3"
    history.undo()
    assert project == before


def test_duplicate_track_gets_new_ids_and_same_ids_on_redo() -> None:
    project = make_project()
    history = EditHistory(project)
    history.apply(DuplicateTrack("vocal", "vocal2"))
    dup = project.track("vocal2")
    original = project.track("vocal")
    assert project.tracks[1] is dup and dup.name == "Vocal copy"
    assert not {c.id for c in dup.clips} & {c.id for c in original.clips}
    assert {r.take for r in dup.takes.comp} == {k.id for k in dup.takes.takes}
    assert project.cue("cue1").sends["vocal2"] == project.cue("cue1").sends["vocal"]
    ids = [c.id for c in dup.clips]
    history.undo()
    history.redo()
    assert [c.id for c in project.track("vocal2").clips] == ids


def test_record_safe_disarms() -> None:
    project = make_project()
    SetArmed("vocal", True).do(project)
    SetRecordSafe("vocal", True).do(project)
    vocal = project.track("vocal")
    assert vocal.record_safe and not vocal.armed
    SetMonitor("vocal", MonitorMode.OFF).do(project)
    assert vocal.monitor is MonitorMode.OFF


def test_points_stay_sorted() -> None:
    project = make_project()
    AddAutomationPoint("vocal", "fader_db", AutomationPoint(50000, 1.0)).do(project)
    edit = MoveAutomationPoint("vocal", "fader_db", 0, 100000, 1.0)
    edit.do(project)
    times = [p.time for p in project.track("vocal").automation[0].points]
    assert times == sorted(times) == [48000, 50000, 96000, 100000]
    assert edit.new_index == 3


def test_param_labels() -> None:
    assert param_label("fader_db") == "fader"
    assert param_label("eq.2.gain_db") == "EQ 3 gain"
    assert param_label("sends.0.level_db") == "send 1 level"

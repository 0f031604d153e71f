"""Hardware control without hardware: the queue, mappings, Mackie Control and the
dispatcher against a real EditHistory (the JACK round trips are in test_control_jack)."""

from __future__ import annotations

import json

import pytest

from app.control.dispatch import ControlDispatcher
from app.control.events import ControlEvent, EventQueue, decode
from app.control.mackie import FADER_TOP, MackieSurface, db_to_raw, raw_to_db
from app.control.mapping import learned, mapped_value
from app.session import store
from app.session.edits import (
    AddMidiMapping,
    EditError,
    EditHistory,
    RemoveMidiMapping,
    RemoveTrack,
    SetParam,
)
from app.session.faders import fader_db, fader_pos
from app.session.model import MidiKind, MidiMapping, MidiMode, Project, Track


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def project_with(n: int) -> Project:
    project = Project()
    project.tracks = [Track(f"T{i + 1}") for i in range(n)]
    return project


def cc(channel: int, number: int, value: int) -> ControlEvent:
    return decode([0xB0 | channel, number, value])


def bend(channel: int, raw: int) -> ControlEvent:
    return decode([0xE0 | channel, raw & 0x7F, raw >> 7])


def note(number: int, velocity: int = 127) -> ControlEvent:
    return decode([0x90, number, velocity])


def test_decode_reads_cc_pitch_bend_and_notes():
    assert cc(3, 7, 100) == ControlEvent(MidiKind.CC, 3, 7, 100, 100 - 128)
    assert bend(2, 12345).value == 12345 and bend(2, 12345).channel == 2
    assert decode([0x80, 0x10, 64]).value == 0  # note-off is a release
    assert decode([0xC0, 5]) is None and decode([0xF8]) is None


def test_the_queue_keeps_the_latest_value_per_control_and_every_button():
    queue = EventQueue(note_backlog=4)
    for i in range(20000):
        queue.put(bend(2, i % FADER_TOP))
        queue.put(cc(0, 16, 1 if i % 4 else 127))  # an encoder: three up, one down
    for n in range(6):
        queue.put(note(0x10 + n % 8, 127 if n % 2 == 0 else 0))
    events, _ = queue.drain()
    continuous = [e for e in events if e.kind is not MidiKind.NOTE]
    assert len(continuous) == 2
    by_kind = {e.kind: e for e in continuous}
    assert by_kind[MidiKind.PITCH].value == 19999 % FADER_TOP
    assert by_kind[MidiKind.PITCH].count == 20000
    assert by_kind[MidiKind.CC].steps == 15000 - 5000
    assert [e.number for e in events if e.kind is MidiKind.NOTE] == [0x12, 0x13, 0x14, 0x15]
    assert queue.dropped == 2 and queue.received == 40006
    assert queue.drain() == ([], []) and len(queue) == 0


def test_the_fader_law_is_the_mixers():
    from app.ui.mixer import widgets

    assert widgets.fader_db is fader_db and widgets.fader_pos is fader_pos
    assert fader_db(fader_pos(-6.0)) == -6.0
    for db in (-60.0, -12.0, 0.0, 6.0, 12.0):
        assert raw_to_db(db_to_raw(db)) == db


def test_mappings_are_saved_with_the_project_and_old_projects_load():
    project = project_with(1)
    history = EditHistory(project)
    mapping = MidiMapping(MidiKind.CC, 0, 7, project.tracks[0].id, "pan", -1.0, 1.0,
                          MidiMode.RELATIVE)
    history.apply(AddMidiMapping(mapping))
    text = store.project_to_text(project)
    loaded, _ = store.project_from_text(text)
    assert loaded.midi_mappings == project.midi_mappings
    assert loaded.midi_mappings[0].mode is MidiMode.RELATIVE

    old = json.loads(text)
    del old["midi_mappings"]
    loaded, _ = store.project_from_text(json.dumps(old))
    assert loaded.midi_mappings == []


def test_learning_a_control_again_replaces_its_mapping_and_undo_brings_it_back():
    project = project_with(2)
    history = EditHistory(project)
    a, b = project.tracks
    first = MidiMapping(MidiKind.CC, 0, 7, a.id, "fader_db")
    history.apply(AddMidiMapping(first))
    history.apply(AddMidiMapping(MidiMapping(MidiKind.CC, 0, 7, b.id, "pan", -1.0, 1.0)))
    assert [m.target for m in project.midi_mappings] == [b.id]
    history.undo()
    assert [m.id for m in project.midi_mappings] == [first.id]
    history.apply(RemoveMidiMapping(first.id))
    assert project.midi_mappings == []
    history.undo()
    assert project.midi_mappings[0].target == a.id


@pytest.mark.parametrize("bad", [
    dict(channel=16), dict(number=128), dict(low=float("nan")), dict(kind="sysex"),
    dict(target="transport", param="eject"), dict(param=""),
])
def test_impossible_mappings_are_refused_with_a_sentence(bad):
    project = project_with(1)
    values = dict(kind=MidiKind.CC, channel=0, number=1, target=project.tracks[0].id,
                  param="pan")
    values.update(bad)
    with pytest.raises(EditError, match="MIDI|transport|parameter"):
        EditHistory(project).apply(AddMidiMapping(MidiMapping(**values)))
    assert project.midi_mappings == []


def test_mapped_values_follow_the_fader_law_ranges_and_switches():
    fader = learned(cc(0, 7, 0), "t", "fader_db", 0.0)
    assert mapped_value(fader, cc(0, 7, 127), 0.0) == 12.0
    assert mapped_value(fader, cc(0, 7, 97), 0.0) == fader_db(97 / 127)
    pan = learned(cc(0, 8, 0), "t", "pan", 0.0)
    assert mapped_value(pan, cc(0, 8, 127), 0.0) == 1.0
    assert mapped_value(pan, cc(0, 8, 0), 0.0) == -1.0
    mute = learned(note(40), "t", "mute", False)
    assert mapped_value(mute, note(40), False) is True
    assert mapped_value(mute, note(40, 0), True) is None  # a release changes nothing
    pan.mode = MidiMode.RELATIVE
    assert mapped_value(pan, ControlEvent(MidiKind.CC, 0, 8, 1, steps=16), 0.0) == 0.25
    assert mapped_value(pan, ControlEvent(MidiKind.CC, 0, 8, 127, steps=-999), 0.0) == -1.0


def test_a_controller_gesture_is_one_undo_step_ended_by_a_pause():
    project = project_with(1)
    history = EditHistory(project)
    clock = Clock()
    dispatcher = ControlDispatcher(history, mackie=False, clock=clock)
    track = project.tracks[0]
    history.apply(AddMidiMapping(MidiMapping(MidiKind.CC, 0, 7, track.id, "fader_db")))
    steps = history.count
    for value in range(10, 100, 10):
        clock.now += 0.05
        dispatcher.process([cc(0, 7, value)])
    assert history.count == steps + 1
    assert track.strip.fader_db == fader_db(90 / 127)
    clock.now += 1.0
    dispatcher.process([])
    dispatcher.process([cc(0, 7, 20)])
    assert history.count == steps + 2
    history.undo()
    assert track.strip.fader_db == fader_db(90 / 127)


def test_a_mapping_to_a_removed_track_is_reported_once_and_kept():
    project = project_with(2)
    history = EditHistory(project)
    said: list[str] = []
    dispatcher = ControlDispatcher(history, report=said.append, mackie=False)
    gone = project.tracks[1]
    history.apply(AddMidiMapping(MidiMapping(MidiKind.CC, 0, 9, gone.id, "pan", -1, 1)))
    history.apply(RemoveTrack(gone.id))
    dispatcher.process([cc(0, 9, 100)])
    dispatcher.process([cc(0, 9, 30)])
    assert len(said) == 1 and "CC 9 on channel 1" in said[0] and "ignored" in said[0]
    assert len(project.midi_mappings) == 1
    history.undo()  # the track is back, and so is its control
    dispatcher.process([cc(0, 9, 127)])
    assert project.track(gone.id).strip.pan == 1.0


def test_learning_refuses_a_parameter_that_does_not_exist():
    project = project_with(1)
    dispatcher = ControlDispatcher(EditHistory(project))
    with pytest.raises(EditError, match="no parameter"):
        dispatcher.learn(project.tracks[0].id, "sends.3.level_db")
    with pytest.raises(EditError, match="transport"):
        dispatcher.learn("transport", "eject")
    assert dispatcher.learning is None


def test_mackie_buttons_bank_and_feedback_without_fighting_the_hand():
    project = project_with(10)
    history = EditHistory(project)
    sent: list[list[int]] = []
    actions: list[str] = []
    dispatcher = ControlDispatcher(history, send=lambda m: sent.extend(m) or len(m),
                                   transport=actions.append)
    dispatcher.process([])
    assert len(sent) == 9 + 8 * 4  # every fader and every LED once
    sent.clear()
    dispatcher.process([note(0x68 + 1), bend(1, 3000)])  # touch strip 2, move it
    history.apply(SetParam(project.tracks[1].id, "fader_db", 3.0))  # the screen moves it
    dispatcher.process([])
    assert not [m for m in sent if m[0] == 0xE1]  # the hand is on it: no motor push
    dispatcher.process([note(0x68 + 1, 0)])  # released: the fader goes where the project is
    assert [0xE1, db_to_raw(3.0) & 0x7F, db_to_raw(3.0) >> 7] in sent
    dispatcher.process([note(0x2F), note(0x10)])  # bank right, mute its first strip
    assert project.tracks[8].strip.mute is True
    assert [0x90, 0x10, 127] in sent
    dispatcher.process([note(0x5E), note(0x56)])
    assert actions == ["play", "loop"]
    surface = MackieSurface()
    assert surface.interpret(note(0x10 + 5), project_with(2)) == []  # no track there

"""Hardware control wired into the window, through a real JACK server's MIDI ports: MIDI
learn from a mixer fader's right-click menu, then a controller's CC moves that fader on
the screen; Mackie transport buttons drive the window's transport; without JACK the
status bar says so and the window carries on."""

from __future__ import annotations

import mido
import pytest
from helpers import shown_window
from jackserver import unique_name
from test_control_jack import FakeController, gone, wait

from app.engine.engine import Engine
from app.session import edits as E
from app.session import store
from app.session.faders import fader_db
from app.session.model import MidiKind, Track


@pytest.fixture
def win(qtbot, tmp_path):
    engine = Engine()
    engine.open("clock")
    folder = tmp_path / "Hands.glassroom"
    project = store.create_project(folder, name="Hands")
    E.EditHistory(project).apply(E.AddTrack(Track("Vocal")))
    store.save_project(project, folder)
    with shown_window(qtbot, engine, tmp_path) as w:
        assert w.open_folder(folder)
        yield w
        w.stop()
        w.enable_control_surface(False)
    engine.close()


def test_without_jack_the_status_bar_says_so_and_nothing_breaks(win, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", unique_name("nojack"))
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    assert not win.midi_learn(win.project.tracks[0].id, "fader_db")
    assert win.surface is None and not win.surface_action.isChecked()
    assert "MIDI control is off" in win.statusBar().currentMessage()
    assert "JACK" in win.statusBar().currentMessage()
    win.push(E.SetParam(win.project.tracks[0].id, "fader_db", -3.0))
    assert win.project.tracks[0].strip.fader_db == -3.0


@pytest.fixture
def rig(win, jack_server):
    assert win.enable_control_surface(True, client_name=unique_name("gr"))
    surface = win.surface
    fake = FakeController(unique_name("fake"))
    client = jack_server.client()
    client.connect(f"{fake.name}-out:out", surface.ports.input_name)
    client.connect(surface.ports.output_name, f"{fake.name}-in:in")
    yield win, fake
    ports = [surface.ports.input_name, surface.ports.output_name]
    win.enable_control_surface(False)
    gone(client, ports)
    fake.close()
    client.close()


def test_midi_learn_from_the_mixer_fader_then_a_cc_moves_it(rig):
    win, fake = rig
    track = win.project.tracks[0]
    strip = win.open_mixer().strips[track.id]
    menu = strip.control_menu("fader_db")
    next(a for a in menu.actions() if a.text() == "MIDI learn").trigger()
    assert win.surface.learning
    assert "MIDI learn" in win.statusBar().currentMessage()
    fake.send(mido.Message("control_change", channel=0, control=7, value=64))
    wait(lambda: win.project.midi_mappings, what="the CC to be learned")
    mapping = win.project.midi_mappings[0]
    assert (mapping.kind, mapping.number, mapping.target, mapping.param) == (
        MidiKind.CC, 7, track.id, "fader_db")
    assert "MIDI learned" in win.statusBar().currentMessage()
    fake.send(mido.Message("control_change", channel=0, control=7, value=127))
    wait(lambda: track.strip.fader_db == fader_db(1.0), what="the fader to follow the CC")
    wait(lambda: strip.fader.value() == fader_db(1.0), what="the mixer's fader to show it")
    fake.send(mido.Message("control_change", channel=0, control=7, value=0))
    wait(lambda: strip.fader.value() == fader_db(0.0), what="the fader to go down")
    menu = strip.control_menu("fader_db")
    forget = next(a for a in menu.actions() if a.text() == "Remove MIDI mapping")
    assert forget.isEnabled()
    forget.trigger()
    assert win.project.midi_mappings == []


def test_midi_learn_from_the_arrange_header(rig):
    win, fake = rig
    track = win.project.tracks[0]
    menu = win.arrange.header_for(track.id).context_menu()
    learn = next(a.menu() for a in menu.actions() if a.text() == "MIDI learn")
    next(a for a in learn.actions() if a.text() == "Pan").trigger()
    fake.send(mido.Message("control_change", channel=2, control=10, value=64))
    wait(lambda: win.project.midi_mappings, what="the pan knob to be learned")
    fake.send(mido.Message("control_change", channel=2, control=10, value=0))
    wait(lambda: track.strip.pan == -1.0, what="pan to follow the knob")
    menu = win.arrange.header_for(track.id).context_menu()
    next(a for a in menu.actions() if a.text() == "Remove MIDI mappings").trigger()
    assert win.project.midi_mappings == []


def test_mackie_transport_buttons_drive_the_window(rig):
    win, fake = rig
    fake.send(mido.Message("note_on", note=0x5E, velocity=127))
    fake.send(mido.Message("note_on", note=0x5E, velocity=0))
    wait(lambda: win.engine.read_feedback().playing, what="play from the controller")
    fake.send(mido.Message("note_on", note=0x5D, velocity=127))
    fake.send(mido.Message("note_on", note=0x5D, velocity=0))
    wait(lambda: not win.engine.read_feedback().playing, what="stop from the controller")


def test_the_window_menu_holds_the_control_surface_submenu(win):
    window_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Window")
    sub = next(a.menu() for a in window_menu.actions() if a.menu() and "Control" in a.text())
    assert win.surface_action in sub.actions() and win.mackie_action in sub.actions()

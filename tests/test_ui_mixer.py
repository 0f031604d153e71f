"""The mixer window driven as a user would: every gesture becomes an edit in the history.

Fader drags (one undo step), fine drags, double-click to 0 dB, typed levels, mute and
solo, the control room, talkback, cue mixes (create, rename, outputs, delete, with their
refusals), the EQ curve and its editor, meters, narrow strips and 256 strips.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from scipy import signal

from app.engine.engine import strip_response_db as response_db
from app.session import edits as E
from app.session.edits import EditHistory
from app.session.model import CueMix, CueSend, EqKind, Project, Send, Track, TrackKind
from app.ui.mixer import MixerWindow
from app.ui.mixer.strip import NARROW, WIDE
from app.ui.mixer.widgets import Meter, fader_db, fader_pos, format_db, parse_db
from app.ui.theme import apply_theme

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def mouse(widget: QWidget, kind: QEvent.Type, pos: QPointF,
          modifiers: Qt.KeyboardModifier = NONE) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else LEFT
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else LEFT
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag(widget: QWidget, start: QPointF, end: QPointF, steps: int = 6,
         modifiers: Qt.KeyboardModifier = NONE) -> None:
    mouse(widget, QEvent.Type.MouseButtonPress, start, modifiers)
    for i in range(1, steps + 1):
        f = i / steps
        mouse(widget, QEvent.Type.MouseMove, start + (end - start) * f, modifiers)
    mouse(widget, QEvent.Type.MouseButtonRelease, end, modifiers)


def make_project(tracks: int = 3) -> Project:
    project = Project(name="Mix")
    bus = Track("Verb", TrackKind.BUS)
    for i in range(tracks):
        t = Track(f"Track {i + 1}")
        t.strip.fader_db = -6.0
        t.strip.sends.append(Send(bus.id, level_db=-12.0))
        project.tracks.append(t)
    project.tracks.append(bus)
    project.cues.append(CueMix("Vocal booth", output=2,
                               sends={t.id: CueSend(-6.0) for t in project.tracks}))
    return project


@pytest.fixture
def mixer(qtbot):
    apply_theme(QApplication.instance())
    project = make_project()
    history = EditHistory(project)
    win = MixerWindow(project, history, None)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitExposed(win)
    return win


def cap_centre(fader) -> QPointF:
    return QPointF(fader.width() / 2, fader._y(fader_pos(fader.value())))


# -- pure helpers --------------------------------------------------------------------------


def test_fader_taper_round_trips_and_parse_db_says_why() -> None:
    for db in (-60.0, -24.0, -6.5, 0.0, 3.2, 12.0):
        assert fader_db(fader_pos(db)) == pytest.approx(db, abs=0.05)
    assert fader_db(0.0) == -120.0
    assert parse_db("-3 dB") == -3.0 and parse_db("-inf") == -120.0
    assert format_db(0.0) == "0.0" and format_db(2.5) == "+2.5" and format_db(-120) == "-inf"
    with pytest.raises(ValueError, match="not a level"):
        parse_db("loud")


# -- the fader -------------------------------------------------------------------------------


def test_fader_drag_is_one_undo_step_and_the_field_shows_the_level(mixer) -> None:
    track = mixer.project.tracks[0]
    strip = mixer.strips[track.id]
    before = mixer.history.count
    start = cap_centre(strip.fader)
    drag(strip.fader, start, start + QPointF(0, -40), steps=8)
    assert mixer.history.count == before + 1
    assert track.strip.fader_db > -6.0
    assert strip.fader.value() == track.strip.fader_db
    assert strip.db_field.text() == format_db(track.strip.fader_db)
    # A second drag is a second step, not merged into the first.
    start = cap_centre(strip.fader)
    drag(strip.fader, start, start + QPointF(0, 20))
    assert mixer.history.count == before + 2
    mixer.history.undo()
    mixer.history.undo()
    assert track.strip.fader_db == -6.0
    assert strip.fader.value() == -6.0 and strip.db_field.text() == "-6.0"


def test_shift_drag_moves_the_fader_a_tenth_as_far(mixer) -> None:
    a, b = mixer.project.tracks[0], mixer.project.tracks[1]
    for track, mods in ((a, NONE), (b, SHIFT)):
        fader = mixer.strips[track.id].fader
        start = cap_centre(fader)
        drag(fader, start, start + QPointF(0, -30), modifiers=mods)
    coarse = fader_pos(a.strip.fader_db) - fader_pos(-6.0)
    fine = fader_pos(b.strip.fader_db) - fader_pos(-6.0)
    assert coarse > 0 and fine > 0
    assert fine == pytest.approx(coarse / 10, rel=0.25)


def test_double_click_sets_0_db(mixer, qtbot) -> None:
    track = mixer.project.tracks[1]
    fader = mixer.strips[track.id].fader
    qtbot.mouseDClick(fader, LEFT, pos=cap_centre(fader).toPoint())
    assert track.strip.fader_db == 0.0
    assert mixer.history.undo_label.startswith("Set Track 2 fader")


def test_typed_level_is_applied_and_nonsense_is_refused(mixer, qtbot) -> None:
    track = mixer.project.tracks[2]
    field = mixer.strips[track.id].db_field
    before = mixer.history.count
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "-7.5")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert track.strip.fader_db == -7.5
    assert mixer.history.count == before + 1
    field.selectAll()
    qtbot.keyClicks(field, "loud")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert track.strip.fader_db == -7.5
    assert "not a level" in mixer.message.text()
    assert field.text() == "-7.5"


# -- switches, solo and the control room -------------------------------------------------


def test_mute_solo_and_clear_solo_are_edits(mixer, qtbot) -> None:
    a, b = mixer.project.tracks[0], mixer.project.tracks[1]
    qtbot.mouseClick(mixer.strips[a.id].mute, LEFT)
    assert a.strip.mute
    qtbot.mouseClick(mixer.strips[a.id].solo, LEFT)
    qtbot.mouseClick(mixer.strips[b.id].solo, LEFT)
    assert a.strip.solo and b.strip.solo
    room = mixer.control_room
    assert room.clear_solo.isEnabled() and "2" in room.clear_solo.text()
    qtbot.mouseClick(room.clear_solo, LEFT)
    assert not a.strip.solo and not b.strip.solo
    assert not room.clear_solo.isEnabled()
    mixer.history.undo()  # clear solo is one step
    assert a.strip.solo and b.strip.solo
    assert mixer.strips[a.id].solo.isChecked()


def test_soloing_while_listening_to_a_cue_says_what_happens(mixer, qtbot) -> None:
    cue = mixer.project.cues[0]
    room = mixer.control_room
    qtbot.mouseClick(room.source_buttons[cue.id], LEFT)
    assert mixer.project.control_room.source == cue.id
    assert room.notice.isHidden()
    track = mixer.project.tracks[0]
    qtbot.mouseClick(mixer.strips[track.id].solo, LEFT)
    assert not room.notice.isHidden()
    assert "listening to Vocal booth" in room.notice.text()
    assert "will not hear it" in room.notice.text()
    qtbot.mouseClick(room.solo_buttons["afl"], LEFT)
    assert mixer.project.control_room.solo_mode == "afl"
    assert "cue mixes themselves never change" in room.notice.text()


def test_control_room_switches_are_undoable_edits(mixer, qtbot) -> None:
    room = mixer.control_room
    qtbot.mouseClick(room.dim, LEFT)
    qtbot.mouseClick(room.mono, LEFT)
    assert mixer.project.control_room.dim and mixer.project.control_room.mono
    mixer.history.undo()
    assert not mixer.project.control_room.mono and not room.mono.isChecked()
    start = QPointF(room.level.width() / 2, 10)
    drag(room.level, start, start + QPointF(0, 30))
    assert mixer.project.control_room.level_db < 0
    assert mixer.history.undo_label == "Set control room level"


def test_talkback_is_held_while_pressed_and_latches_on_double_click(mixer, qtbot) -> None:
    talk = mixer.control_room.talk
    seen: list[bool] = []
    talk.held.connect(seen.append)
    qtbot.mousePress(talk, LEFT)
    assert talk.talking
    qtbot.mouseRelease(talk, LEFT)
    assert not talk.talking
    qtbot.mouseDClick(talk, LEFT)
    qtbot.mouseRelease(talk, LEFT)
    assert talk.talking and talk.latched
    qtbot.mouseClick(talk, LEFT)  # one click ends the latch
    assert not talk.talking
    assert seen == [True, False, True, False]
    box = mixer.control_room.talk_boxes[mixer.project.cues[0].id]
    box.setChecked(False)
    assert mixer.project.cues[0].talkback is False


# -- cue mixes -----------------------------------------------------------------------------


def test_cue_create_rename_and_output_refusals(mixer, qtbot) -> None:
    project = mixer.project
    qtbot.mouseClick(mixer.cues.add, LEFT)
    assert len(project.cues) == 2
    new = project.cues[1]
    assert new.output == 4  # the first pair after the main outputs and the booth
    # It starts as the main mix: every track at its fader level.
    assert new.sends[project.tracks[0].id].level_db == -6.0
    row = mixer.cues.rows[new.id]
    row.name.setText("Drums")
    row.name.editingFinished.emit()
    assert new.name == "Drums"
    row.name.setText("   ")
    row.name.editingFinished.emit()
    assert new.name == "Drums" and "cannot be empty" in mixer.message.text()
    # Two cues on one pair: refused and said.
    row.output.activated.emit(row.output.findData(2))
    assert new.output == 4
    assert "cannot share outputs" in mixer.message.text()
    assert row.output.currentData() == 4
    assert row.output.findData(0) < 0  # the main pair is never offered
    row.output.activated.emit(row.output.findData(6))
    assert new.output == 6


def test_deleting_a_cue_asks_first_and_undo_brings_it_back(mixer, qtbot) -> None:
    project = mixer.project
    cue = project.cues[0]
    qtbot.mouseClick(mixer.control_room.source_buttons[cue.id], LEFT)
    questions: list[str] = []
    answer = [False]

    def confirm(title: str, question: str) -> bool:
        questions.append(question)
        return answer[0]

    mixer.cue_ctx.confirm = confirm
    row = mixer.cues.rows[cue.id]
    qtbot.mouseClick(row.delete, LEFT)
    assert project.cues == [cue]
    assert "Out 3-4" in questions[0] and "listening to it" in questions[0]
    answer[0] = True
    qtbot.mouseClick(row.delete, LEFT)
    assert project.cues == []
    assert project.control_room.source == "main"
    qtbot.waitUntil(lambda: not mixer.cues.rows and cue.id not in
                    mixer.control_room.source_buttons, timeout=2000)
    mixer.history.undo()
    assert project.cues[0].id == cue.id and project.control_room.source == cue.id
    qtbot.waitUntil(lambda: cue.id in mixer.cues.rows, timeout=2000)


def test_cue_editor_levels_copy_main_mix_and_more_me(mixer, qtbot) -> None:
    project = mixer.project
    cue = project.cues[0]
    a, b = project.tracks[0], project.tracks[1]
    editor = mixer.open_cue(cue.id)
    strip = editor.strips[a.id]
    start = cap_centre(strip.fader)
    before = mixer.history.count
    drag(strip.fader, start, start + QPointF(0, -25))
    assert mixer.history.count == before + 1
    assert cue.sends[a.id].level_db > -6.0
    assert strip.field.text() == format_db(cue.sends[a.id].level_db)
    assert a.strip.fader_db == -6.0  # the main mix did not move
    a.strip.pan = 0.0
    qtbot.mouseClick(editor.copy, LEFT)
    assert cue.sends[a.id].level_db == -6.0
    assert mixer.history.undo_label == "Copy the main mix into Vocal booth"
    editor.me.setCurrentIndex(editor.me.findData(a.id))
    qtbot.mouseClick(editor.more, LEFT)
    assert cue.sends[a.id].level_db == -6.0
    assert cue.sends[b.id].level_db == -9.0
    assert editor.strips[b.id].field.text() == "-9.0"
    mixer.history.undo()
    assert cue.sends[b.id].level_db == -6.0


# -- EQ --------------------------------------------------------------------------------------


def test_eq_curve_is_the_rbj_response() -> None:
    project = make_project(1)
    strip = project.tracks[0].strip
    strip.eq[1].kind, strip.eq[1].freq, strip.eq[1].gain_db, strip.eq[1].q = (
        EqKind.PEAK, 1000.0, 6.0, 1.0)
    freqs = np.array([100.0, 1000.0, 5000.0])
    got = response_db(strip, freqs, 48000)
    # The RBJ peaking filter, written out independently.
    a = 10 ** (6.0 / 40)
    w0 = 2 * np.pi * 1000.0 / 48000
    alpha = np.sin(w0) / 2.0
    b_ = [1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a]
    a_ = [1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a]
    _, h = signal.freqz(b_, a_, worN=freqs, fs=48000)
    assert got == pytest.approx(20 * np.log10(np.abs(h)), abs=0.01)
    assert got[1] == pytest.approx(6.0, abs=0.01)
    strip.eq_on = False
    assert np.allclose(response_db(strip, freqs, 48000), 0.0)


def test_eq_editor_drag_moves_a_band_in_one_step(mixer, qtbot) -> None:
    track = mixer.project.tracks[0]
    strip = mixer.strips[track.id]
    qtbot.mouseClick(strip.eq_curve, LEFT)
    editor = mixer.eq_editors[track.id]
    editor.resize(640, 420)
    QApplication.processEvents()
    curve = editor.curve
    r = curve._plot()
    start = curve._band_point(1, r)
    before = mixer.history.count
    drag(curve, start, start + QPointF(60, -40))
    band = track.strip.eq[1]
    assert mixer.history.count == before + 1
    assert band.freq > 400.0 and band.gain_db > 3.0
    assert strip.eq_curve._strip is track.strip
    mixer.history.undo()
    assert band.freq == 400.0 and band.gain_db == 0.0
    assert editor.band_knobs[1][0].value() == 400.0


# -- meters ------------------------------------------------------------------------------------


def test_meter_readout_clip_light_and_reset(qtbot) -> None:
    meter = Meter()
    qtbot.addWidget(meter)
    meter.resize(30, 200)
    meter.set_levels(10 ** (-12 / 20), 10 ** (-15 / 20), 0.033)
    assert meter.peak_text() == "-12.0" and not meter.clipped
    meter.set_levels(0.1, 0.05, 0.033)
    assert meter.peak_text() == "-12.0"  # the readout holds the highest peak
    meter.set_levels(1.0, 0.5, 0.033)
    assert meter.clipped and meter.peak_text() == "0.0"
    qtbot.mouseClick(meter, LEFT, pos=QPoint(10, 5))
    assert not meter.clipped and meter.peak_text() == "-inf"


# -- layout ------------------------------------------------------------------------------------


def test_strips_follow_track_order_and_narrow_mode(mixer, qtbot) -> None:
    project = mixer.project
    last = project.tracks[2]
    mixer.history.apply(E.ReorderTrack(last.id, 0))
    qtbot.waitUntil(lambda: mixer.strips_box.itemAt(0).widget() is mixer.strips[last.id],
                    timeout=2000)
    mixer.history.apply(E.AddTrack(Track("New one")))
    qtbot.waitUntil(lambda: len(mixer.strips) == len(project.all_tracks()), timeout=2000)
    order = [mixer.strips_box.itemAt(i).widget().track_id for i in range(len(project.tracks))]
    assert order == [t.id for t in project.tracks]
    assert mixer.strips[project.master.id].parent() is not mixer.strips_host
    qtbot.mouseClick(mixer.narrow_button, LEFT)
    assert all(s.width() == NARROW for s in mixer.strips.values())
    assert mixer.strips[last.id].comp_thr.isHidden()
    mixer.set_narrow(False)
    assert all(s.width() == WIDE for s in mixer.strips.values())


def test_256_strips_scroll_and_meter(qtbot) -> None:
    from app.engine.engine import Feedback, StripMeter

    project = Project(name="Big")
    project.tracks = [Track(f"T{i}") for i in range(256)]
    history = EditHistory(project)
    win = MixerWindow(project, history, None)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitExposed(win)
    assert len(win.strips) == 257
    bar = win.scroll.horizontalScrollBar()
    assert bar.maximum() > 200 * WIDE
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    assert not win.strips[project.master.id].visibleRegion().isEmpty()  # pinned, always seen
    assert not win.strips[project.tracks[-1].id].visibleRegion().isEmpty()
    assert win.strips[project.tracks[0].id].visibleRegion().isEmpty()
    feedback = Feedback(meters={t.id: StripMeter(0.5, 0.25) for t in project.all_tracks()})
    win.show_feedback(feedback, 0.033)
    assert win.strips[project.tracks[-1].id].meter.peak_text() == "-6.0"


def test_the_qt_undo_stack_sees_a_fader_drag_as_one_command(qtbot) -> None:
    from app.ui.undo import UndoMirror

    project = make_project(1)
    history = EditHistory(project)
    mirror = UndoMirror(history)
    win = MixerWindow(project, mirror, None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    track = project.tracks[0]
    fader = win.strips[track.id].fader
    start = cap_centre(fader)
    drag(fader, start, start + QPointF(0, -30), steps=10)
    assert mirror.stack.count() == 1
    mirror.stack.undo()
    assert track.strip.fader_db == -6.0 and fader.value() == -6.0


def test_automation_mode_and_monitor_are_edits_and_bad_room_values_are_refused(mixer) -> None:
    from app.session.edits import EditError, SetAutomationMode, SetControlRoom

    track = mixer.project.tracks[0]
    strip = mixer.strips[track.id]
    strip.automation.menu().actions()[2].trigger()  # Touch
    assert track.automation_mode == "touch" and strip.automation.text() == "Touch"
    strip.monitor.click()
    assert track.monitor == "input" and strip.monitor.text() == "Input"
    mixer.history.undo()
    assert track.monitor == "auto" and strip.monitor.text() == "Auto"
    with pytest.raises(EditError, match="cannot listen to 'nowhere'"):
        mixer.history.apply(SetControlRoom(source="nowhere"))
    with pytest.raises(EditError, match="not one of"):
        mixer.history.apply(SetAutomationMode(track.id, "sometimes"))
    assert mixer.project.control_room.source == "main"


def test_hours_of_meter_repaints_cannot_run_none_out(mixer) -> None:
    import sys

    # PySide6 6.12.0 drops a reference to None on each call that returns nothing; on
    # Python 3.11 that aborts the process (pyproject.toml keeps it out). 300k calls
    # is a few minutes of metering.
    meter = next(iter(mixer.strips.values())).meter
    before = sys.getrefcount(None)
    for _ in range(300_000):
        meter.update()
    assert sys.getrefcount(None) > before - 1000


def test_loudness_gain_reduction_and_cue_meters_show_when_feedback_has_them(mixer) -> None:
    from types import SimpleNamespace

    from app.engine.engine import Feedback, StripMeter

    panel = mixer.loudness
    mixer.show_feedback(Feedback(), 0.033)  # nothing measured yet: silence
    assert [v.text() for v in panel.values.values()] == ["-inf", "-inf", "-inf", "0.0", "-inf"]
    mixer.show_feedback(SimpleNamespace(meters={}), 0.033)  # a feedback without loudness
    assert [v.text() for v in panel.values.values()] == ["—"] * 5
    track = mixer.project.tracks[0]
    assert mixer.strips[track.id].gr.reduction() is None
    cue = mixer.project.cues[0]
    editor = mixer.open_cue(cue.id)
    # The fields the mixer reads once the engine reports them.
    richer = SimpleNamespace(
        meters={}, gain_reduction={track.id: 6.0},
        cue_meters={cue.id: StripMeter(10 ** (-9 / 20), 0.1)},
        loudness=SimpleNamespace(momentary=-20.04, short_term=-21.0, integrated=-23.4,
                                 lra=5.25, true_peak=-1.04))
    mixer.show_feedback(richer, 0.033)
    assert panel.values["integrated"].text() == "-23.4"
    assert panel.values["true_peak"].text() == "-1.0"
    assert "#5fb58a" in panel.values["integrated"].styleSheet()  # within 1 LU of -23
    panel.target.setCurrentIndex(1)  # -14 streaming: far off now
    assert "#e0714f" in panel.values["integrated"].styleSheet()
    assert mixer.strips[track.id].gr.reduction() == 6.0
    assert editor.meter.peak_text() == "-9.0"


def test_sends_are_added_from_the_strip_and_loops_and_doubles_are_refused(mixer, qtbot) -> None:
    from app.session.edits import AddSend

    project = mixer.project
    verb = project.tracks[-1]
    delay = Track("Delay", TrackKind.BUS)
    mixer.history.apply(E.AddTrack(delay))
    qtbot.waitUntil(lambda: delay.id in mixer.strips, timeout=2000)
    track = project.tracks[0]
    strip = mixer.strips[track.id]
    menu = strip.add_send.menu()
    menu.aboutToShow.emit()
    actions = {a.text(): a for a in menu.actions()}
    assert not actions["Verb"].isEnabled()  # already sent there
    actions["Delay"].trigger()
    assert [s.bus for s in track.strip.sends] == [verb.id, delay.id]
    assert track.strip.sends[1].level_db == -120.0  # silent until raised
    qtbot.waitUntil(lambda: len(strip._send_rows) == 2, timeout=2000)
    mixer.history.apply(AddSend(verb.id, delay.id))  # the reverb return into the delay
    with pytest.raises(E.EditError, match="loop"):
        mixer.history.apply(AddSend(delay.id, verb.id))
    with pytest.raises(E.EditError, match="already sends"):
        mixer.history.apply(AddSend(track.id, delay.id))
    with pytest.raises(E.EditError, match="no sends"):
        mixer.history.apply(AddSend(project.master.id, delay.id))
    mixer.history.undo()
    mixer.history.undo()
    assert [s.bus for s in track.strip.sends] == [verb.id]
    qtbot.waitUntil(lambda: len(strip._send_rows) == 1, timeout=2000)


def test_a_send_is_removed_from_its_context_menu_and_undo_brings_it_back(mixer, qtbot) -> None:
    project = mixer.project
    verb = project.tracks[-1]
    delay = Track("Delay", TrackKind.BUS)
    mixer.history.apply(E.AddTrack(delay))
    track = project.tracks[0]
    mixer.history.apply(E.AddSend(track.id, delay.id))
    mixer.history.apply(E.SetParam(track.id, "sends.1.level_db", -8.0))
    mixer.history.apply(E.AddAutomationLane(track.id, "sends.1.level_db"))
    strip = mixer.strips[track.id]
    qtbot.waitUntil(lambda: len(strip._send_rows) == 2, timeout=2000)
    knob, pre = strip._send_rows[0]
    assert knob.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    assert pre.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    before = [(s.bus, s.level_db) for s in track.strip.sends]
    actions = {a.text(): a for a in strip.send_menu(0).actions()}
    actions["Remove send"].trigger()
    assert [(s.bus, s.level_db) for s in track.strip.sends] == [(delay.id, -8.0)]
    assert [a.param for a in track.automation] == ["sends.0.level_db"]
    qtbot.waitUntil(lambda: len(strip._send_rows) == 1, timeout=2000)
    assert strip._send_rows[0][0].value() == -8.0
    mixer.history.undo()
    assert [(s.bus, s.level_db) for s in track.strip.sends] == before
    assert [a.param for a in track.automation] == ["sends.1.level_db"]
    assert track.strip.sends[0].bus == verb.id
    qtbot.waitUntil(lambda: len(strip._send_rows) == 2, timeout=2000)

"""Automation lanes in the arrange view, driven with the mouse on the real widgets: each
gesture is one undo step and is checked on the project; a lane drawn with the mouse is
checked on an offline render; the mixer shows what the lane plays while rolling."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import shown_window
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.session import edits as E
from app.session import media, store
from app.session.automation import lane_value, lane_values, param_scale, thin
from app.session.edits.automation import (
    MoveAutomationRange,
    PasteAutomation,
    RemoveAutomationRange,
    SetAutomationInterp,
    SetAutomationLaneVisible,
    ShiftAutomationRange,
)
from app.session.model import AutomationMode, AutomationPoint, CueMix, Interp, Track, TrackKind

RATE = 48000
L = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
MOVE = QEvent.Type.MouseMove
OUT = Path("/tmp/glassroom-test-out")


def _mouse(widget, kind, pos: QPoint, button, mods=NONE) -> None:
    local = QPointF(pos)
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else L
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)),
                        button if kind != MOVE else Qt.MouseButton.NoButton, buttons, mods)
    QApplication.sendEvent(widget, event)


def click(widget, pos: QPoint, mods=NONE) -> None:
    _mouse(widget, QEvent.Type.MouseButtonPress, pos, L, mods)
    _mouse(widget, QEvent.Type.MouseButtonRelease, pos, L, mods)


def drag(widget, start: QPoint, end: QPoint, mods=NONE, steps: int = 8) -> None:
    _mouse(widget, QEvent.Type.MouseButtonPress, start, L, mods)
    for k in range(1, steps + 1):
        _mouse(widget, MOVE, start + (end - start) * k / steps, L, mods)
    _mouse(widget, QEvent.Type.MouseButtonRelease, end, L, mods)


def make_session(folder: Path, tmp: Path, seconds: float = 4.0) -> Path:
    """One track with a steady 0.5-amplitude sine clip from 0."""
    project = store.create_project(folder, name="Auto")
    history = E.EditHistory(project)
    t = np.arange(int(seconds * RATE)) / RATE
    sf.write(tmp / "tone.wav", 0.5 * np.sin(2 * np.pi * 220 * t), RATE)
    res = media.import_audio(tmp / "tone.wav", folder, RATE)
    history.apply(E.import_track_edit(project, res.media, 0))
    store.save_project(project, folder)
    return folder


@pytest.fixture
def win(qtbot, engine, tmp_path):
    with shown_window(qtbot, engine, tmp_path, (1300, 760)) as w:
        assert w.open_folder(make_session(tmp_path / "Auto.glassroom", tmp_path))
        w.arrange.zoom_to_range(0, 4 * RATE)
        w.arrange.editor.snap_on = False
        yield w
        if w.engine is not None:
            w.stop()


def show_lane(win, param: str = "fader_db"):
    """Show a lane through the header's "A" menu, as a person would."""
    track = win.project.tracks[0]
    header = win.arrange.header_for(track.id)
    menu = header.fill_lanes_menu(header.lanes_button.menu())
    action = next(a for a in menu.actions() if a.data() == param)
    action.trigger()
    QApplication.processEvents()
    row = win.arrange.automation_row(track.id, param)
    row.show()
    QApplication.processEvents()
    return track, row.lane


def at(lane, frame: int, value: float) -> QPoint:
    return QPoint(round(lane.scale.x_of(frame)), round(lane.y_of(value)))


def test_a_lane_unfolds_under_its_track_from_the_header(win):
    track, lane = show_lane(win, "pan")
    assert [ln.param for ln in track.automation] == ["pan"]
    assert lane.isVisible() and lane.value_scale.low == -1.0
    header = win.arrange.header_for(track.id)
    assert header.lanes_button.text() == "A1"
    win.undo_action.trigger()
    QApplication.processEvents()
    assert track.automation == [] and win.arrange.automation_rows() == []


def test_click_adds_a_point_and_a_drag_moves_it_in_one_undo_step(win):
    track, lane = show_lane(win)
    steps = win.history.index
    click(lane, at(lane, RATE, -6.0))
    points = track.automation[0].points
    assert len(points) == 1 and abs(points[0].time - RATE) < lane.scale.frames_per_pixel
    assert abs(points[0].value + 6.0) < 0.6
    assert win.history.index == steps + 1
    drag(lane, at(lane, points[0].time, points[0].value), at(lane, 2 * RATE, -24.0))
    assert win.history.index == steps + 2, "a drag is one undo step"
    p = track.automation[0].points[0]
    assert abs(p.time - 2 * RATE) < 2 * lane.scale.frames_per_pixel
    assert abs(p.value + 24.0) < 1.0
    win.undo_action.trigger()
    assert abs(track.automation[0].points[0].time - RATE) < lane.scale.frames_per_pixel


def test_pencil_draws_thinned_points_in_one_step(win):
    track, lane = show_lane(win)
    steps = win.history.index
    drag(lane, at(lane, RATE // 2, -12.0), at(lane, 3 * RATE, 0.0), mods=CTRL, steps=60)
    assert win.history.index == steps + 1
    points = track.automation[0].points
    assert 2 <= len(points) < 20, "a straight stroke thins to a few points"
    assert abs(points[0].value + 12.0) < 0.8 and abs(points[-1].value) < 0.8
    win.undo_action.trigger()
    assert track.automation[0].points == []


def test_range_raise_and_delete(win):
    track, lane = show_lane(win)
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(0, -12.0), AutomationPoint(RATE, -12.0),
        AutomationPoint(2 * RATE, -12.0), AutomationPoint(3 * RATE, -12.0)]))
    win.history.close_merge()
    drag(lane, at(lane, RATE // 2, -30.0), at(lane, 5 * RATE // 2, -30.0))
    assert lane.range is not None
    lo, hi = lane.range
    assert abs(lo - RATE // 2) < 2 * lane.scale.frames_per_pixel
    steps = win.history.index
    y = lane.y_of(-12.0)
    drag(lane, QPoint(round(lane.scale.x_of(3 * RATE // 2)), round(y)),
         QPoint(round(lane.scale.x_of(3 * RATE // 2)), round(y - 12)))
    assert win.history.index == steps + 1
    automation = track.automation[0]
    raised = lane_value(automation, 3 * RATE // 2)
    assert raised > -12.0 + 1.0
    assert lane_value(automation, 0) == -12.0 and lane_value(automation, 3 * RATE) == -12.0
    win.undo_action.trigger()
    assert [p.value for p in automation.points] == [-12.0] * 4
    assert lane.delete_selection()
    assert [p.time for p in track.automation[0].points] == [0, 3 * RATE]


def test_hold_and_linear_shapes_from_the_point_menu(win):
    track, lane = show_lane(win)
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(0, -20.0), AutomationPoint(2 * RATE, 0.0)]))
    automation = track.automation[0]
    assert lane_value(automation, RATE) == pytest.approx(-10.0)
    pos = at(lane, 0, -20.0)
    menu = lane.context_menu(pos.x() + 1, pos.y())
    next(a for a in menu.actions() if a.text().startswith("Hold")).trigger()
    assert automation.points[0].interp is Interp.HOLD
    assert lane_value(automation, RATE) == -20.0
    menu = lane.context_menu(pos.x() + 1, pos.y())
    next(a for a in menu.actions() if a.text().startswith("Linear")).trigger()
    assert automation.points[0].interp is Interp.LINEAR


def test_mode_from_the_header(win):
    track = win.project.tracks[0]
    header = win.arrange.header_for(track.id)
    next(a for a in header.mode_menu.actions() if a.text() == "Latch").trigger()
    assert track.automation_mode is AutomationMode.LATCH
    assert header.mode.text() == "Latch"
    win.undo_action.trigger()
    assert track.automation_mode is AutomationMode.READ
    assert header.mode.text() == "Read"


def test_moving_a_clip_carries_its_automation_when_asked(win):
    track, lane = show_lane(win)
    clip = track.clips[0]
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(RATE, -6.0), AutomationPoint(2 * RATE, -18.0)]))
    ed = win.arrange.editor
    ed.move([clip.id], RATE)
    assert [p.time for p in track.automation[0].points] == [RATE, 2 * RATE]
    win.undo_action.trigger()
    win.move_automation_action.trigger()
    assert ed.move_automation
    steps = win.history.index
    ed.move([clip.id], RATE)
    assert win.history.index == steps + 1
    assert [p.time for p in track.automation[0].points] == [2 * RATE, 3 * RATE]
    win.undo_action.trigger()
    assert [p.time for p in track.automation[0].points] == [RATE, 2 * RATE]
    ed.select(clip.id)
    ed.copy()
    ed.paste(5 * RATE)
    assert [p.time for p in track.automation[0].points] == [RATE, 2 * RATE, 6 * RATE,
                                                            7 * RATE]


def _level_db(x: np.ndarray, ref: np.ndarray, second: float) -> float:
    """The render's level against the unautomated render's, around `second`."""
    a = int(second * RATE)
    return 20 * np.log10(np.sqrt(np.mean(x[a - 1200:a + 1200, 0] ** 2)
                                 / np.mean(ref[a - 1200:a + 1200, 0] ** 2)))


def test_a_lane_drawn_with_the_mouse_plays_in_an_offline_render(win, tmp_path):
    track, lane = show_lane(win)
    for frame, db in ((RATE // 2, -12.0), (2 * RATE, -12.0), (3 * RATE, 0.0)):
        click(lane, at(lane, frame, db))
    automation = track.automation[0]
    assert len(automation.points) == 3

    def render(name: str) -> np.ndarray:
        out = tmp_path / name
        win.engine.render(win.project, win.folder, out, range=(0, 4 * RATE))
        return sf.read(out)[0]

    audio = render("automated.wav")
    win.push(E.SetAutomationMode(track.id, AutomationMode.OFF))
    ref = render("plain.wav")
    # where the lane is flat, and halfway up its ramp (a short window: nearly flat)
    for second in (0.25, 1.0, 1.5, 3.5, 2.5):
        want = lane_value(automation, second * RATE)
        assert abs(_level_db(audio, ref, second) - want) < 0.1, second
    assert _level_db(audio, ref, 1.0) < -11.5


def test_read_mode_snaps_the_mixer_fader_back_to_the_lane(win, qtbot):
    track, lane = show_lane(win)
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(0, -20.0), AutomationPoint(60 * RATE, -20.0)]))
    mixer = win.open_mixer()
    strip = mixer.strips[track.id]
    win.play_stop()
    qtbot.waitUntil(lambda: win.playing(), timeout=5000)
    qtbot.waitUntil(lambda: abs(strip.fader.value() - (-20.0)) < 0.05, timeout=3000)
    fader = strip.fader
    top = QPoint(fader.width() // 2, 8)
    drag(fader, QPoint(fader.width() // 2, fader.height() // 2), top)
    assert track.strip.fader_db > -10.0, "the drag reached the project"
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and abs(fader.value() + 20.0) > 0.05:
        qtbot.wait(20)
    assert abs(fader.value() + 20.0) < 0.05, "the fader shows the lane while it reads"
    win.stop()
    qtbot.waitUntil(lambda: not win.playing(), timeout=5000)
    qtbot.waitUntil(lambda: abs(fader.value() - track.strip.fader_db) < 0.05, timeout=3000)


def test_screenshot_with_an_automation_lane(win):
    track, lane = show_lane(win)
    show_lane(win, "pan")
    lane = win.arrange.automation_row(track.id, "fader_db").lane
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(0, -6.0), AutomationPoint(RATE, -6.0), AutomationPoint(RATE * 3 // 2, 0.0),
        AutomationPoint(5 * RATE // 2, 0.0, Interp.HOLD), AutomationPoint(3 * RATE, -18.0)]))
    pan = win.arrange.automation_row(track.id, "pan").lane
    pan.apply(E.SetAutomationPoints(track.id, "pan", [
        AutomationPoint(0, -0.5), AutomationPoint(2 * RATE, 0.5), AutomationPoint(4 * RATE, 0.0)]))
    lane.range = (int(RATE * 2.2), int(RATE * 2.9))
    QApplication.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    image = win.grab()
    assert image.save(str(OUT / "arrange_automation.png"))
    assert param_scale(track, "fader_db").kind == "fader"


# -- the lane edits and the session helper, without widgets ------------------------------

def _lane_project():
    from app.session.model import AutomationLane, Project

    p = Project()
    t = Track("Vox", id="vox")
    t.automation = [AutomationLane("fader_db", [
        AutomationPoint(0, -6.0), AutomationPoint(48000, 0.0, Interp.HOLD),
        AutomationPoint(96000, -12.0)])]
    p.tracks = [t]
    return p


LANE_EDITS = {
    "shift range": lambda: ShiftAutomationRange("vox", "fader_db", 24000, 72000, 3.0),
    "remove range": lambda: RemoveAutomationRange("vox", "fader_db", 40000, 100000),
    "paste": lambda: PasteAutomation("vox", "fader_db", [AutomationPoint(0, -20.0),
                                                         AutomationPoint(1000, -10.0)], 47000),
    "move range": lambda: MoveAutomationRange("vox", "fader_db", 40000, 60000, 10000),
    "interp": lambda: SetAutomationInterp("vox", "fader_db", 0, Interp.HOLD),
    "hide": lambda: SetAutomationLaneVisible("vox", "fader_db", False),
}


@pytest.mark.parametrize("name", list(LANE_EDITS))
def test_lane_edits_do_undo_and_redo_exactly(name):
    import copy

    p = _lane_project()
    before = copy.deepcopy(p)
    history = E.EditHistory(p)
    history.apply(LANE_EDITS[name]())
    after = copy.deepcopy(p)
    assert after != before
    history.undo()
    assert p == before
    history.redo()
    assert p == after


def test_a_range_raise_keeps_the_curve_outside_the_range():
    p = _lane_project()
    lane = p.tracks[0].automation[0]
    outside = [lane_value(lane, f) for f in (0, 12000, 23999, 72001, 90000)]
    E.EditHistory(p).apply(ShiftAutomationRange("vox", "fader_db", 24000, 72000, 3.0))
    assert [lane_value(lane, f) for f in (0, 12000, 23999, 72001, 90000)] == outside
    assert lane_value(lane, 48000) == 3.0
    assert lane_value(lane, 30000) == pytest.approx(-6.0 + 6.0 * 30000 / 48000 + 3.0)


def test_refused_lane_edits_change_nothing():
    import copy

    p = _lane_project()
    before = copy.deepcopy(p)
    history = E.EditHistory(p)
    for edit in (RemoveAutomationRange("vox", "fader_db", 10, 20),
                 ShiftAutomationRange("vox", "fader_db", 50, 10, 1.0),
                 PasteAutomation("vox", "fader_db", [AutomationPoint(0, float("nan"))], 0),
                 MoveAutomationRange("vox", "fader_db", 0, 100, -10),
                 SetAutomationInterp("vox", "pan", 0, Interp.HOLD)):
        with pytest.raises(E.EditError):
            history.apply(edit)
    assert p == before


def test_lane_values_match_lane_value_and_the_engine_kernel():
    from app.engine.mixer import lane_value as kernel_value

    p = _lane_project()
    lane = p.tracks[0].automation[0]
    frames = np.array([-5.0, 0.0, 100.0, 47999.0, 48000.0, 70000.0, 96000.0, 2e5])
    table = np.array([[pt.time, pt.value, 1.0 if pt.interp is Interp.HOLD else 0.0]
                      for pt in lane.points])
    want = [kernel_value(table, 0, len(table), f) for f in frames]
    assert [lane_value(lane, f) for f in frames] == pytest.approx(want)
    assert lane_values(lane, frames) == pytest.approx(want)


def test_thinning_keeps_corners_and_drops_straight_runs():
    scale = param_scale(Track("x"), "pan")
    ramp = [AutomationPoint(i * 100, -1.0 + i * 0.02) for i in range(51)]
    corner = ramp + [AutomationPoint(5000 + i * 100, 0.0 - i * 0.02) for i in range(1, 51)]
    kept = thin(corner, scale)
    assert [pt.time for pt in kept] == [0, 5000, 10000]


def test_edit_menu_keys_act_on_the_focused_lane(win):
    track, lane = show_lane(win)
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(0, -6.0), AutomationPoint(RATE, -12.0), AutomationPoint(2 * RATE, 0.0)]))
    clips = list(track.clips)
    win.arrange.editor.select(clips[0].id)
    drag(lane, at(lane, RATE // 2, -40.0), at(lane, 3 * RATE // 2, -40.0))
    lane.setFocus()
    win.copy_action.trigger()
    assert win.arrange.automation_clipboard is not None
    win.delete_action.trigger()
    assert [p.time for p in track.automation[0].points] == [0, 2 * RATE]
    assert track.clips == clips, "the selected clip stays: Delete went to the lane"
    win.locate(3 * RATE)
    win.paste_action.trigger()
    times = [p.time for p in track.automation[0].points]
    assert times[:3] == [0, 2 * RATE, 3 * RATE], "the copy starts at the playhead"
    assert abs(times[-1] - 4 * RATE) < 2 * lane.scale.frames_per_pixel
    assert track.automation[0].points[3].value == -12.0


def test_every_strip_parameter_gets_a_lane_on_its_own_scale(win):
    track = win.project.tracks[0]
    win.push(E.AddTrack(Track("Verb", kind=TrackKind.BUS, bus_effect="reverb", id="verb")))
    win.push(E.AddSend(track.id, "verb"))
    win.push(E.AddCue(CueMix("Drums", id="drums")))
    header = win.arrange.header_for(track.id)
    params = [a.data() for a in header.fill_lanes_menu(header.lanes_button.menu()).actions()]
    assert {"fader_db", "pan", "mute", "trim_db", "sends.0.level_db", "cue.drums.level_db",
            "cue.drums.pan", "eq.0.gain_db", "eq.3.freq", "drive_db"} <= set(params)
    for param in params:
        show_lane(win, param)
    rows = {r.param: r for r in win.arrange.automation_rows(track.id)}
    assert list(rows) == params
    kinds = {p: rows[p].lane.value_scale.kind for p in params}
    assert kinds["fader_db"] == kinds["sends.0.level_db"] == kinds["cue.drums.level_db"] == "fader"
    assert kinds["mute"] == "toggle" and kinds["eq.3.freq"] == "log"
    assert rows["eq.0.gain_db"].lane.value_scale.low == -18.0
    assert rows["sends.0.level_db"].name_label.text() == "Send to Verb"
    for row in rows.values():
        assert not row.grab().isNull()
    mute = rows["mute"].lane
    click(mute, QPoint(round(mute.scale.x_of(RATE)), 10))
    point = track.automation[params.index("mute")].points[0]
    assert point.value == 1.0 and point.interp is Interp.HOLD


def test_a_lane_with_thousands_of_points_draws_its_curve_zoomed_out(win):
    track, lane = show_lane(win)
    lane.apply(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(i * 48, -12.0 if i % 2 else -40.0) for i in range(4000)]))
    win.arrange.zoom_to_range(0, 4000 * 48)
    image = lane.grab().toImage()
    x = lane.width() // 2
    column = [image.pixelColor(x, y).lightness() for y in range(lane.height())]
    lit = [y for y, v in enumerate(column) if v > 90]
    assert lit, "the curve shows"
    assert min(lit) <= lane.y_of(-12.0) + 2 and max(lit) >= lane.y_of(-40.0) - 2


def test_removing_a_send_takes_its_lane_away_and_undo_brings_it_back(win):
    track = win.project.tracks[0]
    win.push(E.AddTrack(Track("Verb", kind=TrackKind.BUS, bus_effect="reverb", id="verb")))
    win.push(E.AddSend(track.id, "verb"))
    _, lane = show_lane(win, "sends.0.level_db")
    click(lane, at(lane, RATE, -10.0))
    win.push(E.RemoveSend(track.id, 0))
    QApplication.processEvents()
    assert win.arrange.automation_rows(track.id) == []
    win.undo_action.trigger()
    QApplication.processEvents()
    row = win.arrange.automation_row(track.id, "sends.0.level_db")
    assert len(row.lane.points()) == 1 and not row.lane.grab().isNull()

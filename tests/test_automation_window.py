"""Writing automation from the main window: the arrange lane draws the pass while it is
written, the stopped pass lands as one undo step and the drawing gives way to it; a
wheel step on a fader (which cannot sense touch) writes for as long as it keeps moving;
a Mackie fader touch holds the parameter."""

from __future__ import annotations

import pytest
from helpers import shown_window
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from test_automation_ride import BLOCK, LANE_DB, RATE, song
from test_ui_mixer import mouse

from app.control.dispatch import ControlDispatcher
from app.control.events import ControlEvent
from app.engine import arena as A
from app.engine.compile import auto_key
from app.engine.engine import Engine, PlanError
from app.session import store
from app.session.edits import EditHistory
from app.session.faders import fader_pos
from app.session.model import AutomationMode, MidiKind
from app.ui.mixer.binder import NUDGE_SECONDS, EngineBinder

WAIT_MS = 10_000


@pytest.fixture
def engine():
    e = Engine()
    e.open("clock", blocksize=BLOCK)
    yield e
    e.close()


@pytest.fixture
def window(qtbot, engine, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, _track = song(folder, AutomationMode.TOUCH)
    store.save_project(project, folder)
    with shown_window(qtbot, engine, tmp_path, (1300, 800)) as win:
        assert win.open_folder(folder)
        yield win


def _touch_row(engine: Engine, track_id: str) -> float:
    arena = engine._root.arena
    s = engine._map.strips[track_id]
    return float(arena.auto[1 + auto_key(arena, s, A.P_FADER), A.AF_TOUCH])


def test_the_lane_draws_the_pass_while_written_then_it_is_one_undo_step(window, engine,
                                                                       qtbot):
    track = window.project.tracks[0]
    row = window.arrange.automation_row(track.id, "fader_db")
    mixer = window.open_mixer()
    fader = mixer.strips[track.id].fader
    x = fader.width() / 2
    engine.play()
    qtbot.waitUntil(lambda: engine.read_feedback().position > RATE // 4, timeout=WAIT_MS)
    fader.set_value(LANE_DB)
    mouse(fader, QEvent.Type.MouseButtonPress, QPointF(x, fader._y(fader_pos(LANE_DB))))
    assert _touch_row(engine, track.id) == 1.0  # the press reached the arena
    mouse(fader, QEvent.Type.MouseMove, QPointF(x, fader._y(fader_pos(-12.0))))
    qtbot.waitUntil(lambda: any(v < -11.0 for _t, v in row.lane.provisional()),
                    timeout=WAIT_MS)
    mouse(fader, QEvent.Type.MouseButtonRelease, QPointF(x, fader._y(fader_pos(-12.0))))
    assert _touch_row(engine, track.id) == 0.0
    qtbot.wait(300)
    before_lane = list(track.automation[0].points)
    steps = window.history.count
    engine.stop()
    qtbot.waitUntil(lambda: window.history.count == steps + 1, timeout=WAIT_MS)
    assert window.history.undo_label.startswith("Write automation") or \
        "automation" in window.history.undo_label.lower()
    lane = track.automation[0]
    assert min(p.value for p in lane.points) == pytest.approx(-12.0, abs=0.1)
    qtbot.waitUntil(lambda: not row.lane.provisional(), timeout=WAIT_MS)
    window.history.undo()
    assert track.automation[0].points == before_lane


def test_a_wheel_step_counts_as_touched_until_it_rests(qtbot, engine, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, track = song(folder, AutomationMode.TOUCH)
    engine.load(project, folder)
    history = EditHistory(project)
    binder = EngineBinder(history, engine, folder)
    from app.ui.mixer import MixerWindow

    win = MixerWindow(project, history, engine, folder=folder, poll=False, bind_engine=False)
    win.ctx.touch = binder.touch
    qtbot.addWidget(win)
    fader = win.strips[track.id].fader
    wheel = QWheelEvent(QPointF(5, 5), QPointF(fader.mapToGlobal(QPoint(5, 5))), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(fader, wheel)
    assert _touch_row(engine, track.id) == 1.0
    qtbot.waitUntil(lambda: _touch_row(engine, track.id) == 0.0,
                    timeout=int(NUDGE_SECONDS * 1000) + 2000)
    # a held control is never let go by the pause
    binder.touch(track.id, "fader_db", True)
    QApplication.sendEvent(fader, wheel)
    qtbot.wait(int(NUDGE_SECONDS * 1000) + 200)
    assert _touch_row(engine, track.id) == 1.0
    binder.touch(track.id, "fader_db", False)
    assert _touch_row(engine, track.id) == 0.0
    binder.detach()


def test_a_mackie_fader_touch_holds_the_parameter(qtbot, engine, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, track = song(folder, AutomationMode.TOUCH)
    engine.load(project, folder)
    history = EditHistory(project)
    binder = EngineBinder(history, engine, folder)
    dispatcher = ControlDispatcher(history)
    dispatcher.touch = binder.touch
    touch_note = 0x68  # fader touch of the bank's first strip
    dispatcher.process([ControlEvent(MidiKind.NOTE, 0, touch_note, 127)], [])
    assert _touch_row(engine, track.id) == 1.0
    dispatcher.process([ControlEvent(MidiKind.NOTE, 0, touch_note, 0)], [])
    assert _touch_row(engine, track.id) == 0.0
    binder.detach()


def test_touching_what_is_not_there_says_so(engine, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, track = song(folder, AutomationMode.TOUCH)
    with pytest.raises(PlanError, match="no project is loaded"):
        engine.touch(track.id, "fader_db", True)
    engine.load(project, folder)
    with pytest.raises(PlanError, match="no loaded track"):
        engine.touch("nope", "fader_db", True)
    with pytest.raises(PlanError, match="not a live strip parameter"):
        engine.touch(track.id, "name", True)
    with pytest.raises(PlanError, match="no loaded cue"):
        engine.touch_cue_send("nope", track.id, "level_db", True)

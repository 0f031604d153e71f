"""A fader ride on the real mixer Fader while the engine plays on the clock backend is
written as automation: Touch, Latch and Write each. The ride is automation only (no
step in the history, the static fader value untouched); the pass is the one undo step,
its offline render reproduces the ride (logged from the feedback as it happened) within
0.1 dB and one block, Touch goes back to the curve it had, and undo gives back the
project as it was before play. Trim moves the existing curve by the fader's relative
change, from a wheel's first step on. A Mackie fader riding a writing strip makes no
edits either, and a Latch fader let go shows the value it holds."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from test_ui_mixer import mouse

from app.control.dispatch import ControlDispatcher
from app.control.events import ControlEvent
from app.control.mackie import db_to_raw, raw_to_db
from app.engine import arena as A
from app.engine.engine import Engine
from app.session import store
from app.session.edits import EditHistory
from app.session.faders import fader_pos
from app.session.model import (
    AutomationLane,
    AutomationMode,
    AutomationPoint,
    Clip,
    MediaFile,
    MidiKind,
    Project,
    Track,
)
from app.ui.automation_pass import pass_edit
from app.ui.mixer import MixerWindow
from app.ui.mixer.binder import EngineBinder
from app.ui.theme import apply_theme

RATE = 48000
BLOCK = 128
SECONDS = 6
LEVEL = 0.5 * np.cos(np.pi / 4)  # the DC clip through a centred pan, left channel
LANE_DB = -6.0
STEPS = [-8.0, -11.0, -14.0, -10.0, -5.0, -3.0, -7.0, -9.0]  # about 1 s of riding


def song(folder: Path, mode: AutomationMode) -> tuple[Project, Track]:
    project = store.create_project(folder, sample_rate=RATE)
    data = np.full((RATE * SECONDS, 1), 0.5, np.float32)
    sf.write(folder / "audio" / "dc.wav", data, RATE, subtype="FLOAT")
    media = MediaFile("audio/dc.wav", data.shape[0], 1, RATE)
    project.media[media.id] = media
    track = Track("Vocal", automation_mode=mode)
    track.clips.append(Clip(media.id, 0, data.shape[0]))
    track.automation = [AutomationLane("fader_db", [
        AutomationPoint(0, LANE_DB), AutomationPoint(RATE * SECONDS, LANE_DB)])]
    project.tracks.append(track)
    return project, track


class Ride:
    """The mixer on a playing engine, and a hand on one strip's fader."""

    def __init__(self, qtbot, tmp_path: Path, mode: AutomationMode) -> None:
        self.qtbot = qtbot
        self.folder = tmp_path / "Song.glassroom"
        self.project, self.track = song(self.folder, mode)
        self.engine = Engine()
        self.engine.load(self.project, self.folder)
        self.engine.open("clock", blocksize=BLOCK)
        apply_theme(QApplication.instance())
        self.history = EditHistory(self.project)
        self.win = MixerWindow(self.project, self.history, self.engine, folder=self.folder,
                               poll=False)
        qtbot.addWidget(self.win)
        self.win.show()
        qtbot.waitExposed(self.win)
        self.fader = self.win.strips[self.track.id].fader
        self.log: list[tuple[int, float]] = []  # (feedback position, dB the fader gave)
        self.x = self.fader.width() / 2

    def position(self) -> int:
        return self.engine.read_feedback().position

    def play_to(self, frame: int) -> None:
        self.engine.play()
        self.qtbot.waitUntil(lambda: self.position() >= frame, timeout=10_000)

    def wait_on(self, frames: int) -> int:
        """Let the engine play `frames` more; the position it got to."""
        target = self.position() + frames
        self.qtbot.waitUntil(lambda: self.position() >= target, timeout=10_000)
        return self.position()

    def y(self, db: float) -> float:
        return self.fader._y(fader_pos(db))

    def press(self, shown_db: float) -> None:
        """Take the fader where it stands (showing `shown_db`)."""
        self.fader.set_value(shown_db)
        mouse(self.fader, QEvent.Type.MouseButtonPress, QPointF(self.x, self.y(shown_db)))

    def move(self, db: float) -> None:
        mouse(self.fader, QEvent.Type.MouseMove, QPointF(self.x, self.y(db)))
        given = self.fader.value()
        self.log.append((self.wait_on(RATE // 8), given))

    def release(self) -> None:
        at = self.fader.value()
        mouse(self.fader, QEvent.Type.MouseButtonRelease, QPointF(self.x, self.y(at)))

    def stop(self):
        """Stop; the finished pass."""
        self.engine.stop()
        passes: list = []
        self.qtbot.waitUntil(lambda: bool(passes.extend(self.engine.finished_passes())
                                          or passes), timeout=10_000)
        assert len(passes) == 1
        return passes[0]

    def render_db(self, end: int) -> np.ndarray:
        out = self.folder / f"render-{len(list(self.folder.glob('render-*')))}.wav"
        self.engine.render(self.project, self.folder, out, (0, end), blocksize=BLOCK)
        data, _ = sf.read(out, dtype="float64")
        return 20 * np.log10(np.maximum(data[:, 0], 1e-9) / LEVEL)

    def close(self) -> None:
        self.engine.close()


@pytest.fixture
def ride(qtbot, tmp_path, request):
    r = Ride(qtbot, tmp_path, request.param)
    yield r
    r.close()


@dataclass
class Start:
    """The project as it stood before play, and its history's length."""

    project: Project
    steps: int
    fader_db: float


def _before_play(history: EditHistory, track: Track) -> Start:
    return Start(copy.deepcopy(history.project), history.count, track.strip.fader_db)


def _check_ride_is_automation_only(history: EditHistory, track: Track, start: Start) -> None:
    """The ride, done and stopped, made no step and left every static value as it was."""
    assert history.count == start.steps
    assert track.strip.fader_db == start.fader_db
    assert history.project == start.project


def _check_the_pass_is_the_one_step(history: EditHistory, start: Start) -> None:
    """After the pass was applied and undone: the project as it was before play, and
    the pass the only step to redo."""
    assert history.count == start.steps + 1
    assert history.redo_label == "Write automation"
    assert history.project == start.project


def wheel_up(widget) -> None:
    """One wheel notch up on `widget` (a fader: half a dB)."""
    event = QWheelEvent(QPointF(5, 5), QPointF(widget.mapToGlobal(QPoint(5, 5))), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def _apply_as_one_step(r: Ride, passed) -> Project:
    before = copy.deepcopy(r.project)
    steps = r.history.count
    edit = pass_edit(r.project, passed)
    assert edit is not None
    r.history.close_merge()
    r.history.apply(edit)
    assert r.history.count == steps + 1
    return before


def _check_undo(r: Ride, before: Project) -> None:
    r.history.undo()
    assert r.project == before


def _check_render_follows(r: Ride, rendered: np.ndarray) -> None:
    """At each logged feedback position the render plays what the fader gave then, at
    the block that ended there (one block of timing), within 0.1 dB."""
    for position, db in r.log:
        assert rendered[position - 1] == pytest.approx(db, abs=0.1), position


@pytest.mark.parametrize("ride", [AutomationMode.TOUCH], indirect=True)
def test_touch_ride_is_written_and_returns_to_the_curve(ride):
    r = ride
    start = _before_play(r.history, r.track)
    r.play_to(RATE // 2)
    r.press(LANE_DB)
    for db in STEPS:
        r.move(db)
    r.release()
    released_at = r.position()
    r.wait_on(RATE // 2)
    passed = r.stop()
    _check_ride_is_automation_only(r.history, r.track, start)
    (write,) = passed.writes
    assert (write.track_id, write.param) == (r.track.id, "fader_db")
    assert write.end < released_at + int(A.GLIDE_SECONDS * RATE) + 4 * BLOCK
    before = _apply_as_one_step(r, passed)
    lane = r.track.automation[0]
    assert len(lane.points) < len(write.points)  # thinned
    rendered = r.render_db(write.end + RATE // 4)
    _check_render_follows(r, rendered)
    # before the pass, the curve (after the first block, which glides from the strip's
    # own value to the lane's, as any render does)
    assert rendered[BLOCK : write.start] == pytest.approx(LANE_DB, abs=1e-4)
    assert rendered[write.end + BLOCK :] == pytest.approx(LANE_DB, abs=1e-4)  # and after
    assert lane.points[-1].time == RATE * SECONDS  # the curve beyond the pass is kept
    _check_undo(r, before)
    _check_the_pass_is_the_one_step(r.history, start)


@pytest.mark.parametrize("ride", [AutomationMode.LATCH], indirect=True)
def test_latch_ride_holds_its_last_value_until_stop(ride):
    r = ride
    start = _before_play(r.history, r.track)
    r.play_to(RATE // 2)
    r.press(LANE_DB)
    for db in STEPS:
        r.move(db)
    r.release()
    stop_at = r.wait_on(RATE // 2)
    strip = r.win.strips[r.track.id]
    strip.show_automation(r.position())
    assert r.fader.value() == pytest.approx(STEPS[-1], abs=0.1)  # what it holds, not the lane
    passed = r.stop()
    _check_ride_is_automation_only(r.history, r.track, start)
    (write,) = passed.writes
    assert write.end >= stop_at - BLOCK
    before = _apply_as_one_step(r, passed)
    rendered = r.render_db(write.end + RATE // 4)
    _check_render_follows(r, rendered)
    assert rendered[write.end - BLOCK] == pytest.approx(STEPS[-1], abs=0.1)
    assert rendered[write.end + BLOCK] == pytest.approx(LANE_DB, abs=1e-4)  # after stop: lane
    _check_undo(r, before)
    _check_the_pass_is_the_one_step(r.history, start)


@pytest.mark.parametrize("ride", [AutomationMode.WRITE], indirect=True)
def test_write_ride_replaces_the_lane_from_play_to_stop(ride):
    r = ride
    r.track.strip.fader_db = LANE_DB  # the fader as it stood before play
    r.engine.set_param(r.track.id, "fader_db", LANE_DB)
    start = _before_play(r.history, r.track)
    r.play_to(RATE // 2)
    r.press(LANE_DB)
    for db in STEPS:
        r.move(db)
    r.release()
    stop_at = r.wait_on(RATE // 4)
    passed = r.stop()
    _check_ride_is_automation_only(r.history, r.track, start)
    (write,) = passed.writes
    assert write.start < BLOCK and write.end >= stop_at - BLOCK  # play to stop
    before = _apply_as_one_step(r, passed)
    rendered = r.render_db(write.end)
    _check_render_follows(r, rendered)
    _check_undo(r, before)
    _check_the_pass_is_the_one_step(r.history, start)


@pytest.mark.parametrize("ride", [AutomationMode.TRIM], indirect=True)
def test_trim_moves_the_existing_curve_by_the_relative_amount(ride):
    r = ride
    lane = r.track.automation[0]
    lane.points = [AutomationPoint(0, -20.0), AutomationPoint(RATE * SECONDS, -8.0)]
    r.engine.load(r.project, r.folder)
    static = r.track.strip.fader_db
    start = _before_play(r.history, r.track)
    r.play_to(RATE // 2)
    r.press(static)
    r.move(static + 4.0)
    held_from = r.position()
    r.wait_on(RATE // 2)
    held_to = r.position()
    r.release()
    r.wait_on(RATE // 2)
    passed = r.stop()
    _check_ride_is_automation_only(r.history, r.track, start)
    before = _apply_as_one_step(r, passed)
    rendered = r.render_db(held_to + RATE // 2)
    frames = np.arange(held_from, held_to - BLOCK, BLOCK)
    curve = -20.0 + 12.0 * frames / (RATE * SECONDS)
    np.testing.assert_allclose(rendered[frames], curve + 4.0, atol=0.1)
    _check_undo(r, before)
    _check_the_pass_is_the_one_step(r.history, start)


@pytest.mark.parametrize("ride", [AutomationMode.TRIM], indirect=True)
def test_a_wheel_step_in_trim_counts_from_its_first_step(ride):
    r = ride
    start = _before_play(r.history, r.track)
    r.play_to(RATE // 2)
    r.fader.set_value(r.track.strip.fader_db)
    wheel_up(r.fader)  # half a dB up: the lane plays half a dB higher while it is held
    r.wait_on(RATE)  # the nudge rests, the offset glides back
    passed = r.stop()
    _check_ride_is_automation_only(r.history, r.track, start)
    (write,) = passed.writes
    assert max(v for _t, v in write.points) == pytest.approx(LANE_DB + 0.5, abs=0.02)
    before = _apply_as_one_step(r, passed)
    _check_undo(r, before)
    _check_the_pass_is_the_one_step(r.history, start)


def test_a_mackie_fader_ride_on_a_writing_strip_makes_no_edits(qtbot, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, track = song(folder, AutomationMode.LATCH)
    engine = Engine()
    engine.load(project, folder)
    engine.open("clock", blocksize=BLOCK)
    history = EditHistory(project)
    binder = EngineBinder(history, engine, folder)
    dispatcher = ControlDispatcher(history)
    dispatcher.touch, dispatcher.ride = binder.touch, binder.ride
    touch_note, bank_first = 0x68, 0  # fader touch and pitch-bend channel of strip 1

    def position() -> int:
        return engine.read_feedback().position

    try:
        # stopped, a fader move is an ordinary edit
        dispatcher.process([ControlEvent(MidiKind.PITCH, bank_first, 0, db_to_raw(-3.0))])
        assert history.count == 1
        assert track.strip.fader_db == pytest.approx(-3.0, abs=0.1)
        history.close_merge()
        start, applied = _before_play(history, track), dispatcher.applied
        engine.play()
        qtbot.waitUntil(lambda: position() > RATE // 4, timeout=10_000)
        dispatcher.process([ControlEvent(MidiKind.NOTE, 0, touch_note, 127)])
        rides = [db_to_raw(db) for db in STEPS[:4]]
        for raw in rides:
            dispatcher.process([ControlEvent(MidiKind.PITCH, bank_first, 0, raw)])
            target = position() + RATE // 8
            qtbot.waitUntil(lambda t=target: position() >= t, timeout=10_000)
        assert history.count == start.steps  # no SetParam while the pass is written
        assert dispatcher.applied == applied
        dispatcher.process([ControlEvent(MidiKind.NOTE, 0, touch_note, 0)])
        engine.stop()
        passes: list = []
        qtbot.waitUntil(lambda: bool(passes.extend(engine.finished_passes()) or passes),
                        timeout=10_000)
        _check_ride_is_automation_only(history, track, start)
        (write,) = passes[0].writes
        lowest = min(raw_to_db(raw) for raw in rides)
        assert min(v for _t, v in write.points) == pytest.approx(lowest, abs=0.1)
        history.apply(pass_edit(project, passes[0]))
        assert history.count == start.steps + 1
        history.undo()
        _check_the_pass_is_the_one_step(history, start)
    finally:
        binder.detach()
        engine.close()

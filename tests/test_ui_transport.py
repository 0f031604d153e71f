"""The transport bar and the engine behind it: play, stop, locate by typing, the clock's
modes, tempo and meter as undoable edits, loop, click, record, load and the device."""

from __future__ import annotations

import pytest
from helpers import shown_window
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.engine.engine import Engine
from app.session import store
from app.session.model import Project, TrackKind
from app.ui.audio_settings import AudioSettingsDialog, latency_text
from app.ui.main_window import NO_DEVICE
from app.ui.transport import BARS, CLOCK, bars_text, clock_text, parse_position

RATE = 48000
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def engine():
    eng = Engine()
    # A device that cannot be opened (whatever the machine has): the clock, and why.
    eng.open("auto", device="Glassroom test: no such device")
    yield eng
    eng.close()


@pytest.fixture
def window(qtbot, engine, tmp_path):
    with shown_window(qtbot, engine, tmp_path, (1300, 800)) as win:
        folder = tmp_path / "T.glassroom"
        store.create_project(folder)
        assert win.open_folder(folder)
        yield win


def test_positions_read_and_written_in_both_clock_modes() -> None:
    p = Project(tempo=120.0)
    assert bars_text(p, 0).strip() == "1|1|000"
    assert bars_text(p, 5 * RATE).strip() == "3|3|000"  # 10 beats in
    assert clock_text(p, 83 * RATE + RATE // 2).strip() == "1:23.500"
    assert parse_position(p, "3|3", BARS) == 5 * RATE
    assert parse_position(p, "1:23.5", CLOCK) == 83 * RATE + RATE // 2
    assert parse_position(p, "1:00:00", CLOCK) == 3600 * RATE
    with pytest.raises(ValueError, match="not a position"):
        parse_position(p, "soon", BARS)
    with pytest.raises(ValueError, match="no bar 2, beat 9"):
        parse_position(p, "2|9", BARS)


def test_play_moves_the_playhead_smoothly_and_stop_holds_it(window, qtbot) -> None:
    assert NO_DEVICE in window.engine_label.text()
    assert "internal clock" in window.transport.device_button.text()
    window.transport.play_button.click()
    qtbot.waitUntil(window.playing, timeout=WAIT_MS)
    seen = []
    for _ in range(6):
        QTest.qWait(40)
        seen.append(window.arrange.playhead)
    assert seen == sorted(seen) and seen[-1] > seen[0]
    # between two engine reads the playhead still moves (extrapolated from the clock)
    assert len(set(seen)) >= 4
    window.transport.stop_button.click()
    qtbot.waitUntil(lambda: not window.playing(), timeout=WAIT_MS)
    held = window.position()
    QTest.qWait(100)
    assert window.position() == held > 0
    assert "DSP" in window.transport.load_label.text()
    window.transport.start_button.click()
    qtbot.waitUntil(lambda: window.position() == 0, timeout=WAIT_MS)


def test_clock_switches_mode_on_click_and_locates_on_typing(window, qtbot) -> None:
    clock = window.transport.clock
    QTest.mouseClick(clock, Qt.MouseButton.LeftButton)
    assert clock.mode == CLOCK and ":" in clock.text()
    clock.start_editing()
    QTest.keyClicks(clock, "0:04")
    QTest.keyClick(clock, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.position() == 4 * RATE, timeout=WAIT_MS)
    assert clock.text().strip() == "0:04.000"
    QTest.mouseClick(clock, Qt.MouseButton.LeftButton)
    assert clock.mode == BARS and clock.text().strip() == "3|1|000"
    assert not clock.locate_text("later")
    assert "not a position" in window.statusBar().currentMessage()


def test_tempo_meter_click_and_loop_are_undoable(window, qtbot) -> None:
    t = window.transport
    t.tempo.setValue(96.0)
    assert window.project.tempo == 96.0
    t.meter.setText("6/8")
    t.meter.editingFinished.emit()
    assert (window.project.meter_num, window.project.meter_den) == (6, 8)
    window.undo_action.trigger()
    assert window.project.meter_num == 4 and t.meter.text() == "4/4"
    window.undo_action.trigger()
    assert window.project.tempo == 120.0 and t.tempo.value() == 120.0
    t.meter.setText("7/5")
    t.meter.editingFinished.emit()
    assert window.project.meter_den == 4 and "beat unit" in window.statusBar().currentMessage()
    t.click_button.click()
    assert window.project.click and t.click_button.isChecked()
    t.loop_button.click()
    loop = window.project.loop
    assert loop.enabled and loop.end - loop.start == 4 * 2 * RATE  # four bars at 120
    qtbot.waitUntil(lambda: window.feedback.loop == (True, loop.start, loop.end),
                    timeout=WAIT_MS)
    t.punch_button.click()
    assert window.project.punch.enabled


def test_record_needs_an_armed_track(window, qtbot, tmp_path) -> None:
    window.transport.record_button.click()
    assert not window.transport.record_button.isChecked()
    assert "arm a track first" in window.statusBar().currentMessage()
    window.add_track(TrackKind.AUDIO)
    header = window.arrange.headers()[0]
    header.arm.click()
    assert "1 armed" in window.transport.armed_label.text()
    window.toggle_record()  # armed, but no input chosen: the engine says so
    assert "Cannot record" in window.statusBar().currentMessage()
    header.input.setCurrentIndex(1)
    header.input.activated.emit(1)
    window.toggle_record()
    qtbot.waitUntil(lambda: window.feedback.recording and window.playing(), timeout=WAIT_MS)
    track = window.project.tracks[0]
    lane = window.arrange.lanes()[0]
    qtbot.waitUntil(lambda: lane.growing is not None and lane.growing[1] > RATE // 10,
                    timeout=WAIT_MS)  # the clip grows while it records
    window.stop()
    qtbot.waitUntil(lambda: len(track.clips) == 1 and len(track.takes.takes) == 1,
                    timeout=WAIT_MS)
    assert track.clips[0].length > 0 and track.takes.takes[0].media == track.clips[0].media
    assert (tmp_path / "T.glassroom" / window.project.media[track.clips[0].media].path).exists()


def test_audio_settings_reopen_the_engine_and_say_why_on_the_clock(window, qtbot) -> None:
    window.transport.device_button.click()
    dialog = window.findChild(AudioSettingsDialog)
    assert dialog is not None and dialog.isVisible()
    assert "ms" in dialog.latency_label.text()
    assert dialog.api_box.itemText(0).startswith("Internal clock")
    assert "Why:" in dialog.status_label.text()  # no device here: the reason is shown
    dialog.block_box.setCurrentIndex(dialog.block_box.findData(256))
    assert "256 frames" in dialog.latency_label.text()
    dialog.apply()
    assert window.engine.backend.blocksize == 256
    assert "internal clock" in window.engine_label.text()
    window.transport.play_button.click()
    qtbot.waitUntil(window.playing, timeout=WAIT_MS)  # the project plays on the new engine
    window.stop()
    dialog.close()
    assert latency_text(48000, 128) .startswith("2.7 ms a block")

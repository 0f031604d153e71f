"""The main window, driven as a user would: open, waveforms, zoom, missing media, import, undo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import shown_window
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.session import store
from app.session.demo import make_demo
from app.session.model import TrackKind
from app.ui.arrange.header import HEADER_WIDTH
from app.ui.arrange.waveforms import PeakState
from app.ui.main_window import NO_DEVICE, MainWindow

OUT = Path(os.environ.get("GLASSROOM_TEST_OUT", "/tmp/glassroom-test-out"))
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ui") / "Demo.glassroom"
    make_demo(folder)
    return folder


@pytest.fixture
def demo_copy(demo_master: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "Demo.glassroom"
    shutil.copytree(demo_master, folder)
    return folder


@pytest.fixture
def window(qtbot):
    with shown_window(qtbot, size=(1400, 820)) as win:
        yield win


def _peaks_ready(win: MainWindow) -> bool:
    return all(win.waveforms.state(m) is PeakState.READY for m in win.project.media)


def _lane_image(lane) -> QImage:
    return lane.grab().toImage()


def _bright_pixels(image: QImage, y: int) -> int:
    """Pixels along row y much lighter than the dark lane background."""
    return sum(1 for x in range(0, image.width(), 2) if image.pixelColor(x, y).lightness() > 110)


def test_window_shows_a_lane_per_track_with_waveforms(window, qtbot, demo_master) -> None:
    assert window.open_folder(demo_master)
    project = window.project
    lanes = window.arrange.lanes()
    assert [lane.track.name for lane in lanes] == [t.name for t in project.tracks]
    assert [h.name_label.text() for h in window.arrange.headers()] == \
        ["Drums", "Bass", "Keys", "Lead Vox", "Reverb"]
    assert NO_DEVICE in window.engine_label.text()
    qtbot.waitUntil(lambda: _peaks_ready(window), timeout=WAIT_MS)
    for lane in lanes:
        image = _lane_image(lane)
        if lane.track.kind is TrackKind.BUS:
            assert lane.drawn_waveforms == 0
            continue
        assert lane.drawn_waveforms == 1 and lane.drawn_placeholders == 0
        # the waveform is drawn across the clip, around the lane's middle
        assert _bright_pixels(image, image.height() // 2 + 8) > 50
    assert window.progress_bar.isHidden()


def test_lanes_show_placeholders_until_peaks_are_built(window, qtbot, demo_copy) -> None:
    shutil.rmtree(demo_copy / "peaks")
    assert window.open_folder(demo_copy)
    lane = window.arrange.lanes()[0]
    _lane_image(lane)
    building = window.waveforms.state(lane.track.clips[0].media)
    if building is PeakState.BUILDING:  # the build may already be over on a fast machine
        assert lane.drawn_placeholders == 1
    qtbot.waitUntil(lambda: _peaks_ready(window), timeout=WAIT_MS)
    _lane_image(lane)
    assert lane.drawn_waveforms == 1
    assert any((demo_copy / "peaks").iterdir())


def test_zoom_changes_the_visible_range(window, qtbot, demo_master) -> None:
    window.open_folder(demo_master)
    scale = window.arrange.scale
    start, end = scale.visible_range()
    assert start == 0 and end >= window.project.length()  # opens on the whole session
    window.arrange.zoom(0.25, 0)
    start2, end2 = scale.visible_range()
    assert start2 == 0
    assert end2 - start2 == pytest.approx((end - start) / 4, rel=0.02)
    # Ctrl+wheel over the lanes zooms in around the pointer
    viewport = window.arrange.scroll.viewport()
    pos = QPointF(HEADER_WIDTH + 300, 40)
    wheel = QWheelEvent(pos, viewport.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    anchor = scale.frame_at(300)
    QApplication.sendEvent(viewport, wheel)
    assert scale.visible_range()[1] - scale.visible_range()[0] < end2 - start2
    assert scale.frame_at(300) == pytest.approx(anchor, abs=scale.frames_per_pixel)
    # scrolling moves the range and the scroll bar follows
    window.arrange.hbar.setValue(window.arrange.hbar.value() + 200)
    assert scale.visible_range()[0] > start2
    window.arrange.fit()
    assert scale.visible_range()[0] == 0
    # close enough to see single cycles: the lanes read the audio itself
    qtbot.waitUntil(lambda: _peaks_ready(window), timeout=WAIT_MS)
    window.arrange.zoom(4.0 / scale.frames_per_pixel)
    scale.set_origin(window.project.frames(9.0))
    assert scale.frames_per_pixel == pytest.approx(4.0)
    lane = window.arrange.lanes()[0]
    _lane_image(lane)
    assert lane.drawn_waveforms == 1


def test_missing_media_is_a_marked_placeholder_with_a_report(window, qtbot, demo_copy,
                                                             tmp_path) -> None:
    project = store.open_project(demo_copy).project
    bass = next(t for t in project.tracks if t.name == "Bass")
    bass_file = demo_copy / project.media[bass.clips[0].media].path
    bass_file.rename(tmp_path / "elsewhere.wav")
    assert window.open_folder(demo_copy)
    assert any("Bass.wav" in line and "missing" in line for line in window.open_report)
    assert window.last_message is not None and window.last_message.isVisible()
    assert "Bass.wav" in window.last_message.text()
    assert "missing" in window.statusBar().currentMessage()
    lane = next(lane for lane in window.arrange.lanes() if lane.track.name == "Bass")
    assert window.waveforms.state(lane.track.clips[0].media) is PeakState.MISSING
    qtbot.waitUntil(lambda: all(window.waveforms.state(m) in (PeakState.READY, PeakState.MISSING)
                                for m in window.project.media), timeout=WAIT_MS)
    image = _lane_image(lane)
    assert lane.drawn_placeholders == 1 and lane.drawn_waveforms == 0
    reds = sum(1 for x in range(0, image.width(), 3) for y in range(20, image.height(), 6)
               if (c := image.pixelColor(x, y)).red() > c.green() + 40)
    assert reds > 20  # the red hatching
    window.last_message.close()


def _tone(path: Path, seconds: float = 1.0) -> Path:
    t = np.arange(int(seconds * 48000)) / 48000
    sf.write(path, 0.6 * np.sin(2 * np.pi * 220 * t), 48000)
    return path


def test_import_then_undo_and_redo(window, qtbot, tmp_path) -> None:
    folder = tmp_path / "Empty.glassroom"
    store.create_project(folder)
    assert window.open_folder(folder)
    assert window.arrange.lanes() == []
    wav = _tone(tmp_path / "guitar.wav")
    window.import_files([wav])
    qtbot.waitUntil(lambda: not window.importing(), timeout=WAIT_MS)
    assert [t.name for t in window.project.tracks] == ["guitar"]
    assert len(window.arrange.lanes()) == 1
    assert window.is_dirty() and window.isWindowModified()
    qtbot.waitUntil(lambda: _peaks_ready(window), timeout=WAIT_MS)
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert window.project.tracks == [] and window.project.media == {}
    assert window.arrange.lanes() == []
    assert not window.is_dirty()
    assert any((folder / "audio").iterdir())  # undo never deletes the imported audio
    window.redo_action.trigger()
    assert [lane.track.name for lane in window.arrange.lanes()] == ["guitar"]
    assert window.save()
    assert [t.name for t in store.open_project(folder).project.tracks] == ["guitar"]


def test_dropped_files_import_and_bad_ones_are_listed(window, qtbot, tmp_path) -> None:
    folder = tmp_path / "Drop.glassroom"
    store.create_project(folder)
    window.open_folder(folder)
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    good = _tone(tmp_path / "vox.wav")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(bad)), QUrl.fromLocalFile(str(good))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(300, 300), *args)  # Qt 6.12 has no QPointF form
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(300, 300), *args))
    qtbot.waitUntil(lambda: not window.importing(), timeout=WAIT_MS)
    assert [t.name for t in window.project.tracks] == ["vox"]
    assert len(window.import_errors) == 1 and "notes.wav" in window.import_errors[0]
    assert window.last_message is not None and "notes.wav" in window.last_message.text()
    window.last_message.close()


def test_screenshot_of_the_demo(window, qtbot, demo_master) -> None:
    window.open_folder(demo_master)
    qtbot.waitUntil(lambda: _peaks_ready(window), timeout=WAIT_MS)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "main_window_demo.png"
    image = window.grab().toImage()
    assert image.save(str(path))
    assert path.stat().st_size > 10_000
    colours = {image.pixel(x, y) for x in range(0, image.width(), 17)
               for y in range(0, image.height(), 13)}
    assert len(colours) > 50


def test_shut_down_keeps_unsaved_work_in_recovery(window, qtbot, tmp_path) -> None:
    folder = tmp_path / "Kill.glassroom"
    store.create_project(folder)
    window.open_folder(folder)
    window.import_files([_tone(tmp_path / "bass.wav")])
    qtbot.waitUntil(lambda: not window.importing(), timeout=WAIT_MS)
    assert window.is_dirty()
    window.shut_down()
    assert not window.isVisible()
    assert store.recovery_newer(folder)
    assert [t.name for t in store.read_recovery(folder).tracks] == ["bass"]


# -- the full window with an engine: import targets, settings, big sessions, screenshots --

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from app.session import edits as E  # noqa: E402
from app.session.model import Clip, Track  # noqa: E402

RATE = 48000


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def full(qtbot, engine, tmp_path):
    with shown_window(qtbot, engine, tmp_path, (1500, 900)) as win:
        yield win


def _drop(win: MainWindow, paths: list[Path], at: QPoint) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(at, *args)
    QApplication.sendEvent(win, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(win, QDropEvent(QPointF(at), *args))


def test_drop_onto_a_lane_lands_there_and_a_folder_is_refused(full, qtbot, tmp_path) -> None:
    folder = tmp_path / "Drop.glassroom"
    store.create_project(folder)
    full.open_folder(folder)
    full.import_files([_tone(tmp_path / "bed.wav", 2.0)])
    qtbot.waitUntil(lambda: not full.importing(), timeout=WAIT_MS)
    full.arrange.editor.snap_on = False
    x = int(full.arrange.scale.x_of(RATE))
    viewport = full.arrange.scroll.viewport()

    def lane_point() -> QPoint | None:
        # The track's lane is laid out after the import ends (on a busy machine, later):
        # the point in the middle of it, once the window finds that lane there.
        lane = full.arrange.lanes()[0]
        at = lane.mapTo(full, QPoint(x, lane.height() // 2))
        found = full.arrange.lane_at_viewport_y(viewport.mapFrom(full, at).y())
        return at if found is lane else None

    qtbot.waitUntil(lambda: lane_point() is not None, timeout=WAIT_MS)
    at = lane_point()
    _drop(full, [_tone(tmp_path / "overdub.wav")], at)
    qtbot.waitUntil(lambda: not full.importing(), timeout=WAIT_MS)
    track = full.project.tracks[0]
    assert len(full.project.tracks) == 1 and len(track.clips) == 2
    assert track.clips[1].position == pytest.approx(RATE, abs=full.arrange.scale.frames_per_pixel)
    a_folder = tmp_path / "stems"
    a_folder.mkdir()
    _drop(full, [a_folder], at)
    qtbot.waitUntil(lambda: not full.importing(), timeout=WAIT_MS)
    assert any("is a folder" in e for e in full.import_errors)
    assert "is a folder" in full.last_message.text()
    full.last_message.close()


def test_a_hundred_files_import_one_by_one_with_a_row_each_and_cancel(full, qtbot,
                                                                       tmp_path) -> None:
    folder = tmp_path / "Many.glassroom"
    store.create_project(folder)
    full.open_folder(folder)
    src = tmp_path / "many"
    src.mkdir()
    t = np.arange(2400) / RATE
    files = []
    for i in range(100):
        path = src / f"hit{i:03d}.wav"
        sf.write(path, 0.3 * np.sin(2 * np.pi * (200 + i) * t), RATE)
        files.append(path)
    (src / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    full.import_files([*files, src / "broken.wav"])
    assert len(full.import_panel.rows) == 101 and full.import_dock.isVisible()
    last_job = max(full.import_panel.rows)
    full.cancel_import(last_job - 1)  # a queued one: never imported
    qtbot.waitUntil(lambda: not full.importing(), timeout=WAIT_MS)
    assert len(full.project.tracks) == 99
    assert full.import_panel.rows[last_job - 1].state.text() == "cancelled"
    assert any("broken.wav" in e for e in full.import_errors)
    assert full.import_panel.problems() and "broken.wav" in full.import_panel.problems()[0]
    full.last_message.close()


def test_recent_projects_and_layout_survive_a_restart(qtbot, engine, settings, tmp_path,
                                                     demo_master) -> None:
    first = MainWindow(engine=engine, settings=settings)
    first.resize(1111, 777)
    first.show()
    qtbot.waitExposed(first)
    first.open_folder(demo_master)
    first.history_dock.show()
    first.close()
    assert str(demo_master.resolve()) in first.recent_projects()
    second = MainWindow(engine=engine, settings=settings)
    assert second.restore_layout()
    second.show()
    qtbot.waitExposed(second)
    assert second.size().width() > 0 and second.settings.value("window/state")
    assert second.history_dock.isVisible()
    second._fill_recent()
    assert [a.text() for a in second.recent_menu.actions()][0] == str(demo_master.resolve())
    second.close()


def test_new_save_as_history_mixer_and_export(full, qtbot, tmp_path, demo_copy) -> None:
    assert full.new_project(tmp_path / "Fresh.glassroom")
    assert full.project.tracks == []
    assert full.open_folder(demo_copy)
    full.arrange.editor.select(full.project.tracks[0].clips[0].id)
    full.arrange.editor.delete()
    assert "Delete clip" in full.undo_action.text()
    full.toggle_history()
    assert full.history_dock.isVisible() and full.history_view.model().rowCount() == 2
    task = full.save_as(tmp_path / "Copy.glassroom")
    assert task is not None
    qtbot.waitUntil(lambda: full.folder == tmp_path / "Copy.glassroom", timeout=WAIT_MS)
    copy = store.open_project(tmp_path / "Copy.glassroom")
    assert not copy.placeholders and len(copy.project.tracks[0].clips) == 0
    assert len(store.open_project(demo_copy).project.tracks[0].clips) == 1  # untouched
    mixer = full.open_mixer()
    qtbot.waitUntil(lambda: mixer.isVisible(), timeout=WAIT_MS)
    full.play_stop()
    qtbot.waitUntil(lambda: any(m.peak > 0.01 for m in full.feedback.meters.values()),
                    timeout=WAIT_MS)
    full.stop()
    dialog = full.open_export()
    assert dialog is not None and dialog.isVisible()
    dialog.close()
    mixer.close()


def test_quitting_with_unsaved_changes_asks(full, qtbot, demo_copy) -> None:
    full.open_folder(demo_copy)
    full.push(E.SetTempo(100.0))

    def answer(button) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(button).click()

    QTimer.singleShot(200, lambda: answer(QMessageBox.StandardButton.Cancel))
    assert not full.close()  # cancelled: still open, nothing lost
    assert full.isVisible() and full.project.tempo == 100.0
    QTimer.singleShot(200, lambda: answer(QMessageBox.StandardButton.Save))
    assert full.close()
    assert store.open_project(demo_copy).project.tempo == 100.0


def _big_session(folder: Path, demo: Path, tracks: int) -> Path:
    """`tracks` audio tracks built from the demo's stems, clips spread along the song."""
    shutil.copytree(demo, folder)
    opened = store.open_project(folder)
    project = opened.project
    history = E.EditHistory(project)
    stems = [t.clips[0] for t in project.tracks if t.clips]
    for i in range(tracks - len(stems)):
        src = stems[i % len(stems)]
        track = Track(f"{['Gtr', 'Vox', 'Perc', 'Synth', 'Str'][i % 5]} {i // 5 + 1}",
                      colour=E.tracks.TRACK_COLOURS[i % 8])
        history.apply(E.AddTrack(track, len(project.tracks) - 1))
        for k in range(3):
            start = (k * 22 + i % 7) * RATE
            history.apply(E.AddClip(track.id, Clip(src.media, start, 16 * RATE,
                                                   source_offset=((i * 3 + k * 5) % 40) * RATE,
                                                   name=f"{track.name} {k + 1}")))
    store.save_project(project, folder)
    return folder


def test_200_tracks_open_scroll_and_edit(full, qtbot, tmp_path, demo_master) -> None:
    folder = _big_session(tmp_path / "Big.glassroom", demo_master, 200)
    assert full.open_folder(folder)
    assert len(full.arrange.lanes()) == 201
    bar = full.arrange.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    full.arrange.zoom(0.01)
    track = full.project.tracks[150]
    full.arrange.editor.select(track.clips[0].id)
    full.arrange.editor.delete()
    assert len(track.clips) == 2
    full.grab()
    task = full.save_in_background()  # a big project is written by a worker
    qtbot.waitUntil(lambda: not full.is_dirty(), timeout=WAIT_MS)
    assert task is not None
    assert len(store.open_project(folder).project.tracks[150].clips) == 2


def test_screenshots_empty_demo_and_a_32_track_session_mid_edit(full, qtbot, tmp_path,
                                                                demo_master) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    empty = tmp_path / "Empty.glassroom"
    store.create_project(empty)
    full.open_folder(empty)
    assert full.grab().save(str(OUT / "arrange_empty.png"))
    full.open_folder(demo_master)
    qtbot.waitUntil(lambda: _peaks_ready(full), timeout=WAIT_MS)
    full.locate(RATE * 20)
    QTest_wait(qtbot)
    assert full.grab().save(str(OUT / "arrange_demo.png"))
    folder = _big_session(tmp_path / "Session32.glassroom", demo_master, 32)
    full.open_folder(folder)
    qtbot.waitUntil(lambda: _peaks_ready(full), timeout=WAIT_MS)
    p = full.project
    ed = full.arrange.editor
    ed.select(p.tracks[6].clips[1].id)
    ed.select(p.tracks[7].clips[1].id, extend=True)
    ed.move([c.id for _, c in ed.selected()], RATE * 2)
    ed.split(p.tracks[7].clips[1].position + RATE * 5)
    full.push(E.AddMarker("Verse 2", RATE * 40))
    full.push(E.SetLoop(RATE * 16, RATE * 32, True))
    full.arrange.editor.set_fades(p.tracks[5].clips[0].id, fade_in=RATE * 3, fade_out=RATE * 2)
    full.arrange.headers()[2].arm.click()
    full.arrange.headers()[3].solo.click()
    full.locate(RATE * 26)
    full.arrange.selection_changed()
    QTest_wait(qtbot)
    image = full.grab().toImage()
    assert image.save(str(OUT / "arrange_32_tracks_mid_edit.png"))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 17)
               for y in range(0, image.height(), 13)}
    assert len(colours) > 80


def QTest_wait(qtbot) -> None:  # noqa: N802
    qtbot.wait(120)  # two feedback reads, so meters and the playhead show


def test_the_engine_starts_on_a_worker_and_takes_over_the_open_project(window, qtbot,
                                                                       demo_copy) -> None:
    from app.engine.engine import Engine

    assert window.open_folder(demo_copy)
    engine = Engine()
    try:
        window.start_engine(engine, device="Glassroom test: no such device")
        assert window.engine is None  # the window does not wait for the compile
        qtbot.waitUntil(lambda: window.engine is engine, timeout=WAIT_MS)
        assert engine.running
        assert NO_DEVICE in window.engine_label.text()
        window.play_stop()
        qtbot.waitUntil(lambda: window.feedback is not None and window.feedback.position > 0,
                        timeout=WAIT_MS)
        assert any(m.peak > 0 for m in window.feedback.meters.values())
    finally:
        window.stop()
        engine.close()


def test_no_two_menu_actions_share_a_shortcut(window) -> None:
    from PySide6.QtGui import QAction

    seen: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString()
            assert text not in seen, f"{text} is both {seen[text]!r} and {action.text()!r}"
            seen[text] = action.text()
    assert "Ctrl+Shift+Z" in seen and "Space" in seen

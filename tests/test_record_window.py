"""Recording in the window: unfinished takes and a newer autosave are offered on open,
the last take can be discarded into trash/ and undone, engine notices are shown."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from helpers import shown_window
from PySide6.QtWidgets import QMessageBox

from app.engine.recorder import WavWriter
from app.session import store
from app.session.model import Track

WAIT_MS = 10_000


@pytest.fixture
def window(qtbot, engine, tmp_path):
    with shown_window(qtbot, engine, tmp_path) as win:
        yield win


def yes(box: QMessageBox) -> None:
    box.button(QMessageBox.StandardButton.Yes).click()


def test_unfinished_takes_are_offered_on_open_and_put_back_in_place(window, qtbot, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    voice = Track("Voice")
    project.tracks.append(voice)
    store.save_project(project, folder)
    data = np.linspace(-0.5, 0.5, 9600, dtype=np.float32)[:, None]
    path = folder / "audio" / "Voice take 1 crash.wav"
    writer = WavWriter(path, 48000, 1)
    writer.write(data)  # killed before the header was ever refreshed
    side = {"track_id": voice.id, "track": "Voice", "position": 4800, "sample_rate": 48000,
            "channels": 1, "take": 1, "media": "audio/Voice take 1 crash.wav"}
    (folder / "audio" / "Voice take 1 crash.wav.take.json").write_text(json.dumps(side))
    assert window.open_folder(folder)
    box = window.last_question
    assert box is not None and "1 take" in box.text()
    yes(box)
    track = window.project.tracks[0]
    assert [(c.position, c.length) for c in track.clips] == [(4800, 9600)]
    assert len(track.takes.takes) == 1
    np.testing.assert_array_equal(sf.read(path, dtype="float32")[0][:, None], data)
    window.undo.stack.undo()
    assert track.clips == [] and path.exists()


def test_a_newer_autosave_is_offered_on_open(window, qtbot, tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    store.save_project(project, folder)
    project.tempo = 93.0
    store.write_recovery(project, folder)
    assert window.open_folder(folder)
    assert window.project.tempo != 93.0
    box = window.last_question
    assert box is not None and "autosave" in box.text()
    yes(box)
    assert window.project.tempo == 93.0


def test_a_recorded_take_is_discarded_into_trash_and_undo_brings_it_back(window, qtbot,
                                                                         tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    voice = Track("Voice", armed=True)
    voice.input.channels = [0]
    project.tracks.append(voice)
    store.save_project(project, folder)
    assert window.open_folder(folder)
    window.toggle_record()
    qtbot.waitUntil(lambda: window.feedback.recording and window.feedback.position > 4800,
                    timeout=WAIT_MS)
    window.stop()
    track = window.project.tracks[0]
    qtbot.waitUntil(lambda: len(track.takes.takes) == 1, timeout=WAIT_MS)
    media = window.project.media[track.takes.takes[0].media]
    recorded = folder / media.path
    assert recorded.exists()
    window.discard_last_take()
    assert track.clips == [] and track.takes.takes == []
    assert not recorded.exists() and (folder / media.path).exists()
    assert media.path.startswith("trash/") and "trash/" in window.statusBar().currentMessage()
    window.undo.stack.undo()
    assert len(track.clips) == 1 and len(track.takes.takes) == 1
    assert sf.info(folder / media.path).frames == media.frames
    window.discard_last_take()
    assert "No take to discard" in window.statusBar().currentMessage()
    # Undoing the recording itself takes its clip and take away; the file stays.
    window.undo.stack.undo()
    assert track.clips == [] and track.takes.takes == []
    assert (folder / media.path).exists()


def test_a_punch_outside_the_session_is_refused_and_nothing_changes(window, tmp_path):
    from app.session.model import Clip, MediaFile, Range

    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    sf.write(folder / "audio" / "a.wav", np.zeros((48000, 1), np.float32), 48000)
    media = MediaFile("audio/a.wav", 48000, 1, 48000)
    project.media[media.id] = media
    track = Track("A")
    track.clips.append(Clip(media.id, 0, 48000))
    project.tracks.append(track)
    project.punch = Range(96000, 100000, False)
    store.save_project(project, folder)
    assert window.open_folder(folder)
    window.toggle_punch()
    assert "Cannot punch" in window.statusBar().currentMessage()
    assert "outside the session" in window.statusBar().currentMessage()
    assert window.project.punch == Range(96000, 100000, False)
    assert not window.undo.stack.canUndo()

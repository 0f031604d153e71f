"""Recovery of unfinished takes from audio/, and discarding a take into trash/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from app.engine.recorder import WavWriter
from app.session import store
from app.session.model import Clip, MediaFile, Take, Track
from app.session.recovery import DiscardTake, find_unfinished_takes, restore_takes


def capture(folder: Path, name: str, data: np.ndarray, track_id: str, position: int) -> Path:
    """A file as the recorder leaves it when killed: header sizes from its last refresh."""
    path = folder / "audio" / name
    w = WavWriter(path, 48000, data.shape[1])
    w.write(data[: len(data) // 2])
    w.refresh()
    w.write(data[len(data) // 2 :])  # written, but the header was not refreshed since
    side = {"track_id": track_id, "track": "Gone", "position": position,
            "sample_rate": 48000, "channels": data.shape[1], "take": 1,
            "media": f"audio/{name}"}
    Path(str(path) + ".take.json").write_text(json.dumps(side))
    return path


def test_unfinished_takes_are_sized_from_the_file_and_put_back(tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    voice = Track("Voice")
    project.tracks.append(voice)
    data = np.random.default_rng(3).standard_normal((30001, 2)).astype(np.float32)
    path = capture(folder, "Voice take 1.wav", data, voice.id, 9000)
    assert sf.info(path).frames == 15000  # what the stale header says
    orphan = np.ones((500, 1), np.float32)
    capture(folder, "Bass take 4.wav", orphan, "no-such-track", 100)
    (folder / "audio" / "junk.wav.take.json").write_text("{not json")
    (folder / "audio" / "junk.wav").write_bytes(b"RIFF")

    found = find_unfinished_takes(project, folder)
    assert [(r.track_id, r.position, r.length) for r in found] == [
        (voice.id, 9000, 30001), ("no-such-track", 100, 500)]
    created = restore_takes(project, folder, found)
    assert [t.name for t in created] == ["Gone"] and created[0].id == "no-such-track"
    back, _ = sf.read(path, dtype="float32")
    np.testing.assert_array_equal(back, data)  # every frame, header repaired
    (clip,) = voice.clips
    assert (clip.position, clip.length) == (9000, 30001)
    assert voice.takes.takes[0].media == clip.media
    assert find_unfinished_takes(project, folder) == []


def test_a_discarded_take_goes_to_trash_and_undo_brings_it_back(tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    data = np.full((1000, 1), 0.5, np.float32)
    sf.write(folder / "audio" / "Vox take 2.wav", data, 48000, subtype="FLOAT")
    (folder / "trash").mkdir()
    (folder / "trash" / "Vox take 2.wav").write_bytes(b"an older file of that name")
    media = MediaFile("audio/Vox take 2.wav", 1000, 1, 48000)
    project.media[media.id] = media
    voice = Track("Vox")
    take = Take(media.id, 0, 1000)
    voice.takes.takes.append(take)
    voice.clips.append(Clip(media.id, 0, 1000))
    project.tracks.append(voice)

    edit = DiscardTake(folder, voice.id, take.id)
    edit.do(project)
    assert not (folder / "audio" / "Vox take 2.wav").exists()
    assert (folder / "trash" / "Vox take 2.wav").read_bytes() == b"an older file of that name"
    assert media.path == "trash/Vox take 2 (2).wav"
    np.testing.assert_array_equal(sf.read(folder / media.path, dtype="float32")[0][:, None], data)
    assert voice.clips == [] and voice.takes.takes == []
    edit.undo(project)
    assert len(voice.clips) == 1 and voice.takes.takes[0].id == take.id
    assert (folder / media.path).exists()
    edit.do(project)  # redo: the file is already in trash/, nothing moves again
    assert media.path == "trash/Vox take 2 (2).wav" and voice.takes.takes == []
    assert find_unfinished_takes(project, folder) == []

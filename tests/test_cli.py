"""The `glassroom` command line: new, import, info, demo, errors and exit statuses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.cli import main
from app.session import demo, store
from app.session.model import TrackKind

SCRIPT = Path(sys.executable).with_name("glassroom")


def _tone(path: Path, seconds: float = 0.5, rate: int = 44100, channels: int = 1) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    data = 0.5 * np.sin(2 * np.pi * 440 * t)
    if channels == 2:
        data = np.stack([data, -data], axis=1)
    sf.write(path, data, rate)
    return path


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "Demo.glassroom"
    assert main(["demo", str(folder)]) == 0
    return folder


def test_new_makes_an_empty_project_at_the_rate_asked(tmp_path: Path) -> None:
    folder = tmp_path / "Song.glassroom"
    assert main(["new", str(folder), "--rate", "44100"]) == 0
    project = store.open_project(folder).project
    assert project.sample_rate == 44100
    assert project.name == "Song"
    assert project.tracks == []


def test_new_refuses_a_folder_that_holds_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["new", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("glassroom: ")
    assert "Traceback" not in err
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_import_adds_a_track_per_file_at_the_position(tmp_path: Path) -> None:
    folder = tmp_path / "P.glassroom"
    main(["new", str(folder)])
    a = _tone(tmp_path / "a.wav")
    b = _tone(tmp_path / "b.flac", channels=2)
    assert main(["import", str(folder), str(a), str(b), "--at", "1.5"]) == 0
    project = store.open_project(folder).project
    assert [t.name for t in project.tracks] == ["a", "b"]
    for track in project.tracks:
        assert len(track.clips) == 1
        clip = track.clips[0]
        assert clip.position == 72000
        assert clip.length == 24000  # 0.5 s resampled to 48 kHz
        assert (folder / project.media[clip.media].path).is_file()
    assert project.tracks[0].colour != project.tracks[1].colour


def test_imported_tracks_go_above_the_buses(demo_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "D.glassroom"
    shutil.copytree(demo_folder, folder)
    assert main(["import", str(folder), str(_tone(tmp_path / "gtr.wav"))]) == 0
    names = [t.name for t in store.open_project(folder).project.tracks]
    assert names == ["Drums", "Bass", "Keys", "Lead Vox", "gtr", "Reverb"]


def test_import_keeps_the_good_files_when_one_is_bad(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "P.glassroom"
    main(["new", str(folder)])
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really audio" * 10)
    good = _tone(tmp_path / "good.wav")
    assert main(["import", str(folder), str(bad), str(good)]) == 1
    err = capsys.readouterr().err
    assert "glassroom: " in err and "broken.wav" in err
    assert "Traceback" not in err
    project = store.open_project(folder).project
    assert [t.name for t in project.tracks] == ["good"]
    assert bad.read_bytes().startswith(b"RIFF not")


def test_import_of_only_bad_files_leaves_the_project_unsaved(tmp_path: Path) -> None:
    folder = tmp_path / "P.glassroom"
    main(["new", str(folder)])
    before = (folder / "project.json").read_bytes()
    assert main(["import", str(folder), str(tmp_path / "absent.wav")]) == 1
    assert (folder / "project.json").read_bytes() == before


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["import", str(tmp_path)]) == 2
    assert main(["new", str(tmp_path / "x"), "--rate", "fast"]) == 2
    assert main(["import", str(tmp_path), "f.wav", "--at", "-3"]) == 2
    assert "usage" in capsys.readouterr().err


def test_missing_project_is_a_failure_not_a_traceback(tmp_path: Path, capsys) -> None:
    assert main(["info", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("glassroom: ") and "Traceback" not in err


def test_demo_has_four_tracks_a_reverb_bus_and_a_minute(demo_folder: Path) -> None:
    opened = store.open_project(demo_folder)
    project = opened.project
    assert opened.report == []
    audio = [t for t in project.tracks if t.kind is TrackKind.AUDIO]
    buses = project.buses()
    assert [t.name for t in audio] == ["Drums", "Bass", "Keys", "Lead Vox"]
    assert len(buses) == 1 and buses[0].bus_effect == "reverb"
    assert project.length() == 60 * 48000
    assert project.sample_rate == 48000 and project.tempo == 120
    assert [m.name for m in project.markers] == ["Verse", "Chorus"]
    by_name = {t.name: t for t in project.tracks}
    for name in ("Keys", "Lead Vox"):
        assert [s.bus for s in by_name[name].strip.sends] == [buses[0].id]
    booth = project.cues[0]
    assert booth.name == "Vocal booth"
    lead = booth.sends[by_name["Lead Vox"].id].level_db
    assert all(lead > s.level_db for tid, s in booth.sends.items()
               if tid != by_name["Lead Vox"].id)
    assert len({t.colour for t in project.tracks}) == len(project.tracks)


def test_demo_stems_are_deterministic_and_not_silent() -> None:
    one, two = demo.render_stems(), demo.render_stems()
    for name, stem in one.items():
        assert np.array_equal(stem, two[name])
        assert stem.shape == (demo.LENGTH,)
        assert 0.1 < float(np.abs(stem).max()) <= 1.0
        assert float(np.sqrt(np.mean(stem.astype(np.float64) ** 2))) > 0.02, name
    # The lead sings only from the verse on; the drums play from the start.
    verse = demo.VERSE_BAR * demo.BAR
    assert np.abs(one["Lead Vox"][: verse - 100]).max() < 1e-3
    assert np.abs(one["Drums"][:demo.BEAT]).max() > 0.1


def test_info_json_describes_the_project(demo_folder: Path, capsys) -> None:
    assert main(["info", str(demo_folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "Demo"
    assert info["sample_rate"] == 48000 and info["tempo"] == 120
    assert info["length_seconds"] == 60.0
    assert [t["clips"] for t in info["tracks"]] == [1, 1, 1, 1, 0]
    assert info["tracks"][-1]["kind"] == "bus"
    assert len(info["media"]) == 4 and all(m["status"] == "ok" for m in info["media"])
    assert info["missing"] == []


def test_info_reports_missing_media(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "P.glassroom"
    main(["new", str(folder)])
    main(["import", str(folder), str(_tone(tmp_path / "gone.wav"))])
    project = store.open_project(folder).project
    media_file = folder / next(iter(project.media.values())).path
    media_file.rename(tmp_path / "moved-away.wav")
    capsys.readouterr()
    assert main(["info", str(folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["media"][0]["status"] == "missing"
    assert info["missing"] == [info["media"][0]["id"]]
    assert any("missing" in line for line in info["report"])
    assert main(["info", str(folder)]) == 0
    assert "[MISSING]" in capsys.readouterr().out


def test_installed_console_script(tmp_path: Path) -> None:
    assert SCRIPT.exists(), "the package is not installed into this environment"
    folder = tmp_path / "S.glassroom"
    wav = _tone(tmp_path / "take.wav")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = [str(SCRIPT), "new", str(folder)]
    assert subprocess.run(run, env=env, capture_output=True, timeout=60).returncode == 0
    done = subprocess.run([str(SCRIPT), "import", str(folder), str(wav), "nope.wav"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "glassroom: " in done.stderr and "Traceback" not in done.stderr
    info = subprocess.run([str(SCRIPT), "info", str(folder), "--json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert info.returncode == 0
    assert [t["name"] for t in json.loads(info.stdout)["tracks"]] == ["take"]


def test_the_demo_folder_follows_xdg_data_home(tmp_path: Path, monkeypatch,
                                               demo_folder: Path) -> None:
    from app.cli import default_demo_folder, ensure_demo

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_demo_folder() == tmp_path / "data" / "glassroom" / "Demo.glassroom"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_demo_folder() == tmp_path / "home/.local/share/glassroom/Demo.glassroom"
    # an existing demo is opened as it is, never made again over the user's changes
    before = (demo_folder / "project.json").read_bytes()
    assert ensure_demo(demo_folder) == demo_folder
    assert (demo_folder / "project.json").read_bytes() == before


def test_opening_a_folder_that_is_not_a_project_fails_before_any_window(tmp_path: Path,
                                                                        capsys) -> None:
    assert main([str(tmp_path / "NotHere.glassroom")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("glassroom: ") and "not a Glassroom project" in err

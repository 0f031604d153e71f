"""`glassroom render` with delivery options and `glassroom loudness`, as run from a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pyloudnorm as pyln
import pytest
import soundfile as sf
from test_export import RATE, _music, make_project, true_peak_4x

from app.cli import main
from app.engine.export import REPORT_SUFFIX


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli")
    return make_project(base / "Song.glassroom", [_music(1), _music(2)])[1]


def test_render_normalises_to_the_target_under_the_ceiling(song: Path, tmp_path: Path,
                                                           capsys) -> None:
    out = tmp_path / "master.flac"
    assert main(["render", str(song), "-o", str(out), "--normalize", "-14", "--ceiling", "-1",
                 "--bit-depth", "16", "--rate", "44100"]) == 0
    data, fs = sf.read(out, always_2d=True)
    assert fs == 44100
    assert abs(pyln.Meter(fs).integrated_loudness(data) + 14.0) <= 0.1
    assert true_peak_4x(data) <= -1.0
    printed = capsys.readouterr().out
    assert "integrated" in printed and "true peak" in printed
    assert json.loads((tmp_path / f"master.flac{REPORT_SUFFIX}").read_text())["file"] == \
        "master.flac"


def test_render_writes_stems_and_a_range(song: Path, tmp_path: Path) -> None:
    out = tmp_path / "mix.wav"
    assert main(["render", str(song), "-o", str(out), "--range", "1:3", "--stems",
                 str(tmp_path / "stems"), "--format", "wav", "--bit-depth", "32"]) == 0
    assert sf.info(str(out)).frames == 2 * RATE
    assert sorted(p.name for p in (tmp_path / "stems").iterdir() if p.suffix == ".wav") == \
        ["Track 0.wav", "Track 1.wav"]


def test_render_refuses_to_replace_a_file_without_force(song: Path, tmp_path: Path,
                                                        capsys) -> None:
    out = tmp_path / "mix.wav"
    out.write_bytes(b"mine")
    assert main(["render", str(song), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("glassroom: ") and "already exists" in err and "--force" in err
    assert out.read_bytes() == b"mine"
    assert main(["render", str(song), "-o", str(out), "--force"]) == 0
    assert out.read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--range", "3:3"], "empty"), (["--range", "x"], "START:END"),
     (["--cue", "Nobody"], "no cue mix"), (["--format", "flac", "--bit-depth", "32"], "16 or 24"),
     (["--normalize", "-14", "--format", "mp3", "--rate", "96000"], "MP3 cannot be 96000")],
)
def test_render_failures_exit_non_zero_with_a_sentence(song: Path, tmp_path: Path, capsys,
                                                       args: list[str], words: str) -> None:
    suffix = ".mp3" if "mp3" in args else ".flac" if "flac" in args else ".wav"
    out = tmp_path / f"mix{suffix}"
    assert main(["render", str(song), "-o", str(out), *args]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_render_into_a_folder_that_cannot_be_written(song: Path, capsys) -> None:
    assert main(["render", str(song), "-o", "/proc/mix.wav"]) == 1
    assert "cannot write in /proc" in capsys.readouterr().err


def test_loudness_prints_a_report_per_file_and_fails_on_a_bad_one(tmp_path: Path,
                                                                  capsys) -> None:
    sf.write(tmp_path / "a.wav", _music(3), RATE)
    sf.write(tmp_path / "quiet.wav", _music(3) * 0.0, RATE)
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    assert main(["loudness", str(tmp_path / "a.wav"), str(tmp_path / "quiet.wav")]) == 0
    out = capsys.readouterr().out
    assert out.count("integrated") == 2
    assert "-inf LUFS" in out
    assert main(["loudness", str(tmp_path / "a.wav"), str(tmp_path / "junk.wav")]) == 1
    captured = capsys.readouterr()
    assert "junk.wav" in captured.err and captured.out.count("integrated") == 1


def test_a_terminal_sees_a_progress_bar(song: Path, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run(
        [sys.executable, "-m", "app", "render", str(song), "-o", str(tmp_path / "m.wav")],
        stdout=subprocess.PIPE, stderr=follower, env=env, timeout=120)
    os.close(follower)
    seen = b""
    try:
        while chunk := os.read(leader, 4096):
            seen += chunk
    except OSError:  # the pty reports EIO once the child side is closed and drained
        pass
    os.close(leader)
    assert proc.returncode == 0, seen.decode(errors="replace")
    assert b"100%" in seen and b"[###" in seen

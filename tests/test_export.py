"""Export and loudness delivery: targets, ceilings, dither, stems, and every way it can fail."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pyloudnorm as pyln
import pytest
import soundfile as sf

from app.dsp.truepeak import TP_STATE_SIZE, to_dbtp, truepeak_process, truepeak_take
from app.engine.engine import Engine
from app.engine.export import (
    REPORT_SUFFIX,
    ExportError,
    ExportSettings,
    LoudnessReport,
    deliver,
    deliver_file,
    export_project,
    loudness_report,
    measure,
    resolve_range,
)
from app.session import edits, media, store
from app.session.media import Cancelled
from app.session.model import Clip, CueMix, CueSend, Marker, Track

RATE = 48000
SECONDS = 6


def true_peak_4x(data: np.ndarray) -> float:
    a = np.ascontiguousarray(np.atleast_2d(data.T).T, dtype=np.float64)
    state = np.zeros((a.shape[1], TP_STATE_SIZE))
    truepeak_process(state, a, a.shape[1], a.shape[0])
    return to_dbtp(truepeak_take(state, a.shape[1]))


def _music(seed: int, seconds: float = SECONDS, level: float = 0.2) -> np.ndarray:
    """Stereo test material with peaks, decays and a wide dynamic range."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    env = np.exp(-6.0 * (t % 0.5))
    tone = level * env * np.sin(2 * np.pi * (150 + 90 * seed) * t + seed)
    noise = 0.05 * level * rng.standard_normal((t.size, 2))
    return (tone[:, None] * [1.0, 0.7] + noise).astype(np.float32)


def make_project(folder: Path, signals: list[np.ndarray]) -> tuple:
    project = store.create_project(folder, sample_rate=RATE, name="Song")
    history = edits.EditHistory(project)
    for k, data in enumerate(signals):
        src = folder.parent / f"src{k}.wav"
        sf.write(src, data, RATE, subtype="FLOAT")
        mf = media.import_audio(src, folder, RATE).media
        track = Track(f"Track {k}")
        history.apply(edits.Compound("add", [edits.AddTrack(track),
                                             edits.AddClip(track.id, Clip(mf.id, 0, mf.frames),
                                                           mf)]))
    store.save_project(project, folder)
    return project, folder


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    base = tmp_path_factory.mktemp("song")
    return make_project(base / "Song.glassroom", [_music(1), _music(2), _music(3, level=0.4)])


@pytest.fixture(scope="module")
def engine():
    e = Engine()
    yield e
    e.close()


@pytest.mark.parametrize(
    ("fmt", "bits", "target", "rate"),
    [("wav", 24, -23.0, None), ("wav", 16, -14.0, None), ("flac", 24, -14.0, 44100),
     ("wav", 32, -11.0, None), ("ogg", 16, -16.0, None), ("mp3", 16, -16.0, 44100)],
)
def test_exports_meet_the_target_by_pyloudnorm_and_stay_under_the_ceiling(
    song, engine, tmp_path: Path, fmt: str, bits: int, target: float, rate: int | None
) -> None:
    project, folder = song
    settings = ExportSettings(format=fmt, bit_depth=bits, rate=rate, normalize=target,
                              ceiling=-1.0)
    result = export_project(engine, project, folder, tmp_path, settings)
    path = result.files[0].path
    assert path == tmp_path / f"Song.{fmt}"
    data, fs = sf.read(path, always_2d=True)
    assert fs == (rate or RATE)
    assert abs(pyln.Meter(fs).integrated_loudness(data) - target) <= 0.1
    assert true_peak_4x(data) <= -1.0
    assert result.files[0].note == ""
    saved = json.loads((tmp_path / f"Song.{fmt}{REPORT_SUFFIX}").read_text())
    assert abs(saved["loudness"]["integrated"] - target) <= 0.1
    assert saved["loudness"]["true_peak"] <= -1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"Song.{fmt}",
                                                          f"Song.{fmt}{REPORT_SUFFIX}"]


def test_a_target_the_ceiling_cannot_allow_is_delivered_and_says_how_far_it_got(
    tmp_path: Path,
) -> None:
    # A single click train: almost all peak, so loudness costs a great deal of limiting.
    x = np.zeros((RATE * 4, 2))
    x[:: RATE // 4] = 0.5
    settings = ExportSettings(format="wav", bit_depth=24, normalize=-5.0, ceiling=-1.0,
                              max_limiting_db=6.0)
    report, _gain, limited, note = deliver(x, RATE, tmp_path / "o.wav", settings)
    data, _fs = sf.read(tmp_path / "o.wav", always_2d=True)
    assert limited
    assert true_peak_4x(data) <= -1.0
    assert report.integrated < -5.5
    assert f"reached {report.integrated:.1f} LUFS" in note
    assert "-5 LUFS target" in note


def test_a_hot_signal_is_limited_to_the_true_peak_ceiling_without_clipping(tmp_path: Path) -> None:
    # fs/4 at 45 degrees: sample peaks 3 dB under the true peak (see FACTS.md).
    n = np.arange(RATE * 3)
    x = np.sin(np.pi / 2 * n + np.pi / 4)[:, None] * np.ones(2) * 0.99
    settings = ExportSettings(format="wav", bit_depth=16, normalize=None, ceiling=-1.0)
    deliver(x, RATE, tmp_path / "o.wav", settings)
    data, _fs = sf.read(tmp_path / "o.wav", always_2d=True)
    assert true_peak_4x(data) <= -1.0
    assert np.max(np.abs(data)) < 0.9


@pytest.mark.parametrize(("fmt", "bits"), [("flac", 16), ("wav", 24)])
def test_the_report_is_what_the_file_holds_and_the_same_export_gives_the_same_bytes(
    tmp_path: Path, fmt: str, bits: int
) -> None:
    # Several pieces of the pipeline long, and hot enough to need the limiter.
    x = _music(6, seconds=5, level=0.9) + _music(7, seconds=5, level=0.5)
    settings = ExportSettings(format=fmt, bit_depth=bits, normalize=-9.0, ceiling=-1.0)
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    report, _gain, limited, note = deliver(x, RATE, first, settings)
    deliver(x, RATE, second, settings)
    assert limited and note == ""
    assert first.read_bytes() == second.read_bytes()
    assert loudness_report(first) == report
    assert abs(report.integrated + 9.0) <= 0.02
    assert report.true_peak <= -1.0


def test_the_limiter_runs_only_when_the_gain_would_pass_the_ceiling(tmp_path: Path) -> None:
    x = _music(8, level=0.05)
    source = measure(x, RATE)
    settings = ExportSettings(format="wav", bit_depth=24, normalize=source.integrated + 6.0,
                              ceiling=-1.0)
    report, gain, limited, _note = deliver(x, RATE, tmp_path / "o.wav", settings)
    assert not limited
    assert gain == pytest.approx(6.0, abs=0.01)
    # Gain alone scales every level: only dither and rounding move them, far below 0.01 dB.
    assert report.true_peak == pytest.approx(source.true_peak + gain, abs=0.01)
    assert report.max_momentary == pytest.approx(source.max_momentary + gain, abs=0.01)


def test_sixteen_bit_export_of_a_quiet_fade_carries_tpdf_dither(tmp_path: Path) -> None:
    t = np.arange(RATE * 4) / RATE
    fade = 10 ** (np.linspace(-60, -120, t.size) / 20)
    x = (fade * np.sin(2 * np.pi * 440 * t))[:, None] * np.ones(2)
    settings = ExportSettings(format="wav", bit_depth=16, normalize=None, ceiling=None)
    deliver(x, RATE, tmp_path / "fade.wav", settings)
    written, _fs = sf.read(tmp_path / "fade.wav", dtype="int16", always_2d=True)
    plain = np.round(x * 32768).astype(np.int16)
    assert np.count_nonzero(written != plain) > 0.3 * written.size
    tail = slice(-RATE, None)  # the last second is under -105 dBFS: rounding gives zeros
    assert np.count_nonzero(plain[tail]) == 0
    # Triangular dither over +-1 LSB rounds to +-1 a quarter of the time on silence.
    assert 0.2 < np.count_nonzero(written[tail]) / written[tail].size < 0.3
    assert set(np.unique(written[tail])) <= {-1, 0, 1}
    # TPDF of two uniform LSBs: error variance 1/12 + 1/6 = 1/4 LSB^2
    error = written.astype(np.float64) - x * 32768
    assert 0.2 < np.var(error) < 0.3


def test_stems_without_master_processing_sum_to_the_master(song, engine, tmp_path: Path) -> None:
    project, folder = song
    settings = ExportSettings(master=True, stems=[t.id for t in project.tracks], format="wav",
                              bit_depth=32, normalize=None, ceiling=None)
    result = export_project(engine, project, folder, tmp_path, settings)
    by_kind = {d.label: d.path for d in result.files}
    master, _fs = sf.read(by_kind["Master"], always_2d=True)
    total = sum(sf.read(by_kind[t.name], always_2d=True)[0] for t in project.tracks)
    assert master.shape == total.shape
    residue = np.max(np.abs(master - total)) / np.max(np.abs(master))
    assert 20 * math.log10(max(residue, 1e-20)) < -90.0
    assert (tmp_path / "Song - Track 0.wav").exists()


def test_normalised_stems_take_the_master_gain_so_they_still_add_up(
    song, engine, tmp_path: Path
) -> None:
    project, folder = song
    settings = ExportSettings(master=True, stems=[t.id for t in project.tracks], format="wav",
                              bit_depth=32, normalize=-20.0, ceiling=-1.0)
    result = export_project(engine, project, folder, tmp_path, settings)
    gains = {round(d.gain_db, 6) for d in result.files}
    assert len(gains) == 1
    assert abs(result.files[0].report.integrated + 20.0) <= 0.02


def test_silence_reports_minus_infinity_and_is_not_normalised(tmp_path: Path) -> None:
    settings = ExportSettings(format="wav", bit_depth=16, normalize=-14.0)
    report, gain, limited, note = deliver(np.zeros((RATE * 2, 2)), RATE, tmp_path / "s.wav",
                                          settings)
    assert report.integrated == -math.inf
    assert report.true_peak == -math.inf and report.sample_peak == -math.inf
    assert gain == 0.0 and not limited
    assert "silence" in note
    assert np.count_nonzero(sf.read(tmp_path / "s.wav", dtype="int16")[0]) == 0
    back = LoudnessReport.from_json(json.loads(json.dumps(report.to_json())))
    assert back == report


def test_loudness_report_of_a_file_matches_pyloudnorm(tmp_path: Path) -> None:
    data = _music(4).astype(np.float64)
    sf.write(tmp_path / "m.wav", data, RATE, subtype="FLOAT")
    report = loudness_report(tmp_path / "m.wav")
    assert abs(report.integrated - pyln.Meter(RATE).integrated_loudness(data)) <= 0.1
    assert report.max_momentary >= report.max_short_term >= report.integrated - 1.0
    assert report.sample_peak == pytest.approx(20 * math.log10(np.max(np.abs(data))), abs=1e-6)
    assert report.true_peak >= report.sample_peak
    with pytest.raises(ExportError, match="not a file"):
        loudness_report(tmp_path / "missing.wav")


def test_ranges_and_an_empty_range_is_refused(song, engine, tmp_path: Path) -> None:
    project, folder = song
    assert resolve_range(project) == (0, SECONDS * RATE)
    with pytest.raises(ExportError, match="empty"):
        resolve_range(project, "loop")
    project.markers = [Marker("a", RATE), Marker("b", 3 * RATE)]
    assert resolve_range(project, "markers",
                         markers=(project.markers[1].id, project.markers[0].id)) == (RATE, 3 * RATE)
    assert resolve_range(project, "selection", selection=(10, 20)) == (10, 20)
    settings = ExportSettings(range=(RATE, RATE))
    with pytest.raises(ExportError, match="empty"):
        export_project(engine, project, folder, tmp_path, settings)
    result = export_project(engine, project, folder, tmp_path,
                            ExportSettings(range=(RATE, 2 * RATE), format="wav", bit_depth=24))
    assert sf.info(str(result.files[0].path)).frames == RATE
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_file_is_never_replaced_unless_asked(song, engine, tmp_path: Path) -> None:
    project, folder = song
    mine = tmp_path / "Song.wav"
    mine.write_bytes(b"my precious take")
    settings = ExportSettings(format="wav", range=(0, RATE))
    with pytest.raises(ExportError, match="already exists"):
        export_project(engine, project, folder, tmp_path, settings)
    assert mine.read_bytes() == b"my precious take"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Song.wav"]
    settings.overwrite = True
    export_project(engine, project, folder, tmp_path, settings)
    assert sf.info(str(mine)).frames == RATE


def test_a_folder_that_cannot_be_written_is_reported(song, engine, tmp_path: Path) -> None:
    project, folder = song
    settings = ExportSettings(range=(0, RATE))
    with pytest.raises(ExportError, match="cannot write in /proc"):
        export_project(engine, project, folder, "/proc", settings)
    with pytest.raises(ExportError, match="does not exist"):
        export_project(engine, project, folder, tmp_path / "nowhere", settings)
    if os.geteuid() != 0:  # root writes through permission bits
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        with pytest.raises(ExportError, match="cannot write"):
            export_project(engine, project, folder, locked, settings)


def _deliver_with_small_disk(src: str, dest: str, limit: int, queue) -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        deliver_file(src, dest, ExportSettings(format="wav", bit_depth=24, normalize=-20.0))
    except ExportError as e:
        queue.put(("error", str(e)))
    else:
        queue.put(("ok", ""))


def test_a_disk_that_fills_up_mid_export_leaves_no_partial_file(tmp_path: Path) -> None:
    src = tmp_path / "in" / "mix.wav"
    src.parent.mkdir()
    sf.write(src, _music(5), RATE, subtype="FLOAT")
    out = tmp_path / "out"
    out.mkdir()
    (out / "other.wav").write_bytes(b"keep me")
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(
        target=_deliver_with_small_disk, args=(str(src), str(out / "mix.wav"), 200_000, queue))
    child.start()
    kind, message = queue.get(timeout=60)
    child.join(timeout=60)
    assert kind == "error"
    assert "could not write mix.wav" in message and "disk is full" in message
    assert "removed" in message
    assert sorted(p.name for p in out.iterdir()) == ["other.wav"]
    assert (out / "other.wav").read_bytes() == b"keep me"


def test_cancel_leaves_nothing_behind(song, engine, tmp_path: Path) -> None:
    project, folder = song
    seen: list[float] = []
    settings = ExportSettings(stems=[t.id for t in project.tracks], normalize=-14.0)
    with pytest.raises(Cancelled):
        export_project(engine, project, folder, tmp_path, settings, progress=seen.append,
                       cancel=lambda: bool(seen) and seen[-1] > 0.6)
    assert seen and seen[-1] > 0.6
    assert list(tmp_path.iterdir()) == []
    seen.clear()
    with pytest.raises(Cancelled):
        export_project(engine, project, folder, tmp_path, settings, progress=seen.append,
                       cancel=lambda: bool(seen) and seen[-1] > 0.2)
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_are_refused_with_a_sentence(song, engine, tmp_path: Path) -> None:
    project, folder = song
    for settings, words in [
        (ExportSettings(format="flac", bit_depth=32), "16 or 24 bit"),
        (ExportSettings(format="aiff"), "unknown format"),
        (ExportSettings(format="mp3", rate=96000), "MP3 cannot be 96000"),
        (ExportSettings(master=False), "nothing chosen"),
        (ExportSettings(stems=["nope"]), "no track"),
        (ExportSettings(cues=["nope"]), "no cue mix"),
    ]:
        with pytest.raises(ExportError, match=words):
            export_project(engine, project, folder, tmp_path, settings)
    assert list(tmp_path.iterdir()) == []


def test_a_cue_mix_is_exported_at_its_own_loudness(song, engine, tmp_path: Path) -> None:
    project, folder = song
    project.cues = [CueMix("Alice", sends={t.id: CueSend(level_db=-6.0) for t in project.tracks})]
    try:
        settings = ExportSettings(master=False, cues=[project.cues[0].id], normalize=-18.0,
                                  format="wav", bit_depth=24)
        result = export_project(engine, project, folder, tmp_path, settings)
    finally:
        project.cues = []
    path = tmp_path / "Song - Alice.wav"
    assert result.files[0].path == path and result.files[0].kind == "cue"
    data, fs = sf.read(path, always_2d=True)
    assert abs(pyln.Meter(fs).integrated_loudness(data) + 18.0) <= 0.1
    assert true_peak_4x(data) <= -1.0


def test_progress_only_moves_forward_and_ends_at_one(song, engine, tmp_path: Path) -> None:
    project, folder = song
    seen: list[float] = []
    export_project(engine, project, folder, tmp_path,
                   ExportSettings(stems=[project.tracks[0].id], normalize=-14.0),
                   progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert any(0.5 < f < 1.0 for f in seen)  # delivery reports too, not only the render

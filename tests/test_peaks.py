"""Waveform peak pyramids: exact against numpy, conservative, stale detection, cancel."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.session import model, peaks
from app.session.media import Cancelled
from app.session.peaks import BUCKET, PeakPyramid, StalePeaks, build_peaks, ensure_peaks

RATE = 48000
# Enough frames for three levels, with a ragged last bucket.
FRAMES = BUCKET * 16 * 16 * 3 + 1234


def signal(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((frames, channels)).astype(np.float32) * 0.3
    x[frames // 3, 0] = 0.99  # isolated extremes that any off-by-one would lose
    x[frames // 2, -1] = -0.98
    return x


def write_audio(path: Path, x: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, RATE, subtype="FLOAT")
    return path


def reference(
    x: np.ndarray, start: int, end: int, pixels: int, channel: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """numpy min/max per pixel over the signal padded with silence outside the file."""
    data = x if channel is None else x[:, channel : channel + 1]
    lo = np.empty(pixels, np.float32)
    hi = np.empty(pixels, np.float32)
    span = end - start
    for p in range(pixels):
        a = start + p * span // pixels
        b = max(start + (p + 1) * span // pixels, a + 1)
        inside = data[max(a, 0) : max(min(b, len(x)), 0)]
        values = inside.ravel()
        if a < 0 or b > len(x):
            values = np.append(values, np.float32(0.0))
        lo[p], hi[p] = values.min(), values.max()
    return lo, hi


@pytest.fixture(scope="module")
def stereo(tmp_path_factory) -> tuple[np.ndarray, PeakPyramid]:
    folder = tmp_path_factory.mktemp("stereo")
    x = signal(FRAMES, 2)
    audio = write_audio(folder / "audio" / "st.wav", x)
    build_peaks(audio, folder / "peaks" / "st.peaks")
    return x, PeakPyramid.open(folder / "peaks" / "st.peaks", audio)


@pytest.fixture(scope="module")
def mono(tmp_path_factory) -> tuple[np.ndarray, PeakPyramid]:
    folder = tmp_path_factory.mktemp("mono")
    x = signal(FRAMES, 1, seed=1)
    audio = write_audio(folder / "audio" / "m.wav", x)
    build_peaks(audio, folder / "peaks" / "m.peaks")
    return x, PeakPyramid.open(folder / "peaks" / "m.peaks", audio)


ZOOMS = [  # (start, samples per pixel, pixels): start and spp on bucket boundaries
    (0, 256, 300),
    (BUCKET * 7, 512, 200),
    (0, 4096, 60),
    (BUCKET * 16 * 2, 4096 * 3, 25),
    (0, 65536, 4),
    (0, 65536 * 2, 2),
    ((FRAMES // BUCKET - 5) * BUCKET, 256, 40),  # runs past the end of the file
]


@pytest.mark.parametrize(("start", "spp", "pixels"), ZOOMS)
@pytest.mark.parametrize("channel", [None, 0, 1])
def test_stereo_envelope_is_exact_on_bucket_boundaries(stereo, start, spp, pixels, channel):
    x, pyr = stereo
    got = pyr.envelope(start, start + spp * pixels, pixels, channel)
    want = reference(x, start, start + spp * pixels, pixels, channel)
    assert got[0].dtype == got[1].dtype == np.float32
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize(("start", "spp", "pixels"), ZOOMS)
def test_mono_envelope_is_exact_on_bucket_boundaries(mono, start, spp, pixels):
    x, pyr = mono
    got = pyr.envelope(start, start + spp * pixels, pixels)
    want = reference(x, start, start + spp * pixels, pixels, None)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize(
    ("start", "end", "pixels"),
    [(0, 2000, 2000), (123, 123 + 255 * 100, 100), (5000, 5000 + 733, 100), (17, 40, 200)],
)
@pytest.mark.parametrize("channel", [None, 1])
def test_below_256_samples_per_pixel_reads_the_audio_exactly(stereo, start, end, pixels, channel):
    x, pyr = stereo
    got = pyr.envelope(start, end, pixels, channel)
    want = reference(x, start, end, pixels, channel)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_unaligned_zooms_cover_the_true_range(stereo):
    x, pyr = stereo
    rng = np.random.default_rng(3)
    for _ in range(40):
        start = int(rng.integers(-5000, FRAMES))
        pixels = int(rng.integers(1, 400))
        spp = float(rng.uniform(256, 20000))
        end = start + int(spp * pixels)
        channel = [None, 0, 1][int(rng.integers(0, 3))]
        lo, hi = pyr.envelope(start, end, pixels, channel)
        want_lo, want_hi = reference(x, start, end, pixels, channel)
        assert np.all(lo <= want_lo) and np.all(hi >= want_hi)
        # Widened, but still made of values from the file (or its surrounding silence).
        assert np.all(lo >= x.min()) and np.all(hi <= x.max())


def test_regions_beyond_the_file_are_silent(stereo):
    _, pyr = stereo
    for start, end in [(FRAMES, FRAMES + 10_000), (-50_000, -1), (FRAMES * 5, FRAMES * 6)]:
        lo, hi = pyr.envelope(start, end, 100)
        assert lo.shape == hi.shape == (100,)
        assert not lo.any() and not hi.any()
    lo, hi = pyr.envelope(FRAMES - 256 * 10, FRAMES + 256 * 10, 20)
    assert np.all(lo[:10] < 0) and np.all(hi[:10] > 0)
    assert not lo[10:].any() and not hi[10:].any()


def test_pyramid_reports_its_shape_and_edge_cases(stereo):
    _, pyr = stereo
    assert (pyr.frames, pyr.channels) == (FRAMES, 2)
    assert pyr.envelope(0, 1000, 0)[0].shape == (0,)
    assert not pyr.envelope(500, 500, 10)[1].any()
    with pytest.raises(IndexError):
        pyr.envelope(0, 1000, 10, channel=2)


def test_empty_audio_file_gives_an_empty_pyramid(tmp_path):
    audio = write_audio(tmp_path / "e.wav", np.zeros((0, 2), np.float32))
    build_peaks(audio, tmp_path / "e.peaks")
    pyr = PeakPyramid.open(tmp_path / "e.peaks", audio)
    assert (pyr.frames, pyr.channels) == (0, 2)
    lo, hi = pyr.envelope(0, 48000, 50)
    assert not lo.any() and not hi.any()


def test_many_channels_use_per_channel_peaks(tmp_path):
    x = signal(BUCKET * 40 + 3, 5, seed=4)
    audio = write_audio(tmp_path / "five.wav", x)
    build_peaks(audio, tmp_path / "five.peaks")
    pyr = PeakPyramid.open(tmp_path / "five.peaks", audio)
    for channel in [None, 0, 4]:
        got = pyr.envelope(0, BUCKET * 42, 21, channel)
        want = reference(x, 0, BUCKET * 42, 21, channel)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


# --- staleness, corruption, ensure ------------------------------------------------------


def media_in(folder: Path, x: np.ndarray, name: str = "take.wav") -> model.MediaFile:
    write_audio(folder / "audio" / name, x)
    return model.MediaFile(
        path=f"audio/{name}", frames=len(x), channels=x.shape[1], sample_rate=RATE
    )


def test_changed_audio_makes_the_peaks_stale_and_ensure_rebuilds(tmp_path):
    x = signal(BUCKET * 100, 1, seed=5)
    media = media_in(tmp_path, x)
    pyr = ensure_peaks(tmp_path, media)
    peaks_file = tmp_path / "peaks" / f"{media.id}.peaks"
    assert peaks_file.is_file()
    np.testing.assert_array_equal(
        pyr.envelope(0, len(x), 100)[1], reference(x, 0, len(x), 100, None)[1]
    )

    louder = x * 2
    audio = tmp_path / media.path
    st = audio.stat()
    write_audio(audio, louder)  # same size: only the mtime tells
    os.utime(audio, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert audio.stat().st_size == st.st_size
    with pytest.raises(StalePeaks, match="changed"):
        PeakPyramid.open(peaks_file, audio)
    pyr = ensure_peaks(tmp_path, media)
    np.testing.assert_array_equal(
        pyr.envelope(0, len(x), 100)[1], reference(louder, 0, len(x), 100, None)[1]
    )


def test_appended_audio_makes_the_peaks_stale(tmp_path):
    x = signal(BUCKET * 20, 1)
    audio = write_audio(tmp_path / "a.wav", x)
    build_peaks(audio, tmp_path / "a.peaks")
    mtime = audio.stat().st_mtime_ns
    write_audio(audio, np.concatenate([x, x]))
    os.utime(audio, ns=(mtime, mtime))
    with pytest.raises(StalePeaks):
        PeakPyramid.open(tmp_path / "a.peaks", audio)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "extend"])
def test_damaged_peak_files_are_stale(tmp_path, damage):
    x = signal(BUCKET * 300, 2)
    audio = write_audio(tmp_path / "d.wav", x)
    path = tmp_path / "d.peaks"
    build_peaks(audio, path)
    raw = path.read_bytes()
    damaged = {
        "truncate": raw[: len(raw) // 2],
        "garbage": np.random.default_rng(0).bytes(len(raw)),
        "empty": b"",
        "extend": raw + b"\0" * 64,
    }[damage]
    path.write_bytes(damaged)
    with pytest.raises(StalePeaks):
        PeakPyramid.open(path, audio)


def test_ensure_peaks_refuses_media_outside_the_project(tmp_path):
    outside = model.MediaFile(path="../elsewhere.wav", frames=10, channels=1, sample_rate=RATE)
    with pytest.raises(peaks.MediaError, match="outside"):
        ensure_peaks(tmp_path / "proj", outside)
    missing = model.MediaFile(path="audio/none.wav", frames=10, channels=1, sample_rate=RATE)
    with pytest.raises(peaks.MediaError, match="missing"):
        ensure_peaks(tmp_path, missing)


# --- build progress, cancel, threads ------------------------------------------------------

LONG = (1 << 22) * 3 + 1000  # several kernel chunks


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory) -> Path:
    return write_audio(tmp_path_factory.mktemp("long") / "long.wav", signal(LONG, 1))


def test_build_progress_is_monotonic_and_ends_at_one(long_audio, tmp_path):
    seen: list[float] = []
    build_peaks(long_audio, tmp_path / "p.peaks", progress=seen.append)
    assert len(seen) >= 4
    assert seen == sorted(seen) and seen[-1] == 1.0 and seen[0] > 0.0


def test_cancel_leaves_no_peak_file(long_audio, tmp_path):
    calls = 0

    def cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls == 2

    out = tmp_path / "peaks" / "c.peaks"
    with pytest.raises(Cancelled):
        build_peaks(long_audio, out, cancel=cancel)
    assert calls == 2
    assert list(out.parent.iterdir()) == []


def test_builds_run_in_worker_threads(long_audio, tmp_path):
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            build_peaks(long_audio, tmp_path / f"t{i}.peaks")
        except BaseException as e:  # reported to the test thread below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    a = (tmp_path / "t0.peaks").read_bytes()
    assert a == (tmp_path / "t1.peaks").read_bytes()
    pyr = PeakPyramid.open(tmp_path / "t0.peaks", long_audio)
    assert pyr.frames == LONG

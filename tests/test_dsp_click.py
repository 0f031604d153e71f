"""Metronome click: sample-accurate beats across any block layout, accented downbeats."""

import math

import numpy as np
import pytest

from app.dsp import click as ck


def _render(start, frames, fs, tempo, num, den, sizes=(128,), level=1.0):
    out = np.full(frames, 9.0, dtype=np.float32)
    i = 0
    k = 0
    while i < frames:
        n = min(sizes[k % len(sizes)], frames - i)
        ck.click_render(out[i : i + n], n, start + i, fs, tempo, num, den, level)
        i += n
        k += 1
    return out


def _onsets(out):
    nz = np.flatnonzero(out)
    return nz[np.r_[True, np.diff(nz) > 1]]


@pytest.mark.parametrize(
    "fs,tempo,num,den",
    [(48000.0, 120.0, 4, 4), (44100.0, 97.0, 3, 4), (48000.0, 133.3, 6, 8), (96000.0, 60.0, 5, 4)],
)
def test_clicks_start_exactly_on_beat_frames(fs, tempo, num, den):
    out = _render(0, int(4 * fs), fs, tempo, num, den, sizes=(1, 64, 100, 128, 777))
    spb = fs * 60 / tempo * 4 / den
    beats = [int(math.floor(k * spb + 0.5)) for k in range(int(4 * fs / spb) + 2)]
    beats = [b for b in beats if b < int(4 * fs)]
    assert list(_onsets(out)) == beats
    assert ck.frames_per_beat(fs, tempo, den) == pytest.approx(spb)


def test_render_is_independent_of_block_layout_and_locates():
    fs = 48000.0
    a = _render(0, 96000, fs, 120.0, 4, 4, sizes=(128,))
    b = _render(0, 96000, fs, 120.0, 4, 4, sizes=(1, 31, 500))
    assert np.array_equal(a, b)
    # A locate into the middle of a click continues it.
    c = _render(24010, 1000, fs, 120.0, 4, 4)
    assert np.array_equal(c, a[24010:25010])


def _pitch(out, start, fs):
    seg = out[start : start + int(0.03 * fs)].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg, 1 << 16))
    return np.argmax(spec) * fs / (1 << 16)


def test_downbeat_is_accented_higher_and_louder():
    fs = 48000.0
    out = _render(0, int(4 * fs), fs, 120.0, 4, 4)
    starts = _onsets(out)
    assert _pitch(out, starts[0], fs) == pytest.approx(ck.ACCENT_HZ, rel=0.05)
    assert _pitch(out, starts[1], fs) == pytest.approx(ck.BEAT_HZ, rel=0.05)
    assert _pitch(out, starts[4], fs) == pytest.approx(ck.ACCENT_HZ, rel=0.05)
    span = int(0.03 * fs)
    assert np.max(np.abs(out[starts[0] : starts[0] + span])) > np.max(
        np.abs(out[starts[1] : starts[1] + span])
    )
    assert np.max(np.abs(out)) <= 1.0


def test_count_in_before_zero_clicks_with_bar_accents():
    fs = 48000.0
    out = _render(-96000, 96000, fs, 120.0, 4, 4)
    starts = _onsets(out) - 96000
    assert list(starts) == [-96000, -72000, -48000, -24000]
    assert _pitch(out, 0, fs) == pytest.approx(ck.ACCENT_HZ, rel=0.05)


def test_silent_level_and_bad_settings():
    out = _render(0, 48000, 48000.0, 120.0, 4, 4, level=0.0)
    assert np.all(out == 0.0)
    out = _render(0, 48000, 48000.0, math.nan, 0, 0, level=math.nan)
    assert np.all(out == 0.0)
    out = _render(0, 48000, math.nan, math.inf, -3, 1000, level=1.0)
    assert np.all(np.isfinite(out)) and np.any(out != 0.0)

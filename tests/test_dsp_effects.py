"""Reverb and delay returns: tails decay, nothing blows up, bad settings are contained."""

import math

import numpy as np
import pytest

from app.dsp import delay as dl
from app.dsp import reverb as rv


def _energy_db(x):
    e = float(np.mean(np.asarray(x, dtype=np.float64) ** 2))
    return 10 * math.log10(e) if e > 0 else -math.inf


def _stereo_input(fs, seconds, source, dtype) -> np.ndarray:
    """(frames, channels) of `seconds`: a unit impulse at 0 in both channels, or `source`
    ((2, n)) from 0, then silence."""
    buf = np.zeros((2, int(seconds * fs)), dtype=dtype)
    if source is None:
        buf[:, 0] = 1.0
    else:
        buf[:, : source.shape[1]] = source
    return np.ascontiguousarray(buf.T)


def _blocks(frames: np.ndarray, block: int):
    """Successive views of `frames`, `block` frames each (the last may be shorter)."""
    for i in range(0, frames.shape[0], block):
        yield frames[i : i + block]


def _reverb(fs, seconds, room, damp=0.5, width=1.0, source=None, block=128):
    state = np.zeros(rv.reverb_state_size(fs))
    rv.reverb_init(state, fs)
    frames = _stereo_input(fs, seconds, source, np.float32)
    for blk in _blocks(frames, block):
        rv.reverb_process(state, blk, blk.shape[0], room, damp, width)
    return np.ascontiguousarray(frames.T), state


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
def test_reverb_impulse_response_decays_60_db(fs):
    buf, state = _reverb(fs, 3.0, room=0.5)
    assert np.all(np.isfinite(buf))
    first = _energy_db(buf[:, : fs // 10])
    assert first > -60.0
    assert _energy_db(buf[:, int(2.5 * fs) :]) < first - 60.0
    assert not np.array_equal(buf[0], buf[1])


def test_reverb_at_maximum_size_is_stable():
    fs = 48000
    noise = np.random.default_rng(0).uniform(-1, 1, (2, fs)).astype(np.float32)
    buf, state = _reverb(fs, 16.0, room=1.0, damp=0.0, source=noise)
    assert np.all(np.isfinite(buf)) and np.all(np.isfinite(state))
    assert np.max(np.abs(buf)) < 4.0
    second = _energy_db(buf[:, fs : 2 * fs])
    last = _energy_db(buf[:, 15 * fs :])
    assert last < second - 40.0


def test_reverb_tail_ends_in_exact_silence():
    fs = 48000
    buf, state = _reverb(fs, 60.0, room=0.3, damp=1.0, block=4096)
    assert np.all(buf[:, -fs:] == 0.0)
    tiny = np.finfo(np.float64).tiny
    assert not np.any((state != 0.0) & (np.abs(state) < tiny))


def test_reverb_bad_settings_and_input():
    fs = 48000
    src = np.random.default_rng(1).standard_normal((2, 4800)).astype(np.float32)
    src[0, 10] = np.nan
    src[1, 20] = np.inf
    buf, state = _reverb(fs, 1.0, room=math.nan, damp=math.inf, width=-math.inf, source=src)
    assert np.all(np.isfinite(buf)) and np.all(np.isfinite(state))
    assert np.any(buf != 0.0)


def _delay(fs, seconds, time_ms, feedback, damp, source=None, block=128):
    state = np.zeros(dl.delay_state_size(fs))
    dl.delay_init(state)
    frames = _stereo_input(fs, seconds, source, np.float64)
    for blk in _blocks(frames, block):
        dl.delay_process(state, blk, blk.shape[0], fs, time_ms, feedback, damp)
    return np.ascontiguousarray(frames.T), state


@pytest.mark.parametrize("fs", [44100, 48000])
def test_delay_repeats_on_time_and_fade_by_feedback(fs):
    buf, _ = _delay(fs, 1.0, 100.0, 0.5, 0.0)
    d = int(round(fs * 0.1))
    for k in range(1, 6):
        assert buf[0, k * d] == pytest.approx(0.5 ** (k - 1), rel=1e-9)
    others = np.delete(buf[0], [k * d for k in range(1, 10)])
    assert np.max(np.abs(others)) < 1e-12


def test_delay_at_maximum_feedback_is_stable_and_decays():
    fs = 48000
    noise = np.random.default_rng(2).uniform(-1, 1, (2, fs))
    buf, state = _delay(fs, 30.0, 250.0, 5.0, 0.0, source=noise)
    assert np.all(np.isfinite(buf))
    # The repeats of a full-scale input can pile up to at most 1 / (1 - 0.98).
    assert np.max(np.abs(buf)) < 50.0
    # Clamped to 0.98 per 250 ms repeat: about 21 dB down over the last 29 s.
    assert _energy_db(buf[:, -fs:]) < _energy_db(buf[:, fs : 2 * fs]) - 15.0


def test_delay_damping_darkens_repeats_and_tail_goes_silent():
    fs = 48000
    buf, _ = _delay(fs, 1.0, 50.0, 0.9, 1.0)
    d = int(round(fs * 0.05))
    first = buf[0, d : 2 * d]
    fifth = buf[0, 5 * d : 6 * d]
    # Each pass through the low-pass spreads the click: lower peak, wider pulse.
    assert np.max(np.abs(fifth)) < 0.5 * 0.9**4 * np.max(np.abs(first))
    assert np.count_nonzero(np.abs(fifth) > 1e-4) > np.count_nonzero(np.abs(first) > 1e-4)
    buf, state = _delay(fs, 20.0, 50.0, 0.5, 1.0)
    assert np.all(buf[:, -fs:] == 0.0)
    assert np.all(state[dl.HEADER :] == 0.0)


def test_delay_bad_settings():
    fs = 48000
    for bad in (math.nan, math.inf, -math.inf, -10.0):
        buf, state = _delay(fs, 0.5, bad, bad, bad)
        assert np.all(np.isfinite(buf)) and np.all(np.isfinite(state))
    buf, _ = _delay(fs, 3.0, 1e9, 0.5, 0.0)
    assert np.all(np.isfinite(buf)) and np.any(buf != 0.0)

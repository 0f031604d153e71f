"""The cue safety limiter never lets a sample past the ceiling, and is clean below it."""

import math

import numpy as np
import pytest

from app.dsp import limiter as lim

FS = 48000.0
CEILING = 10 ** (lim.DEFAULT_CEILING_DB / 20)


def _new(nch=2, fs=FS):
    look = lim.lookahead_frames(fs)
    state = np.zeros(lim.limiter_state_size(nch, look))
    lim.limiter_init(state, nch, look)
    return state


def _run(state, buf, sizes=(128,), ceiling_db=lim.DEFAULT_CEILING_DB, release_ms=50.0):
    """Limit a (channels, frames) test signal in place, in the kernel's (frames, channels)."""
    frames = np.ascontiguousarray(buf.T)
    i = 0
    k = 0
    while i < frames.shape[0]:
        n = min(sizes[k % len(sizes)], frames.shape[0] - i)
        lim.limiter_process(
            state, frames[i : i + n], frames.shape[1], n, FS, ceiling_db, release_ms
        )
        i += n
        k += 1
    buf[:] = frames.T


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hot_random_signals_never_pass_the_ceiling(seed, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 48000)) * 10 ** rng.uniform(0, 3, size=(1, 48000))
    buf = x.astype(dtype)
    _run(_new(), buf, sizes=(1, 17, 64, 128, 1000))
    assert np.max(np.abs(buf)) <= CEILING


def test_transients_after_silence_never_pass_the_ceiling():
    buf = np.zeros((2, 48000), dtype=np.float32)
    buf[0, 1000] = 100.0
    buf[1, 5000:5003] = [-30.0, 50.0, -80.0]
    buf[:, 20000:20480] = 8.0 * np.sign(np.sin(np.arange(480) / 3.0))
    buf[:, 30000] = 1e30
    _run(_new(), buf, sizes=(3, 128))
    assert np.max(np.abs(buf)) <= CEILING
    look = lim.lookahead_frames(FS)
    # The spike comes out at the ceiling (not crushed far below it), one look-ahead later.
    assert abs(buf[0, 1000 + look]) == pytest.approx(CEILING, rel=1e-3)


def test_below_ceiling_signal_is_only_delayed():
    rng = np.random.default_rng(9)
    x = (rng.uniform(-0.5, 0.5, (2, 10000))).astype(np.float32)
    buf = x.copy()
    state = _new()
    _run(state, buf)
    look = lim.limiter_latency(state)
    assert look == lim.lookahead_frames(FS)
    assert np.array_equal(buf[:, look:], x[:, :-look])
    assert np.all(buf[:, :look] == 0.0)
    assert state[7] == 0.0


def test_loud_sine_is_turned_down_not_clipped():
    t = np.arange(48000) / FS
    x = 4.0 * np.sin(2 * np.pi * 440 * t)
    buf = np.stack([x, x])
    state = _new()
    _run(state, buf)
    look = lim.limiter_latency(state)
    settled = slice(24000, 48000)
    ratio = buf[0, settled] / np.where(
        np.abs(x[settled.start - look : settled.stop - look]) > 0.5,
        x[settled.start - look : settled.stop - look],
        np.nan,
    )
    ratio = ratio[np.isfinite(ratio)]
    # A constant gain (a scaled sine), not flat tops from the final clamp.
    assert np.ptp(ratio) < 0.01 * np.mean(ratio)
    assert np.max(np.abs(buf[:, settled])) == pytest.approx(CEILING, rel=0.01)
    assert state[7] == pytest.approx(20 * math.log10(4.0 / CEILING), abs=0.2)


def test_bad_input_and_parameters_stay_safe():
    buf = np.random.default_rng(1).standard_normal((2, 4096)) * 5
    buf[0, ::7] = np.nan
    buf[1, ::11] = -np.inf
    state = _new()
    _run(state, buf, ceiling_db=math.nan, release_ms=math.nan)
    assert np.all(np.isfinite(buf))
    assert np.max(np.abs(buf)) <= CEILING
    buf = np.full((2, 1000), 0.9)
    _run(_new(), buf, ceiling_db=-6.0)
    assert np.max(np.abs(buf)) <= 10 ** (-6 / 20)


def test_mono_state_at_other_rates():
    for fs in (44100.0, 96000.0, 192000.0):
        look = lim.lookahead_frames(fs)
        state = np.zeros(lim.limiter_state_size(1, look))
        lim.limiter_init(state, 1, look)
        buf = np.random.default_rng(2).standard_normal((20000, 1)) * 30
        lim.limiter_process(state, buf, 1, 20000, fs, -1.0, 20.0)
        assert np.max(np.abs(buf)) <= 10 ** (-1 / 20)

"""The export's offline kernels: the true-peak side chain and the limiter run from it."""

from __future__ import annotations

import numpy as np
import pytest

from app.dsp import limiter as lim
from app.dsp.truepeak import (
    PHASE_COEFS,
    TP_STATE_SIZE,
    truepeak_envelope,
    truepeak_process,
    truepeak_take,
)

FS = 48000


def _signal(seed: int, n: int, nch: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, nch)) * 10 ** rng.uniform(-2, 0.5, size=(n, 1))
    x[rng.integers(0, n, 3)] = np.nan
    x[rng.integers(0, n, 2)] = np.inf
    return x


def _envelope(x: np.ndarray, size: int) -> tuple[np.ndarray, float, float]:
    env = np.full(x.shape[0], -1.0)
    peaks = [truepeak_envelope(x, x.shape[1], s, min(x.shape[0], s + size),
                               env[s:s + size]) for s in range(0, x.shape[0], size)]
    return env, max(p[0] for p in peaks), max(p[1] for p in peaks)


@pytest.mark.parametrize(("n", "nch"), [(3, 2), (40, 1), (5000, 2)])
def test_envelope_in_any_pieces_gives_the_meters_true_peak_and_covers_every_peak(
    n: int, nch: int
) -> None:
    x = _signal(n, n, nch)
    clean = np.where(np.isfinite(x), x, 0.0)
    state = np.zeros((nch, TP_STATE_SIZE))
    truepeak_process(state, x, nch, n)
    meter = truepeak_take(state, nch)
    whole, tp, sp = _envelope(x, n)
    assert tp == meter
    assert sp == np.max(np.abs(clean))
    for size in (1, 7, 1000):
        env, tp, sp = _envelope(x, size)
        assert np.array_equal(env, whole)
        assert (tp, sp) == (meter, np.max(np.abs(clean)))
    assert np.all(whole >= np.max(np.abs(clean), axis=1))
    # Both interpolated values next to each frame (the filter delays by 5.5 frames).
    interpolated = np.zeros(n + 11)
    for c in range(nch):
        for p in range(4):
            np.maximum(interpolated, np.abs(np.convolve(clean[:, c], PHASE_COEFS[p])),
                       out=interpolated)
    near = np.maximum(interpolated[5:5 + n], interpolated[6:6 + n])
    assert np.all(whole >= near * (1 - 1e-12))


@pytest.mark.parametrize("sizes", [(128,), (1, 17, 1000)])
def test_gains_from_a_side_chain_limit_exactly_as_the_limiter_on_the_samples(sizes) -> None:
    x = _signal(5, 20000, 2)
    side = np.max(np.where(np.isfinite(x), np.abs(x), 0.0), axis=1) * 1.3
    look = lim.lookahead_frames(FS)
    n = x.shape[0] + look
    # The reference: the samples, scaled, with the side chain as a third linked channel.
    buf = np.zeros((n, 3))
    buf[:-look, :2] = x * 2.0
    buf[:-look, 2] = side * 2.0
    state = np.zeros(lim.limiter_state_size(3, look))
    lim.limiter_init(state, 3, look)
    lim.limiter_process(state, buf, 3, n, float(FS), -1.0, 80.0)

    peak = np.zeros(n)
    peak[:-look] = side * 2.0
    gains = np.zeros(n)
    chain = np.zeros(lim.limiter_state_size(0, look))
    lim.limiter_init(chain, 0, look)
    i = k = 0
    while i < n:
        m = min(sizes[k % len(sizes)], n - i)
        lim.limiter_gains(chain, peak[i:i + m], m, float(FS), -1.0, 80.0, gains[i:i + m])
        i, k = i + m, k + 1
    out = np.zeros_like(x)
    lim.limiter_apply(x, gains[look:], 2, x.shape[0], 2.0, -1.0, out)

    assert np.array_equal(out, buf[look:, :2])
    assert np.array_equal(chain[2:7], state[2:7])  # [7] is per call: the last block's
    assert np.max(np.abs(out)) <= 10 ** (-1.0 / 20)
    assert np.min(gains) < 0.1  # the test signal is limited hard

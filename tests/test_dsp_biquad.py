"""Biquad designs and the TDF-II kernel against scipy and the RBJ cookbook formulas."""

import math

import numpy as np
import pytest
import scipy.signal as ss

from app.dsp import biquad as bq

RATES = (44100.0, 48000.0, 96000.0)


def _sos(coefs: np.ndarray) -> np.ndarray:
    c = np.atleast_2d(coefs)
    return np.hstack([c[:, :3], np.ones((c.shape[0], 1)), c[:, 3:]])


def _run_blocks(coefs, state, x, sizes=(1, 7, 64, 128, 333)):
    y = x.copy()
    i = 0
    k = 0
    while i < len(y):
        n = min(sizes[k % len(sizes)], len(y) - i)
        bq.biquad_process(coefs, state, y[i : i + n], n)
        i += n
        k += 1
    return y


def _design(kind, fs, freq, gain, q):
    c = np.zeros(bq.COEFS_SIZE)
    bq.design(c, kind, fs, freq, gain, q)
    return c


KINDS = [bq.LOW_SHELF, bq.PEAK, bq.HIGH_SHELF, bq.HIGHPASS, bq.LOWPASS]


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "freq,gain,q",
    [(60.0, 9.0, 0.7071), (1000.0, -12.0, 2.0), (9000.0, 4.5, 0.5), (15000.0, -3.0, 8.0)],
)
def test_matches_scipy_sosfilt_on_noise(fs, kind, freq, gain, q):
    c = _design(kind, fs, freq, gain, q)
    x = np.random.default_rng(int(freq) + kind).standard_normal(4000)
    y = _run_blocks(c, np.zeros(bq.STATE_SIZE), x)
    ref = ss.sosfilt(_sos(c), x)
    assert np.max(np.abs(y - ref)) < 1e-6


@pytest.mark.parametrize("fs", RATES)
def test_float32_buffer_with_float64_state_tracks_reference(fs):
    c = _design(bq.PEAK, fs, 3000.0, 6.0, 1.0)
    x = np.random.default_rng(3).standard_normal(4000)
    y = _run_blocks(c, np.zeros(2), x.astype(np.float32))
    assert y.dtype == np.float32
    assert np.max(np.abs(y - ss.sosfilt(_sos(c), x))) < 1e-5


def _rbj_peak_db(fs, f0, gain_db, q, f):
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * f0 / fs
    alpha = math.sin(w0) / (2 * q)
    b = [1 + alpha * a, -2 * math.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * math.cos(w0), 1 - alpha / a]
    _, h = ss.freqz(b, den, worN=[f], fs=fs)
    return 20 * math.log10(abs(h[0]))


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize(
    "f0,gain,q", [(100.0, 12.0, 1.0), (2500.0, -9.0, 0.7), (12000.0, 3.0, 4.0)]
)
def test_designed_response_reaches_gain(fs, f0, gain, q):
    peak = _design(bq.PEAK, fs, f0, gain, q)
    assert bq.magnitude_db(peak, fs, f0) == pytest.approx(gain, abs=1e-9)
    for f in (f0 / 3, f0 * 1.3):
        assert bq.magnitude_db(peak, fs, f) == pytest.approx(
            _rbj_peak_db(fs, f0, gain, q, f), abs=1e-9
        )
    low = _design(bq.LOW_SHELF, fs, f0, gain, q)
    assert bq.magnitude_db(low, fs, f0) == pytest.approx(gain / 2, abs=1e-9)
    assert bq.magnitude_db(low, fs, 1e-3) == pytest.approx(gain, abs=1e-6)
    high = _design(bq.HIGH_SHELF, fs, f0, gain, q)
    assert bq.magnitude_db(high, fs, f0) == pytest.approx(gain / 2, abs=1e-9)
    assert bq.magnitude_db(high, fs, fs / 2) == pytest.approx(gain, abs=1e-6)


@pytest.mark.parametrize("fs", RATES)
def test_pass_filters_are_3db_down_at_cutoff(fs):
    for kind in (bq.HIGHPASS, bq.LOWPASS):
        c = _design(kind, fs, 200.0, 0.0, bq.BUTTERWORTH_Q)
        assert bq.magnitude_db(c, fs, 200.0) == pytest.approx(-3.0103, abs=1e-3)
    hp = _design(bq.HIGHPASS, fs, 200.0, 0.0, bq.BUTTERWORTH_Q)
    assert bq.magnitude_db(hp, fs, 50.0) == pytest.approx(-24.1, abs=0.3)
    assert bq.magnitude_db(hp, fs, 5000.0) == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("fs", RATES)
def test_highpass24_is_fourth_order_butterworth(fs):
    c2 = np.zeros((2, bq.COEFS_SIZE))
    bq.design_highpass24(c2, fs, 80.0)
    _, h = ss.sosfreqz(_sos(c2), worN=[80.0, 40.0, 20.0, 2000.0], fs=fs)
    db = 20 * np.log10(np.abs(h))
    assert db[0] == pytest.approx(-3.0103, abs=1e-3)
    assert db[1] == pytest.approx(-24.1, abs=0.3)
    assert db[2] == pytest.approx(-48.2, abs=0.5)
    assert db[3] == pytest.approx(0.0, abs=0.01)
    x = np.random.default_rng(5).standard_normal(3000)
    y = x.copy()
    state = np.zeros((2, bq.STATE_SIZE))
    for i in range(0, 3000, 100):
        bq.cascade_process(c2, state, y[i : i + 100], 100)
    assert np.max(np.abs(y - ss.sosfilt(_sos(c2), x))) < 1e-6


def _stable(c):
    a1, a2 = c[3], c[4]
    return abs(a2) < 1.0 and abs(a1) < 1.0 + a2


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 0.0, -5.0, 1e12])
def test_bad_parameters_are_clamped_not_applied(bad):
    fs = 48000.0
    for kind in KINDS:
        for args in ((bad, 6.0, 1.0), (1000.0, bad, 1.0), (1000.0, 6.0, bad)):
            c = _design(kind, fs, *args)
            assert np.all(np.isfinite(c)) and _stable(c)
    hi = _design(bq.PEAK, fs, 1e12, 6.0, 1.0)
    assert bq.magnitude_db(hi, fs, 0.45 * fs) == pytest.approx(6.0, abs=1e-6)
    lo = _design(bq.PEAK, fs, -5.0, 6.0, 1.0)
    assert bq.magnitude_db(lo, fs, 10.0) == pytest.approx(6.0, abs=1e-6)
    c = np.zeros(5)
    bq.design(c, bq.PEAK, math.nan, 1000.0, 6.0, 1.0)
    assert np.all(np.isfinite(c)) and _stable(c)


def test_coefficient_glide_stays_stable_and_arrives():
    rng = np.random.default_rng(11)
    for _ in range(50):
        fs = 48000.0
        a = _design(
            int(rng.integers(0, 5)),
            fs,
            float(rng.uniform(20, 20000)),
            float(rng.uniform(-24, 24)),
            float(rng.uniform(0.1, 20)),
        )
        b = _design(
            int(rng.integers(0, 5)),
            fs,
            float(rng.uniform(20, 20000)),
            float(rng.uniform(-24, 24)),
            float(rng.uniform(0.1, 20)),
        )
        cur = a.copy()
        for _ in range(2000):
            if bq.coefs_approach(cur, b, 0.05):
                break
            assert _stable(cur)
        assert np.array_equal(cur, b)


def test_frames_layout_filters_each_channel_like_sosfilt():
    c = _design(bq.HIGH_SHELF, 48000.0, 4000.0, -6.0, 0.7071)
    x = np.random.default_rng(8).standard_normal((3000, 2)).astype(np.float32)
    y = x.copy()
    state = np.zeros((2, bq.STATE_SIZE))
    for i in range(0, 3000, 128):
        blk = y[i : i + 128]
        bq.biquad_process_frames(c, state, blk, 2, blk.shape[0])
    ref = ss.sosfilt(_sos(c), x.astype(np.float64), axis=0)
    assert np.max(np.abs(y - ref)) < 1e-5


def test_bypass_passes_signal_untouched():
    c = np.zeros(5)
    bq.design_bypass(c)
    x = np.random.default_rng(2).standard_normal(256)
    y = x.copy()
    bq.biquad_process(c, np.zeros(2), y, 256)
    assert np.array_equal(x, y)


def test_decaying_tail_flushes_state_to_zero_without_subnormals():
    c = _design(bq.LOWPASS, 48000.0, 30.0, 0.0, 15.0)
    state = np.zeros(2)
    buf = np.zeros(48000 * 20)
    buf[0] = 1.0
    bq.biquad_process(c, state, buf, len(buf))
    tiny = np.finfo(np.float64).tiny
    assert not np.any((buf != 0.0) & (np.abs(buf) < tiny))
    assert state[0] == 0.0 and state[1] == 0.0

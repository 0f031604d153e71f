"""Gain helpers, parameter ramps and smoothers, the pan law, and the drive saturator."""

import math

import numpy as np
import pytest

from app.dsp import drive, gain, pan


def test_db_to_gain_and_back():
    assert gain.db_to_gain(0.0) == 1.0
    assert gain.db_to_gain(-6.020599913279624) == pytest.approx(0.5, abs=1e-12)
    assert gain.db_to_gain(20.0) == pytest.approx(10.0)
    assert gain.db_to_gain(-120.0) == 0.0
    assert gain.db_to_gain(-math.inf) == 0.0
    assert gain.db_to_gain(math.nan) == 0.0
    assert gain.db_to_gain(math.inf) == pytest.approx(10 ** (gain.MAX_DB / 20))
    assert gain.gain_to_db(0.5) == pytest.approx(-6.0206, abs=1e-4)
    assert gain.gain_to_db(0.0) == -math.inf


def test_ramp_gain_moves_linearly_and_lands_on_target():
    buf = np.ones(128, dtype=np.float32)
    gain.ramp_gain(buf, 128, 0.0, 1.0)
    assert buf[-1] == 1.0
    assert np.allclose(np.diff(buf), 1 / 128, atol=1e-6)
    buf = np.full(64, 2.0)
    gain.ramp_gain(buf, 64, 0.5, 0.5)
    assert np.all(buf == 1.0)
    buf = np.ones(10)
    gain.ramp_gain(buf, 4, 1.0, 0.0)
    assert buf[3] == 0.0 and np.all(buf[4:] == 1.0)


def test_ramp_add_accumulates():
    src = np.ones(100)
    dst = np.full(100, 0.25)
    gain.ramp_add(src, dst, 100, 0.5, 0.5)
    gain.ramp_add(src, dst, 100, 0.0, 1.0)
    assert dst[0] == pytest.approx(0.76)
    assert dst[-1] == pytest.approx(1.75)


def test_one_pole_smoother_time_constant_and_arrival():
    fs = 48000.0
    coef = gain.smoothing_coef(10.0, fs)
    buf = np.ones(480)
    g = gain.smooth_gain(buf, 480, 0.0, 1.0, coef)
    assert g == pytest.approx(1 - math.exp(-1), abs=1e-3)
    assert buf[-1] == pytest.approx(g)
    buf = np.ones(48000)
    assert gain.smooth_gain(buf, 48000, g, 1.0, coef) == 1.0
    assert np.isfinite(gain.smoothing_coef(math.nan, fs))
    assert 0.0 <= gain.smoothing_coef(-1.0, fs) < 1.0


def test_constant_power_pan():
    left, right = pan.pan_gains(0.0)
    assert 20 * math.log10(left) == pytest.approx(-3.0103, abs=1e-3)
    assert left == pytest.approx(right)
    assert pan.pan_gains(-1.0) == pytest.approx((1.0, 0.0), abs=1e-12)
    assert pan.pan_gains(1.0) == pytest.approx((0.0, 1.0), abs=1e-12)
    for p in np.linspace(-1, 1, 21):
        left, right = pan.pan_gains(p)
        assert left * left + right * right == pytest.approx(1.0)
    assert pan.pan_gains(math.nan) == pan.pan_gains(0.0)
    assert pan.pan_gains(7.0) == pan.pan_gains(1.0)


def test_pan_law_is_cos_and_sin_to_the_last_bits_and_exact_at_the_ends():
    for p in np.linspace(-1, 1, 20001):
        theta = (p + 1.0) * math.pi / 4.0
        left, right = pan.pan_gains(p)
        assert abs(left - math.cos(theta)) < 5e-16 and abs(right - math.sin(theta)) < 5e-16
    assert pan.pan_gains(-1.0) == (1.0, 0.0)
    assert pan.pan_gains(1.0) == (0.0, 1.0)
    left, right = pan.pan_gains(0.0)
    assert left == right == math.sqrt(0.5)


def test_balance_keeps_centre_at_unity():
    assert pan.balance_gains(0.0) == (1.0, 1.0)
    left, right = pan.balance_gains(0.5)
    assert right == 1.0 and 20 * math.log10(left) == pytest.approx(-3.0103, abs=1e-3)
    assert pan.balance_gains(-1.0) == pytest.approx((1.0, 0.0), abs=1e-12)


def _harmonics(y, fs, f0):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    bin0 = int(round(f0 * len(y) / fs))
    return [spec[k * bin0 - 2 : k * bin0 + 3].max() for k in range(1, 6)]


def test_small_signals_pass_in_proportion():
    fs = 48000
    t = np.arange(fs) / fs
    x = 1e-3 * np.sin(2 * np.pi * 1000 * t)
    y = x.copy()
    drive.drive_process(y, len(y), 12.0, 12.0)
    g, c = drive.drive_gains(12.0)
    assert np.allclose(y, x * g * c, rtol=1e-5, atol=0)
    h = _harmonics(y, fs, 1000)
    assert h[2] / h[0] < 1e-5


def test_output_bounded_and_odd_harmonics():
    fs = 48000
    t = np.arange(fs) / fs
    y = np.sin(2 * np.pi * 1000 * t)
    drive.drive_process(y, len(y), 18.0, 18.0)
    h = _harmonics(y, fs, 1000)
    assert h[2] / h[0] > 0.05  # 3rd
    assert h[4] / h[0] > 0.01  # 5th
    assert h[1] / h[0] < 1e-6 and h[3] / h[0] < 1e-6  # no even ones
    hot = np.random.default_rng(0).standard_normal(10000).astype(np.float32) * 100
    hot[::97] = np.nan
    hot[::101] = np.inf
    drive.drive_process(hot, len(hot), 0.0, 48.0)
    assert np.all(np.isfinite(hot))
    assert np.max(np.abs(hot)) <= 1.0


def test_drive_glides_between_settings():
    y = np.full(100, 0.5)
    drive.drive_process(y, 100, 0.0, 24.0)
    g0, c0 = drive.drive_gains(0.0)
    g1, c1 = drive.drive_gains(24.0)
    assert y[-1] == pytest.approx(math.tanh(0.5 * g1) * c1)
    assert y[0] == pytest.approx(math.tanh(0.5 * (g0 + (g1 - g0) / 100)) * (c0 + (c1 - c0) / 100))
    assert np.all(np.isfinite(y))
    assert drive.drive_gains(math.nan) == drive.drive_gains(0.0)

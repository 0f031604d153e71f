"""Loudness (BS.1770-4, EBU Tech 3341/3342) against pyloudnorm, and the true-peak meter."""

import math

import numpy as np
import pyloudnorm as pyln
import pytest

from app.dsp import loudness as ld
from app.dsp import truepeak as tp


def _measure(x, fs, block=512):
    state = np.zeros(ld.LOUDNESS_STATE_SIZE)
    hist = np.zeros((4, ld.HIST_BINS))
    ld.loudness_reset(state, hist, fs)
    buf = np.ascontiguousarray(np.atleast_2d(x).T, dtype=np.float32)
    for i in range(0, buf.shape[0], block):
        b = buf[i : i + block]
        ld.loudness_process(state, hist, b, b.shape[1], b.shape[0])
    return state, hist


def _sine(fs, level_db, seconds, freq=1000.0):
    t = np.arange(int(seconds * fs)) / fs
    return 10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)


def _pink(fs, seconds, seed):
    w = np.random.default_rng(seed).standard_normal(int(seconds * fs))
    spec = np.fft.rfft(w)
    f = np.fft.rfftfreq(len(w), 1 / fs)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0.0
    p = np.fft.irfft(spec, len(w))
    return p * (0.1 / np.sqrt(np.mean(p**2)))


def _signals(fs):
    sine = _sine(fs, -23.0, 10.0)
    pink = _pink(fs, 10.0, 1)
    sections = np.concatenate(
        [
            _sine(fs, -18.0, 4.0, 440.0),
            _sine(fs, -36.0, 4.0, 440.0),
            _sine(fs, -75.0, 2.0, 440.0),
            _sine(fs, -24.0, 3.0, 2500.0),
        ]
    )
    return {
        "sine_-23": np.stack([sine, sine]),
        "pink": np.stack([pink, np.roll(pink, 4321) * 0.7]),
        "loud_quiet_silent": np.stack([sections, sections * 0.5]),
        "mono_pink": pink[None] * 0.3,
    }


@pytest.mark.parametrize("fs", [44100, 48000])
@pytest.mark.parametrize("name", ["sine_-23", "pink", "loud_quiet_silent", "mono_pink"])
def test_integrated_matches_pyloudnorm(fs, name):
    x = _signals(fs)[name]
    _, hist = _measure(x, fs)
    got = ld.integrated_lufs(hist)
    assert got == pytest.approx(pyln.Meter(fs).integrated_loudness(x.T), abs=0.1)
    # pyloudnorm's "DeMan" class uses the same exact K-weighting formulas as the kernel.
    exact = pyln.Meter(fs, filter_class="DeMan").integrated_loudness(x.T)
    assert got == pytest.approx(exact, abs=0.01)


def test_k_weighting_reproduces_the_standard_at_48k():
    c = np.zeros((2, 5))
    ld.k_weighting(c, 48000.0)
    shelf = [
        1.53512485958697,
        -2.69169618940638,
        1.19839281085285,
        -1.69065929318241,
        0.73248077421585,
    ]
    hp = [1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621]
    assert np.allclose(c[0], shelf, atol=1e-10)
    assert np.allclose(c[1], hp, atol=1e-10)


@pytest.mark.parametrize("fs", [44100, 48000])
def test_momentary_and_short_term_of_reference_tone(fs):
    # EBU Tech 3341 case 1: a stereo 1 kHz sine at -23 dBFS reads -23.0 LUFS.
    x = np.stack([_sine(fs, -23.0, 5.0)] * 2)
    state, _ = _measure(x, fs, block=333)
    assert state[5] == pytest.approx(-23.0, abs=0.1)
    assert state[6] == pytest.approx(-23.0, abs=0.1)
    assert state[7] >= state[5] - 1e-9
    assert state[4] == 50.0


@pytest.mark.parametrize(
    "a,b,want",
    [(-20.0, -30.0, 10.0), (-20.0, -15.0, 5.0), (-40.0, -20.0, 20.0), (-50.0, -35.0, 15.0)],
)
def test_loudness_range_ebu_3342_cases(a, b, want):
    fs = 48000
    x = np.concatenate([_sine(fs, a, 20.0), _sine(fs, b, 20.0)])
    x = np.stack([x, x])
    _, hist = _measure(x, fs, block=4096)
    assert ld.loudness_range(hist) == pytest.approx(want, abs=1.0)
    assert ld.loudness_range(hist) == pytest.approx(pyln.Meter(fs).loudness_range(x.T), abs=0.1)


def test_silence_reads_minus_infinity_without_errors():
    state, hist = _measure(np.zeros((2, 48000 * 4)), 48000)
    assert ld.integrated_lufs(hist) == -math.inf
    assert state[5] == -math.inf and state[6] == -math.inf
    assert ld.loudness_range(hist) == 0.0
    state, hist = _measure(np.zeros((2, 1000)), 48000)
    assert ld.integrated_lufs(hist) == -math.inf
    assert ld.lufs(0.0) == -math.inf


def test_bad_samples_do_not_poison_the_meter():
    x = np.stack([_sine(48000, -23.0, 2.0)] * 2)
    x[0, 100] = np.nan
    x[1, 200] = np.inf
    state, hist = _measure(x, 48000)
    assert np.isfinite(ld.integrated_lufs(hist))
    assert np.all(np.isfinite(state[10:]))


def _tp_read(x, block=100):
    buf = np.ascontiguousarray(np.atleast_2d(x).T)
    state = np.zeros((buf.shape[1], tp.TP_STATE_SIZE))
    for i in range(0, buf.shape[0], block):
        b = buf[i : i + block]
        tp.truepeak_process(state, b, b.shape[1], b.shape[0])
    return state


def test_true_peak_of_quarter_rate_sine_at_45_degrees():
    n = np.arange(4800)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4)
    assert 20 * math.log10(np.max(np.abs(x))) == pytest.approx(-3.0103, abs=1e-3)
    state = _tp_read(np.stack([x, x * 0.5]))
    dbtp = tp.to_dbtp(tp.truepeak_take(state, 2))
    assert 0.0 <= dbtp <= 0.2
    assert np.all(state[:, tp.HELD] == 0.0)


def test_true_peak_of_dc_reads_its_value():
    state = _tp_read(np.full((1, 4800), 0.5))
    tp.truepeak_take(state, 1)  # the step from silence overshoots, as a band-limited step does
    buf = np.full((4800, 1), 0.5)
    tp.truepeak_process(state, buf, 1, 4800)
    assert tp.to_dbtp(tp.truepeak_take(state, 1)) == pytest.approx(20 * math.log10(0.5), abs=0.02)
    assert np.all(buf == 0.5)


def test_true_peak_is_never_below_sample_peak_on_noise():
    x = np.random.default_rng(4).uniform(-0.9, 0.9, (2, 20000))
    state = _tp_read(x, block=77)
    assert tp.truepeak_take(state, 2) >= np.max(np.abs(x[:, :-12])) * 0.99
    assert tp.to_dbtp(0.0) == -math.inf

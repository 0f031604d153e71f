"""The fused stereo strip kernels against the one-channel reference kernels."""

import math

import numpy as np
import pytest
import scipy.signal as ss

from app.dsp import biquad as bq
from app.dsp import drive as dr
from app.dsp import dynamics as dy
from app.dsp import strip as sp

FS = 48000.0
RECORD = 19  # a section's record in the flat state array: coefs, spare, state
COEFS_AT, STATE_AT = 0, 10
SECTIONS = [
    (bq.HIGHPASS, 80.0, 0.0, bq.BUTTERWORTH_Q),
    (bq.LOW_SHELF, 100.0, 4.0, 0.7),
    (bq.PEAK, 400.0, -3.0, 1.0),
    (bq.PEAK, 2500.0, 6.0, 2.0),
    (bq.HIGH_SHELF, 8000.0, -5.0, 0.7),
]


def _noise(frames, seed=0, level=0.3):
    return level * np.random.default_rng(seed).standard_normal((frames, 2))


def _cuts(frames, sizes):
    i, k = 0, 0
    while i < frames:
        n = min(sizes[k % len(sizes)], frames - i)
        yield i, n
        i += n
        k += 1


def _flat(sections):
    st = np.zeros(1 + RECORD * len(sections))
    for k, (kind, freq, gain, q) in enumerate(sections):
        bq.design(st[1 + k * RECORD : 1 + k * RECORD + 5], kind, FS, freq, gain, q)
    return st


def _cascade(st, x, count, sizes=(128,)):
    r = [1 + k * RECORD for k in range(5)]
    for i, n in _cuts(len(x), sizes):
        blk = x[i : i + n]
        sp.biquads_stereo(blk, n, st, count, *r, COEFS_AT, STATE_AT)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_cascade_matches_sosfilt_on_each_channel(count):
    st = _flat(SECTIONS[:count])
    x = _noise(6000, count)
    y = x.copy()
    _cascade(st, y, count, sizes=(1, 7, 64, 128, 333))
    sos = np.array([np.r_[st[r : r + 3], 1.0, st[r + 3 : r + 5]]
                    for r in range(1, 1 + RECORD * count, RECORD)])
    for ch in range(2):
        assert np.max(np.abs(y[:, ch] - ss.sosfilt(sos, x[:, ch]))) < 1e-9


def test_cascade_of_zero_sections_leaves_the_signal_alone():
    st = _flat(SECTIONS)
    x = _noise(256)
    y = x.copy()
    _cascade(st, y, 0)
    assert np.array_equal(x, y)


def test_cascade_tail_flushes_to_exact_zero_without_subnormals():
    # A resonant low-pass rings for seconds; its tail must end in zeros, not subnormals.
    st = _flat([(bq.LOWPASS, 30.0, 0.0, 15.0)])
    x = np.zeros((48000 * 20, 2))
    x[0] = 1.0
    _cascade(st, x, 1)
    tiny = np.finfo(np.float64).tiny
    assert not np.any((x != 0.0) & (np.abs(x) < tiny))
    assert np.all(x[-48000:] == 0.0)
    assert np.all(st[1 + STATE_AT : 1 + STATE_AT + 4] == 0.0)


def test_batch_is_each_strips_cascade_bit_for_bit_with_pass_through_padding():
    # Eight strips, each with its own number of sections (0 to 5, the rest padded with
    # exact pass-throughs), cut into odd blocks: each pair of columns must be exactly
    # what biquads_stereo makes of that strip alone, and so must its states.
    w = sp.BATCH_WIDTH
    frames = 3000
    x = np.concatenate([_noise(frames, seed) for seed in range(sp.BATCH)], axis=1)
    coefs = np.zeros((sp.SECTIONS, 5, w))
    states = np.zeros((sp.SECTIONS, 2, w))
    alone = []
    for j in range(sp.BATCH):
        count = j % 6
        st = _flat(SECTIONS[j % 2:][:count] + SECTIONS[:max(0, count - 4)])
        for k in range(sp.SECTIONS):
            c = st[1 + k * RECORD : 1 + k * RECORD + 5] if k < count else [1, 0, 0, 0, 0]
            coefs[k, :, 2 * j] = coefs[k, :, 2 * j + 1] = c
        y = x[:, 2 * j : 2 * j + 2].copy()
        _cascade(st, y, count, sizes=(100, 333, 7))
        alone.append((count, st, y))
    flat_x = x.reshape(-1).copy()
    flat_states = states.reshape(-1)
    for i, n in _cuts(frames, (100, 333, 7)):
        sp.biquads_batch(flat_x[i * w : (i + n) * w], n, coefs.reshape(-1), flat_states,
                         sp.SECTIONS)
    got = flat_x.reshape(frames, w)
    for j, (count, st, y) in enumerate(alone):
        assert np.array_equal(got[:, 2 * j : 2 * j + 2], y), j
        for k in range(count):
            z = 1 + k * RECORD + STATE_AT
            assert np.array_equal(states[k, :, 2 * j], st[z : z + 2])
            assert np.array_equal(states[k, :, 2 * j + 1], st[z + 2 : z + 4])
    assert not np.array_equal(got[:, 2:4], x[:, 2:4])  # the filters did something


def _gate_settings(at=0, **kw):
    p = dict(threshold_db=-40.0, range_db=-80.0, attack_ms=1.0, release_ms=20.0)
    p.update(kw)
    st = np.zeros(at + sp.GATE_SETTINGS)
    sp.gate_settings(st[at:], FS, p["threshold_db"], p["range_db"], p["attack_ms"],
                     p["release_ms"], dy.GATE_HOLD_MS, dy.GATE_HYSTERESIS_DB)
    return st, p


def test_gate_is_the_reference_gate_frame_for_frame():
    t = np.arange(48000) / FS
    burst = np.where((t % 0.25) < 0.1, 0.5, 0.001)[:, None] * np.sin(2 * np.pi * 220 * t)[:, None]
    x = burst * np.array([1.0, 0.6])
    settings, p = _gate_settings()
    ref, got = x.copy(), x.copy()
    ref_state = np.zeros(dy.GATE_STATE_SIZE)
    st = np.concatenate([np.zeros(4), settings])
    for i, n in _cuts(len(x), (128, 7, 300)):
        dy.gate_process(ref_state, ref[i : i + n], 2, n, FS, p["threshold_db"], p["range_db"],
                        p["attack_ms"], p["release_ms"], dy.GATE_HOLD_MS,
                        dy.GATE_HYSTERESIS_DB)
        sp.gate_stereo(st, 0, got[i : i + n], n, 4)
        assert st[3] == ref_state[3]
    assert np.array_equal(got, ref)
    assert np.array_equal(st[:4], ref_state)


def _comp(x, sizes=(128,), **kw):
    p = dict(threshold_db=-20.0, ratio=4.0, knee_db=0.0, attack_ms=5.0, release_ms=100.0,
             makeup_db=0.0)
    p.update(kw)
    st = np.zeros(sp.COMP_STEREO_STATE)
    trace = []
    for i, n in _cuts(len(x), sizes):
        sp.comp_stereo(st, 0, x[i : i + n], n, FS, p["threshold_db"], p["ratio"], p["knee_db"],
                       p["attack_ms"], p["release_ms"], p["makeup_db"])
        trace.append((i + n, st[1]))
    return st, np.array(trace)


def _sine(level_db, seconds, freq=1000.0):
    t = np.arange(int(seconds * FS)) / FS
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t))[:, None].repeat(2, 1)


@pytest.mark.parametrize("level", [-30.0, -21.0, -17.5, -10.0, -1.0])
@pytest.mark.parametrize("knee,ratio,makeup", [(0.0, 4.0, 0.0), (6.0, 4.0, 3.0), (6.0, 100.0, 6.0)])
def test_compressor_static_curve_matches_the_reference(level, knee, ratio, makeup):
    ref = _sine(level, 1.0)
    got = ref.copy()
    dy_state = np.zeros(dy.COMP_STATE_SIZE)
    for i in range(0, len(ref), 128):
        dy.comp_process(dy_state, ref[i : i + 128], 2, 128, FS, -20.0, ratio, knee, 5.0, 100.0,
                        makeup)
    st, _ = _comp(got, knee_db=knee, ratio=ratio, makeup_db=makeup)
    got_db = 20 * math.log10(np.max(np.abs(got[-4800:])))
    ref_db = 20 * math.log10(np.max(np.abs(ref[-4800:])))
    assert got_db == pytest.approx(ref_db, abs=0.1)
    assert st[1] == pytest.approx(dy_state[1], abs=0.1)


def test_compressor_attack_and_release_follow_their_time_constants():
    x = np.concatenate([np.zeros((4800, 2)), _sine(0.0, 0.5), np.zeros((24000, 2))])
    _, trace = _comp(x, sizes=(8,), attack_ms=10.0, release_ms=100.0)
    t_ms = trace[:, 0] / FS * 1000
    gr = trace[:, 1]
    rising = (t_ms > 100.0) & (t_ms < 600.0)
    reached = t_ms[rising][np.argmax(gr[rising] >= 15.0 * (1 - math.exp(-1)))] - 100.0
    assert reached == pytest.approx(10.0, abs=0.8)  # one control period of slack
    after = t_ms - 600.0
    got = gr[np.argmin(np.abs(after - 50.0))]
    assert got == pytest.approx(0.75 * (20.0 - 20 * math.log10(math.e) * 0.5), abs=0.3)
    assert gr[-1] == 0.0


def test_compressor_gain_moves_smoothly_and_does_not_depend_on_block_cuts():
    x = np.concatenate([_sine(-40.0, 0.1), _sine(0.0, 0.2)])
    a, b = x.copy(), x.copy()
    _comp(a, sizes=(128,))
    _comp(b, sizes=(1, 13, 64, 500))
    assert np.array_equal(a, b)
    gain = np.abs(a[:, 0]) / np.maximum(np.abs(x[:, 0]), 1e-9)
    loud = np.abs(x[:, 0]) > 0.1
    steps = np.abs(np.diff(gain[loud]))
    assert steps.max() < 0.02  # ramped between control points, no jumps


def test_compressor_survives_bad_parameters_and_comes_to_rest():
    for bad in (math.nan, math.inf, -math.inf, 0.0, -3.0):
        x = _sine(-6.0, 0.1)
        st = np.zeros(sp.COMP_STEREO_STATE)
        sp.comp_stereo(st, 0, x, len(x), FS, bad, bad, bad, bad, bad, bad)
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(st))
    st, _ = _comp(_sine(0.0, 0.1))
    assert st[1] > 10.0
    silence = np.zeros((48000 * 5, 2))
    st2 = st.copy()
    for i in range(0, len(silence), 128):
        sp.comp_stereo(st2, 0, silence[i : i + 128], 128, FS, -20.0, 4.0, 0.0, 5.0, 100.0, 0.0)
    assert st2[0] < 1e-20 and st2[1] == 0.0
    sp.comp_stereo_reset(st2)
    assert np.all(st2 == 0.0)


def test_drive_is_the_reference_on_both_channels():
    x = _noise(1000, 3, level=0.8)
    x[5, 1] = np.nan
    ref = x.copy()
    got = x.copy()
    dr.drive_process(ref[:, 0], 1000, 3.0, 12.0)
    dr.drive_process(ref[:, 1], 1000, 3.0, 12.0)
    sp.drive_stereo(got, 1000, 3.0, 12.0)
    assert np.array_equal(got, ref)


def test_gate_and_compressor_in_one_pass_equal_the_two_in_turn():
    t = np.arange(48000) / FS
    x = np.where((t % 0.2) < 0.08, 0.7, 0.002)[:, None] * np.sin(2 * np.pi * 150 * t)[:, None]
    x = x * np.array([1.0, -0.8])
    settings, _ = _gate_settings()
    gate = np.concatenate([np.zeros(4), settings])
    comp = np.zeros(sp.COMP_STEREO_STATE)
    st = np.concatenate([np.zeros(4), settings, np.zeros(sp.COMP_STEREO_STATE)])
    comp_at = 4 + sp.GATE_SETTINGS
    a, b = x.copy(), x.copy()
    args = (FS, -24.0, 4.0, 6.0, 10.0, 120.0, 3.0)
    for i, n in _cuts(len(x), (128, 5, 256)):
        sp.gate_stereo(gate, 0, a[i : i + n], n, 4)
        sp.comp_stereo(comp, 0, a[i : i + n], n, *args)
        sp.gate_comp_stereo(st, 0, 4, comp_at, b[i : i + n], n, *args)
    assert np.array_equal(a, b)
    assert np.array_equal(st[:4], gate[:4])
    assert np.array_equal(st[comp_at:], comp)
    assert comp[2] > 3.0  # it did compress

"""Compressor static curve and time constants; gate opening, closing and not chattering."""

import math

import numpy as np
import pytest

from app.dsp import dynamics as dy

FS = 48000.0


def _sine(level_db, seconds, freq=1000.0, fs=FS):
    t = np.arange(int(seconds * fs)) / fs
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t))[:, None].repeat(2, 1)


def _comp(buf, state, block=128, **kw):
    p = dict(
        fs=FS,
        threshold_db=-20.0,
        ratio=4.0,
        knee_db=0.0,
        attack_ms=5.0,
        release_ms=100.0,
        makeup_db=0.0,
    )
    p.update(kw)
    trace = []
    for i in range(0, buf.shape[0], block):
        blk = buf[i : i + block]
        dy.comp_process(
            state,
            blk,
            blk.shape[1],
            blk.shape[0],
            p["fs"],
            p["threshold_db"],
            p["ratio"],
            p["knee_db"],
            p["attack_ms"],
            p["release_ms"],
            p["makeup_db"],
        )
        trace.append(state[1])
    return np.array(trace)


def _expected_out_db(x, t, r, w, makeup):
    """Giannoulis, Massberg and Reiss's soft-knee static curve."""
    if 2 * (x - t) < -w:
        y = x
    elif w > 0 and 2 * abs(x - t) <= w:
        y = x + (1 / r - 1) * (x - t + w / 2) ** 2 / (2 * w)
    else:
        y = t + (x - t) / r
    return y + makeup


@pytest.mark.parametrize("level", [-30.0, -24.0, -21.0, -20.0, -17.5, -10.0, -1.0])
@pytest.mark.parametrize(
    "knee,ratio,makeup", [(0.0, 4.0, 0.0), (6.0, 4.0, 3.0), (10.0, 2.5, -2.0), (6.0, 100.0, 6.0)]
)
def test_static_curve_for_steady_sine(level, knee, ratio, makeup):
    buf = _sine(level, 1.0)
    state = np.zeros(dy.COMP_STATE_SIZE)
    _comp(buf, state, knee_db=knee, ratio=ratio, makeup_db=makeup)
    out_db = 20 * math.log10(np.max(np.abs(buf[-4800:])))
    assert out_db == pytest.approx(_expected_out_db(level, -20.0, ratio, knee, makeup), abs=0.1)
    assert state[1] == pytest.approx(level + makeup - out_db, abs=0.1)
    assert state[2] >= state[1] - 1e-9


def test_attack_time_constant():
    # Silence, then a sine 20 dB over the threshold: 15 dB of reduction at 4:1.
    buf = np.concatenate([np.zeros((4800, 2)), _sine(0.0, 0.3)], axis=0)
    state = np.zeros(dy.COMP_STATE_SIZE)
    trace = _comp(buf, state, block=8, attack_ms=10.0)
    t_ms = (np.arange(len(trace)) + 1) * 8 / FS * 1000 - 100.0
    reached = t_ms[np.argmax(trace >= 15.0 * (1 - math.exp(-1)))]
    assert reached == pytest.approx(10.0, abs=0.6)
    assert trace[-1] == pytest.approx(15.0, abs=0.1)


def test_release_follows_detector_decay():
    buf = np.concatenate([_sine(0.0, 0.5), np.zeros((24000, 2))], axis=0)
    state = np.zeros(dy.COMP_STATE_SIZE)
    trace = _comp(buf, state, block=8, release_ms=100.0)
    t_ms = (np.arange(len(trace)) + 1) * 8 / FS * 1000 - 500.0
    for t in (25.0, 50.0, 100.0):
        got = trace[np.argmin(np.abs(t_ms - t))]
        # The detector falls 8.686 dB per time constant; above threshold that is 3/4 of it.
        want = 0.75 * (20.0 - 20 * math.log10(math.e) * t / 100.0)
        assert got == pytest.approx(want, abs=0.2)
    assert trace[-1] == 0.0


def test_compressor_survives_bad_parameters_and_silence():
    for bad in (math.nan, math.inf, -math.inf, 0.0, -3.0):
        buf = _sine(-6.0, 0.1)
        state = np.zeros(dy.COMP_STATE_SIZE)
        _comp(
            buf,
            state,
            ratio=bad,
            attack_ms=bad,
            release_ms=bad,
            knee_db=bad,
            threshold_db=bad,
            makeup_db=bad,
        )
        assert np.all(np.isfinite(buf)) and np.all(np.isfinite(state))
    buf = np.zeros((48000 * 5, 2))
    state = np.array([1.0, 10.0, 10.0])
    _comp(buf, state)
    assert state[0] < 1e-20 and state[1] == 0.0


def test_ratio_one_is_transparent():
    buf = _sine(0.0, 0.2)
    ref = buf.copy()
    _comp(buf, np.zeros(dy.COMP_STATE_SIZE), ratio=1.0)
    assert np.max(np.abs(buf - ref)) < 1e-12


def _gate(buf, state, block=64, **kw):
    p = dict(
        threshold_db=-40.0,
        range_db=-80.0,
        attack_ms=1.0,
        release_ms=20.0,
        hold_ms=dy.GATE_HOLD_MS,
        hysteresis_db=dy.GATE_HYSTERESIS_DB,
    )
    p.update(kw)
    opened = []
    for i in range(0, buf.shape[0], block):
        blk = buf[i : i + block]
        dy.gate_process(
            state,
            blk,
            blk.shape[1],
            blk.shape[0],
            FS,
            p["threshold_db"],
            p["range_db"],
            p["attack_ms"],
            p["release_ms"],
            p["hold_ms"],
            p["hysteresis_db"],
        )
        opened.append(state[1])
    return np.array(opened)


def test_gate_opens_on_signal_and_closes_on_silence():
    sig = _sine(-20.0, 0.5, freq=200.0)
    buf = np.concatenate([np.zeros((4800, 2)), sig, sig * 1e-4], axis=0)
    ref = buf.copy()
    state = np.zeros(dy.GATE_STATE_SIZE)
    dy.gate_reset(state)
    opened = _gate(buf, state)
    assert opened[0] == 0.0
    # Open within a few attack constants: the body of the note passes untouched.
    body = slice(4800 + 960, 4800 + 24000)
    assert np.allclose(buf[body], ref[body], rtol=0, atol=1e-8)
    # After the note: hold, then release down to the range.
    assert opened[-1] == 0.0
    assert state[0] == pytest.approx(1e-4, rel=1e-3)
    assert state[3] == pytest.approx(80.0, abs=0.01)
    tail = np.max(np.abs(buf[-4800:]))
    assert tail <= np.max(np.abs(ref[-4800:])) * 1.01e-4


def test_gate_does_not_chatter_near_threshold():
    # A low note whose peaks wander 2 dB either side of the threshold.
    t = np.arange(48000) / FS
    level_db = -40.0 + 2.0 * np.sin(2 * np.pi * 3 * t)
    x = 10 ** (level_db / 20) * np.sin(2 * np.pi * 60 * t)
    buf = np.stack([x, x], axis=1)
    opened = _gate(buf, np.zeros(dy.GATE_STATE_SIZE), block=32)
    first = int(np.argmax(opened > 0.5))
    assert opened[first] == 1.0
    assert np.all(opened[first:] == 1.0)


def test_gate_stays_closed_below_threshold():
    buf = _sine(-50.0, 0.3)
    opened = _gate(buf, np.zeros(dy.GATE_STATE_SIZE))
    assert np.all(opened == 0.0)
    assert np.max(np.abs(buf)) < 10 ** (-50 / 20) * 1e-3

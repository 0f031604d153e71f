"""A compact stereo reverb for the built-in reverb return (Freeverb's structure).

Eight parallel damped feedback combs then four series all-passes per side, the right
side's lines 23 samples longer for width. Delay lengths are Freeverb's 44.1 kHz
tunings scaled to the sample rate. Output is 100% wet: the bus return sets the level.

Buffers are (frames, 2), as the mixer's are.

State: one float64 array of `reverb_state_size(fs)`, set up by `reverb_init(state, fs)`:
    [0:16]  comb lengths (left 8, then right 8), frames
    [16:24] all-pass lengths (left 4, then right 4), frames
    [24:40] comb read positions
    [40:48] all-pass read positions
    [48:64] comb low-pass memories (the damping)
    then every delay line back to back, in the order of the lengths above.
"""

import numpy as np
from numba import njit

from app.dsp.safe import clamp, clamp_rate, flush, sanitize

HEADER = 64
NCOMB = 8
NAP = 4
COMB_TUNING = np.array([1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617], dtype=np.float64)
AP_TUNING = np.array([556, 441, 341, 225], dtype=np.float64)
STEREO_SPREAD = 23
FIXED_GAIN = 0.015
AP_FEEDBACK = 0.5


@njit(nogil=True, cache=True, fastmath=False)
def _lengths(fs: float, out: np.ndarray) -> int:
    scale = clamp_rate(sanitize(fs, 48000.0)) / 44100.0
    total = 0
    for side in range(2):
        for k in range(NCOMB):
            v = int(COMB_TUNING[k] * scale + 0.5) + side * STEREO_SPREAD
            out[side * NCOMB + k] = v
            total += v
        for k in range(NAP):
            v = int(AP_TUNING[k] * scale + 0.5) + side * STEREO_SPREAD
            out[2 * NCOMB + side * NAP + k] = v
            total += v
    return total


def reverb_state_size(fs: float) -> int:
    """Length of the float64 state array for a sample rate."""
    return HEADER + _lengths(float(fs), np.zeros(HEADER))


@njit(nogil=True, cache=True, fastmath=False)
def reverb_init(state: np.ndarray, fs: float) -> None:
    """Silence the reverb and lay out its lines for fs (state must be big enough)."""
    state[:] = 0.0
    _lengths(fs, state)


@njit(nogil=True, cache=True, fastmath=False)
def reverb_process(
    state: np.ndarray, buf: np.ndarray, n: int, room: float, damp: float, width: float
) -> None:
    """Replace stereo buf[:n, :2] with the reverb of its mono sum.

    room 0..1 sets the decay (comb feedback 0.7..0.98), damp 0..1 the high-frequency
    loss per pass, width 0..1 the stereo spread.
    """
    feedback = 0.7 + 0.28 * clamp(sanitize(room, 0.5), 0.0, 1.0)
    d1 = 0.4 * clamp(sanitize(damp, 0.5), 0.0, 1.0)
    d2 = 1.0 - d1
    w = clamp(sanitize(width, 1.0), 0.0, 1.0)
    wet1 = w / 2.0 + 0.5
    wet2 = (1.0 - w) / 2.0
    for i in range(n):
        x = (float(buf[i, 0]) + float(buf[i, 1])) * FIXED_GAIN
        if not abs(x) < np.inf:
            x = 0.0
        base = HEADER
        out_l = 0.0
        out_r = 0.0
        for side in range(2):
            acc = 0.0
            for k in range(NCOMB):
                j = side * NCOMB + k
                length = int(state[j])
                pos = int(state[24 + j])
                y = state[base + pos]
                store = flush(y * d2 + state[48 + j] * d1)
                state[48 + j] = store
                state[base + pos] = flush(x + store * feedback)
                pos += 1
                state[24 + j] = pos if pos < length else 0
                acc += y
                base += length
            for k in range(NAP):
                j = side * NAP + k
                length = int(state[16 + j])
                pos = int(state[40 + j])
                held = state[base + pos]
                state[base + pos] = flush(acc + held * AP_FEEDBACK)
                acc = held - acc
                pos += 1
                state[40 + j] = pos if pos < length else 0
                base += length
            if side == 0:
                out_l = acc
            else:
                out_r = acc
        buf[i, 0] = out_l * wet1 + out_r * wet2
        buf[i, 1] = out_r * wet1 + out_l * wet2

"""True-peak meter per ITU-R BS.1770-4 Annex 2: 4x oversampling with the Annex's FIR.

The 48-tap interpolation filter runs as four 12-tap phases over a per-channel history
of the last 12 input samples. The kernel reads the buffer without changing it and
raises a held maximum that the reader clears when it has taken it.
`truepeak_envelope` runs the same interpolation over a whole signal held in memory,
in pieces that threads can share: the true peak, and per frame the largest peak near
it, which an offline look-ahead limiter takes as its side chain.

Buffers are (frames, channels), as the mixer's are.

State: float64 array of shape (channels, TP_STATE_SIZE):
    [c, 0:12]  the channel's last 12 samples, newest last
    [c, 12]    largest absolute interpolated value since it was last cleared (linear)
"""

import math

import numpy as np
from numba import njit

TAPS = 12
PHASES = 4
TP_STATE_SIZE = TAPS + 1
HELD = TAPS

PHASE_COEFS = np.array(
    [
        [
            0.0017089843750,
            0.0109863281250,
            -0.0196533203125,
            0.0332031250000,
            -0.0594482421875,
            0.1373291015625,
            0.9721679687500,
            -0.1022949218750,
            0.0476074218750,
            -0.0266113281250,
            0.0148925781250,
            -0.0083007812500,
        ],
        [
            -0.0291748046875,
            0.0292968750000,
            -0.0517578125000,
            0.0891113281250,
            -0.1665039062500,
            0.4650878906250,
            0.7797851562500,
            -0.2003173828125,
            0.1015625000000,
            -0.0582275390625,
            0.0330810546875,
            -0.0189208984375,
        ],
        [
            -0.0189208984375,
            0.0330810546875,
            -0.0582275390625,
            0.1015625000000,
            -0.2003173828125,
            0.7797851562500,
            0.4650878906250,
            -0.1665039062500,
            0.0891113281250,
            -0.0517578125000,
            0.0292968750000,
            -0.0291748046875,
        ],
        [
            -0.0083007812500,
            0.0148925781250,
            -0.0266113281250,
            0.0476074218750,
            -0.1022949218750,
            0.9721679687500,
            0.1373291015625,
            -0.0594482421875,
            0.0332031250000,
            -0.0196533203125,
            0.0109863281250,
            0.0017089843750,
        ],
    ],
    dtype=np.float64,
)


@njit(nogil=True, cache=True, fastmath=False)
def truepeak_process(state: np.ndarray, buf: np.ndarray, nch: int, n: int) -> None:
    """Raise each channel's held true peak with buf[:n, :nch] (buf is not changed)."""
    for c in range(nch):
        hist = state[c]
        held = hist[HELD]
        for i in range(n):
            for j in range(TAPS - 1):
                hist[j] = hist[j + 1]
            x = float(buf[i, c])
            hist[TAPS - 1] = x if abs(x) < math.inf else 0.0
            for p in range(PHASES):
                acc = 0.0
                for j in range(TAPS):
                    acc += PHASE_COEFS[p, j] * hist[TAPS - 1 - j]
                if abs(acc) > held:
                    held = abs(acc)
        hist[HELD] = held


@njit(nogil=True, cache=True, fastmath=False)
def truepeak_take(state: np.ndarray, nch: int) -> float:
    """The largest held true peak over the channels (linear), clearing the holds."""
    peak = 0.0
    for c in range(nch):
        if state[c, HELD] > peak:
            peak = state[c, HELD]
        state[c, HELD] = 0.0
    return peak


@njit(nogil=True, cache=True, fastmath=False)
def to_dbtp(peak: float) -> float:
    """A linear true peak in dBTP; -inf for silence."""
    if peak > 0.0:
        return 20.0 * math.log10(peak)
    return -math.inf


# The phases one by one, for the envelope's unrolled filter; pieces of _BLOCK frames.
_PHASE_0, _PHASE_1, _PHASE_2, _PHASE_3 = (np.ascontiguousarray(row) for row in PHASE_COEFS)
_BLOCK = 1024


@njit(nogil=True, cache=True, fastmath=False, inline="always")
def _phase(h: np.ndarray, xs: np.ndarray, m: int) -> float:
    """One phase's interpolated value after xs[m + 11], summed in the meter's order."""
    a = h[0] * xs[m + 11]
    a = a + h[1] * xs[m + 10]
    a = a + h[2] * xs[m + 9]
    a = a + h[3] * xs[m + 8]
    a = a + h[4] * xs[m + 7]
    a = a + h[5] * xs[m + 6]
    a = a + h[6] * xs[m + 5]
    a = a + h[7] * xs[m + 4]
    a = a + h[8] * xs[m + 3]
    a = a + h[9] * xs[m + 2]
    a = a + h[10] * xs[m + 1]
    a = a + h[11] * xs[m]
    return a


@njit(nogil=True, cache=True, fastmath=False)
def _interpolate(xs: np.ndarray, v: np.ndarray, count: int) -> None:
    """Raise v[m] to the largest |interpolated value| after sample xs[m + 11], m < count.

    Written out tap by tap so that the loop over frames is innermost: the compiler then
    runs it several frames at a time on vector registers, each sum in the meter's order.
    """
    for m in range(count):
        top = v[m]
        for a in (_phase(_PHASE_0, xs, m), _phase(_PHASE_1, xs, m),
                  _phase(_PHASE_2, xs, m), _phase(_PHASE_3, xs, m)):
            if abs(a) > top:
                top = abs(a)
        v[m] = top


@njit(nogil=True, cache=True, fastmath=False)
def truepeak_envelope(
    buf: np.ndarray, nch: int, start: int, stop: int, env: np.ndarray
) -> tuple[float, float]:
    """A look-ahead limiter's side chain over a whole (frames, channels) signal.

    env[k - start] for k in [start, stop) becomes the largest of frame k's |samples| and
    the interpolated values on either side of it, over channels: the interpolation is the
    meter's own, so gains that keep env under a ceiling keep the metered true peak
    there. Samples outside buf count as silence. Returns (true peak, sample peak) of
    the range, linear; over ranges that tile the signal, their largest values are what
    truepeak_process and a plain |sample| maximum read over it from silence. Ranges
    may be done in any order or at once, each from any thread.
    """
    n = buf.shape[0]
    # The filter delays by 5.5 frames: the values computed on taking in frames k + 5 and
    # k + 6 straddle frame k. The first range also takes the ones before frame 5.
    first = start + 5 if start > 0 else 0
    last = stop + 5
    v = np.zeros(last - first + 1)
    xs = np.empty(_BLOCK + TAPS - 1)
    for c in range(nch):
        for b in range(0, last - first + 1, _BLOCK):
            count = min(_BLOCK, last - first + 1 - b)
            # xs[m] is the sample taken in TAPS - 1 frames before interpolation m.
            for m in range(count + TAPS - 1):
                k = first + b - (TAPS - 1) + m
                x = float(buf[k, c]) if 0 <= k < n else 0.0
                xs[m] = x if abs(x) < math.inf else 0.0
            _interpolate(xs, v[b:b + count], count)
    true_peak = 0.0
    for i in range(first, min(last + 1, n)):
        if v[i - first] > true_peak:
            true_peak = v[i - first]
    sample_peak = 0.0
    for k in range(start, stop):
        e = max(v[k + 5 - first], v[k + 6 - first])
        for c in range(nch):
            x = abs(float(buf[k, c]))
            if not x < math.inf:
                x = 0.0
            if x > e:
                e = x
            if x > sample_peak:
                sample_peak = x
        env[k - start] = e
    return true_peak, sample_peak

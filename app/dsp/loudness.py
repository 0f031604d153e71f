"""Loudness meter per ITU-R BS.1770-4 and EBU Tech 3341/3342, for the master bus.

The kernel K-weights each channel (a high shelf then a high-pass, designed for any
sample rate from the formulas that reproduce the standard's 48 kHz coefficients) and
sums mean squares into 100 ms sub-blocks. At each sub-block boundary it updates the
momentary (last 4 sub-blocks, 400 ms) and short-term (last 30, 3 s) loudness, and
files the 400 ms block and, once 3 s have passed, the short-term value into
histograms. Integrated loudness and loudness range are then read from the histograms
(off the audio thread, also without allocating): each bin keeps a count and the exact
sum of block energies, so gating only approximates which bin a threshold falls in
(bins are 0.01 LU wide), never the energies averaged.

Buffers are (frames, channels), as the mixer's are.

State: float64 array of LOUDNESS_STATE_SIZE, set up by `loudness_reset(state, hist, fs)`:
    [0]  fs
    [1]  sub-block length in frames (fs / 10)
    [2]  frames so far in the current sub-block
    [3]  sum of squares so far in the current sub-block (channels added, weight 1)
    [4]  sub-blocks completed since reset
    [5]  momentary loudness, LUFS (-inf until there is signal)
    [6]  short-term loudness, LUFS
    [7]  highest momentary since reset
    [8]  highest short-term since reset
    [9]  ring position of the next sub-block
    [10:15] high-shelf coefficients (b0, b1, b2, a1, a2); [15:20] high-pass coefficients
    [20:28] filter states, per channel (2): shelf z1, z2, high-pass z1, z2
    [28:58] ring of the last 30 sub-block mean squares
Histograms: float64 array of shape (4, HIST_BINS), bins of 0.01 LU from -70 LUFS:
    [0] 400 ms block counts, [1] their energy sums, [2] short-term counts, [3] sums.
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import DENORMAL_FLOOR, clamp_rate, sanitize

MAX_CHANNELS = 2
RING = 30
LOUDNESS_STATE_SIZE = 28 + RING
COEF_SHELF = 10
COEF_HP = 15
FILTER_STATE = 20
RING_START = 28
HIST_LOW = -70.0
HIST_STEP = 0.01
HIST_BINS = 9000
OFFSET = -0.691
ABS_GATE = -70.0
REL_GATE_INTEGRATED = -10.0
REL_GATE_LRA = -20.0


@njit(nogil=True, cache=True, fastmath=False)
def k_weighting(coefs2: np.ndarray, fs: float) -> None:
    """The two K-weighting sections for fs into a (2, 5) array (shelf, then high-pass)."""
    k = math.tan(math.pi * 1681.9744509555319 / fs)
    q = 0.7071752369554193
    vh = math.pow(10.0, 3.99984385397 / 20.0)
    vb = math.pow(vh, 0.4996667741545416)
    a0 = 1.0 + k / q + k * k
    coefs2[0, 0] = (vh + vb * k / q + k * k) / a0
    coefs2[0, 1] = 2.0 * (k * k - vh) / a0
    coefs2[0, 2] = (vh - vb * k / q + k * k) / a0
    coefs2[0, 3] = 2.0 * (k * k - 1.0) / a0
    coefs2[0, 4] = (1.0 - k / q + k * k) / a0
    k = math.tan(math.pi * 38.13547087613982 / fs)
    q = 0.5003270373253953
    a0 = 1.0 + k / q + k * k
    coefs2[1, 0] = 1.0
    coefs2[1, 1] = -2.0
    coefs2[1, 2] = 1.0
    coefs2[1, 3] = 2.0 * (k * k - 1.0) / a0
    coefs2[1, 4] = (1.0 - k / q + k * k) / a0


@njit(nogil=True, cache=True, fastmath=False)
def lufs(mean_square: float) -> float:
    """Loudness of a channel-summed mean square; -inf for silence."""
    if mean_square > 0.0:
        return OFFSET + 10.0 * math.log10(mean_square)
    return -math.inf


@njit(nogil=True, cache=True, fastmath=False)
def loudness_reset(state: np.ndarray, hist: np.ndarray, fs: float) -> None:
    """Start measuring afresh at fs: clears every value, filter and histogram."""
    fs = clamp_rate(sanitize(fs, 48000.0))
    state[:] = 0.0
    hist[:, :] = 0.0
    state[0] = fs
    state[1] = float(int(fs / 10.0 + 0.5))
    for j in range(5, 9):
        state[j] = -math.inf
    k_weighting(state[COEF_SHELF : COEF_SHELF + 10].reshape((2, 5)), fs)


@njit(nogil=True, cache=True, fastmath=False)
def _ring_mean(state: np.ndarray, count: int, last: int) -> float:
    s = 0.0
    for j in range(count):
        s += state[RING_START + (last - j) % RING]
    return s / count


@njit(nogil=True, cache=True, fastmath=False)
def _file(hist: np.ndarray, row: int, mean_square: float) -> None:
    level = lufs(mean_square)
    if level < ABS_GATE:
        return
    b = int((level - HIST_LOW) / HIST_STEP)
    if b >= HIST_BINS:
        b = HIST_BINS - 1
    hist[row, b] += 1.0
    hist[row + 1, b] += mean_square


@njit(nogil=True, cache=True, fastmath=False)
def _end_sub_block(state: np.ndarray, hist: np.ndarray) -> None:
    pos = int(state[9])
    state[RING_START + pos] = state[3] / state[1]
    done = state[4] + 1.0
    state[4] = done
    state[9] = (pos + 1) % RING
    state[2] = 0.0
    state[3] = 0.0
    m = _ring_mean(state, 4, pos)
    s = _ring_mean(state, RING, pos)
    state[5] = lufs(m)
    state[6] = lufs(s)
    if state[5] > state[7]:
        state[7] = state[5]
    if state[6] > state[8]:
        state[8] = state[6]
    if done >= 4.0:
        _file(hist, 0, m)
    if done >= RING:
        _file(hist, 2, s)


@njit(nogil=True, cache=True, fastmath=False)
def loudness_process(
    state: np.ndarray, hist: np.ndarray, buf: np.ndarray, nch: int, n: int
) -> None:
    """Measure buf[:n, :nch] (not changed); nch is 1 or 2."""
    nch = min(nch, MAX_CHANNELS)
    sub_len = state[1]
    i = 0
    while i < n:
        take = min(n - i, int(sub_len - state[2]))
        acc = 0.0
        for c in range(nch):
            fstate = state[FILTER_STATE + 4 * c : FILTER_STATE + 4 * c + 4]
            for j in range(take):
                x = float(buf[i + j, c])
                if not abs(x) < math.inf:
                    x = 0.0
                # The two sections run per sample so no scratch buffer is needed.
                y = x
                for s in range(2):
                    co = COEF_SHELF + 5 * s
                    z = 2 * s
                    out = state[co] * y + fstate[z]
                    fstate[z] = state[co + 1] * y - state[co + 3] * out + fstate[z + 1]
                    fstate[z + 1] = state[co + 2] * y - state[co + 4] * out
                    if abs(fstate[z]) + abs(fstate[z + 1]) < DENORMAL_FLOOR:
                        fstate[z] = 0.0
                        fstate[z + 1] = 0.0
                    y = out
                acc += y * y
        state[3] += acc
        state[2] += take
        i += take
        if state[2] >= sub_len:
            _end_sub_block(state, hist)


@njit(nogil=True, cache=True, fastmath=False)
def _gated_mean(hist: np.ndarray, row: int, gate: float) -> tuple[float, float]:
    count = 0.0
    energy = 0.0
    for b in range(HIST_BINS):
        if HIST_LOW + (b + 0.5) * HIST_STEP > gate:
            count += hist[row, b]
            energy += hist[row + 1, b]
    return count, energy


@njit(nogil=True, cache=True, fastmath=False)
def integrated_lufs(hist: np.ndarray) -> float:
    """Gated integrated loudness (absolute -70 LUFS, relative -10 LU); -inf if none."""
    count, energy = _gated_mean(hist, 0, -math.inf)
    if count == 0.0:
        return -math.inf
    gate = lufs(energy / count) + REL_GATE_INTEGRATED
    count, energy = _gated_mean(hist, 0, gate)
    if count == 0.0:
        return -math.inf
    return lufs(energy / count)


@njit(nogil=True, cache=True, fastmath=False)
def _percentile(hist: np.ndarray, row: int, first: int, total: float, pct: float) -> float:
    rank = pct / 100.0 * (total - 1.0)
    lo_rank = math.floor(rank)
    lo = 0.0
    hi = 0.0
    seen = 0.0
    found_lo = False
    for b in range(first, HIST_BINS):
        seen += hist[row, b]
        centre = HIST_LOW + (b + 0.5) * HIST_STEP
        if not found_lo and seen > lo_rank:
            lo = centre
            found_lo = True
        if seen > lo_rank + 1.0 or (seen > lo_rank and rank == lo_rank):
            hi = centre
            break
    return lo + (hi - lo) * (rank - lo_rank)


@njit(nogil=True, cache=True, fastmath=False)
def loudness_range(hist: np.ndarray) -> float:
    """Loudness range in LU per EBU Tech 3342 (10th to 95th percentile); 0 if none."""
    count, energy = _gated_mean(hist, 2, -math.inf)
    if count == 0.0:
        return 0.0
    gate = 10.0 * math.log10(energy / count) + OFFSET + REL_GATE_LRA
    first = 0
    while first < HIST_BINS and HIST_LOW + (first + 0.5) * HIST_STEP <= gate:
        first += 1
    total = 0.0
    for b in range(first, HIST_BINS):
        total += hist[2, b]
    if total == 0.0:
        return 0.0
    return _percentile(hist, 2, first, total, 95.0) - _percentile(hist, 2, first, total, 10.0)

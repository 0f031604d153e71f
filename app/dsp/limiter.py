"""Safety limiter for cue (headphone) outputs: the output never exceeds the ceiling.

Look-ahead brick-wall design. For each incoming frame the gain that would keep it
under the ceiling is r = min(1, ceiling / peak). The kernel takes the minimum of r over
a window of M = L + 1 frames (a monotonic queue, O(1) per frame), averages that over
another M frames, and applies the result to the input delayed by L frames. The average
at frame t only contains minima over windows that include frame t - L, so it is never
above r(t - L): the delayed frame is guaranteed under the ceiling, with a gain curve
that fades in over L frames instead of stepping. Release is a one-pole that may only
rise toward that bound. A hard clamp after everything is the last line of defence
against rounding; NaN and infinite input frames are replaced by silence.

Buffers are (frames, channels), as the mixer's are.

State: one float64 array of `limiter_state_size(nch, lookahead)`, set up once by
`limiter_init` (off the audio thread or on it: no allocation):
    [0] L          look-ahead (and latency) in frames
    [1] nch        channels the state was built for
    [2] t          frames processed (exact in float64 for millennia)
    [3] box_sum    sum of the last M windowed minima
    [4] gain       gain applied on the last frame
    [5] q_head     monotonic queue: index of its oldest entry
    [6] q_count    monotonic queue: number of entries
    [7] gr_db      largest gain reduction during the last block (>= 0), for the meter
    then box[M], q_value[M], q_time[M], delay[nch][M]
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import clamp, clamp_rate, clamp_time_ms, sanitize

HEADER = 8
DEFAULT_CEILING_DB = -0.1
DEFAULT_LOOKAHEAD_MS = 1.5
DEFAULT_RELEASE_MS = 50.0


def lookahead_frames(fs: float, ms: float = DEFAULT_LOOKAHEAD_MS) -> int:
    """Look-ahead in whole frames for a sample rate."""
    return max(1, int(round(fs * ms / 1000.0)))


def limiter_state_size(nch: int, lookahead: int) -> int:
    """Length of the float64 state array for nch channels and `lookahead` frames."""
    m = lookahead + 1
    return HEADER + 3 * m + nch * m


@njit(nogil=True, cache=True, fastmath=False)
def limiter_init(state: np.ndarray, nch: int, lookahead: int) -> None:
    """Clear the state for nch channels and lookahead frames (sizes must fit the array)."""
    m = lookahead + 1
    state[:] = 0.0
    state[0] = lookahead
    state[1] = nch
    state[3] = m
    state[4] = 1.0
    for j in range(m):
        state[HEADER + j] = 1.0


@njit(nogil=True, cache=True, fastmath=False)
def limiter_latency(state: np.ndarray) -> int:
    return int(state[0])


@njit(nogil=True, cache=True, fastmath=False)
def limiter_process(
    state: np.ndarray,
    buf: np.ndarray,
    nch: int,
    n: int,
    fs: float,
    ceiling_db: float,
    release_ms: float,
) -> None:
    """Limit buf[:n, :nch] in place (delayed by the look-ahead), stereo-linked."""
    lk = int(state[0])
    m = lk + 1
    nch = min(nch, int(state[1]))
    box = HEADER
    qv = HEADER + m
    qt = HEADER + 2 * m
    dl = HEADER + 3 * m
    ceiling = math.pow(10.0, clamp(sanitize(ceiling_db, DEFAULT_CEILING_DB), -60.0, 0.0) / 20.0)
    rel = math.exp(
        -1000.0
        / (
            clamp_time_ms(sanitize(release_ms, DEFAULT_RELEASE_MS))
            * clamp_rate(sanitize(fs, 48000.0))
        )
    )
    t = state[2]
    box_sum = state[3]
    g = state[4]
    head = int(state[5])
    count = int(state[6])
    # Float32 buffers round to nearest: keep the clamp a hair inside so they stay under.
    hard = ceiling * (1.0 - 2.0**-22)
    g_min = 1.0
    for i in range(n):
        slot = int(t % m)
        peak = 0.0
        for c in range(nch):
            x = float(buf[i, c])
            if not abs(x) < math.inf:
                x = 0.0
            state[dl + c * m + slot] = x
            if abs(x) > peak:
                peak = abs(x)
        r = ceiling / peak if peak > ceiling else 1.0
        while count > 0 and state[qt + head] < t - lk:
            head = (head + 1) % m
            count -= 1
        while count > 0 and state[qv + (head + count - 1) % m] >= r:
            count -= 1
        back = (head + count) % m
        state[qv + back] = r
        state[qt + back] = t
        count += 1
        h = state[qv + head]
        box_sum += h - state[box + slot]
        state[box + slot] = h
        if slot == m - 1:
            # Re-add from scratch once per lap so rounding in the running sum cannot drift.
            box_sum = 0.0
            for j in range(m):
                box_sum += state[box + j]
        bound = box_sum / m
        g = bound if bound < g else bound + (g - bound) * rel
        if g < g_min:
            g_min = g
        read = (slot + 1) % m
        for c in range(nch):
            y = state[dl + c * m + read] * g
            buf[i, c] = clamp(y, -hard, hard)
        t += 1.0
    state[2] = t
    state[3] = box_sum
    state[4] = g
    state[5] = head
    state[6] = count
    state[7] = -20.0 * math.log10(max(g_min, 1e-6))

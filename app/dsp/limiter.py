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

Offline, the gain can be worked out from a side chain instead of the samples
(`limiter_gains`, from each frame's peak, for instance its interpolated true peak) and
applied to the frames separately (`limiter_apply`): the gains and clamp of
limiter_process, without delaying the audio through the state.

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
def _ceiling(ceiling_db: float) -> float:
    return math.pow(10.0, clamp(sanitize(ceiling_db, DEFAULT_CEILING_DB), -60.0, 0.0) / 20.0)


@njit(nogil=True, cache=True, fastmath=False)
def _release(fs: float, release_ms: float) -> float:
    return math.exp(
        -1000.0
        / (
            clamp_time_ms(sanitize(release_ms, DEFAULT_RELEASE_MS))
            * clamp_rate(sanitize(fs, 48000.0))
        )
    )


@njit(nogil=True, cache=True, fastmath=False, inline="always")
def _gain_step(
    state: np.ndarray,
    r: float,
    t: float,
    slot: int,
    m: int,
    box_sum: float,
    g: float,
    head: int,
    count: int,
    rel: float,
) -> tuple[float, float, int, int]:
    """One frame of the gain computer: frame t's gain bound r in, the gain to apply to
    frame t - L out, as (box_sum, gain, head, count)."""
    lk = m - 1
    box = HEADER
    qv = HEADER + m
    qt = HEADER + 2 * m
    # Indices wrap by comparison: an integer modulo per frame costs more than the rest.
    while count > 0 and state[qt + head] < t - lk:
        head += 1
        if head == m:
            head = 0
        count -= 1
    last = head + count - 1
    if last >= m:
        last -= m
    while count > 0 and state[qv + last] >= r:
        count -= 1
        last -= 1
        if last < 0:
            last += m
    back = head + count
    if back >= m:
        back -= m
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
    return box_sum, g, head, count


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
    dl = HEADER + 3 * m
    ceiling = _ceiling(ceiling_db)
    rel = _release(fs, release_ms)
    t = state[2]
    box_sum = state[3]
    g = state[4]
    head = int(state[5])
    count = int(state[6])
    # Float32 buffers round to nearest: keep the clamp a hair inside so they stay under.
    hard = ceiling * (1.0 - 2.0**-22)
    g_min = 1.0
    slot = int(t % m)
    for i in range(n):
        peak = 0.0
        for c in range(nch):
            x = float(buf[i, c])
            if not abs(x) < math.inf:
                x = 0.0
            state[dl + c * m + slot] = x
            if abs(x) > peak:
                peak = abs(x)
        r = ceiling / peak if peak > ceiling else 1.0
        box_sum, g, head, count = _gain_step(state, r, t, slot, m, box_sum, g, head, count, rel)
        if g < g_min:
            g_min = g
        slot += 1
        if slot == m:
            slot = 0
        for c in range(nch):
            # The slot after this frame's holds the frame that came in L frames ago.
            y = state[dl + c * m + slot] * g
            buf[i, c] = clamp(y, -hard, hard)
        t += 1.0
    state[2] = t
    state[3] = box_sum
    state[4] = g
    state[5] = head
    state[6] = count
    state[7] = -20.0 * math.log10(max(g_min, 1e-6))


@njit(nogil=True, cache=True, fastmath=False)
def limiter_gains(
    state: np.ndarray,
    peak: np.ndarray,
    n: int,
    fs: float,
    ceiling_db: float,
    release_ms: float,
    gains: np.ndarray,
) -> None:
    """The gains limiter_process would apply, from each frame's peak instead of its samples.

    peak[:n] is the largest |sample| of each incoming frame (or anything larger that must
    also stay under the ceiling, such as an interpolated true peak). gains[i] is the gain
    for the frame that came in L frames before frame i, exactly as limiter_process would
    multiply it by before its final clamp. The state may be built for 0 channels: no
    samples are delayed here, so the caller applies the gains to its own frames.
    """
    m = int(state[0]) + 1
    ceiling = _ceiling(ceiling_db)
    rel = _release(fs, release_ms)
    t = state[2]
    box_sum = state[3]
    g = state[4]
    head = int(state[5])
    count = int(state[6])
    g_min = 1.0
    slot = int(t % m)
    for i in range(n):
        p = abs(float(peak[i]))
        if not p < math.inf:
            p = 0.0
        r = ceiling / p if p > ceiling else 1.0
        box_sum, g, head, count = _gain_step(state, r, t, slot, m, box_sum, g, head, count, rel)
        if g < g_min:
            g_min = g
        gains[i] = g
        slot += 1
        if slot == m:
            slot = 0
        t += 1.0
    state[2] = t
    state[3] = box_sum
    state[4] = g
    state[5] = head
    state[6] = count
    state[7] = -20.0 * math.log10(max(g_min, 1e-6))


@njit(nogil=True, cache=True, fastmath=False)
def limiter_apply(
    buf: np.ndarray,
    gains: np.ndarray,
    nch: int,
    n: int,
    scale: float,
    ceiling_db: float,
    out: np.ndarray,
) -> None:
    """out[:n, :nch] = buf * scale * gains, clamped as limiter_process clamps.

    gains[i] is the limiter's gain for frame i of buf (limiter_gains output, moved back
    by the look-ahead); `scale` is a gain the limiter saw applied before it.
    """
    hard = _ceiling(ceiling_db) * (1.0 - 2.0**-22)
    for i in range(n):
        g = gains[i]
        for c in range(nch):
            x = float(buf[i, c])
            if not abs(x) < math.inf:
                x = 0.0
            out[i, c] = clamp(x * scale * g, -hard, hard)

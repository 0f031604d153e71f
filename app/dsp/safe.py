"""Parameter sanitising and denormal protection shared by every DSP kernel.

Parameters arrive from the UI, automation and project files as plain floats and may be
NaN or infinite after a bad edit or a corrupt file. Kernels never apply them raw: each
design function passes them through `sanitize` and `clamp` first, so the worst a bad
value can do is pin a control to the end of its range.
"""

from numba import njit

# A recursive filter's decaying tail falls through the float range toward subnormal
# numbers, which cost up to a hundred times more per operation on x86. States are
# flushed to exact zero once they fall below this, far under any audible level.
DENORMAL_FLOOR = 1e-30

MIN_FREQ = 10.0
MAX_FREQ_RATIO = 0.45
MIN_Q = 0.1
MAX_Q = 20.0
MIN_TIME_MS = 0.01
MAX_TIME_MS = 10000.0


@njit(nogil=True, cache=True, fastmath=False)
def sanitize(x: float, default: float) -> float:
    """x, or `default` when x is NaN (infinities are left for `clamp`)."""
    if x != x:
        return default
    return x


@njit(nogil=True, cache=True, fastmath=False)
def clamp(x: float, lo: float, hi: float) -> float:
    """x limited to [lo, hi]; NaN gives lo, which is a safe setting for every caller."""
    if x > hi:
        return hi
    if x >= lo:
        return x
    return lo


@njit(nogil=True, cache=True, fastmath=False)
def clamp_freq(freq: float, fs: float) -> float:
    """A filter frequency limited to 10 Hz .. 0.45 * fs."""
    return clamp(freq, MIN_FREQ, MAX_FREQ_RATIO * fs)


@njit(nogil=True, cache=True, fastmath=False)
def clamp_q(q: float) -> float:
    return clamp(q, MIN_Q, MAX_Q)


@njit(nogil=True, cache=True, fastmath=False)
def clamp_time_ms(ms: float) -> float:
    """A time constant kept strictly positive and finite."""
    return clamp(ms, MIN_TIME_MS, MAX_TIME_MS)


@njit(nogil=True, cache=True, fastmath=False)
def clamp_rate(fs: float) -> float:
    """A sample rate kept within what the session model accepts."""
    return clamp(fs, 8000.0, 768000.0)


@njit(nogil=True, cache=True, fastmath=False)
def flush(x: float) -> float:
    """x, or exact zero when it is too small to matter (see DENORMAL_FLOOR)."""
    if -DENORMAL_FLOOR < x < DENORMAL_FLOOR:
        return 0.0
    return x

"""Second-order filters: RBJ cookbook designs and a transposed direct form II kernel.

Coefficients live in a float64 array of 5: (b0, b1, b2, a1, a2), normalised so a0 == 1
(the scipy sos row without its a0). Each channel has its own float64 state of 2:
(z1, z2). Design functions write into a coefficient array and never allocate, so the
mixer can redesign on the audio thread when a parameter target changes.

When a target changes the mixer can glide the coefficients with `coefs_approach`:
the set of stable (a1, a2) pairs is a triangle, which is convex, so every point on the
way between two stable designs is itself stable.

Design kinds (`design`): LOW_SHELF, PEAK, HIGH_SHELF match `EqKind`'s order; HIGHPASS
and LOWPASS are 12 dB/oct Butterworth at q = 0.7071. The 24 dB/oct high-pass is two
sections (`design_highpass24` into a (2, 5) array, `cascade_process` with (2, 2) state).

Buffers: the 1-D kernels take one channel (a column view such as x[:, 0] of the
mixer's (frames, channels) buffers works); `biquad_process_frames` runs every channel
of a (frames, channels) buffer through one design with a (channels, 2) state.
"""

import math

import numpy as np
from numba import njit

from app.dsp.safe import DENORMAL_FLOOR, clamp, clamp_freq, clamp_q, clamp_rate, sanitize

LOW_SHELF = 0
PEAK = 1
HIGH_SHELF = 2
HIGHPASS = 3
LOWPASS = 4

COEFS_SIZE = 5
STATE_SIZE = 2
MAX_GAIN_DB = 24.0
BUTTERWORTH_Q = 0.7071067811865476
# The Q of each section of a 4th-order Butterworth: 1 / (2 cos(pi/8)), 1 / (2 cos(3pi/8)).
BUTTERWORTH4_Q = (0.5411961001461970, 1.3065629648763766)


@njit(nogil=True, cache=True, fastmath=False)
def _write(
    coefs: np.ndarray, b0: float, b1: float, b2: float, a0: float, a1: float, a2: float
) -> None:
    coefs[0] = b0 / a0
    coefs[1] = b1 / a0
    coefs[2] = b2 / a0
    coefs[3] = a1 / a0
    coefs[4] = a2 / a0


@njit(nogil=True, cache=True, fastmath=False)
def _prepare(fs: float, freq: float, q: float) -> tuple[float, float, float]:
    fs = clamp_rate(sanitize(fs, 48000.0))
    w0 = 2.0 * math.pi * clamp_freq(sanitize(freq, 1000.0), fs) / fs
    alpha = math.sin(w0) / (2.0 * clamp_q(sanitize(q, BUTTERWORTH_Q)))
    return w0, math.cos(w0), alpha


@njit(nogil=True, cache=True, fastmath=False)
def _amp(gain_db: float) -> float:
    return math.pow(10.0, clamp(sanitize(gain_db, 0.0), -MAX_GAIN_DB, MAX_GAIN_DB) / 40.0)


@njit(nogil=True, cache=True, fastmath=False)
def design_peak(coefs: np.ndarray, fs: float, freq: float, gain_db: float, q: float) -> None:
    """Peaking EQ: gain_db at freq, bandwidth set by q."""
    _, c, alpha = _prepare(fs, freq, q)
    a = _amp(gain_db)
    _write(
        coefs,
        1.0 + alpha * a,
        -2.0 * c,
        1.0 - alpha * a,
        1.0 + alpha / a,
        -2.0 * c,
        1.0 - alpha / a,
    )


@njit(nogil=True, cache=True, fastmath=False)
def design_low_shelf(coefs: np.ndarray, fs: float, freq: float, gain_db: float, q: float) -> None:
    """Low shelf: gain_db below freq (half of it at freq); q shapes the knee."""
    _, c, alpha = _prepare(fs, freq, q)
    a = _amp(gain_db)
    s = 2.0 * math.sqrt(a) * alpha
    _write(
        coefs,
        a * ((a + 1.0) - (a - 1.0) * c + s),
        2.0 * a * ((a - 1.0) - (a + 1.0) * c),
        a * ((a + 1.0) - (a - 1.0) * c - s),
        (a + 1.0) + (a - 1.0) * c + s,
        -2.0 * ((a - 1.0) + (a + 1.0) * c),
        (a + 1.0) + (a - 1.0) * c - s,
    )


@njit(nogil=True, cache=True, fastmath=False)
def design_high_shelf(coefs: np.ndarray, fs: float, freq: float, gain_db: float, q: float) -> None:
    """High shelf: gain_db above freq (half of it at freq); q shapes the knee."""
    _, c, alpha = _prepare(fs, freq, q)
    a = _amp(gain_db)
    s = 2.0 * math.sqrt(a) * alpha
    _write(
        coefs,
        a * ((a + 1.0) + (a - 1.0) * c + s),
        -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
        a * ((a + 1.0) + (a - 1.0) * c - s),
        (a + 1.0) - (a - 1.0) * c + s,
        2.0 * ((a - 1.0) - (a + 1.0) * c),
        (a + 1.0) - (a - 1.0) * c - s,
    )


@njit(nogil=True, cache=True, fastmath=False)
def design_highpass(coefs: np.ndarray, fs: float, freq: float, q: float) -> None:
    """12 dB/oct high-pass (Butterworth at q = 0.7071)."""
    _, c, alpha = _prepare(fs, freq, q)
    _write(coefs, (1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0, 1.0 + alpha, -2.0 * c, 1.0 - alpha)


@njit(nogil=True, cache=True, fastmath=False)
def design_lowpass(coefs: np.ndarray, fs: float, freq: float, q: float) -> None:
    """12 dB/oct low-pass (Butterworth at q = 0.7071)."""
    _, c, alpha = _prepare(fs, freq, q)
    _write(coefs, (1.0 - c) / 2.0, 1.0 - c, (1.0 - c) / 2.0, 1.0 + alpha, -2.0 * c, 1.0 - alpha)


@njit(nogil=True, cache=True, fastmath=False)
def design_highpass24(coefs2: np.ndarray, fs: float, freq: float) -> None:
    """24 dB/oct Butterworth high-pass as two sections into a (2, 5) array."""
    design_highpass(coefs2[0], fs, freq, BUTTERWORTH4_Q[0])
    design_highpass(coefs2[1], fs, freq, BUTTERWORTH4_Q[1])


@njit(nogil=True, cache=True, fastmath=False)
def design(coefs: np.ndarray, kind: int, fs: float, freq: float, gain_db: float, q: float) -> None:
    """Dispatch on kind (LOW_SHELF, PEAK, HIGH_SHELF, HIGHPASS, LOWPASS); unknown = PEAK."""
    if kind == LOW_SHELF:
        design_low_shelf(coefs, fs, freq, gain_db, q)
    elif kind == HIGH_SHELF:
        design_high_shelf(coefs, fs, freq, gain_db, q)
    elif kind == HIGHPASS:
        design_highpass(coefs, fs, freq, q)
    elif kind == LOWPASS:
        design_lowpass(coefs, fs, freq, q)
    else:
        design_peak(coefs, fs, freq, gain_db, q)


@njit(nogil=True, cache=True, fastmath=False)
def design_bypass(coefs: np.ndarray) -> None:
    """Unity pass-through (b0 = 1), used for a band that is switched off."""
    _write(coefs, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@njit(nogil=True, cache=True, fastmath=False)
def coefs_approach(current: np.ndarray, target: np.ndarray, k: float) -> bool:
    """Move current coefficients a fraction k (0..1] of the way to target, in place.

    Returns True once they have arrived (then current == target exactly).
    """
    arrived = True
    for j in range(COEFS_SIZE):
        d = target[j] - current[j]
        if abs(d) < 1e-12:
            current[j] = target[j]
        else:
            current[j] += k * d
            arrived = False
    return arrived


@njit(nogil=True, cache=True, fastmath=False)
def biquad_process(coefs: np.ndarray, state: np.ndarray, buf: np.ndarray, n: int) -> None:
    """Filter buf[:n] in place (transposed direct form II), updating state (z1, z2)."""
    b0 = coefs[0]
    b1 = coefs[1]
    b2 = coefs[2]
    a1 = coefs[3]
    a2 = coefs[4]
    z1 = state[0]
    z2 = state[1]
    for i in range(n):
        x = float(buf[i])
        y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        # Flushing only once both are tiny: flushing one alone injects noise that a
        # high-Q resonance would sustain forever just above the floor.
        if abs(z1) + abs(z2) < DENORMAL_FLOOR:
            z1 = 0.0
            z2 = 0.0
        buf[i] = y
    state[0] = z1
    state[1] = z2


@njit(nogil=True, cache=True, fastmath=False)
def biquad_process_frames(
    coefs: np.ndarray, state: np.ndarray, buf: np.ndarray, nch: int, n: int
) -> None:
    """Filter buf[:n, :nch] in place with one design; state is (channels, 2)."""
    for c in range(nch):
        biquad_process(coefs, state[c], buf[:, c], n)


@njit(nogil=True, cache=True, fastmath=False)
def cascade_process(coefs2: np.ndarray, state2: np.ndarray, buf: np.ndarray, n: int) -> None:
    """Run buf[:n] through each section of coefs (S, 5) with state (S, 2) in turn."""
    for s in range(coefs2.shape[0]):
        biquad_process(coefs2[s], state2[s], buf, n)


@njit(nogil=True, cache=True, fastmath=False)
def magnitude_db(coefs: np.ndarray, fs: float, freq: float) -> float:
    """The designed response in dB at freq (for displays and tests)."""
    w = 2.0 * math.pi * freq / fs
    c1 = math.cos(w)
    s1 = math.sin(w)
    c2 = math.cos(2.0 * w)
    s2 = math.sin(2.0 * w)
    nr = coefs[0] + coefs[1] * c1 + coefs[2] * c2
    ni = -(coefs[1] * s1 + coefs[2] * s2)
    dr = 1.0 + coefs[3] * c1 + coefs[4] * c2
    di = -(coefs[3] * s1 + coefs[4] * s2)
    return 10.0 * math.log10((nr * nr + ni * ni) / (dr * dr + di * di))

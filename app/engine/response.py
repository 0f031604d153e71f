"""A strip's filter response for display: high-pass and EQ as the mixer kernel runs them.

The UI draws the EQ curve from this so what is drawn is what is heard: the same RBJ
designs from `app.dsp.biquad`, with the same choices as `mixer._strip_dsp` (one 12 dB/oct
Butterworth high-pass section, a band at 0 dB or switched off is a pass-through),
evaluated as H(e^jw) with numpy.
"""

from __future__ import annotations

import numpy as np

from app.dsp import biquad
from app.session.model import EqKind, StripParams

__all__ = ["strip_response_db"]

_KIND_CODES = {
    EqKind.LOW_SHELF: biquad.LOW_SHELF,
    EqKind.PEAK: biquad.PEAK,
    EqKind.HIGH_SHELF: biquad.HIGH_SHELF,
}


def _section_db(coefs: np.ndarray, w: np.ndarray) -> np.ndarray:
    z1 = np.exp(-1j * w)
    z2 = z1 * z1
    num = coefs[0] + coefs[1] * z1 + coefs[2] * z2
    den = 1.0 + coefs[3] * z1 + coefs[4] * z2
    return 20.0 * np.log10(np.maximum(np.abs(num / den), 1e-9))


def strip_response_db(strip: StripParams, freqs: np.ndarray, rate: float) -> np.ndarray:
    """The strip's filter response in dB at `freqs` (Hz) and sample rate `rate`:
    high-pass and EQ bands, as switched."""
    w = 2.0 * np.pi * np.asarray(freqs, float) / rate
    total = np.zeros(len(w))
    coefs = np.zeros(biquad.COEFS_SIZE)
    if strip.hpf_on:
        biquad.design(
            coefs, biquad.HIGHPASS, float(rate), float(strip.hpf_freq), 0.0, biquad.BUTTERWORTH_Q
        )
        total += _section_db(coefs, w)
    if strip.eq_on:
        for band in strip.eq:
            if band.enabled and band.gain_db != 0.0:
                biquad.design(
                    coefs,
                    _KIND_CODES[EqKind(band.kind)],
                    float(rate),
                    float(band.freq),
                    float(band.gain_db),
                    float(band.q),
                )
                total += _section_db(coefs, w)
    return total

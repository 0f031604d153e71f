"""The strip response the engine gives the UI: the kernel's high-pass and EQ designs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from app.engine.response import strip_response_db
from app.session.model import EqKind, StripParams


def test_high_pass_is_the_kernels_12_db_per_octave_butterworth() -> None:
    strip = StripParams()
    strip.hpf_on, strip.hpf_freq, strip.eq_on = True, 100.0, False
    freqs = np.array([25.0, 50.0, 100.0, 1000.0])
    got = strip_response_db(strip, freqs, 48000)
    b, a = signal.butter(2, 100.0, btype="highpass", fs=48000)
    _, h = signal.freqz(b, a, worN=freqs, fs=48000)
    assert got == pytest.approx(20 * np.log10(np.abs(h)), abs=0.01)
    assert got[2] == pytest.approx(-3.01, abs=0.02)
    assert got[1] - got[0] == pytest.approx(12.0, abs=0.5)


def test_bands_at_zero_gain_or_switched_off_are_flat() -> None:
    strip = StripParams()
    strip.hpf_on = False
    strip.eq[0].kind, strip.eq[0].gain_db, strip.eq[0].enabled = EqKind.LOW_SHELF, 6.0, False
    freqs = np.geomspace(20.0, 20000.0, 16)
    assert np.allclose(strip_response_db(strip, freqs, 48000), 0.0)
    strip.eq[0].enabled = True
    assert strip_response_db(strip, freqs, 48000)[0] == pytest.approx(6.0, abs=0.1)

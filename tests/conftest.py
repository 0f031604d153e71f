"""Shared pytest fixtures. Fixtures for the audio tests live in tests/jackserver.py."""

from __future__ import annotations

import pytest
from jackserver import JackServer


@pytest.fixture(scope="session")
def jack_server():
    """A JACK dummy server (48 kHz, 128 frames) that PortAudio uses for the session."""
    if not JackServer.available():
        pytest.skip("jackd is not installed")
    server = JackServer().start()
    server.use_for_portaudio()
    yield server
    server.release_portaudio()
    server.stop()

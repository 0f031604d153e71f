"""Shared pytest fixtures. The JACK server for the audio tests lives in tests/jackserver.py,
the shown main window for the GUI tests in tests/helpers.py."""

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


@pytest.fixture(scope="module")
def engine():
    """An engine running on its internal clock, for a test module's windows. A module that
    needs another engine defines its own `engine` fixture, which takes precedence."""
    from app.engine.engine import Engine

    eng = Engine()
    eng.open("clock")
    yield eng
    eng.close()

"""Recording through a real JACK server (dummy driver) with its outputs looped back.

At 64, 128 and 256 frames per period: the loopback calibration measures the round
trip that a played song really takes, and a click track recorded onto a new track
lands on the timeline exactly under the original.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from jackserver import JackServer
from test_engine_clock import wait_for
from test_engine_offline import make_song, render
from test_record import collect, read_take, singer

from app.engine.engine import DeviceError, Engine


def click_track(frames: int, every: int = 6000) -> np.ndarray:
    x = np.zeros((frames, 1), np.float32)
    for start in range(1000, frames, every):
        x[start : start + 48, 0] = np.hanning(48) * 0.5
    return x


@pytest.fixture(scope="module", params=[64, 128, 256])
def device(request):
    if not JackServer.available():
        pytest.skip("jackd is not installed")
    period = request.param
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    server = JackServer(period=period).start()
    server.use_for_portaudio()
    engine = Engine()
    try:
        engine.open("portaudio", blocksize=period)
        server.loopback()
        yield engine, period
    finally:
        engine.close()
        server.release_portaudio()
        if previous is not None:
            import sounddevice as sd

            os.environ["JACK_DEFAULT_SERVER"] = previous
            sd._terminate()
            sd._initialize()
        server.stop()


def first_sound(x: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(x).max(axis=1) > 0.01)[0])


def test_calibration_and_a_recorded_click_track_line_up(tmp_path, monkeypatch, device):
    engine, period = device
    settings = tmp_path / "engine.json"
    monkeypatch.setenv("GLASSROOM_SETTINGS", str(settings))
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [click_track(72000)])
    rec = singer("Recorded")
    project.tracks.append(rec)
    expected = render(engine, project, folder, 72000)

    measured = engine.calibrate(0, 0)
    stored = json.loads(settings.read_text())["latency_correction"]
    ((key, correction),) = stored.items()
    assert key.endswith(f"@{period}")
    reported = int(round(sum(engine.backend.latency) * 48000))
    assert correction == measured - reported
    assert engine.record_latency() == measured

    engine.load(project, folder)
    engine.locate(0)
    engine.record(True)
    engine.play()
    wait_for(engine, lambda f: f.recording and f.roll_frame > 0 and f.position > 60000)
    fb = engine.read_feedback()
    engine.record(False)
    engine.stop()
    (take,) = collect(engine, 1)
    # The round trip the song really took through the server is what was measured.
    captured = engine.read_capture(fb.roll_frame, 20000)
    assert first_sound(captured) - first_sound(expected) == measured
    recorded = read_take(tmp_path / "Song.glassroom", take)
    original = expected[take.position : take.position + take.length]
    assert abs(take.position + first_sound(recorded) - first_sound(expected)) <= 1
    np.testing.assert_array_equal(recorded, original)
    assert take.position < 2 * period and take.length > 50000


def test_calibration_without_a_connection_says_so(device):
    engine, _period = device
    # Output 1 is patched to input 1 only: nothing reaches input 2.
    with pytest.raises(DeviceError, match="nothing came back on input 2"):
        engine.calibrate(0, 1)


def test_loop_recording_three_passes_through_the_device(tmp_path, device):
    engine, period = device
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [click_track(30000, every=1700)])
    project.tracks.append(singer("Looped"))
    expected = render(engine, project, folder, 30000)
    before = engine.read_feedback()
    engine.load(project, folder)
    engine.set_loop(True, 4000, 16000)
    engine.locate(4000)
    engine.record(True)
    engine.play()
    assert engine.wait_commands()
    fb = wait_for(engine, lambda f: f.roll_frame > before.frames and f.frames > f.roll_frame)
    wait_for(engine, lambda f: f.frames > fb.roll_frame + 3 * 12000 + 8 * period)
    engine.record(False)
    engine.stop()
    takes = collect(engine, 3)
    for take in takes[:3]:
        assert (take.position, take.length) == (4000, 12000)
        np.testing.assert_array_equal(read_take(folder, take), expected[4000:16000])
    assert all(t.position == 4000 for t in takes[3:])
    engine.set_loop(False, 4000, 16000)

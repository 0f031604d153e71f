"""The engine on a real JACK server (dummy driver), through PortAudio and the cfunc.

PortAudio's outputs are looped back to its inputs inside the server, and the kernel
keeps every input frame in its capture ring, so what the device played can be read
back and compared with the offline render sample for sample.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from jackserver import JackServer
from test_engine_clock import wait_for
from test_engine_offline import make_song, noise, render

from app.engine.backends import DeviceError, PortAudioBackend
from app.engine.engine import Engine
from app.session.model import MonitorMode, Track

BLOCK = 128


@pytest.fixture
def live(jack_server):
    engine = Engine()
    engine.open("portaudio", blocksize=BLOCK)
    jack_server.loopback()
    yield engine
    engine.close()


def round_trip(engine: Engine, length: int) -> tuple[int, np.ndarray]:
    """Play from 0 for `length` frames; (roll frame, captured stream from there on)."""
    engine.locate(0)
    engine.play()
    fb = wait_for(engine, lambda f: f.playing and f.position >= length)
    engine.stop()
    extra = 4 * 1024  # more than any round trip through the server
    wait_for(engine, lambda f: f.frames >= fb.roll_frame + length + extra)
    return fb.roll_frame, engine.read_capture(fb.roll_frame, length + extra)


def first_sound(x: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(x).max(axis=1))[0])


def test_the_device_plays_exactly_the_render(tmp_path, live):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(12000, 2, 30), noise(9000, 1, 31)], [0, 2500])
    project.tracks[0].strip.fader_db = -4.5
    project.tracks[1].strip.pan = -0.7
    expected = render(live, project, folder, 12000)
    live.load(project, folder)
    _, captured = round_trip(live, 12000)
    offset = first_sound(captured) - first_sound(expected)
    assert 0 <= offset <= 4 * BLOCK  # the server's periods, not a gap in the stream
    assert np.array_equal(captured[offset : offset + 12000, :2], expected)
    assert live.read_feedback().backend == "portaudio"
    assert live.backend.latency[1] > 0.0


def test_a_fader_move_reaches_the_device_within_one_block(tmp_path, live):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [np.full((96000, 1), 0.5, np.float32)])
    live.load(project, folder)
    live.play()
    start = wait_for(live, lambda f: f.position > 20 * BLOCK)
    before = live.read_feedback().frames
    live.set_param(project.master.id, "fader_db", -120.0)
    after = live.read_feedback().frames
    wait_for(live, lambda f: f.frames > after + 3 * BLOCK + 4096)
    # The stream's latency (output to input through the server) is a whole number of
    # blocks; find it from when the sound started, then look where the move landed.
    captured = live.read_capture(start.roll_frame, after + 2048 - start.roll_frame)
    trip = first_sound(captured)
    assert 0 <= trip <= 4 * BLOCK
    out_frame = lambda frame: frame - start.roll_frame + trip  # noqa: E731
    assert captured[out_frame(before) - BLOCK : out_frame(before), :2].min() > 0.3
    silent = live.read_capture(start.roll_frame + out_frame(after + 2 * BLOCK), 2 * BLOCK)
    assert not silent[:, :2].any()


def test_a_device_that_refuses_the_rate_says_what_it_supports(jack_server):
    with pytest.raises(DeviceError, match="48000"):
        PortAudioBackend(samplerate=44100)


def test_the_engine_runs_without_late_cycles_in_a_quiet_test(tmp_path, live):
    folder = tmp_path / "Song.glassroom"
    live.load(folder=folder, project=make_song(folder, [noise(48000, 2, 32)]))
    live.play()
    fb = wait_for(live, lambda f: f.position > 12000)
    assert fb.underrun_frames == 0
    assert fb.ring_fill > 12000
    assert 0.0 < fb.dsp_load < 1.0


VANISH_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from app.engine.engine import Engine
    engine = Engine()
    engine.open("portaudio", blocksize=128)
    engine.play()
    print(json.dumps({"backend": engine.backend.name}), flush=True)
    sys.stdin.readline()  # the parent kills the server, then says so
    deadline = time.monotonic() + 20
    while engine.backend is None or engine.backend.name != "clock":
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    first = engine.read_feedback().blocks
    while engine.read_feedback().blocks < first + 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    fb = engine.read_feedback()
    print(json.dumps({"backend": fb.backend, "reason": engine.fallback_reason,
                      "messages": engine.messages, "blocks": fb.blocks - first,
                      "playing": fb.playing}), flush=True)
    engine.close()  # and the program ends normally, though its device is gone
    """
)


def test_the_device_vanishing_mid_play_falls_back_to_the_clock():
    if not JackServer.available():
        pytest.skip("jackd is not installed")
    server = JackServer().start()
    env = {**os.environ, "JACK_DEFAULT_SERVER": server.name}
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen(
        [sys.executable, "-c", VANISH_CHILD],
        cwd=root,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        started = json.loads(child.stdout.readline() or "{}")
        assert started.get("backend") == "portaudio", child.stderr.read()
        server.kill()
        child.stdin.write("killed\n")
        child.stdin.flush()
        report = json.loads(child.stdout.readline() or "{}")
    finally:
        server.stop()
        if child.poll() is None:
            deadline = time.monotonic() + 10
            while child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if child.poll() is None:
                child.kill()
        child.wait(timeout=10)
    assert child.returncode == 0, child.stderr.read()  # no crash on the way out either
    assert report["backend"] == "clock"
    assert "stopped" in report["reason"]
    assert any("running without sound" in m for m in report["messages"])
    assert report["blocks"] >= 20 and report["playing"]


def test_a_recorded_take_lines_up_with_what_was_playing(tmp_path, live):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(48000, 2, 33)])
    singer = Track("Singer", armed=True, monitor=MonitorMode.OFF)
    singer.input.channels = [0, 1]
    project.tracks.append(singer)
    expected = render(live, project, folder, 48000)
    live.load(project, folder)
    live.play()
    wait_for(live, lambda f: f.position > 6000)
    live.record(True)
    wait_for(live, lambda f: f.recording and f.position > 30000)
    live.record(False)
    live.stop()
    deadline = time.monotonic() + 10
    takes = []
    while not takes and time.monotonic() < deadline:
        takes = live.finished_takes()
        time.sleep(0.01)
    assert len(takes) == 1
    take = takes[0]
    assert take.track_id == singer.id and take.media.channels == 2
    recorded, rate = sf.read(folder / take.media.path, dtype="float32")
    assert rate == 48000 and len(recorded) == take.length == take.media.frames
    # The loopback returns the main mix; shifted back by the reported latency, each
    # recorded frame is the frame of the song that was playing when it was heard.
    np.testing.assert_array_equal(recorded, expected[take.position : take.position + take.length])


def test_loop_and_locate_through_the_device(tmp_path, live):
    folder = tmp_path / "Song.glassroom"
    source = noise(90000, 2, 34)
    source[1500:1520] = np.nan  # inside the loop: never reaches the device
    source[2000, 1] = np.inf
    project = make_song(folder, [source])
    song = render(live, project, folder, 90000)
    assert np.isfinite(song).all()
    live.load(project, folder)
    live.set_loop(True, 1000, 3500)
    live.locate(1000)
    live.play()
    fb = wait_for(live, lambda f: f.playing and f.roll_frame > 0 and f.frames > f.roll_frame)
    fb = wait_for(live, lambda f: f.frames > fb.roll_frame + 3 * 2500 + 4096)
    captured = live.read_capture(fb.roll_frame, 3 * 2500 + 1024)[:, :2]
    trip = first_sound(captured)
    assert 0 <= trip <= 4 * BLOCK
    np.testing.assert_array_equal(
        captured[trip : trip + 3 * 2500], np.tile(song[1000:3500], (3, 1))
    )
    assert np.isfinite(captured).all()

    live.set_loop(False, 1000, 3500)
    asked_at = live.read_feedback().frames
    live.locate(60000)
    moved = wait_for(live, lambda f: f.roll_frame > fb.roll_frame and f.position > 60000)
    assert moved.roll_frame - asked_at <= 4800  # heard within 100 ms (plus the round trip)
    wait_for(live, lambda f: f.frames > moved.roll_frame + trip + 3000)
    back = live.read_capture(moved.roll_frame + trip, 2000)[:, :2]
    np.testing.assert_array_equal(back, song[60000:62000])

"""Recording through faults: a killed process, a full disk, a vanished device.

Each child process opens a saved project, records on the ClockBackend (or on a JACK
dummy server) an input whose every sample says which stream frame it was captured
at, and reports its progress; the parent then breaks something and checks, sample
for sample, what is left in the project folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from jackserver import JackServer

from app.session import store
from app.session.model import MonitorMode, Track
from app.session.recovery import find_unfinished_takes, restore_takes

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 128
RAMP = 4096

CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys, time
    import numpy as np
    from app.engine.backends import ClockBackend
    from app.engine.engine import Engine
    from app.session import store

    folder, limit, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    def source(inp, frame):
        k = np.arange(frame, frame + inp.shape[0])
        inp[:, 0] = (k % 4096) / 4096
        inp[:, 1] = -inp[:, 0]

    project = store.open_project(folder).project
    engine = Engine()
    if backend == "clock":
        engine.open(ClockBackend(48000, 128, inputs=2, source=source))
    else:
        engine.open("portaudio", blocksize=128)
    engine.load(project, folder)
    if limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    engine.record(True)
    engine.play()
    deadline = time.monotonic() + 30
    takes = []
    while time.monotonic() < deadline:
        fb = engine.read_feedback()
        takes += engine.finished_takes()
        print(json.dumps({"frames": fb.frames, "roll": fb.roll_frame, "position": fb.position,
                          "recording": fb.recording, "playing": fb.playing,
                          "backend": fb.backend, "messages": engine.messages,
                          "takes": [[t.media.path, t.position, t.length] for t in takes]}),
              flush=True)
        if sys.stdin.readline().strip() == "stop":
            engine.record(False)
        time.sleep(0.05)
    """
)


class Child:
    """A recording child process that reports its feedback each time it is asked."""

    def __init__(self, folder: Path, limit: int = 0, backend: str = "clock",
                 env: dict | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(limit), backend],
            cwd=ROOT, env=env or dict(os.environ), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def report(self, say: str = "go") -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(self.proc.stderr.read())
        self.proc.stdin.write(say + "\n")
        self.proc.stdin.flush()
        return json.loads(line)

    def until(self, condition, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            r = self.report()
            if condition(r):
                return r
            assert time.monotonic() < deadline, f"child never got there: {r}"

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def ramp(frames: np.ndarray) -> np.ndarray:
    return ((frames % RAMP) / RAMP).astype(np.float32)


def recording_project(folder: Path) -> Track:
    project = store.create_project(folder)
    voice = Track("Voice", armed=True, monitor=MonitorMode.OFF)
    voice.input.channels = [0, 1]
    project.tracks.append(voice)
    store.save_project(project, folder)
    return voice


def test_a_killed_recording_is_recovered_in_place_up_to_a_second_before(tmp_path):
    folder = tmp_path / "Song.glassroom"
    voice = recording_project(folder)
    child = Child(folder)
    try:
        child.until(lambda r: r["recording"] and r["roll"] > 0 and r["position"] > 2 * 48000)
        last = child.report()
        os.kill(child.proc.pid, signal.SIGKILL)
    finally:
        child.end()
    opened = store.open_project(folder)
    (rec,) = find_unfinished_takes(opened.project, folder)
    assert rec.track_id == voice.id and rec.position == 0 and rec.media.channels == 2
    assert rec.length >= last["position"] - 48000  # all but the last second, at least
    restore_takes(opened.project, folder, [rec])
    data, rate = sf.read(folder / rec.media.path, dtype="float32")
    assert rate == 48000 and len(data) == rec.length
    # Timeline frame j played at stream frame roll + j and came back one block later.
    expected = ramp(last["roll"] + np.arange(rec.length) + BLOCK)
    np.testing.assert_array_equal(data[:, 0], expected)
    np.testing.assert_array_equal(data[:, 1], -expected)
    (clip,) = opened.project.track(voice.id).clips
    assert (clip.position, clip.length) == (0, rec.length)
    assert opened.project.track(voice.id).takes.takes[0].media == rec.media.id
    assert find_unfinished_takes(opened.project, folder) == []


def test_a_full_disk_ends_the_take_cleanly_and_playback_goes_on(tmp_path):
    folder = tmp_path / "Song.glassroom"
    voice = recording_project(folder)
    limit = 44 + 8 * 48000 + 6  # a second and a bit: the last frame is cut in the middle
    child = Child(folder, limit)
    try:
        r = child.until(lambda r: r["takes"] and not r["recording"])
        later = child.until(lambda x: x["position"] > r["position"] + 4800)
    finally:
        child.end()
    assert later["playing"] and not later["recording"]
    assert any("recording stopped" in m for m in later["messages"])
    ((path, position, length),) = later["takes"]
    assert position == 0 and length == (limit - 44) // 8
    data, _ = sf.read(folder / path, dtype="float32")
    assert len(data) == length
    np.testing.assert_array_equal(data[:, 0], ramp(r["roll"] + np.arange(length) + BLOCK))
    # The window would have placed it; a reopen without a save offers it back instead.
    (rec,) = find_unfinished_takes(store.open_project(folder).project, folder)
    assert rec.track_id == voice.id and rec.length == length


def test_a_device_that_vanishes_mid_take_keeps_the_take(tmp_path):
    if not JackServer.available():
        pytest.skip("jackd is not installed")
    folder = tmp_path / "Song.glassroom"
    recording_project(folder)
    server = JackServer().start()
    env = {**os.environ, "JACK_DEFAULT_SERVER": server.name}
    child = Child(folder, backend="portaudio", env=env)
    try:
        before = child.until(lambda r: r["recording"] and r["position"] > 24000)
        assert before["backend"] == "portaudio"
        server.kill()
        after = child.until(lambda r: r["backend"] == "clock" and r["takes"])
        later = child.until(lambda x: x["frames"] > after["frames"] + 4800)
    finally:
        server.stop()
        child.end()
    ((path, position, length),) = later["takes"]
    assert position == 0 and length >= before["position"] - 2 * BLOCK
    assert len(sf.read(folder / path)[0]) == length
    assert not later["recording"] and later["playing"]
    assert any("take so far is kept" in m for m in later["messages"])
    assert any("running without sound" in m for m in later["messages"])

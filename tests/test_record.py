"""Recording on the ClockBackend with its output looped back to its inputs.

The clock hands each output block back as the next input block (a round trip of one
block, which is what the clock reports as its latency), and input 2 carries a ramp
numbered by stream frame, so every recorded sample says exactly which frame it came
from and what was playing then.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_engine_clock import wait_for
from test_engine_offline import make_song, noise, render

from app.engine import arena as A
from app.engine.arena import Capacity
from app.engine.backends import ClockBackend
from app.engine.butler import Butler, make_schedule
from app.engine.compile import compile_plan
from app.engine.engine import Engine, PlanError, RecordedTake
from app.engine.mixer import process_block
from app.engine.recorder import RecordTarget
from app.session.model import MonitorMode, Range, Track

BLOCK = 128
RAMP = 4096


def ramp(frames: np.ndarray) -> np.ndarray:
    return ((frames % RAMP) / RAMP).astype(np.float32)


class Loopback:
    """Output channels 0-1 come back on inputs 0-1 one block later; input 2 is a ramp."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.last = np.zeros((BLOCK, 2), np.float32)

    def sink(self, block: np.ndarray) -> None:
        self.blocks.append(block)
        self.last = block[:, :2]

    def source(self, inp: np.ndarray, frame: int) -> None:
        inp[:, :2] = self.last
        inp[:, 2] = ramp(np.arange(frame, frame + inp.shape[0]))

    def frames(self, start: int, count: int) -> np.ndarray:
        return np.concatenate(self.blocks)[start : start + count, :2]


def open_studio(capacity: Capacity | None = None) -> tuple[Engine, Loopback]:
    loop = Loopback()
    engine = Engine(capacity)
    engine.open(ClockBackend(48000, BLOCK, inputs=4, sink=loop.sink, source=loop.source))
    return engine, loop


@pytest.fixture
def studio():
    engine, loop = open_studio()
    yield engine, loop
    engine.close()


def collect(engine: Engine, count: int, timeout: float = 10.0) -> list[RecordedTake]:
    deadline = time.monotonic() + timeout
    takes: list[RecordedTake] = []
    while len(takes) < count:
        takes += engine.finished_takes()
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(takes)} takes of {count} within {timeout} s")
        time.sleep(0.01)
    time.sleep(0.05)
    return takes + engine.finished_takes()


def singer(name: str = "Singer", channels: list[int] | None = None,
           monitor: MonitorMode = MonitorMode.OFF) -> Track:
    t = Track(name, armed=True, monitor=monitor)
    t.input.channels = [0, 1] if channels is None else channels
    return t


def song_project(folder: Path, frames: int = 48000):
    project = make_song(folder, [noise(frames, 2, 41)])
    return project


def read_take(folder: Path, take: RecordedTake) -> np.ndarray:
    data, rate = sf.read(folder / take.media.path, dtype="float32", always_2d=True)
    assert rate == 48000 and len(data) == take.media.frames == take.length
    return data


def test_a_take_lines_up_and_its_file_is_readable_while_recording(tmp_path, studio):
    engine, _loop = studio
    folder = tmp_path / "Song.glassroom"
    project = song_project(folder, 96000)
    voice = singer()
    project.tracks.append(voice)
    expected = render(engine, project, folder, 96000)
    engine.load(project, folder)
    engine.record(True)
    engine.play()
    wait_for(engine, lambda f: f.recording)
    files: list[Path] = []
    deadline = time.monotonic() + 10
    while not files or sf.info(files[0]).frames < 24000:
        files = sorted((folder / "audio").glob("Singer take 1 *.wav"))
        assert time.monotonic() < deadline, "the growing file's header never showed its frames"
        time.sleep(0.02)
    # Readable mid-take: the header counts what is written, and it is the song.
    early, _ = sf.read(files[0], dtype="float32")
    np.testing.assert_array_equal(early, expected[: len(early)])
    side = json.loads(Path(str(files[0]) + ".take.json").read_text())
    assert side["track_id"] == voice.id and side["position"] == 0 and side["sample_rate"] == 48000
    wait_for(engine, lambda f: f.position > 60000)
    engine.record(False)
    engine.stop()
    (take,) = collect(engine, 1)
    assert take.track_id == voice.id and take.media.channels == 2 and take.position == 0
    recorded = read_take(folder, take)
    np.testing.assert_array_equal(recorded, expected[: take.length])
    assert take.length > 60000 - BLOCK and take.xruns == [] and take.overruns == []


def test_punch_records_only_inside_and_monitoring_switches_at_the_points(tmp_path, studio):
    engine, loop = studio
    folder = tmp_path / "Song.glassroom"
    project = song_project(folder)
    voice = singer()
    ramp_track = singer("Ramp", [2], MonitorMode.AUTO)
    project.tracks += [voice, ramp_track]
    project.punch = Range(10000, 20000, True)
    expected = render(engine, project, folder, 48000)
    engine.load(project, folder)
    engine.record(True)
    engine.play()
    fb = wait_for(engine, lambda f: f.position > 26000)
    engine.record(False)
    engine.stop()
    takes = {t.track_id: t for t in collect(engine, 2)}
    assert set(takes) == {voice.id, ramp_track.id}
    for t in takes.values():
        assert (t.position, t.length) == (10000, 10000)
    # The loopback take is what was heard from 10000 on (the song plus the monitored ramp).
    roll = fb.roll_frame
    recorded = read_take(folder, takes[voice.id])
    np.testing.assert_array_equal(recorded, loop.frames(roll + 10000, 10000))
    # The ramp take: frame j was captured one round trip after timeline 10000 + j played.
    heard = roll + np.arange(10000, 20000) + BLOCK
    np.testing.assert_array_equal(read_take(folder, takes[ramp_track.id])[:, 0], ramp(heard))
    # What was heard: the disk (silent on this track) outside the punch, the input inside.
    extra = loop.frames(roll, 26000) - expected[:26000]
    assert not extra[:10000].any() and not extra[20000:].any()
    live = np.abs(extra[10000:20000]).max(axis=1) > 0
    assert live[0] and live[-1] and live.mean() > 0.99


def test_loop_recording_gives_one_take_per_pass_without_a_gap(tmp_path, studio):
    engine, loop = studio
    folder = tmp_path / "Song.glassroom"
    project = song_project(folder)
    voice = singer()
    project.tracks.append(voice)
    expected = render(engine, project, folder, 48000)
    engine.load(project, folder)
    engine.set_loop(True, 5000, 15000)
    engine.locate(5000)
    engine.record(True)
    engine.play()
    fb = wait_for(engine, lambda f: f.roll_frame > 0 and f.frames > f.roll_frame)
    fb = wait_for(engine, lambda f: f.frames > fb.roll_frame + 3 * 10000 + 4000)
    engine.record(False)
    engine.stop()
    takes = collect(engine, 4)
    for take in takes[:3]:
        assert (take.position, take.length) == (5000, 10000)
        np.testing.assert_array_equal(read_take(folder, take), expected[5000:15000])
    assert all(t.position == 5000 for t in takes[3:])
    names = [t.media.path for t in takes]
    assert len(set(names)) == len(names) and "take 1 " in names[0] and "take 3 " in names[2]
    # The loop played on through every pass boundary, sample for sample.
    played = loop.frames(fb.roll_frame, 3 * 10000)
    np.testing.assert_array_equal(played, np.tile(expected[5000:15000], (3, 1)))


def test_pre_roll_starts_the_take_where_the_transport_stood(tmp_path, studio):
    engine, loop = studio
    folder = tmp_path / "Song.glassroom"
    project = song_project(folder, 60000)
    project.tracks.append(singer())
    expected = render(engine, project, folder, 60000)
    engine.load(project, folder)
    engine.locate(30000)
    wait_for(engine, lambda f: f.position == 30000)
    engine.record(True, preroll=8000, count_in=True)
    engine.play()
    fb = wait_for(engine, lambda f: f.position > 40000)
    engine.record(False)
    engine.stop()
    (take,) = collect(engine, 1)
    assert take.position == 30000
    np.testing.assert_array_equal(read_take(folder, take), expected[30000 : 30000 + take.length])
    # The count-in click (a beat falls at 24000) sounded during the pre-roll only.
    heard = loop.frames(fb.roll_frame, 8000 + take.length) - expected[22000 : 30000 + take.length]
    assert np.abs(heard[:8000]).max() > 0.1 and not heard[8000:].any()


def test_refusals_change_nothing(tmp_path, studio):
    engine, _loop = studio
    folder = tmp_path / "Song.glassroom"
    project = song_project(folder)
    silent = Track("No input", armed=True)
    project.tracks.append(silent)
    engine.load(project, folder)
    before = sorted(p.name for p in (folder / "audio").iterdir())

    def refused(match: str) -> None:
        with pytest.raises(PlanError, match=match):
            engine.record(True)
        assert engine.wait_commands()
        assert not engine.read_feedback().recording
        assert sorted(p.name for p in (folder / "audio").iterdir()) == before

    with pytest.raises(PlanError, match="no input"):
        engine.check_arm(silent.id)
    refused("no input")
    silent.input.channels = [0]
    silent.record_safe = True
    refused("record-safe")
    silent.record_safe = False
    project.punch = Range(3000, 3000, True)
    refused("end after its start")
    project.punch = Range(10**9, 10**9 + 100, True)
    refused("outside the session")
    with pytest.raises(PlanError, match="outside"):
        engine.check_punch(10**9, 10**9 + 100)
    project.punch = Range()
    silent.input.channels = [9]
    refused("device has 4")
    silent.armed = False
    refused("no armed track")


def test_a_disk_that_falls_behind_marks_the_take_and_keeps_time(tmp_path):
    engine, _loop = open_studio(Capacity(ring_frames=1 << 14))
    try:
        folder = tmp_path / "Song.glassroom"
        project = song_project(folder, 120000)
        project.tracks.append(singer())
        engine.load(project, folder)
        engine.record(True)
        engine.play()
        wait_for(engine, lambda f: f.position > 4000)
        with engine._butler.paused():
            held = engine.read_feedback().frames
            wait_for(engine, lambda f: f.frames > held + 2 * (1 << 14))
        wait_for(engine, lambda f: f.position > 60000)
        engine.record(False)
        stopped = wait_for(engine, lambda f: not f.recording)
        engine.stop()
        (take,) = collect(engine, 1)
        assert take.overruns and 0 < take.overruns[0] < take.length
        # Silence stood in for the lost frames, so the take still spans its time.
        assert 0 <= stopped.position - (take.position + take.length) <= 4 * BLOCK
        assert any("fell behind" in m for m in engine.messages)
        assert engine.read_feedback().capture_lost >= 1 << 14
    finally:
        engine.close()


def test_xruns_are_marked_on_the_take_where_they_happened(tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = song_project(folder)
    voice = singer()
    project.tracks.append(voice)
    arena = A.Arena(Capacity(8, 4, 2))
    mapping = compile_plan(project, arena, 0, 0)
    butler = Butler(arena, 48000)
    butler.set_schedule(make_schedule(project, folder, mapping.rings, set()))
    butler.recorder.arm(folder, 48000, [RecordTarget(voice.id, voice.name, (0, 1))], 0)
    inp, out = np.zeros((BLOCK, 2), np.float32), np.zeros((BLOCK, 2), np.float32)
    arena.push_command(A.CMD_RECORD, 1.0)
    arena.push_command(A.CMD_PLAY)
    for block in range(120):
        butler.service()
        process_block(*arena.kernel_args(), inp, out, 1 if block in (60, 100) else 0, 0)
    arena.push_command(A.CMD_RECORD, 0.0)
    process_block(*arena.kernel_args(), inp, out, 0, 0)
    butler.service()
    (take,) = butler.recorder.finished()
    roll = int(arena.fb[A.F_ROLL_FRAME])
    assert take.xruns == [60 * BLOCK - roll, 100 * BLOCK - roll]
    assert take.length == 120 * BLOCK - roll  # the record-off takes effect at a block start


@pytest.mark.parametrize(
    ("mode", "armed", "stopped", "playing", "recording"),
    [
        # what is heard: "in" the input, "disk" the clip, "-" nothing
        (MonitorMode.AUTO, True, "in", "disk", "in"),
        (MonitorMode.AUTO, False, "-", "disk", "disk"),
        (MonitorMode.INPUT, True, "in", "in", "in"),
        (MonitorMode.OFF, True, "-", "disk", "disk"),
    ],
)
def test_monitoring_modes_choose_input_or_disk(tmp_path, mode, armed, stopped, playing,
                                               recording):
    from test_engine_offline import wav_media

    from app.engine.backends import OfflineBackend
    from app.session import store
    from app.session.model import Clip

    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    disk = wav_media(project, folder, "disk", np.full((96000, 1), 0.25, np.float32))
    track = Track("Vox", armed=armed, monitor=mode)
    track.input.channels = [0]
    track.clips.append(Clip(disk.id, 0, 96000))
    project.tracks.append(track)
    arena = A.Arena(Capacity(8, 4, 2))
    mapping = compile_plan(project, arena, 0, 0)
    butler = Butler(arena, 48000)
    butler.set_schedule(make_schedule(project, folder, mapping.rings, set()))
    OfflineBackend(48000, BLOCK).settle(arena)
    inp = np.full((BLOCK, 2), 0.5, np.float32)
    out = np.zeros((BLOCK, 2), np.float32)

    def heard() -> str:
        for _ in range(40):  # past any ramp
            butler.service()
            process_block(*arena.kernel_args(), inp, out, 0, 0)
        level = float(out[-1, 0]) / math.cos(math.pi / 4)
        return {0.5: "in", 0.25: "disk", 0.0: "-"}[round(level, 4)]

    assert heard() == stopped
    arena.push_command(A.CMD_PLAY)
    assert heard() == playing
    arena.push_command(A.CMD_RECORD, 1.0)
    assert heard() == recording


def test_sixteen_inputs_record_at_once(tmp_path):
    def source(inp: np.ndarray, frame: int) -> None:
        k = ramp(np.arange(frame, frame + inp.shape[0]))
        for ch in range(inp.shape[1]):
            inp[:, ch] = k * (1 + ch) / 16

    engine = Engine()
    engine.open(ClockBackend(48000, BLOCK, inputs=16, source=source))
    try:
        folder = tmp_path / "Song.glassroom"
        project = song_project(folder)
        tracks = [singer(f"In {ch + 1}", [ch]) for ch in range(16)]
        project.tracks += tracks
        engine.load(project, folder)
        engine.record(True)
        engine.play()
        fb = wait_for(engine, lambda f: f.recording and f.roll_frame > 0 and f.position > 9600)
        engine.record(False)
        engine.stop()
        takes = {t.track_id: t for t in collect(engine, 16)}
        for ch, track in enumerate(tracks):
            take = takes[track.id]
            heard = fb.roll_frame + take.position + np.arange(take.length) + BLOCK
            np.testing.assert_array_equal(
                read_take(folder, take)[:, 0], (ramp(heard) * (1 + ch) / 16).astype(np.float32)
            )
    finally:
        engine.close()

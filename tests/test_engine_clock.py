"""The live engine without a device: the ClockBackend runs the kernel in real time.

Its `sink` hands over every output block, so what would have been played can be
compared sample for sample with the offline render, and fader moves, loops and
locates can be measured in stream frames.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf
from test_engine_offline import make_song, noise, render, wav_media

from app.engine.arena import Capacity
from app.engine.backends import ClockBackend
from app.engine.engine import Engine, Feedback, PlanError
from app.session.model import Clip, CueMix, CueSend, MonitorMode, Track

BLOCK = 128


class Recorder:
    """Collects a ClockBackend's output blocks; frame k of the stream is row k."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []

    def __call__(self, block: np.ndarray) -> None:
        self.blocks.append(block)

    def frames(self, start: int, count: int) -> np.ndarray:
        out = np.concatenate(list(self.blocks))
        assert out.shape[0] >= start + count, "not enough output recorded"
        return out[start : start + count]


def wait_for(engine: Engine, condition, timeout: float = 10.0) -> Feedback:
    deadline = time.monotonic() + timeout
    while True:
        fb = engine.read_feedback()
        if condition(fb):
            return fb
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last feedback {fb}")
        time.sleep(0.005)


@pytest.fixture
def clocked():
    recorder = Recorder()
    engine = Engine()
    engine.open(ClockBackend(48000, BLOCK, sink=recorder))
    yield engine, recorder
    engine.close()


def test_clock_plays_exactly_what_the_render_writes(tmp_path, clocked):
    engine, recorder = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(9000, 2, 20), noise(7000, 1, 21)], [0, 1500])
    project.tracks[1].strip.pan = 0.3
    expected = render(engine, project, folder, 9000)
    engine.load(project, folder)
    assert engine.wait_commands()
    engine.play()
    fb = wait_for(engine, lambda f: f.playing and f.position >= 9000)
    wait_for(engine, lambda f: f.frames >= fb.roll_frame + 9000)
    played = recorder.frames(fb.roll_frame, 9000)
    assert np.array_equal(played, expected)


def test_a_fader_move_is_heard_within_one_block(tmp_path, clocked):
    engine, recorder = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [np.full((96000, 1), 0.5, np.float32)])
    engine.load(project, folder)
    engine.play()
    before = wait_for(engine, lambda f: f.position > 4 * BLOCK).frames
    engine.set_param(project.master.id, "fader_db", -120.0)
    after = engine.read_feedback().frames
    wait_for(engine, lambda f: f.frames > after + 4 * BLOCK)
    assert recorder.frames(before - BLOCK, BLOCK).min() > 0.3
    assert not recorder.frames(after + 2 * BLOCK, 2 * BLOCK).any()


def test_a_loop_wraps_without_a_gap(tmp_path, clocked):
    engine, recorder = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(8000, 2, 22)])
    expected = render(engine, project, folder, 8000)
    start, end = 1000, 1000 + 2500  # not a multiple of the block size
    engine.load(project, folder)
    engine.set_loop(True, start, end)
    engine.locate(start)
    engine.play()
    fb = wait_for(engine, lambda f: f.playing and not f.waiting and f.loop[0] and f.frames > 0)
    fb = wait_for(engine, lambda f: f.roll_frame > 0 and f.frames > f.roll_frame + 3 * 2500)
    played = recorder.frames(fb.roll_frame, 3 * 2500)
    assert np.array_equal(played, np.tile(expected[start:end], (3, 1)))
    assert start <= engine.read_feedback().position < end


def test_locate_while_playing_is_heard_within_100_ms(tmp_path, clocked):
    engine, recorder = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(80000, 2, 23)])
    expected = render(engine, project, folder, 80000)
    engine.load(project, folder)
    engine.play()
    first = wait_for(engine, lambda f: f.position > 10 * BLOCK)
    asked_at = engine.read_feedback().frames
    engine.locate(60000)
    fb = wait_for(engine, lambda f: f.roll_frame > first.roll_frame and f.position > 60000)
    assert fb.roll_frame - asked_at <= 4800  # 100 ms at 48 kHz
    wait_for(engine, lambda f: f.frames > fb.roll_frame + 2000)
    assert np.array_equal(recorder.frames(fb.roll_frame, 2000), expected[60000:62000])


def test_growing_past_capacity_keeps_the_transport_and_plays_every_track(tmp_path):
    recorder = Recorder()
    engine = Engine(capacity=Capacity(strips=2, tracks=1, cues=1))
    engine.open(ClockBackend(48000, BLOCK, sink=recorder))
    try:
        folder = tmp_path / "Song.glassroom"
        project = make_song(folder, [noise(6000, 2, 24)])
        engine.load(project, folder)
        engine.locate(1234)
        wait_for(engine, lambda f: f.position == 1234)
        grown = make_song(tmp_path / "Big.glassroom", [noise(6000, 2, s) for s in range(3)])
        grown.tracks.append(Track("Empty"))
        engine.load(grown, tmp_path / "Big.glassroom")
        fb = wait_for(engine, lambda f: len(f.meters) == 5)
        assert fb.position == 1234
        expected = render(engine, grown, tmp_path / "Big.glassroom", 6000)
        engine.locate(0)
        engine.play()
        fb = wait_for(engine, lambda f: f.position >= 6000)
        wait_for(engine, lambda f: f.frames >= fb.roll_frame + 6000)
        assert np.array_equal(recorder.frames(fb.roll_frame, 6000), expected)
    finally:
        engine.close()


def test_meters_hold_peak_and_rms_since_the_last_read(tmp_path, clocked):
    engine, _ = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [np.full((48000, 1), 0.5, np.float32)])
    engine.load(project, folder)
    engine.play()
    wait_for(engine, lambda f: f.position > 2000)
    engine.read_feedback()
    fb = wait_for(engine, lambda f: f.meters[project.tracks[0].id].peak > 0)
    meter = fb.meters[project.tracks[0].id]
    assert meter.peak == pytest.approx(0.5 * np.cos(np.pi / 4), abs=1e-6)
    assert meter.rms == pytest.approx(0.5 * np.cos(np.pi / 4), abs=1e-6)


def test_an_unusable_device_falls_back_to_the_clock_with_a_reason():
    engine = Engine()
    try:
        engine.open("auto", device="no such interface anywhere")
        assert engine.backend is not None and engine.backend.name == "clock"
        assert "no such interface anywhere" in engine.fallback_reason
        assert engine.read_feedback().fallback_reason == engine.fallback_reason
    finally:
        engine.close()


def test_feedback_reports_the_compressors_gain_reduction(tmp_path, clocked):
    engine, _ = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(48000, 2, 25, level=0.5), noise(48000, 2, 26)])
    squeezed = project.tracks[0]
    squeezed.strip.comp_on, squeezed.strip.comp_threshold_db = True, -30.0
    engine.load(project, folder)
    engine.play()
    fb = wait_for(engine, lambda f: f.gain_reduction.get(squeezed.id, 0.0) > 6.0)
    assert fb.gain_reduction[project.tracks[1].id] == 0.0


def test_feedback_measures_master_loudness_and_cue_levels(tmp_path, clocked):
    import pyloudnorm

    engine, recorder = clocked
    folder = tmp_path / "Song.glassroom"
    t = np.arange(96000) / 48000
    tone = (0.25 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)[:, None]
    project = make_song(folder, [tone])
    project.cues.append(CueMix("Cue", output=4, sends={project.tracks[0].id: CueSend(-6.0)}))
    engine.load(project, folder)
    engine.play()
    wait_for(engine, lambda f: f.position > 12000)
    engine.reset_loudness()  # measure the steady tone only, not the start from silence
    fb = wait_for(engine, lambda f: f.position > 12000 + 48000)
    out = recorder.frames(fb.roll_frame + 24000, 24000)
    expected = pyloudnorm.Meter(48000).integrated_loudness(out.astype(np.float64))
    assert fb.loudness.integrated == pytest.approx(expected, abs=0.2)
    assert fb.loudness.momentary == pytest.approx(expected, abs=0.2)
    assert fb.loudness.true_peak == pytest.approx(20 * np.log10(0.25 * np.cos(np.pi / 4)), abs=0.2)
    cue = wait_for(engine, lambda f: f.cue_meters[project.cues[0].id].peak > 0)
    assert cue.cue_meters[project.cues[0].id].peak == pytest.approx(
        0.25 * 10 ** (-6 / 20) * np.cos(np.pi / 4), rel=1e-3
    )
    engine.stop()
    wait_for(engine, lambda f: not f.playing)
    engine.reset_loudness()
    fb = wait_for(engine, lambda f: f.loudness.true_peak == -np.inf)
    assert fb.loudness.integrated == -np.inf


def test_edits_and_growth_while_playing_never_interrupt_the_sound(tmp_path):
    recorder = Recorder()
    engine = Engine(capacity=Capacity(strips=2, tracks=1, cues=1))
    engine.open(ClockBackend(48000, BLOCK, sink=recorder))
    try:
        folder = tmp_path / "Song.glassroom"
        project = make_song(folder, [np.full((480000, 1), 0.5, np.float32)])
        engine.load(project, folder)
        engine.play()
        start = wait_for(engine, lambda f: f.position > 8 * BLOCK)
        alone = 0.5 * np.cos(np.pi / 4)

        # A new track in front of the playing one: the arena must grow.
        media = wav_media(project, folder, "added", np.full((480000, 1), 0.25, np.float32))
        added = Track("Added")
        added.clips.append(Clip(media.id, 0, 480000))
        project.tracks.insert(0, added)
        engine.load(project, folder)
        grown = wait_for(engine, lambda f: f.frames > start.frames + 9600)
        both = recorder.frames(grown.frames - BLOCK, BLOCK)
        np.testing.assert_allclose(both, 1.5 * alone, rtol=1e-6)

        # A clip-gain edit on the playing track is heard within 100 ms.
        project.tracks[1].clips[0].gain_db = -120.0
        edited_at = engine.read_feedback().frames
        engine.load(project, folder)
        after = wait_for(engine, lambda f: f.frames > edited_at + 4800 + BLOCK)
        np.testing.assert_allclose(recorder.frames(edited_at + 4800, BLOCK), 0.5 * alone, rtol=1e-6)

        played = recorder.frames(start.roll_frame, after.frames - start.roll_frame)
        assert played.min() >= 0.5 * alone - 1e-6  # never a gap, never a dip
        assert after.underrun_frames == 0
    finally:
        engine.close()


def test_recording_never_overwrites_and_needs_an_armed_input(tmp_path, clocked):
    engine, _ = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(48000, 2, 27)])
    engine.load(project, folder)
    with pytest.raises(PlanError, match="no armed track"):
        engine.record(True)
    singer = Track("Lead vox", armed=True, monitor=MonitorMode.OFF)
    singer.input.channels = [1]
    project.tracks.append(singer)
    engine.load(project, folder)
    occupied = folder / "audio" / "Lead vox take 1.wav"
    occupied.write_bytes(b"someone's audio")
    engine.play()
    wait_for(engine, lambda f: f.position > 1000)
    engine.record(True)
    started = wait_for(engine, lambda f: f.recording)
    wait_for(engine, lambda f: f.frames > started.frames + 4800)
    engine.record(False)
    deadline = time.monotonic() + 10
    takes = []
    while not takes and time.monotonic() < deadline:
        takes = engine.finished_takes()
        time.sleep(0.01)
    assert occupied.read_bytes() == b"someone's audio"
    (take,) = takes
    assert take.media.path.startswith("audio/Lead vox take 1 ") and take.media.channels == 1
    data, _ = sf.read(folder / take.media.path)
    assert len(data) == take.length >= 4800
    assert take.position >= 1000 - BLOCK  # shifted back by the clock's one-block latency


def _follow(played: np.ndarray, song: np.ndarray, start: int, loop: tuple[int, int]) -> list[int]:
    """The timeline frame each played frame came from, stepping +1 or wrapping the loop.

    Fails at the first frame that is neither (a gap, a repeat or a jump).
    """
    frames, t = [start], start
    assert np.array_equal(played[0], song[start])
    for k in range(1, len(played)):
        if t + 1 < len(song) and np.array_equal(played[k], song[t + 1]):
            t += 1
        elif t + 1 == loop[1] and np.array_equal(played[k], song[loop[0]]):
            t = loop[0]
        else:
            raise AssertionError(f"played frame {k} is not the next frame after {t}")
        frames.append(t)
    return frames


def test_changing_the_loop_while_playing_is_gapless(tmp_path, clocked):
    engine, recorder = clocked
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(60000, 2, 28)])
    song = render(engine, project, folder, 60000)
    engine.load(project, folder)
    engine.play()
    first = wait_for(engine, lambda f: f.position > 3000)
    engine.set_loop(True, 20000, 22500)  # takes over a little ahead of the play point
    wait_for(engine, lambda f: f.frames > first.roll_frame + 22500 + 2 * 2500)
    engine.set_loop(False, 20000, 22500)  # released inside the loop: plays on past it
    fb = wait_for(engine, lambda f: f.position > 30000)
    played = recorder.frames(fb.roll_frame, fb.frames - fb.roll_frame)
    timeline = _follow(played, song, 0, (20000, 22500))
    assert timeline.count(20000) >= 3  # it looped
    assert max(timeline) > 30000  # and left the loop when it was switched off
    assert fb.underrun_frames == 0


def test_output_pairs_for_main_and_control_room(tmp_path):
    recorder = Recorder()
    engine = Engine()
    engine.open(ClockBackend(48000, BLOCK, outputs=6, sink=recorder))
    try:
        folder = tmp_path / "Song.glassroom"
        project = make_song(folder, [np.full((96000, 1), 0.5, np.float32)])
        project.control_room.level_db = -6.0
        engine.load(project, folder)
        engine.set_outputs(main=0, control_room=4)
        engine.play()
        fb = wait_for(engine, lambda f: f.position > 8 * BLOCK)
        wait_for(engine, lambda f: f.frames > fb.frames + 2 * BLOCK)
        block = recorder.frames(fb.frames, BLOCK)
        level = 0.5 * np.cos(np.pi / 4)
        np.testing.assert_allclose(block[:, 0:2], level, rtol=1e-6)  # main
        assert not block[:, 2:4].any()
        np.testing.assert_allclose(block[:, 4:6], level * 10 ** (-6 / 20), rtol=1e-6)
    finally:
        engine.close()

"""The mixer kernel run offline: renders, routing, cue mixes and the control room.

Projects are real folders made with app.session.store and float32 WAV files; the
expected mixes are computed independently with numpy from the pan law and gains.
The helpers here (make_song, wav_media, run_kernel) are shared by the other engine
tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from numba import njit

from app.engine import arena as A
from app.engine.backends import (
    RENDER_CHUNK_FRAMES,
    OfflineBackend,
    RenderSplit,
    tracks_run_ahead,
)
from app.engine.butler import Butler, fade_curve, make_schedule
from app.engine.callback import run_root
from app.engine.compile import PlanError, compile_plan, param_target
from app.engine.engine import Engine, RenderError
from app.engine.mixer import process_block, render_blocks, render_front
from app.session import store
from app.session.model import (
    AutomationLane,
    AutomationMode,
    AutomationPoint,
    Clip,
    CueMix,
    CueSend,
    FadeShape,
    Interp,
    MediaFile,
    Project,
    Send,
    SoloMode,
    StripParams,
    Track,
    TrackKind,
)

RATE = 48000
CENTRE = math.cos(math.pi / 4)  # constant-power pan at centre, left side
CENTRE_R = math.sin(math.pi / 4)


def noise(frames: int, channels: int, seed: int, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, channels)) * level).astype(np.float32)


def wav_media(project: Project, folder: Path, name: str, data: np.ndarray) -> MediaFile:
    """Write data as a float32 WAV in the project's audio/ folder and register it."""
    sf.write(folder / "audio" / f"{name}.wav", data, project.sample_rate, subtype="FLOAT")
    media = MediaFile(f"audio/{name}.wav", data.shape[0], data.shape[1], project.sample_rate)
    project.media[media.id] = media
    return media


def make_song(
    folder: Path, sources: list[np.ndarray], positions: list[int] | None = None, **clip_options
) -> Project:
    """A project with one audio track per source, each holding one whole-file clip."""
    project = store.create_project(folder)
    positions = positions or [0] * len(sources)
    for i, (data, position) in enumerate(zip(sources, positions, strict=True)):
        media = wav_media(project, folder, f"source{i}", data)
        track = Track(f"Track {i}")
        track.clips.append(Clip(media.id, position, data.shape[0], **clip_options))
        project.tracks.append(track)
    return project


def pan_law(pan: float) -> tuple[float, float]:
    theta = (pan + 1.0) * math.pi / 4.0
    return math.cos(theta), math.sin(theta)


def placed(
    data: np.ndarray, position: int, total: int, pan: float = 0.0, gain: float = 1.0
) -> np.ndarray:
    """A clip's contribution to a stereo mix through a track at `pan`."""
    out = np.zeros((total, 2))
    stereo = data if data.shape[1] > 1 else np.repeat(data, 2, axis=1)
    left, right = pan_law(pan)
    end = min(total, position + len(stereo))
    out[position:end, 0] = stereo[: end - position, 0] * left * gain
    out[position:end, 1] = stereo[: end - position, 1] * right * gain
    return out


def render(engine: Engine, project: Project, folder: Path, frames: int, **options) -> np.ndarray:
    out = folder / f"render-{len(list(folder.glob('render-*')))}.wav"
    engine.render(project, folder, out, (options.pop("start", 0), frames), **options)
    data, rate = sf.read(out, dtype="float32")
    assert rate == project.sample_rate
    return data


def run_kernel(
    project: Project,
    folder: Path,
    frames: int,
    outputs: int = 6,
    main_out: int = 0,
    cr_out: int = 2,
    inputs: np.ndarray | None = None,
    block: int = 128,
    placeholders: set[str] | None = None,
) -> np.ndarray:
    """Play `project` from 0 through the kernel with every output pair visible."""
    mapping = compile_plan(project, arena := A.Arena(A.Capacity(16, 8, 4)), main_out, cr_out)
    OfflineBackend(project.sample_rate, block, outputs).settle(arena)
    butler = Butler(arena, project.sample_rate)
    butler.set_schedule(make_schedule(project, folder, mapping.rings, placeholders or set()))
    arena.push_command(A.CMD_LOCATE, 0)
    arena.push_command(A.CMD_PLAY)
    nin = 0 if inputs is None else inputs.shape[1]
    arena.ctl[A.K_IN_CHANNELS] = nin
    arena.ctl[A.K_OUT_CHANNELS] = outputs
    args = arena.kernel_args()
    result = np.zeros((frames, outputs), np.float32)
    empty = np.zeros((0, nin), np.float32)
    process_block(*args, empty, result[:0], 0, 0)
    for start in range(0, frames, block):
        n = min(block, frames - start)
        butler.service()
        inp = np.zeros((n, 0), np.float32) if inputs is None else inputs[start : start + n]
        process_block(*args, np.ascontiguousarray(inp), result[start : start + n], 0, 0)
    butler.close()
    return result


@pytest.fixture
def engine():
    e = Engine()
    yield e
    e.close()


def test_render_is_the_mix_of_the_clips(tmp_path, engine):
    frames = 20000
    mono = noise(12000, 1, 1)
    stereo = noise(15000, 2, 2)
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [mono, stereo], [300, 2000])
    project.tracks[0].strip.pan = -0.5
    project.tracks[1].strip.fader_db = -6.0
    project.tracks[1].clips[0].gain_db = 3.0
    project.tracks[1].clips[0].source_offset = 500
    project.tracks[1].clips[0].length = 10000

    got = render(engine, project, folder, frames)

    expected = placed(mono, 300, frames, pan=-0.5)
    expected += placed(stereo[500:10500], 2000, frames, gain=10 ** (-6 / 20) * 10 ** (3 / 20))
    assert got.shape == (frames, 2)
    np.testing.assert_allclose(got, expected, atol=2e-7)
    assert np.abs(got[12000:12300]).min() > 0.0 and not got[12300:].any()


def test_render_is_bit_identical_run_to_run_and_across_block_sizes(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    project = make_song(
        folder,
        [noise(30000, 2, 3), noise(30000, 1, 4)],
        [0, 777],
        fade_in=3000,
        fade_in_shape=FadeShape.S_CURVE,
        fade_out=5000,
    )
    first = render(engine, project, folder, 32000)
    second = render(engine, project, folder, 32000)
    other_block = render(engine, project, folder, 32000, blocksize=1000)
    assert np.array_equal(first, second)
    assert np.array_equal(first, other_block)
    assert np.abs(first).max() > 0.05


def test_render_with_the_butler_on_its_own_thread_equals_servicing_it_every_block(
    tmp_path, engine
):
    # Longer than the butler's reach ahead and many render chunks: the rings are filled
    # on the second thread while the kernel renders, yet every sample is as if the
    # butler had run before each block.
    frames = 150_000
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(frames, 2, 5), noise(90_000, 1, 6)], [0, 40_000],
                        fade_out=7000)
    got = render(engine, project, folder, frames)
    want = run_kernel(project, folder, frames, outputs=2, cr_out=-2)
    assert np.array_equal(got, want)
    assert np.abs(got[-20_000:-10_000]).max() > 0.05  # audio to the end, not silence


def _playing_offline_rig(folder: Path) -> tuple[A.Arena, Butler, OfflineBackend]:
    """A 100,000-frame song's arena, butler and offline backend, ready to run."""
    project = make_song(folder, [noise(100_000, 2, 7)], [0])
    mapping = compile_plan(project, arena := A.Arena(A.Capacity(4, 2, 1)), 0, -2)
    butler = Butler(arena, project.sample_rate)
    butler.set_schedule(make_schedule(project, folder, mapping.rings, set()))
    backend = OfflineBackend(project.sample_rate, 128)
    backend.settle(arena)
    arena.push_command(A.CMD_LOCATE, 0)
    arena.push_command(A.CMD_PLAY)
    return arena, butler, backend


def test_an_error_in_the_butler_pass_during_a_render_reaches_the_caller(tmp_path):
    arena, butler, backend = _playing_offline_rig(tmp_path / "Song.glassroom")
    passes = []

    def failing_pass() -> None:
        passes.append(1)
        if len(passes) == 3:
            raise OSError("the disk went away")
        butler.service()

    with pytest.raises(OSError, match="disk went away"):
        backend.run(arena, 100_000, failing_pass, lambda block: None)
    butler.close()


def test_an_error_writing_a_rendered_chunk_ends_the_render(tmp_path):
    # A sink's error (a full disk) reaches the caller, and the render goes no further
    # than the chunk after.
    arena, butler, backend = _playing_offline_rig(tmp_path / "Song.glassroom")
    chunks = []

    def failing_sink(block: np.ndarray) -> None:
        chunks.append(len(block))
        if len(chunks) == 2:
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        backend.run(arena, 100_000, butler.service, failing_sink)
    butler.close()
    assert len(chunks) == 2
    assert int(arena.fb[A.F_CONSUMED]) <= 3 * sum(chunks) // 2 + 128


def _dressed_song(folder: Path, tracks: int, frames: int) -> Project:
    """`tracks` tracks of noise, each with its own filters, gate, compressor and pan."""
    project = make_song(folder, [noise(frames, 1 + i % 2, 80 + i) for i in range(tracks)])
    for i, track in enumerate(project.tracks):
        strip = track.strip
        strip.trim_db = -2.0 + 0.5 * i
        strip.hpf_on, strip.hpf_freq = i % 2 == 0, 50.0 + 10.0 * i
        strip.eq[i % 4].gain_db, strip.eq[i % 4].freq = 3.0, 200.0 * (i + 1)
        strip.gate_on, strip.gate_threshold_db = i % 3 == 0, -40.0
        strip.comp_on, strip.comp_threshold_db, strip.comp_ratio = i % 3 != 1, -24.0, 3.0
        strip.pan = -0.8 + 0.15 * i
    return project


def test_a_render_runs_tracks_ahead_unless_a_lane_moves_their_input_filters_or_dynamics(
    tmp_path, engine
):
    # Whichever way the render shares its work between its two threads, it is the
    # live kernel's mix, sample for sample, over many chunks.
    frames = 3 * RENDER_CHUNK_FRAMES + 1000
    folder = tmp_path / "Song.glassroom"
    project = _dressed_song(folder, 8, frames)
    first = project.tracks[0]
    ramp = [AutomationPoint(0, 0.0), AutomationPoint(frames, -12.0)]
    for lanes, ahead in (
        ([AutomationLane("fader_db", ramp)], True),
        ([AutomationLane("fader_db", ramp), AutomationLane("eq.1.gain_db", ramp)], False),
        ([AutomationLane("trim_db", ramp)], False),
    ):
        first.automation = lanes
        compile_plan(project, arena := A.Arena(A.Capacity(16, 16, 1, lanes=4, points=8)), 0, -2)
        assert tracks_run_ahead(arena) is ahead
        got = render(engine, project, folder, frames)
        want = run_kernel(project, folder, frames, outputs=2, cr_out=-2)
        assert np.array_equal(got, want), [lane.param for lane in lanes]
        assert np.abs(got).max() > 0.05


def test_tracks_split_between_the_render_threads_mix_as_on_one(tmp_path):
    # Twelve tracks (a batch of eight filtered together, then four), some run ahead into
    # the pipe and the rest in the mix, the split shrinking from chunk to chunk, even
    # through the middle of a batch: every sample is the kernel's without a pipe.
    folder = tmp_path / "Song.glassroom"
    frames, block, chunk = 12 * 1024, 128, 2048
    project = _dressed_song(folder, 12, frames)

    def run(splits: list[int] | None) -> np.ndarray:
        mapping = compile_plan(project, arena := A.Arena(A.Capacity(16, 16, 1)), 0, -2)
        backend = OfflineBackend(project.sample_rate, block)
        backend.settle(arena)
        butler = Butler(arena, project.sample_rate)
        butler.set_schedule(make_schedule(project, folder, mapping.rings, set()))
        arena.push_command(A.CMD_LOCATE, 0)
        arena.push_command(A.CMD_PLAY)
        args = arena.kernel_args()
        inp = np.zeros((block, 0), np.float32)
        out = np.zeros((frames, 2), np.float32)
        process_block(*args, inp[:0], out[:0], 0, 0)
        ahead_fb = arena.fb.copy()
        pipe = np.zeros((16, 2 * chunk))
        scratch, batch = np.zeros_like(arena.scratch), np.zeros_like(arena.batch)
        done = 0
        for k in range(frames // chunk):
            butler.service()
            part = out[done : done + chunk]
            if splits is None:
                got = render_blocks(args, arena.fb, arena.ring_ctl, inp, part, block)
            else:
                rows = pipe[: splits[k]]
                written = int(arena.ring_ctl[A.R_WRITTEN])
                got = render_front(args, ahead_fb, written, scratch, batch, inp, rows, chunk,
                                   block)
                assert render_blocks(args, arena.fb, arena.ring_ctl, inp, part[:got], block,
                                     rows) == got
            assert got == chunk
            done += got
        butler.close()
        return out

    alone = run(None)
    assert np.abs(alone).max() > 0.05
    for splits in ([12] * 6, [12, 11, 8, 5, 3, 0], [7, 7, 6, 4, 4, 1]):
        np.testing.assert_array_equal(run(splits), alone, err_msg=str(splits))


def test_the_render_split_closes_half_the_gap_and_never_moves_back():
    split = RenderSplit(12)
    k = 0

    def chunks(count: int, ahead: int, front_s: float | list[float], mix_s: float) -> None:
        nonlocal k
        for i in range(count):
            split.learn(k, ahead, front_s[i] if isinstance(front_s, list) else front_s, mix_s)
            k += 1

    chunks(RenderSplit.SKIP, 12, 10.0, 0.001)  # a compile, however slow, does not count
    assert split.ahead == 12
    chunks(RenderSplit.KEEP - 1, 12, 0.002, 0.001)
    assert split.ahead == 12  # not yet enough chunks to tell
    chunks(1, 12, 0.002, 0.001)
    # 1 ms apart, a track being 1/6 ms there: three tracks move, closing about half.
    assert split.ahead == 9
    chunks(RenderSplit.KEEP, 12, 0.002, 0.001)
    assert split.ahead == 9  # chunks run ahead before the move do not count
    stalled = [0.5 if i == 3 else 0.0011 for i in range(RenderSplit.KEEP)]
    chunks(RenderSplit.KEEP, 9, stalled, 0.001)
    assert split.ahead == 9  # a stall does not count, and 0.1 ms apart is even enough
    chunks(RenderSplit.KEEP, 9, 0.0013, 0.001)
    assert split.ahead == 8  # a gap of two tracks' time or less moves one
    chunks(3 * RenderSplit.KEEP, 8, 0.001, 0.003)
    assert split.ahead == 8  # this thread the slower: nothing moves back


@pytest.mark.parametrize("shape", list(FadeShape))
def test_fades_follow_their_shape(tmp_path, engine, shape):
    dc = np.full((10000, 1), 0.5, np.float32)
    folder = tmp_path / "Song.glassroom"
    project = make_song(
        folder, [dc], fade_in=1000, fade_in_shape=shape, fade_out=2000, fade_out_shape=shape
    )
    got = render(engine, project, folder, 10000)[:, 0] / (0.5 * CENTRE)
    x_in = np.arange(1000) / 1000
    np.testing.assert_allclose(got[:1000], fade_curve(x_in, shape), atol=1e-6)
    np.testing.assert_allclose(got[1000:8000], 1.0, atol=1e-6)
    left = 10000 - np.arange(8000, 10000)
    np.testing.assert_allclose(got[8000:], fade_curve((left - 1) / 2000, shape), atol=1e-6)
    assert got[0] == 0.0 and got[-1] == 0.0


def test_nan_and_inf_in_a_clip_never_reach_the_output(tmp_path, engine):
    bad = noise(5000, 2, 5)
    bad[100:200] = np.nan
    bad[3000, 0] = np.inf
    bad[3001, 1] = -np.inf
    good = noise(5000, 2, 6)
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [bad, good])
    got = render(engine, project, folder, 5000)
    assert np.isfinite(got).all()
    expected = placed(good, 0, 5000)
    np.testing.assert_allclose(got[100:200], expected[100:200], atol=2e-7)
    np.testing.assert_allclose(
        got[3000:3002, :],
        expected[3000:3002] + np.where(np.isfinite(bad[3000:3002]), bad[3000:3002] * CENTRE, 0.0),
        atol=2e-7,
    )


def test_missing_media_plays_silence(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    gone, kept = noise(4000, 2, 7), noise(4000, 2, 8)
    project = make_song(folder, [gone, kept])
    missing = project.tracks[0].clips[0].media
    (folder / project.media[missing].path).unlink()
    got = render(engine, project, folder, 4000, placeholders={missing})
    np.testing.assert_allclose(got, placed(kept, 0, 4000), atol=2e-7)


def test_render_never_overwrites_and_rejects_an_empty_range(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(1000, 2, 9)])
    out = tmp_path / "mix.wav"
    out.write_bytes(b"precious")
    with pytest.raises(RenderError, match="already exists"):
        engine.render(project, folder, out, (0, 1000))
    assert out.read_bytes() == b"precious"
    with pytest.raises(RenderError, match="empty"):
        engine.render(project, folder, tmp_path / "other.wav", (500, 500))


def test_render_can_be_cancelled_and_leaves_nothing(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    frames = 6 * RENDER_CHUNK_FRAMES
    project = make_song(folder, [noise(frames, 2, 10)])
    calls = []
    result = engine.render(
        project,
        folder,
        tmp_path / "mix.wav",
        (0, frames),
        cancel=lambda: len(calls) > 2,
        progress=calls.append,
    )
    assert result is None
    assert len(calls) == 3 and calls[-1] < 0.75  # it stopped half-way
    assert list(tmp_path.glob("*.wav")) == [] and list(tmp_path.glob(".render-*")) == []


def test_stems_hold_each_track_alone(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    a, b = noise(3000, 2, 11), noise(3000, 1, 12)
    project = make_song(folder, [a, b])
    result = engine.render(
        project, folder, tmp_path / "mix.wav", (0, 3000), stems_dir=tmp_path / "stems"
    )
    stem_a, _ = sf.read(result.stems[project.tracks[0].id], dtype="float32")
    stem_b, _ = sf.read(result.stems[project.tracks[1].id], dtype="float32")
    np.testing.assert_allclose(stem_a, placed(a, 0, 3000), atol=2e-7)
    np.testing.assert_allclose(stem_b, placed(b, 0, 3000), atol=2e-7)


def test_a_stem_holds_its_track_and_its_own_sends_only(tmp_path, engine):
    # Both tracks feed the bus, one pre-fader: a stem carries its track and the return of
    # its own send, never another track's pre-fader send; the stems add up to the mix.
    folder = tmp_path / "Song.glassroom"
    a, b = noise(3000, 2, 15), noise(3000, 2, 16)
    project = make_song(folder, [a, b])
    bus = Track("Reverb", TrackKind.BUS)
    project.tracks.append(bus)
    project.tracks[0].strip.sends.append(Send(bus.id, level_db=-6.0, pre=True))
    project.tracks[1].strip.sends.append(Send(bus.id, level_db=-12.0))
    result = engine.render(
        project, folder, tmp_path / "mix.wav", (0, 3000), stems_dir=tmp_path / "stems"
    )
    mix, _ = sf.read(tmp_path / "mix.wav", dtype="float32")
    stem_a, _ = sf.read(result.stems[project.tracks[0].id], dtype="float32")
    stem_b, _ = sf.read(result.stems[project.tracks[1].id], dtype="float32")
    np.testing.assert_allclose(stem_a, placed(a, 0, 3000) * (1 + 10 ** (-6 / 20)), atol=5e-7)
    np.testing.assert_allclose(stem_b, placed(b, 0, 3000) * (1 + 10 ** (-12 / 20)), atol=5e-7)
    np.testing.assert_allclose(stem_a + stem_b, mix, atol=1e-6)
    assert set(result.stems) == {project.tracks[0].id, project.tracks[1].id}


def test_each_send_feeds_its_bus_at_its_level_alone_or_with_others(tmp_path, engine):
    # Three sends (pre-fader with its level riding a lane, post-fader to the same bus,
    # post-fader to another bus) are summed in pairs by the kernel: the mix must be the
    # dry track plus what each send adds on its own.
    folder = tmp_path / "Song.glassroom"
    frames = 6000
    project = make_song(folder, [noise(frames, 2, 17)])
    buses = [Track("A", TrackKind.BUS), Track("B", TrackKind.BUS)]
    project.tracks += buses
    track = project.tracks[0]
    track.strip.fader_db = -4.0
    sends = [Send(buses[0].id, level_db=-6.0, pre=True), Send(buses[0].id, level_db=-12.0),
             Send(buses[1].id, level_db=-3.0)]
    ride = AutomationLane("sends.0.level_db",
                          [AutomationPoint(0, -20.0), AutomationPoint(frames, 0.0)])

    def mix(chosen: list[int]) -> np.ndarray:
        track.strip.sends = [sends[k] for k in chosen]
        track.automation = [ride] if 0 in chosen else []
        return render(engine, project, folder, frames)

    dry = mix([])
    alone = [mix([k]) - dry for k in range(3)]
    np.testing.assert_allclose(mix([0, 1, 2]), dry + sum(alone), atol=1e-6)
    assert all(np.abs(part).max() > 0.01 for part in alone)


def _bus_song(folder: Path) -> tuple[Project, np.ndarray, np.ndarray]:
    a, b = noise(4000, 2, 13), noise(4000, 2, 14)
    project = make_song(folder, [a, b])
    bus = Track("Reverb", TrackKind.BUS)
    project.tracks.append(bus)
    project.tracks[1].strip.sends.append(Send(bus.id, level_db=-6.0))
    return project, a, b


def test_post_fader_send_feeds_a_bus_and_solo_in_place_keeps_returns_fed(tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, a, b = _bus_song(folder)
    send = 10 ** (-6 / 20)
    da, db = placed(a, 0, 4000), placed(b, 0, 4000)

    plain = run_kernel(project, folder, 4000)[:, :2]
    np.testing.assert_allclose(plain, da + db * (1 + send), atol=5e-7)

    project.tracks[0].strip.solo = True  # track A alone: B and the return fall silent
    np.testing.assert_allclose(run_kernel(project, folder, 4000)[:, :2], da, atol=5e-7)

    project.tracks[0].strip.solo = False
    project.tracks[2].strip.solo = True  # the return alone, still fed by B's send
    np.testing.assert_allclose(run_kernel(project, folder, 4000)[:, :2], db * send, atol=5e-7)

    project.tracks[2].strip.solo = False
    project.tracks[1].strip.mute = True  # a muted track feeds nothing, post-fader
    np.testing.assert_allclose(run_kernel(project, folder, 4000)[:, :2], da, atol=5e-7)


def test_cue_mix_is_pre_fader_ignores_solo_and_goes_to_its_pair(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    project, a, b = _bus_song(folder)
    ta, tb = project.tracks[0], project.tracks[1]
    cue = CueMix(
        "Drummer", output=4, sends={ta.id: CueSend(-6.0, pan=-1.0), tb.id: CueSend(0.0, pan=0.5)}
    )
    project.cues.append(cue)
    ta.strip.fader_db = -30.0
    tb.strip.solo = True
    expected = placed(a, 0, 4000, pan=-1.0, gain=10 ** (-6 / 20)) + placed(b, 0, 4000, pan=0.5)

    out = run_kernel(project, folder, 4000)
    np.testing.assert_allclose(out[:, 4:6], expected, atol=5e-7)
    rendered = render(engine, project, folder, 4000, cue=cue.id)
    np.testing.assert_allclose(rendered, expected, atol=5e-7)


def test_cue_safety_limiter_holds_the_ceiling(tmp_path):
    loud = np.full((6000, 1), 0.9, np.float32)
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [loud, loud])
    project.cues.append(
        CueMix("Loud", output=2, sends={t.id: CueSend(12.0) for t in project.tracks})
    )
    out = run_kernel(project, folder, 6000, outputs=4, cr_out=-2)
    assert np.abs(out[:, 2:4]).max() <= 0.8913
    assert np.abs(out[:, 2:4]).max() > 0.85


def test_afl_solo_changes_only_the_control_room(tmp_path):
    folder = tmp_path / "Song.glassroom"
    project, a, b = _bus_song(folder)
    project.cues.append(CueMix("Cue", output=4, sends={project.tracks[0].id: CueSend(0.0)}))
    before = run_kernel(project, folder, 4000)
    project.control_room.solo_mode = SoloMode.AFL
    project.tracks[1].strip.solo = True
    project.tracks[1].strip.fader_db = -6.0
    project.tracks[1].strip.sends[0].level_db = -120.0
    after = run_kernel(project, folder, 4000)
    fader = 10 ** (-6 / 20)
    db = placed(b, 0, 4000)
    np.testing.assert_allclose(after[:, 0:2], placed(a, 0, 4000) + db * fader, atol=5e-7)
    np.testing.assert_allclose(after[:, 2:4], db * fader, atol=5e-7)  # control room: AFL
    np.testing.assert_array_equal(after[:, 4:6], before[:, 4:6])  # the cue is untouched


def test_control_room_level_dim_mono_cut_and_cue_source(tmp_path):
    folder = tmp_path / "Song.glassroom"
    a = noise(3000, 2, 15)
    project = make_song(folder, [a])
    project.cues.append(
        CueMix("Cue", output=4, sends={project.tracks[0].id: CueSend(0.0, pan=1.0)})
    )
    main = placed(a, 0, 3000)
    room = project.control_room
    room.level_db, room.dim, room.dim_db, room.mono = -6.0, True, -20.0, True
    out = run_kernel(project, folder, 3000)
    mid = main.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(out[:, 2:4], np.repeat(mid, 2, 1) * 10 ** (-26 / 20), atol=5e-7)
    np.testing.assert_allclose(out[:, 0:2], main, atol=5e-7)
    room.dim, room.mono, room.level_db = False, False, 0.0
    room.source = project.cues[0].id
    out = run_kernel(project, folder, 3000)
    np.testing.assert_array_equal(out[:, 2:4], out[:, 4:6])
    room.cut = True
    assert not run_kernel(project, folder, 3000)[:, 2:4].any()


def test_talkback_reaches_chosen_cues_and_dims_the_control_room(tmp_path):
    folder = tmp_path / "Song.glassroom"
    a = noise(2048, 2, 16)
    project = make_song(folder, [a])
    t = project.tracks[0]
    project.cues.append(CueMix("Hears", output=4, sends={t.id: CueSend(-120.0)}))
    project.cues.append(CueMix("Deaf", output=6, talkback=False, sends={t.id: CueSend(-120.0)}))
    project.control_room.talkback_input = 1
    voice = np.zeros((2048, 2), np.float32)
    voice[:, 1] = noise(2048, 1, 17)[:, 0]

    mapping = compile_plan(project, arena := A.Arena(A.Capacity(8, 4, 4)), 0, 2)
    OfflineBackend(RATE, 128, 8).settle(arena)
    arena.cr_p[A.TARGET, A.CR_TALKBACK_HELD] = 1.0
    butler = Butler(arena, RATE)
    butler.set_schedule(make_schedule(project, folder, mapping.rings, set()))
    arena.push_command(A.CMD_PLAY)
    out = np.zeros((2048, 8), np.float32)
    for start in range(0, 2048, 128):
        butler.service()
        process_block(
            *arena.kernel_args(), voice[start : start + 128], out[start : start + 128], 0, 0
        )
    np.testing.assert_allclose(out[:, 4], voice[:, 1], atol=1e-7)
    np.testing.assert_allclose(out[:, 5], voice[:, 1], atol=1e-7)
    assert not out[:, 6:8].any()
    # The control room is 20 dB down once the dim has ramped in (after the first block).
    main = placed(a, 0, 2048)
    np.testing.assert_allclose(out[256:, 2:4], main[256:] * 0.1, atol=5e-7)


def test_parameter_paths_convert_units():
    strip = StripParams(sends=[Send("bus", level_db=-6.0, enabled=False)])
    assert param_target(strip, "fader_db", -6.0) == (A.P_FADER, pytest.approx(0.501187, 1e-5))
    assert param_target(strip, "fader_db", -200.0) == (A.P_FADER, 0.0)
    assert param_target(strip, "invert", True) == (A.P_POLARITY, -1.0)
    assert param_target(strip, "pan", 3.0) == (A.P_PAN, 1.0)
    assert param_target(strip, "eq.2.gain_db", 4.5) == (
        A.P_EQ + 2 * A.EQ_FIELDS + A.EQ_GAIN_DB,
        4.5,
    )
    assert param_target(strip, "sends.0.level_db", 0.0) == (A.P_SENDS, 0.0)  # disabled
    assert param_target(strip, "sends.0.enabled", True) == (
        A.P_SENDS,
        pytest.approx(0.501187, 1e-5),
    )
    with pytest.raises(PlanError, match="new plan"):
        param_target(strip, "sends.0.bus", "other")
    with pytest.raises(PlanError, match="not a finite"):
        param_target(strip, "hpf_freq", float("nan"))


def test_a_routing_loop_is_refused_with_the_names(tmp_path):
    project = Project()
    one, two = Track("Bus one", TrackKind.BUS), Track("Bus two", TrackKind.BUS)
    one.output, two.output = two.id, one.id
    project.tracks += [one, two]
    with pytest.raises(PlanError, match="Bus one -> Bus two"):
        compile_plan(project, A.Arena(A.Capacity(4, 1, 1)))


def test_arena_commands_refuse_when_the_kernel_is_not_taking_them():
    arena = A.Arena(A.Capacity(2, 1, 1, ring_frames=4096))
    for _ in range(A.CMD_CAPACITY):
        arena.push_command(A.CMD_PLAY)
    with pytest.raises(RuntimeError, match="not taking commands"):
        arena.push_command(A.CMD_STOP)


def test_strip_filters_are_the_dsp_designs_in_signal_order(tmp_path, engine):
    from scipy.signal import lfilter

    from app.dsp.biquad import HIGH_SHELF, HIGHPASS, PEAK, design

    source = noise(20000, 2, 40)
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [source])
    strip = project.tracks[0].strip
    strip.hpf_on, strip.hpf_freq = True, 150.0
    strip.eq[1].gain_db, strip.eq[1].freq, strip.eq[1].q = 6.0, 1000.0, 2.0
    strip.eq[3].gain_db = -4.0
    got = render(engine, project, folder, 20000)

    expected = source.astype(np.float64)
    for kind, freq, gain, q in [
        (HIGHPASS, 150.0, 0.0, 0.7071067811865476),
        (PEAK, 1000.0, 6.0, 2.0),
        (HIGH_SHELF, 8000.0, -4.0, strip.eq[3].q),
    ]:
        c = np.zeros(5)
        design(c, kind, float(RATE), freq, gain, q)
        expected = lfilter(c[:3], [1.0, c[3], c[4]], expected, axis=0)
    expected[:, 0] *= CENTRE
    expected[:, 1] *= CENTRE_R
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.abs(got - placed(source, 0, 20000)).max() > 0.01  # the filters did something


def test_tracks_whose_filters_run_together_sound_as_each_alone(tmp_path, engine):
    # Ten tracks in a row: eight have their filters run in one batch, the other two one
    # by one. Each with its own high-pass and EQ (some with none): every stem must be
    # the track rendered on its own, where its filters run by themselves.
    def settings(strip, i: int) -> None:
        strip.hpf_on, strip.hpf_freq = i % 3 == 0, 60.0 + 25.0 * i
        strip.eq_on = i % 4 != 3
        strip.eq[i % 4].gain_db, strip.eq[i % 4].freq = 2.0 + i, 300.0 * (i + 1)
        strip.eq[(i + 1) % 4].gain_db = -3.0 - 0.5 * i
        strip.pan = -0.9 + 0.2 * i

    frames = 4000
    sources = [noise(frames, 1 + i % 2, 60 + i) for i in range(10)]
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, sources)
    for i, track in enumerate(project.tracks):
        settings(track.strip, i)
    result = engine.render(project, folder, tmp_path / "mix.wav", (0, frames),
                           stems_dir=tmp_path / "stems")
    for i, track in enumerate(project.tracks):
        stem, _ = sf.read(result.stems[track.id], dtype="float32")
        alone_folder = tmp_path / f"Alone{i}.glassroom"
        alone = make_song(alone_folder, [sources[i]])
        settings(alone.tracks[0].strip, i)
        np.testing.assert_array_equal(stem, render(engine, alone, alone_folder, frames),
                                      err_msg=track.name)
    mix, _ = sf.read(tmp_path / "mix.wav", dtype="float32")
    assert np.abs(mix).max() > 0.05


def test_compressor_gate_and_drive_act_on_the_strip(tmp_path, engine):
    loud = noise(24000, 2, 41, level=0.5)
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [loud])
    plain = render(engine, project, folder, 24000)
    strip = project.tracks[0].strip
    strip.comp_on, strip.comp_threshold_db, strip.comp_ratio = True, -30.0, 8.0
    squeezed = render(engine, project, folder, 24000)
    assert np.sqrt(np.mean(squeezed[12000:] ** 2)) < 0.5 * np.sqrt(np.mean(plain[12000:] ** 2))
    strip.comp_on = False
    strip.drive_on, strip.drive_db = True, 24.0
    driven = render(engine, project, folder, 24000)
    assert np.abs(driven).max() <= 10 ** (-24 / 40) + 1e-6  # tanh, then half the drive back
    strip.drive_on = False
    project.tracks[0].clips[0].gain_db = -30.0  # peaks under -12 dBFS
    strip.gate_on, strip.gate_threshold_db = True, -6.0  # never opens
    gated = render(engine, project, folder, 24000)
    assert np.abs(gated[4800:]).max() < 1e-3


def test_reverb_and_delay_returns_ring_on_after_the_dry_sound(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [noise(4800, 2, 42)])
    for effect in ("reverb", "delay"):
        bus = Track(effect.title(), TrackKind.BUS, bus_effect=effect)
        project.tracks.append(bus)
        project.tracks[0].strip.sends.append(Send(bus.id, level_db=0.0))
    got = render(engine, project, folder, 48000)
    assert np.isfinite(got).all()
    assert np.abs(got[12000:24000]).max() > 1e-3  # the tails, long after the clip ended
    np.testing.assert_array_equal(got, render(engine, project, folder, 48000))


def test_click_reaches_the_control_room_and_cues_but_not_the_main_mix(tmp_path):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [np.zeros((48000, 2), np.float32)])
    project.click = True
    project.tempo = 120.0
    project.cues.append(CueMix("Click", output=4, click_db=0.0))
    out = run_kernel(project, folder, 36000)
    assert not out[:, 0:2].any()
    for pair in (slice(2, 4), slice(4, 6)):
        beat = 24000  # 120 bpm at 48 kHz
        assert np.abs(out[:1000, pair]).max() > 0.1
        assert not out[4000:beat, pair].any()
        assert np.abs(out[beat : beat + 1000, pair]).max() > 0.1


def test_small_speaker_check_is_mono_and_band_limited_in_the_control_room_only(tmp_path):
    t = np.arange(24000) / RATE
    low = np.sin(2 * np.pi * 60 * t)
    mid = np.sin(2 * np.pi * 1000 * t)
    source = np.stack([0.3 * low, 0.3 * mid], axis=1).astype(np.float32)
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [source])
    project.control_room.small_speaker = True
    out = run_kernel(project, folder, 24000)
    room = out[12000:, 2:4].astype(np.float64)
    np.testing.assert_array_equal(room[:, 0], room[:, 1])
    spectrum = np.abs(np.fft.rfft(room[:, 0]))
    freqs = np.fft.rfftfreq(len(room), 1 / RATE)
    at = lambda hz: spectrum[np.argmin(np.abs(freqs - hz))]  # noqa: E731
    assert at(60) < 0.1 * at(1000)  # the low tone is far down
    np.testing.assert_allclose(out[:, 0:2], placed(source, 0, 24000), atol=5e-7)  # main intact


@njit
def _spin(root, inp, out, blocks):
    for _ in range(blocks):
        run_root(root, inp, out, 0, 0)


def test_the_kernel_allocates_nothing_per_block(tmp_path):
    from numba.core.runtime import _nrt_python, rtsys

    folder = tmp_path / "Song.glassroom"
    project, _a, _b = _bus_song(folder)
    project.tracks[2].bus_effect = "reverb"
    for t in project.tracks[:2]:
        t.strip.eq[1].gain_db, t.strip.comp_on, t.strip.hpf_on = 3.0, True, True
    project.cues.append(CueMix("Cue", output=4, sends={project.tracks[0].id: CueSend(0.0)}))
    project.click = True
    arena = A.Arena(A.Capacity(8, 4, 2))
    mapping = compile_plan(project, arena, 0, 2)
    butler = Butler(arena, RATE)
    butler.set_schedule(make_schedule(project, folder, mapping.rings, set()))
    arena.push_command(A.CMD_PLAY)
    root = A.Root(arena)
    arena.ctl[A.K_IN_CHANNELS], arena.ctl[A.K_OUT_CHANNELS] = 2, 6
    inp, out = np.zeros((128, 2), np.float32), np.zeros((128, 6), np.float32)
    _spin(root.array, inp, out, 1)
    butler.service()
    _nrt_python.memsys_enable_stats()
    counts = []
    try:
        for blocks in (1, 200):
            before = rtsys.get_allocation_stats()
            _spin(root.array, inp, out, blocks)
            after = rtsys.get_allocation_stats()
            counts.append((after.alloc - before.alloc, after.mi_alloc - before.mi_alloc))
    finally:
        _nrt_python.memsys_disable_stats()
    assert arena.fb[A.F_POSITION] > 200 * 128  # it really played
    assert counts[0] == counts[1]  # only the call's own arguments, never per block


def test_automation_plays_fader_mute_and_cue_level_while_rolling(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    project = make_song(folder, [np.full((48000, 1), 0.5, np.float32)])
    track = project.tracks[0]
    cue = CueMix("Cue", output=4, sends={track.id: CueSend(0.0)})
    project.cues.append(cue)
    hold = Interp.HOLD
    track.automation = [
        AutomationLane("fader_db", [AutomationPoint(0, 0.0, hold), AutomationPoint(12000, -6.0)]),
        AutomationLane("mute", [AutomationPoint(0, 0.0, hold), AutomationPoint(36000, 1.0)]),
        AutomationLane(
            f"cue.{cue.id}.level_db", [AutomationPoint(0, 0.0), AutomationPoint(24000, -120.0)]
        ),
    ]
    block = 128
    level = 0.5 * CENTRE
    got = render(engine, project, folder, 48000)[:, 0]
    np.testing.assert_allclose(got[: 12000 // block * block], level, rtol=1e-6)
    np.testing.assert_allclose(
        got[12000 // block * block + block : 36000 // block * block],
        level * 10 ** (-6 / 20),
        rtol=1e-6,
    )
    assert not got[36000 // block * block + block :].any()

    out = run_kernel(project, folder, 30000)
    cue_left = out[:, 4].astype(np.float64)
    assert cue_left[0] > 0.99 * level  # starts at 0 dB
    half_way = 20 * np.log10(cue_left[12000] / level)
    assert half_way == pytest.approx(-60.0, abs=0.7)  # a straight line in dB
    assert not cue_left[24000 // block * block + block :].any()

    track.automation_mode = AutomationMode.OFF
    np.testing.assert_allclose(render(engine, project, folder, 48000)[:, 0], level, rtol=1e-6)


def test_many_clips_overlapping_and_other_formats_mix_exactly(tmp_path, engine):
    folder = tmp_path / "Song.glassroom"
    project = store.create_project(folder)
    pcm = noise(3000, 2, 43)
    sf.write(folder / "audio" / "pcm.flac", pcm, RATE, subtype="PCM_24")
    decoded, _ = sf.read(folder / "audio" / "pcm.flac", dtype="float32")
    media = MediaFile("audio/pcm.flac", 3000, 2, RATE)
    project.media[media.id] = media
    track = Track("Busy")
    positions = [(k * 997) % 40000 for k in range(200)]
    track.clips = [Clip(media.id, pos, 3000) for pos in positions]
    project.tracks.append(track)
    got = render(engine, project, folder, 44000)
    expected = sum(placed(decoded, pos, 44000) for pos in positions)
    np.testing.assert_allclose(got, expected, atol=2e-6)

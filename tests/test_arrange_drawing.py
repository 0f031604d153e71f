"""How the arrange lanes turn audio into pixels: the in-memory envelope levels against the
audio itself, the compiled column kernels against the rule they implement, and the real
window showing a burst where it is at every zoom, scaled by clip gain, over grid lines
that follow the tempo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import shown_window
from PySide6.QtGui import QColor

from app.session import edits as E
from app.session import media, store
from app.session.model import AutomationPoint, Clip, Interp, Track, TrackKind
from app.session.peaks import PeakPyramid, build_peaks
from app.ui.arrange.automation import POINT_PX
from app.ui.arrange.envelopes import BLOCK_FRAMES, Envelopes, bucket_for
from app.ui.arrange.grid import bar_ticks
from app.ui.arrange.lane import WAVE_HEADROOM, _wave_colour
from app.ui.arrange.raster import bucket_columns, column_pixels, peak_pixels
from app.ui.arrange.waveforms import PeakState
from app.ui.theme import COLOURS

RATE = 48000
WAIT_MS = 60_000


def _pyramid(folder: Path, audio: np.ndarray, name: str = "a") -> PeakPyramid:
    wav = folder / f"{name}.wav"
    sf.write(wav, audio, RATE, subtype="FLOAT")
    build_peaks(wav, folder / f"{name}.peaks")
    return PeakPyramid.open(folder / f"{name}.peaks", wav)


def _partition(lo: np.ndarray, hi: np.ndarray, size: int, start: int, end: int,
               pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """The rule the fine levels follow, from the samples: pixel p takes the frames of the
    buckets from the one holding its first frame to the one holding the next pixel's;
    frames past the file read as silence."""
    edges = start + (np.arange(pixels + 1) * (end - start)) // pixels
    out_lo, out_hi = np.empty(pixels, np.float32), np.empty(pixels, np.float32)
    for p in range(pixels):
        a = edges[p] // size * size
        b = max(edges[p + 1] // size, edges[p] // size + 1) * size
        seg_lo, seg_hi = lo[a:min(b, len(lo))], hi[a:min(b, len(hi))]
        out_lo[p] = min(seg_lo.min(initial=np.inf), 0 if b > len(lo) else np.inf)
        out_hi[p] = max(seg_hi.max(initial=-np.inf), 0 if b > len(hi) else -np.inf)
    return out_lo, out_hi


@pytest.fixture(scope="module")
def stereo(tmp_path_factory) -> tuple[PeakPyramid, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 1_500_003
    x = (rng.standard_normal((n, 2)) * np.linspace(0.02, 0.2, n)[:, None]).astype(np.float32)
    x[700_001, 1] = 0.99  # one-sample spikes the levels must not lose
    x[1_200_017, 0] = -0.98
    return _pyramid(tmp_path_factory.mktemp("env"), x), x


def test_fine_levels_follow_the_audio_and_the_pyramid_answers_elsewhere(stereo) -> None:
    pyramid, x = stereo
    lo, hi = x.min(axis=1), x.max(axis=1)
    envelopes = Envelopes()
    rng = np.random.default_rng(9)
    for _ in range(60):
        pixels = int(rng.integers(1, 1400))
        spp = float(np.exp(rng.uniform(np.log(4), np.log(3000))))
        start = int(rng.integers(0, len(x) + 5000))
        end = start + max(1, int(spp * pixels))
        got = envelopes.envelope("a", pyramid, start, end, pixels)
        size = bucket_for((end - start) / pixels)
        if size is None or start >= len(x):
            want = pyramid.envelope(start, end, pixels)
        else:
            assert 4 * size <= (end - start) / pixels  # a pixel moves by under a quarter
            want = _partition(lo, hi, size, start, end, pixels)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    # the spikes show at the zoom that reads the in-memory level
    spp = 200
    got_lo, got_hi = envelopes.envelope("a", pyramid, 600_000, 600_000 + spp * 1000, 1000)
    assert got_hi.max() == pytest.approx(0.99) and np.argmax(got_hi) == 100_001 // spp
    got_lo, _ = envelopes.envelope("a", pyramid, 1_100_000, 1_100_000 + spp * 1000, 1000)
    assert got_lo.min() == pytest.approx(-0.98) and np.argmin(got_lo) == 100_017 // spp


def test_fine_levels_read_each_block_once_within_their_bound(stereo, tmp_path) -> None:
    pyramid, x = stereo
    envelopes = Envelopes(max_blocks=6)
    spp, pixels = 100, 1000
    first = envelopes.envelope("a", pyramid, 200_000, 200_000 + spp * pixels, pixels)
    filled = envelopes.blocks_filled
    assert filled > 0
    again = envelopes.envelope("a", pyramid, 200_000, 200_000 + spp * pixels, pixels)
    assert envelopes.blocks_filled == filled  # nothing read twice
    np.testing.assert_array_equal(first[0], again[0])
    # scrolling on reads only the block that came into view
    step = BLOCK_FRAMES
    envelopes.envelope("a", pyramid, 200_000 + step, 200_000 + step + spp * pixels, pixels)
    assert envelopes.blocks_filled == filled + 1
    # zooming in within what was read reads nothing, whichever level answers
    envelopes.envelope("a", pyramid, 240_000, 240_000 + 40 * pixels, pixels)
    assert bucket_for(40) != bucket_for(spp) and envelopes.blocks_filled == filled + 1
    # far away: older blocks go, answers stay right
    for start in range(0, 1_400_000, 150_000):
        got = envelopes.envelope("a", pyramid, start, start + spp * pixels, pixels)
        want = _partition(x.min(axis=1), x.max(axis=1), bucket_for(spp), start,
                          start + spp * pixels, pixels)
        np.testing.assert_array_equal(got[1], want[1])
        assert len(envelopes) <= 6
    # a pyramid rebuilt for changed audio is read afresh, not answered from old blocks
    quiet = _pyramid(tmp_path, np.full((len(x), 2), 0.25, np.float32), "quiet")
    lo, hi = envelopes.envelope("a", quiet, 200_000, 200_000 + spp * pixels, pixels)
    assert (lo == 0.25).all() and (hi == 0.25).all()


def test_bucket_columns_count_each_bucket_in_one_pixel() -> None:
    lo = np.zeros(1000, np.float32)
    hi = np.zeros(1000, np.float32)
    hi[437] = 1.0  # bucket 437 holds frames 437 * 64 .. 438 * 64
    for start, end, pixels in ((0, 64_000, 250), (1000, 63_000, 333), (30_000, 30_000 + 9000,
                                                                       37)):
        _, out_hi = bucket_columns(lo, hi, 64, start, end, pixels)
        assert np.count_nonzero(out_hi == 1.0) == (1 if start <= 437 * 64 < end else 0)
    # past the series, and over buckets marked empty (min > max), nothing is drawn
    lo[:500], hi[:500] = np.inf, -np.inf
    out_lo, out_hi = bucket_columns(lo, hi, 64, 0, 128_000, 100)  # 20 buckets a pixel
    assert (out_lo[:25] > out_hi[:25]).all()
    assert (out_lo[25:50] <= out_hi[25:50]).all()
    assert (out_lo[50:] > out_hi[50:]).all()


def test_column_pixels_fill_the_rows_whose_centre_is_inside() -> None:
    rng = np.random.default_rng(2)
    w, y0, y1 = 300, 3.3, 41.7
    tops = rng.uniform(0, 45, w)
    bottoms = tops + rng.uniform(-4, 30, w)  # some columns empty (bottom above top)
    values = rng.integers(1, 2**32, w, dtype=np.uint32)
    pixels, r0 = column_pixels(tops, bottoms, values, y0, y1)
    assert r0 == 3 and pixels.shape == (42 - 3, w)
    centres = np.arange(r0, 42)[:, None] + 0.5
    inside = (centres >= tops) & (centres <= bottoms)
    np.testing.assert_array_equal(pixels, np.where(inside, values, 0))


def test_peak_pixels_scale_clamp_and_keep_silence_as_a_hairline() -> None:
    peaks = np.array([[0.0, 0.5, 3.0, 0.2], [0.0, -0.5, -3.0, 0.1]])  # max row, min row
    values = np.array([7, 7, 7, 0], np.uint32)  # the last column is not drawn
    pixels, r0 = peak_pixels(peaks, values, 1.5, 41.5, WAVE_HEADROOM)
    rows = [np.flatnonzero(pixels[:, c]) + r0 for c in range(4)]
    assert list(rows[0]) == [21]  # silence: one row at the centre
    half = 20 * WAVE_HEADROOM
    assert rows[1][0] == int(np.ceil(21.5 - 0.5 * half - 0.5))
    assert rows[1][-1] == int(np.floor(21.5 + 0.5 * half - 0.5))
    assert rows[2][0] == 1 and rows[2][-1] == 41  # clipped to the lane's waveform area
    assert len(rows[3]) == 0


# -- the real window -------------------------------------------------------------------

BURST_AT = 20.0  # seconds into the source file
SHORT_CLIPS = [(300 + 30 * k) * RATE for k in range(10)]  # 2 s clips, each with the burst


def _burst_session(folder: Path, tmp: Path) -> Path:
    """One track with a long clip of near silence and a burst, then ten short clips cut
    around the burst; and an empty bus for the bare grid."""
    t = np.arange(40 * RATE) / RATE
    x = 0.01 * np.sin(2 * np.pi * 50 * t)
    burst = (t >= BURST_AT) & (t < BURST_AT + 0.05)
    x[burst] = 0.9 * np.sign(np.sin(2 * np.pi * 300 * t[burst]))
    src = tmp / "burst.wav"
    sf.write(src, x.astype(np.float32), RATE)
    project = store.create_project(folder, name="Bursts")
    history = E.EditHistory(project)
    mf = media.import_audio(src, folder, RATE).media
    history.apply(E.AddMedia(mf))
    track = Track("Bursts")
    history.apply(E.AddTrack(track))
    history.apply(E.AddClip(track.id, Clip(mf.id, 0, 40 * RATE, name="long")))
    for k, pos in enumerate(SHORT_CLIPS):
        history.apply(E.AddClip(track.id, Clip(mf.id, pos, 2 * RATE,
                                               source_offset=int((BURST_AT - 1) * RATE),
                                               name=f"short {k}")))
    history.apply(E.AddTrack(Track("Bus", kind=TrackKind.BUS)))
    store.save_project(project, folder)
    return folder


def _burst_frames() -> list[int]:
    return [int(BURST_AT * RATE)] + [pos + RATE for pos in SHORT_CLIPS]


@pytest.fixture
def bursts(qtbot, tmp_path):
    with shown_window(qtbot, size=(1400, 700)) as win:
        assert win.open_folder(_burst_session(tmp_path / "Bursts.glassroom", tmp_path))
        qtbot.waitUntil(lambda: all(win.waveforms.state(m) is PeakState.READY
                                    for m in win.project.media), timeout=WAIT_MS)
        yield win


def _tall_columns(win, lane) -> np.ndarray:
    """Columns where the waveform reaches well above the centre: the wave's own colour
    in a row a third of the way down the waveform area."""
    image = lane.grab().toImage()
    h = lane.track.height
    top = 1.5 + 16  # below the title bar
    row = int(top + (h - 2.5 - top) / 6)
    wave = _wave_colour(lane.track.colour).rgb()
    return np.array([x for x in range(image.width()) if image.pixel(x, row) == wave])


@pytest.mark.parametrize("fpp", [12, 100, 1500, 9000, 20000])
def test_a_burst_shows_where_it_is_at_every_zoom(bursts, fpp) -> None:
    view = bursts.arrange
    lane = view.lanes()[0]
    scale = view.scale
    view.zoom(fpp / scale.frames_per_pixel, 0)
    target = _burst_frames()[0 if fpp < 9000 else 3]
    scale.set_origin(target - scale.width * scale.frames_per_pixel * 0.4)
    assert scale.frames_per_pixel == pytest.approx(fpp, rel=0.01)
    tall = _tall_columns(bursts, lane)
    shown = [scale.x_of(f) for f in _burst_frames() if 0 <= scale.x_of(f) < scale.width]
    assert shown and lane.drawn_waveforms >= 1
    for x in shown:  # every burst in view is drawn where it is...
        assert np.any(np.abs(tall - x) <= 2 + 0.05 * RATE / fpp), (x, tall)
    for x in tall:  # ...and nothing tall anywhere else
        assert min(abs(x - b) for b in shown) <= 2 + 0.05 * RATE / fpp, (x, shown)


def test_clip_gain_scales_the_waveform_as_drawn(bursts) -> None:
    view = bursts.arrange
    lane = view.lanes()[0]
    view.zoom(100 / view.scale.frames_per_pixel, 0)
    view.scale.set_origin(int((BURST_AT - 2) * RATE))
    assert len(_tall_columns(bursts, lane)) > 0
    clip = lane.track.clips[0]
    bursts.push(E.SetClipGain(clip.id, -20.0))
    assert len(_tall_columns(bursts, lane)) == 0  # 0.9 at -20 dB stays near the centre
    bursts.push(E.SetClipGain(clip.id, 0.0))
    assert len(_tall_columns(bursts, lane)) > 0


def test_grid_lines_are_drawn_where_the_bars_fall_and_follow_the_tempo(bursts) -> None:
    view = bursts.arrange
    bus = view.lanes()[1]
    scale = view.scale
    view.zoom(2000 / scale.frames_per_pixel, 0)
    scale.set_origin(3 * RATE + 0.3)
    bar = QColor(COLOURS.grid_bar).rgb()

    def bar_columns() -> set[int]:
        image = bus.grab().toImage()
        return {x for x in range(image.width()) if image.pixel(x, bus.height() - 3) == bar}

    def expected() -> set[int]:
        pr = bursts.project
        start, end = scale.frame_at(0), scale.frame_at(bus.width())
        ticks = bar_ticks(start, end, scale.frames_per_pixel, RATE, pr.tempo, pr.meter_num,
                          pr.meter_den)
        return {round(scale.x_of(t.frame)) for t in ticks if t.major} - {bus.width()}

    assert bar_columns() == expected() and len(expected()) >= 3
    before = expected()
    bursts.push(E.SetTempo(97.0))
    assert bar_columns() == expected() != before



def test_an_automation_curve_is_drawn_at_its_values_with_its_steps(bursts) -> None:
    view = bursts.arrange
    track = bursts.project.tracks[0]
    bursts.push(E.AddAutomationLane(track.id, "fader_db"))
    bursts.push(E.SetAutomationPoints(track.id, "fader_db", [
        AutomationPoint(RATE, -20.0, Interp.HOLD), AutomationPoint(3 * RATE, 0.0)]))
    lane = view.automation_row(track.id, "fader_db").lane
    view.zoom(400 / view.scale.frames_per_pixel, 0)
    view.scale.set_origin(0)
    image = lane.grab().toImage()
    curve = QColor(track.colour).lighter(125)

    def curve_rows(frame: float) -> list[int]:
        """Rows of column `frame` close to the curve's colour."""
        x = round(view.scale.x_of(frame))
        return [y for y in range(image.height())
                if max(abs(QColor(image.pixel(x, y)).red() - curve.red()),
                       abs(QColor(image.pixel(x, y)).green() - curve.green()),
                       abs(QColor(image.pixel(x, y)).blue() - curve.blue())) < 40]

    for frame, db in ((0.5 * RATE, -20.0), (2 * RATE, -20.0), (3.6 * RATE, 0.0)):
        rows = curve_rows(frame)
        assert rows and min(abs(y + 0.5 - lane.y_of(db)) for y in rows) <= 1.0, (frame, rows)
    # the held value rises straight up at the second point (whose marker hides the top)
    step = curve_rows(3 * RATE)
    assert max(step) >= lane.y_of(-20.0) - 1.5 and min(step) <= lane.y_of(0.0) + POINT_PX + 1.5


def test_zoomed_out_lanes_follow_their_own_edits_and_keep_their_summary_otherwise(
        bursts) -> None:
    view = bursts.arrange
    lane = view.lanes()[0]
    scale = view.scale
    view.zoom(9000 / scale.frames_per_pixel, 0)
    scale.set_origin(SHORT_CLIPS[0] - 10 * RATE)
    first = round(scale.x_of(SHORT_CLIPS[0] + RATE))
    assert np.any(np.abs(_tall_columns(bursts, lane) - first) <= 3)
    summary = lane._lane_summary()
    bursts.push(E.RenameTrack(bursts.project.tracks[1].id, "Reverb"))  # another track
    lane.grab()
    assert lane._lane_summary() is summary  # not rebuilt for an edit elsewhere
    bursts.push(E.SetClipGain(lane.track.clips[1].id, -20.0))  # the first short clip
    tall = _tall_columns(bursts, lane)
    assert lane._lane_summary() is not summary
    assert not np.any(np.abs(tall - first) <= 3)  # its burst is low now...
    second = round(scale.x_of(SHORT_CLIPS[1] + RATE))
    assert np.any(np.abs(tall - second) <= 3)  # ...the next one's is not

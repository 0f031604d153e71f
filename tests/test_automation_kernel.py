"""The kernel's automation modes and its writing, block by block through process_block
with touch flags and control values set in the arena as the Engine would set them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.engine import arena as A
from app.engine.automation import Collector
from app.engine.backends import OfflineBackend
from app.engine.butler import Butler, make_schedule
from app.engine.compile import auto_key, compile_plan, db_to_gain
from app.engine.mixer import process_block
from app.session import store
from app.session.automation import lane_value
from app.session.model import (
    AutomationLane,
    AutomationMode,
    AutomationPoint,
    Clip,
    CueMix,
    CueSend,
    Interp,
    MediaFile,
    Project,
    Track,
)

RATE = 48000
BLOCK = 128
LEVEL = 0.5 * math.cos(math.pi / 4)  # a 0.5 DC clip through a centred pan, left side
GLIDE_BLOCKS = math.ceil(A.GLIDE_SECONDS * RATE / BLOCK)


def song(folder: Path, mode: AutomationMode, points: list[tuple[int, float]]) -> Project:
    project = store.create_project(folder)
    data = np.full((RATE * 4, 1), 0.5, np.float32)
    sf.write(folder / "audio" / "dc.wav", data, RATE, subtype="FLOAT")
    media = MediaFile("audio/dc.wav", data.shape[0], 1, RATE)
    project.media[media.id] = media
    track = Track("Vocal", automation_mode=mode)
    track.clips.append(Clip(media.id, 0, data.shape[0]))
    if points:
        track.automation = [
            AutomationLane("fader_db", [AutomationPoint(t, v) for t, v in points])
        ]
    project.tracks.append(track)
    return project


class Rig:
    """A project playing from 0 through the kernel, one block per `run` step, with
    the fader's touch flag and control value in reach."""

    def __init__(self, project: Project, folder: Path) -> None:
        self.arena = arena = A.Arena(A.Capacity(8, 4, 2))
        self.map = compile_plan(project, arena, 0, 2)
        OfflineBackend(RATE, BLOCK, 4).settle(arena)
        self.butler = Butler(arena, RATE)
        self.butler.set_schedule(make_schedule(project, folder, self.map.rings, set()))
        arena.push_command(A.CMD_LOCATE, 0)
        arena.push_command(A.CMD_PLAY)
        arena.ctl[A.K_OUT_CHANNELS] = 4
        self.args = arena.kernel_args()
        self.strip = self.map.strips[project.tracks[0].id]
        self.row = arena.auto[1 + auto_key(arena, self.strip, A.P_FADER)]
        self.collector = Collector()
        self.out: list[np.ndarray] = []
        out = np.zeros((0, 4), np.float32)
        process_block(*self.args, np.zeros((0, 0), np.float32), out, 0, 0)

    def run(self, blocks: int, keep: bool = True) -> None:
        for _ in range(blocks):
            self.butler.service()
            out = np.zeros((BLOCK, 4), np.float32)
            process_block(*self.args, np.zeros((BLOCK, 0), np.float32), out, 0, 0)
            if keep:
                self.out.append(out[:, 0].copy())
            self.collector.drain(self.arena, self.map.auto_keys)

    def touch(self, on: bool, stored_db: float = 0.0) -> None:
        if on:
            self.row[A.AF_REF] = db_to_gain(stored_db)
            self.row[A.AF_UI] = math.nan
        self.row[A.AF_TOUCH] = 1.0 if on else 0.0

    def move(self, db: float) -> None:
        self.row[A.AF_UI] = db_to_gain(db)
        self.arena.strip_p[A.TARGET, self.strip, A.P_FADER] = db_to_gain(db)

    def stop(self) -> None:
        self.arena.push_command(A.CMD_STOP)
        self.run(1, keep=False)

    def db(self) -> np.ndarray:
        """The level heard at the end of each block, in dB."""
        return 20 * np.log10(np.array([o[-1] for o in self.out]) / LEVEL)

    def close(self) -> None:
        self.butler.close()


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "Song.glassroom"


def test_touch_plays_the_control_while_held_then_glides_back_and_records_it(folder):
    rig = Rig(song(folder, AutomationMode.TOUCH, [(0, -6.0)]), folder)
    rig.run(10)
    rig.touch(True)
    rig.run(3)  # held without moving: it stays where it was
    rig.move(-12.0)
    rig.run(20)
    rig.touch(False)
    rig.run(GLIDE_BLOCKS + 10)
    rig.stop()
    db = rig.db()
    assert db[9] == pytest.approx(-6.0, abs=1e-6)
    assert db[12] == pytest.approx(-6.0, abs=1e-6)
    assert db[14:33] == pytest.approx(-12.0, abs=1e-6)
    glide = db[33 : 33 + GLIDE_BLOCKS]
    assert np.all(np.diff(glide) > 0)  # back towards the lane, steadily
    assert db[-5] == pytest.approx(-6.0, abs=1e-6)

    passed = rig.collector.finished()
    assert passed is not None and len(passed.writes) == 1
    write = passed.writes[0]
    assert (write.track_id, write.param) == (rig.map.auto_keys[auto_key(
        rig.arena, rig.strip, A.P_FADER)][:2])
    frames = np.array([p[0] for p in write.points])
    values = np.array([p[1] for p in write.points])
    assert write.start == 10 * BLOCK - 1  # where the touch began
    assert write.end == (33 + GLIDE_BLOCKS) * BLOCK - 1  # when the glide reached the lane
    # the records retrace what was heard at each block end
    ends = np.arange(len(db)) * BLOCK + BLOCK - 1
    inside = (ends >= write.start) & (ends <= write.end)
    np.testing.assert_allclose(np.interp(ends[inside], frames, values), db[inside], atol=1e-6)
    rig.close()


def test_latch_holds_the_last_value_until_stop(folder):
    rig = Rig(song(folder, AutomationMode.LATCH, [(0, -6.0)]), folder)
    rig.run(5)
    rig.touch(True)
    rig.move(-3.0)
    rig.run(5)
    rig.touch(False)
    rig.run(30)
    assert rig.db()[-1] == pytest.approx(-3.0, abs=1e-6)
    assert rig.collector.finished() is None  # still writing
    rig.stop()
    write = rig.collector.finished().writes[0]
    assert write.points[0] == (5 * BLOCK - 1, pytest.approx(-6.0, abs=1e-9))
    assert write.points[-1] == (40 * BLOCK - 1, pytest.approx(-3.0, abs=1e-9))
    rig.close()


def test_write_records_from_play_to_stop_whether_touched_or_not(folder):
    rig = Rig(song(folder, AutomationMode.WRITE, [(0, -6.0), (RATE, 0.0)]), folder)
    rig.run(10)  # untouched: the control's value (the strip's 0 dB), not the lane
    rig.move(-10.0)
    rig.run(10)
    rig.stop()
    db = rig.db()
    assert db[5] == pytest.approx(0.0, abs=1e-6)
    assert db[15] == pytest.approx(-10.0, abs=1e-6)
    write = rig.collector.finished().writes[0]
    assert write.start == -1 and write.end == 20 * BLOCK - 1
    assert [v for _t, v in write.points][-1] == pytest.approx(-10.0)
    rig.close()


def test_trim_moves_the_lane_by_the_controls_relative_change(folder):
    ramp = [(0, -20.0), (100 * BLOCK - 1, 0.0)]
    rig = Rig(song(folder, AutomationMode.TRIM, ramp), folder)
    rig.run(10)
    rig.touch(True, stored_db=0.0)  # the strip's own value when the touch began
    rig.move(3.0)
    rig.run(40)
    db = rig.db()
    ends = np.arange(len(db)) * BLOCK + BLOCK - 1
    lane = np.interp(ends, [ramp[0][0], ramp[1][0]], [ramp[0][1], ramp[1][1]])
    np.testing.assert_allclose(db[:10], lane[:10], atol=1e-6)
    np.testing.assert_allclose(db[11:], lane[11:] + 3.0, atol=1e-6)
    rig.touch(False)
    rig.run(GLIDE_BLOCKS + 5)
    rig.stop()
    db = rig.db()
    lane = np.interp(np.arange(len(db)) * BLOCK + BLOCK - 1, [r[0] for r in ramp],
                     [r[1] for r in ramp])
    assert db[-2] == pytest.approx(lane[-2], abs=1e-6)  # the offset glided away
    write = rig.collector.finished().writes[0]
    frames, values = zip(*write.points, strict=True)
    at = 40 * BLOCK + BLOCK - 1
    assert np.interp(at, frames, values) == pytest.approx(lane[40] + 3.0, abs=1e-6)
    rig.close()


def test_read_ignores_the_control_and_writes_nothing(folder):
    rig = Rig(song(folder, AutomationMode.READ, [(0, -6.0)]), folder)
    rig.run(3)
    rig.touch(True)
    rig.move(0.0)
    rig.run(5)
    rig.stop()
    assert rig.db()[-2] == pytest.approx(-6.0, abs=1e-6)
    assert rig.collector.finished() is None
    assert rig.arena.auto[0, A.AH_WRITE] == 0
    rig.close()


def test_read_follows_the_lane_before_between_and_after_its_points_and_after_a_locate(
    folder,
):
    # Hold, ramp and flat pieces, the first point a few blocks in: the kernel reads the
    # lane from a cached piece, and must match the lane's own rule at every block.
    points = [(5 * BLOCK + 17, -20.0), (20 * BLOCK, -20.0), (40 * BLOCK + 3, -2.0),
              (60 * BLOCK, -8.0)]
    project = song(folder, AutomationMode.READ, points)
    lane = project.tracks[0].automation[0]
    lane.points[2].interp = Interp.HOLD
    rig = Rig(project, folder)
    rig.run(80)
    rig.arena.push_command(A.CMD_LOCATE, 30 * BLOCK)
    rig.run(6)
    with np.errstate(divide="ignore"):
        heard = rig.db()
    assert heard[80] == -np.inf  # the block the locate waits for the butler's refill
    heard = np.delete(heard, 80)
    ends = [BLOCK * (k + 1) - 1 for k in range(80)]
    ends += [30 * BLOCK + BLOCK * (k + 1) - 1 for k in range(5)]
    # The fader ramps to each block's target across the block: its last frame is there.
    want = [lane_value(lane, t) for t in ends]
    np.testing.assert_allclose(heard, want, atol=1e-4)
    assert heard[3] == pytest.approx(-20.0, abs=1e-4)  # before the first point
    rig.close()


def test_a_full_ring_drops_records_and_counts_them(folder):
    rig = Rig(song(folder, AutomationMode.WRITE, []), folder)
    rig.arena.auto[0, A.AH_WRITE] = rig.arena.auto[0, A.AH_READ] = 0
    rig.arena.auto[0, A.AH_READ] = -A.AUTO_RING  # as if nothing had been taken for long
    before = rig.arena.auto[0, A.AH_WRITE]
    rig.butler.service()
    process_block(*rig.args, np.zeros((BLOCK, 0), np.float32), np.zeros((BLOCK, 4),
                  np.float32), 0, 0)
    assert rig.arena.auto[0, A.AH_WRITE] == before
    assert rig.arena.auto[0, A.AH_LOST] >= 1
    rig.close()


def test_a_cue_send_level_is_written_under_its_own_lane(folder):
    project = song(folder, AutomationMode.LATCH, [])
    track = project.tracks[0]
    cue = CueMix("Booth", output=2, sends={track.id: CueSend(-6.0)})
    project.cues.append(cue)
    param = f"cue.{cue.id}.level_db"
    track.automation.append(AutomationLane(param, [AutomationPoint(0, -6.0)]))
    rig = Rig(project, folder)
    c = rig.map.cues[cue.id]
    row = rig.arena.auto[1 + auto_key(rig.arena, rig.strip, A.C_LEVEL, c)]
    rig.run(5)
    row[A.AF_UI] = math.nan
    row[A.AF_TOUCH] = 1.0
    row[A.AF_UI] = db_to_gain(-20.0)
    rig.run(5)
    assert rig.arena.cue_p[A.CUR, c, rig.strip, A.C_LEVEL] == pytest.approx(db_to_gain(-20.0))
    rig.stop()
    writes = {w.param: w for w in rig.collector.finished().writes}
    assert set(writes) == {param}  # the fader lane was not touched: nothing written there
    assert writes[param].points[0][1] == pytest.approx(-6.0)
    assert writes[param].points[-1][1] == pytest.approx(-20.0)
    rig.close()

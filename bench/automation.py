"""Benchmark: the kernel's cost of 512 automated parameters at 128 frames, against none.

128 stereo tracks, each with fader, pan and two sends (to two aux buses), rolling over
noise through the real `mixer.process_block`. Four set-ups, each in three separately
allocated arenas, are timed block by block, interleaved round by round so that the
machine's drift hits them alike:

- none: no lanes at all;
- read: every one of the 512 parameters has a lane of POINTS points (Read mode);
- touch: the same lanes in Touch mode with every control held and moving, so each
  parameter is driven by its control and recorded into the capture ring every block
  (the ring is emptied after each block, as the collector thread does);
- write: Write mode, nothing touched: every parameter recorded from play to stop.

Prints p50 / p99 per block (thread CPU time) and the extra over none: the median over
rounds of each round's p50 (of the middle arena) against none's in the same round, so
that a slow spell of the (shared) machine weighs on both sides of a ratio. Reach: < 10%
extra for read at p50. Measured twice: plain strips (no EQ or dynamics: the case where
automation weighs most) and strips with the full chain (none and read only).
GLASSROOM_BENCH_SHORT=1: fewer rounds (under a minute in all).

Run: .venv/bin/python bench/automation.py
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
from engine_capacity import strip_settings  # a sibling script in bench/

from app.engine import arena as A
from app.engine.compile import auto_key, compile_plan
from app.engine.mixer import process_block
from app.session.model import (
    AutomationLane,
    AutomationMode,
    AutomationPoint,
    Project,
    Send,
    Track,
    TrackKind,
)

RATE = 48000
FRAMES = 128
TRACKS = 128
PARAMS = ("fader_db", "pan", "sends.0.level_db", "sends.1.level_db")
POINTS = 200  # per lane, over a minute
SHORT = bool(os.environ.get("GLASSROOM_BENCH_SHORT"))
ROUNDS = 12 if SHORT else 30  # the extra is a median over rounds: enough of them
BLOCKS = 100 if SHORT else 500  # per round and arena
COPIES = 3  # arenas per set-up (see Rig)


def lane(param: str, rng: np.random.Generator) -> AutomationLane:
    times = np.sort(rng.choice(RATE * 60, POINTS, replace=False))
    low, high = (-1.0, 1.0) if param == "pan" else (-30.0, 0.0)
    values = rng.uniform(low, high, POINTS)
    return AutomationLane(param, [AutomationPoint(int(t), float(v))
                                  for t, v in zip(times, values, strict=True)])


def build(mode: AutomationMode | None, chain: bool) -> Project:
    rng = np.random.default_rng(7)
    project = Project(name="Automation bench", sample_rate=RATE)
    buses = [Track(f"Aux {k + 1}", TrackKind.BUS) for k in range(2)]
    for i in range(TRACKS):
        track = Track(f"T{i}")
        if chain:
            strip_settings(track, rng)
        track.strip.sends = [Send(bus.id, level_db=-12.0) for bus in buses]
        if mode is not None:
            track.automation_mode = mode
            track.automation = [lane(p, rng) for p in PARAMS]
        project.tracks.append(track)
    project.tracks += buses
    return project


class Arena:
    """One arena of a rig rolling over noise, timed block by block."""

    def __init__(self, project: Project, touched: bool) -> None:
        cap = A.Capacity(strips=TRACKS + 3, tracks=TRACKS, cues=1, ring_frames=8192,
                         lanes=TRACKS * len(PARAMS) + 8, points=TRACKS * len(PARAMS) * POINTS)
        self.arena = A.Arena(cap)
        m = compile_plan(project, self.arena, main_out=0, cr_out=0)
        rng = np.random.default_rng(1)
        self.arena.rings[:] = (0.25 * rng.standard_normal(self.arena.rings.shape)).astype(
            np.float32)
        self.args = self.arena.kernel_args()
        self.inp = np.zeros((FRAMES, 0), np.float32)
        self.out = np.zeros((FRAMES, 2), np.float32)
        self.arena.push_command(A.CMD_LOCATE, 0)
        self.arena.push_command(A.CMD_PLAY)
        process_block(*self.args, self.inp[:0], self.out[:0], 0, 0)
        self.arena.ring_ctl[A.R_READY_GEN] = self.arena.fb[A.F_GEN]
        self.arena.ring_ctl[A.R_WRITTEN] = 1 << 60
        self.rows: list[int] = []
        if touched:
            for t in project.tracks[:TRACKS]:
                s = m.strips[t.id]
                for offset in (A.P_FADER, A.P_PAN, A.P_SENDS, A.P_SENDS + 1):
                    row = 1 + auto_key(self.arena, s, offset)
                    self.arena.auto[row, A.AF_TOUCH] = 1.0
                    self.rows.append(row)

    def blocks(self, blocks: int, times: list[int]) -> int:
        """Time `blocks` blocks into `times`; returns the records written."""
        auto = self.arena.auto
        records = 0
        for k in range(blocks):
            if self.rows:
                # the controls move every block, so every parameter is recorded
                auto[self.rows, A.AF_UI] = 0.5 + 0.25 * math.sin(k * 0.1)
            t0 = time.thread_time_ns()
            process_block(*self.args, self.inp, self.out, 0, 0)
            times.append(time.thread_time_ns() - t0)
            written = int(auto[0, A.AH_WRITE])
            records += written - int(auto[0, A.AH_READ])
            auto[0, A.AH_READ] = written  # what the collector thread does
        return records


class Rig:
    """COPIES arenas of one set-up. Where an arena's arrays happen to land in memory
    moves its time by up to 10% (two rigs with no lanes at all differ that much), so
    each round takes the middle copy's p50."""

    def __init__(self, name: str, mode: AutomationMode | None, touched: bool = False,
                 chain: bool = False) -> None:
        self.name = name
        self.copies = [Arena(build(mode, chain), touched) for _ in range(COPIES)]
        self.times: list[int] = []
        self.rounds: list[float] = []  # the median copy's p50, each timed round
        self.records = 0

    def round(self, blocks: int) -> None:
        p50s = []
        for copy in self.copies:
            first = len(self.times)
            self.records += copy.blocks(blocks, self.times)
            p50s.append(float(np.percentile(self.times[first:], 50)))
        self.rounds.append(float(np.median(p50s)))

    def figures(self) -> tuple[float, float]:
        t = np.array(self.times) / 1000.0
        return float(np.percentile(t, 50)), float(np.percentile(t, 99))

    def extra(self, base: Rig) -> float:
        """The median over rounds of this rig's p50 over base's, less one."""
        return float(np.median(np.array(self.rounds) / np.array(base.rounds))) - 1.0


def measure(rigs: list[Rig]) -> None:
    for rig in rigs:
        rig.round(20)  # warm: compiled, caches filled
        rig.times.clear()
        rig.rounds.clear()
        rig.records = 0
    for _ in range(ROUNDS):
        for rig in rigs:
            rig.round(BLOCKS)
    base99 = rigs[0].figures()[1]
    for rig in rigs:
        p50, p99 = rig.figures()
        extra = "" if rig is rigs[0] else (f"   extra p50 {100 * rig.extra(rigs[0]):+5.1f}%"
                                            f"  p99 {100 * (p99 / base99 - 1):+5.1f}%")
        recorded = f"   {rig.records / len(rig.times):.0f} records/block" if rig.records else ""
        print(f"  {rig.name:6s} p50 {p50:7.1f} us  p99 {p99:7.1f} us{extra}{recorded}")


def main() -> None:
    t0 = time.monotonic()
    period = FRAMES / RATE * 1e6
    print(f"{TRACKS} tracks, {TRACKS * len(PARAMS)} automated parameters ({POINTS} points "
          f"a lane), {FRAMES} frames ({period:.0f} us a block), thread CPU per block")
    print("plain strips (pan, fader, two sends):")
    plain = [
        Rig("none", None),
        Rig("read", AutomationMode.READ),
        Rig("touch", AutomationMode.TOUCH, touched=True),
        Rig("write", AutomationMode.WRITE),
    ]
    measure(plain)
    print("full strips (high-pass, 4-band EQ, gate, compressor, pan, fader, two sends):")
    full = [Rig("none", None, chain=True), Rig("read", AutomationMode.READ, chain=True)]
    measure(full)
    for name, rigs in (("plain", plain), ("full", full)):
        extra = rigs[1].extra(rigs[0])
        verdict = "reached" if extra < 0.10 else "NOT reached"
        print(f"reach < 10% extra reading 512 parameters at p50, {name} strips: "
              f"{100 * extra:+.1f}% {verdict}")
    print(f"({time.monotonic() - t0:.1f} s)")


if __name__ == "__main__":
    main()

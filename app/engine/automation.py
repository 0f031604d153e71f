"""Collecting automation passes: what the kernel recorded while a strip was written.

The kernel puts (parameter key, timeline frame, value, flags) records into the capture
ring at the end of the arena's `auto` array as it writes (see mixer._automate). The
collector takes them off the ring on its own thread (never the GUI's, never the audio
thread), groups them into segments per parameter (a segment is one stretch of writing:
a touch and its glide back, or play to stop), and hands the segments of a transport
pass over once the pass is over.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from app.engine import arena as A

COLLECT_SECONDS = 0.02


@dataclass
class LaneWrite:
    """One written segment of one lane: (timeline frame, value in the lane's unit)."""

    track_id: str
    param: str
    points: list[tuple[int, float]] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.points[0][0]

    @property
    def end(self) -> int:
        return self.points[-1][0]


@dataclass
class AutomationPass:
    """Everything written between one play and its stop: one undo step."""

    writes: list[LaneWrite] = field(default_factory=list)


class Collector:
    """Takes records off an arena's automation ring and keeps them as segments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arena: A.Arena | None = None
        self._open: dict[int, LaneWrite] = {}
        self._done: list[LaneWrite] = []
        self._lost = 0  # records the kernel dropped because the ring was full
        self._lost_told = 0

    def drain(self, arena: A.Arena, keys: dict[int, tuple[str, str, int]]) -> None:
        """Take every record written so far (from the previous arena first, if the
        engine moved to a bigger one)."""
        with self._lock:
            if self._arena is not None and self._arena is not arena:
                self._take(self._arena, keys)
            self._arena = arena
            self._take(arena, keys)

    def _take(self, arena: A.Arena, keys: dict[int, tuple[str, str, int]]) -> None:
        head = arena.auto[0]
        r, w = int(head[A.AH_READ]), int(head[A.AH_WRITE])
        if w == r:
            return
        base = arena.auto.shape[0] - A.AUTO_RING
        rows = base + (np.arange(r, w) & (A.AUTO_RING - 1))
        records = arena.auto[rows, : A.AR_FLAGS + 1].copy()
        head[A.AH_READ] = w
        self._lost = int(head[A.AH_LOST])
        for key_f, frame, value, flags in records:
            key = int(key_f)
            if flags == A.REC_START:
                self._finish(key)
                where = keys.get(key)
                if where is None:
                    continue  # a parameter whose track is gone
                self._open[key] = LaneWrite(where[0], where[1])
            write = self._open.get(key)
            if write is None:
                continue
            point = (int(frame), float(value))
            if write.points and write.points[-1][0] == point[0]:
                write.points[-1] = point
            else:
                write.points.append(point)
            if flags == A.REC_END:
                self._finish(key)

    def _finish(self, key: int) -> None:
        write = self._open.pop(key, None)
        if write is not None and len(write.points) > 1:
            self._done.append(write)

    def newly_lost(self) -> int:
        """Records dropped since the last call (the ring was full: nobody collected)."""
        with self._lock:
            lost, self._lost_told = self._lost - self._lost_told, self._lost
            return max(lost, 0)

    def writing(self) -> bool:
        """Whether a segment is still open (the kernel has not closed it yet)."""
        with self._lock:
            return bool(self._open)

    def finished(self) -> AutomationPass | None:
        """The pass collected so far, handed over once (None when nothing is written,
        or while a segment is still open)."""
        with self._lock:
            if self._open or not self._done:
                return None
            done, self._done = self._done, []
            return AutomationPass(done)

    def preview(self) -> dict[tuple[str, str], list[tuple[int, float]]]:
        """The points written in the pass so far, per (track id, lane param)."""
        out: dict[tuple[str, str], list[tuple[int, float]]] = {}
        with self._lock:
            for write in [*self._done, *self._open.values()]:
                out.setdefault((write.track_id, write.param), []).extend(write.points)
        return out

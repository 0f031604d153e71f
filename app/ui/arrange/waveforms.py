"""The window's waveform source: a peak pyramid per media file, built off the GUI thread.

WaveformStore knows, for every media file of the open project, whether its pyramid is
ready, still being built (with progress), missing (no audio file: drawn as a silent
placeholder) or failed. Building happens in pool workers through `ensure_peaks`; the
lanes only ever ask for ready pyramids, by `envelope` (which keeps finer levels in memory
for close zoom, see envelopes.py), and repaint when `changed` says so.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.session.model import MediaFile
from app.session.peaks import PeakPyramid, ensure_peaks
from app.ui.arrange import raster
from app.ui.arrange.envelopes import Envelopes
from app.ui.workers import Task, TaskRunner


class PeakState(StrEnum):
    BUILDING = "building"
    READY = "ready"
    MISSING = "missing"
    FAILED = "failed"


class WaveformStore(QObject):
    changed = Signal(str)  # media id whose state changed
    progress = Signal(float, str)  # overall fraction of the current builds, and a label
    idle = Signal()  # nothing is building any more

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._folder: Path | None = None
        self._states: dict[str, PeakState] = {}
        self._pyramids: dict[str, PeakPyramid] = {}
        self._errors: dict[str, str] = {}
        self._tasks: dict[str, Task] = {}
        self._fractions: dict[str, float] = {}
        self._envelopes = Envelopes()
        self.generation = 0  # counts state changes, so views can cache what they drew

    def _changed(self, media_id: str) -> None:
        self.generation += 1
        self.changed.emit(media_id)

    def reset(self, folder: Path | None) -> None:
        """Forget everything (a different project is open); running builds are cancelled."""
        for task in self._tasks.values():
            task.cancel()
        self._folder = folder
        self._states.clear()
        self._pyramids.clear()
        self._errors.clear()
        self._tasks.clear()
        self._fractions.clear()
        self._envelopes.clear()

    def state(self, media_id: str) -> PeakState | None:
        return self._states.get(media_id)

    def pyramid(self, media_id: str) -> PeakPyramid | None:
        return self._pyramids.get(media_id)

    def envelope(self, media_id: str, start: int, end: int,
                 pixels: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(mins, maxs) per pixel of a ready media file's frames [start, end), across its
        channels; None when its pyramid is not ready."""
        pyramid = self._pyramids.get(media_id)
        if pyramid is None:
            return None
        return self._envelopes.envelope(media_id, pyramid, start, end, pixels)

    def error(self, media_id: str) -> str:
        return self._errors.get(media_id, "")

    def building(self) -> int:
        return len(self._tasks)

    def mark_missing(self, media_id: str) -> None:
        self._states[media_id] = PeakState.MISSING
        self._changed(media_id)

    def request(self, media: MediaFile) -> None:
        """Make sure a pyramid for `media` is ready or on its way."""
        if self._folder is None or self._states.get(media.id) in (
            PeakState.READY, PeakState.BUILDING, PeakState.MISSING
        ):
            return
        folder, media_id = self._folder, media.id

        def work(progress, cancelled):
            pyramid = ensure_peaks(folder, media, progress, cancelled)
            raster.warm()  # so drawing the ready waveform never compiles on the GUI thread
            return pyramid

        task = Task(work, media.name or media.path)
        task.signals.progress.connect(lambda f, m=media_id: self._on_progress(m, f))
        task.signals.finished.connect(lambda p, m=media_id, t=task: self._on_ready(m, t, p))
        task.signals.failed.connect(lambda e, m=media_id, t=task: self._on_failed(m, t, e))
        task.signals.cancelled.connect(lambda m=media_id, t=task: self._forget(m, t))
        self._states[media_id] = PeakState.BUILDING
        self._tasks[media_id] = task
        self._fractions[media_id] = 0.0
        self._runner.start(task)
        self._changed(media_id)
        self._report()

    def _current(self, media_id: str, task: Task) -> bool:
        return self._tasks.get(media_id) is task

    def _on_progress(self, media_id: str, fraction: float) -> None:
        if media_id in self._fractions:
            self._fractions[media_id] = fraction
            self._report()

    def _on_ready(self, media_id: str, task: Task, pyramid: PeakPyramid) -> None:
        if not self._current(media_id, task):
            return
        self._pyramids[media_id] = pyramid
        self._states[media_id] = PeakState.READY
        self._forget(media_id, task)
        self._changed(media_id)

    def _on_failed(self, media_id: str, task: Task, message: str) -> None:
        if not self._current(media_id, task):
            return
        self._states[media_id] = PeakState.FAILED
        self._errors[media_id] = message
        self._forget(media_id, task)
        self._changed(media_id)

    def _forget(self, media_id: str, task: Task) -> None:
        if self._current(media_id, task):
            del self._tasks[media_id]
            self._fractions[media_id] = 1.0
        self._report()

    def _report(self) -> None:
        if not self._tasks:
            self._fractions.clear()
            self.idle.emit()
            return
        fractions = list(self._fractions.values())
        done = sum(fractions) / len(fractions)
        total = len(fractions)
        self.progress.emit(done, f"Building waveforms {total - len(self._tasks)}/{total}")

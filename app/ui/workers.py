"""Background work for the window: a cancellable task on a QThreadPool that reports back.

A Task runs `fn(progress, cancelled)` on a pool thread. Its signals live in the GUI
thread, so progress, results and failures arrive there as queued signals and the GUI
thread never waits on the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.session.media import Cancelled

Work = Callable[[Callable[[float], None], Callable[[], bool]], Any]


class TaskSignals(QObject):
    progress = Signal(float)
    finished = Signal(object)  # the work's return value
    failed = Signal(str)  # a sentence for the user
    cancelled = Signal()


class Task(QRunnable):
    """One piece of work; `cancel()` asks it to stop at its next progress check."""

    def __init__(self, work: Work, label: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.label = label
        self.signals = TaskSignals()
        self._work = work
        self._stop = threading.Event()
        self._last = -1.0

    def cancel(self) -> None:
        self._stop.set()

    def _progress(self, fraction: float) -> None:
        # Throttled: a signal per percent is plenty for a progress bar.
        if fraction >= 1.0 or fraction - self._last >= 0.01:
            self._last = fraction
            self.signals.progress.emit(float(fraction))

    def run(self) -> None:
        try:
            result = self._work(self._progress, self._stop.is_set)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as e:  # a worker must report, never die silently
            self.signals.failed.emit(str(e) or type(e).__name__)
        else:
            if self._stop.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)


class TaskRunner(QObject):
    """Starts tasks on a pool and keeps them alive until they report their end."""

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._running: set[Task] = set()

    def start(self, task: Task) -> Task:
        self._running.add(task)
        for sig in (task.signals.finished, task.signals.failed, task.signals.cancelled):
            sig.connect(lambda *_a, t=task: self._running.discard(t))
        self.pool.start(task)
        return task

    def running(self) -> int:
        return len(self._running)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool is idle (for shutdown only)."""
        return self.pool.waitForDone(msecs)

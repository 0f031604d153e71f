"""The main window's audio import: the file chooser, drag and drop, and the queue that
imports one file at a time on a worker, showing each in the import panel.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
)

from app.session import edits, media
from app.session.model import Clip, MediaFile, TrackKind
from app.ui.arrange.header import HEADER_WIDTH
from app.ui.window_messages import STATUS_MS
from app.ui.workers import Task

AUDIO_FILTER = "Audio files (*.wav *.wave *.bwf *.rf64 *.w64 *.aif *.aiff *.flac *.ogg " \
               "*.opus *.mp3);;All files (*)"


class WindowImport:
    """A part of MainWindow (app/ui/main_window.py).

    Importing audio files, one worker job after another.
    """

    def choose_import(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import Audio", str(Path.home()),
                                                AUDIO_FILTER)
        self.import_files([Path(f) for f in files])

    def import_files(self, paths: list[Path], position: int = 0,
                     track_id: str | None = None) -> None:
        """Import each file in a worker, one after another: onto `track_id` at `position`
        when given, else each onto a new track. Folders are refused with a message."""
        if self.project is None or not paths:
            return
        if not self._import_queue and self._import_task is None:
            self.import_errors = []
            self._import_total = 0
        self.import_dock.show()
        for p in paths:
            path = Path(p)
            self._import_jobs += 1
            job = self._import_jobs
            row = self.import_panel.add(job, path.name, lambda j=job: self.cancel_import(j))
            if path.is_dir():
                text = "is a folder: drop the audio files inside it instead"
                row.finish(text, False)
                self.import_errors.append(f"{path.name} {text}.")
                continue
            self._import_queue.append((job, path, position, track_id))
            self._import_total += 1
        self.import_panel.title.setText(f"Import: {self._import_total} file(s)")
        self._next_import()

    def cancel_import(self, job: int) -> None:
        if self._import_job == job and self._import_task is not None:
            self._import_task.cancel()
            return
        for item in list(self._import_queue):
            if item[0] == job:
                self._import_queue.remove(item)
                self.import_panel.rows[job].finish("cancelled", True)

    def importing(self) -> bool:
        return self._import_task is not None or bool(self._import_queue)

    def _next_import(self) -> None:
        if self._import_task is not None:
            return
        if not self._import_queue:
            self._import_finished()
            return
        job, src, position, track_id = self._import_queue.pop(0)
        folder, rate = self.folder, self.project.sample_rate
        done = self._import_total - len(self._import_queue)
        label = f"Importing {src.name} ({done}/{self._import_total})"

        def work(progress, cancelled):
            return media.import_audio(src, folder, rate, progress, cancelled)

        task = Task(work, label)
        row = self.import_panel.rows[job]
        task.signals.progress.connect(lambda f, t=label: self._show_progress(f, t))
        task.signals.progress.connect(row.set_progress)
        task.signals.finished.connect(
            lambda r, p=position, s=src, t=track_id, j=job: self._imported(r, p, s, t, j))
        task.signals.failed.connect(lambda m, j=job, s=src: self._import_failed(m, j, s))
        task.signals.cancelled.connect(lambda j=job: self._import_cancelled(j))
        self._import_task, self._import_job = task, job
        self._show_progress(0.0, label)
        self.runner.start(task)

    def _imported(self, result: media.ImportResult, position: int, src: Path,
                  track_id: str | None, job: int) -> None:
        self._import_task = self._import_job = None
        row = self.import_panel.rows.get(job)
        if self.undo is not None and self.project is not None:
            try:
                self.undo.push(self._import_edit(result.media, position, track_id))
                if row is not None:
                    row.finish("imported" + (f" ({len(result.warnings)} warnings)"
                                             if result.warnings else ""), True)
            except edits.EditError as e:
                self.import_errors.append(f"{src.name}: {e}")
                if row is not None:
                    row.finish(str(e), False)
            self.import_errors.extend(result.warnings)
        self._next_import()

    def _import_edit(self, mf: MediaFile, position: int, track_id: str | None) -> edits.Edit:
        ids = {t.id for t in self.project.tracks if t.kind is TrackKind.AUDIO}
        if track_id in ids:
            name = Path(mf.name or mf.path).stem or "Audio"
            clip = Clip(mf.id, position, mf.frames, name=name)
            return edits.AddClip(track_id, clip, mf)
        return edits.import_track_edit(self.project, mf, position)

    def _import_failed(self, message: str, job: int, src: Path) -> None:
        line = message if src.name in message else f"{src.name}: {message}"
        self.import_errors.append(line)
        row = self.import_panel.rows.get(job)
        if row is not None:
            row.finish(message, False)
        self._import_task = self._import_job = None
        self._next_import()

    def _import_cancelled(self, job: int) -> None:
        row = self.import_panel.rows.get(job)
        if row is not None:
            row.finish("cancelled", True)
        self._import_task = self._import_job = None
        self._next_import()

    def _import_finished(self) -> None:
        self._hide_progress()
        if self.import_errors:
            self._tell("Import problems", "\n\n".join(self.import_errors),
                       QMessageBox.Icon.Warning)
            self.statusBar().showMessage(
                f"{len(self.import_errors)} problem(s) while importing", STATUS_MS)
        else:
            if self._import_total:
                self.statusBar().showMessage(f"Imported {self._import_total} file(s)",
                                             STATUS_MS)
            self.import_panel.clear()
            if not self.import_panel.rows:
                self.import_dock.hide()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self.project is not None and self._local_files(event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if self.project is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = self._local_files(event.mimeData().urls())
        if not files:
            return
        event.acceptProposedAction()
        viewport = self.arrange.scroll.viewport()
        pos = viewport.mapFrom(self, event.position().toPoint())
        position, track_id = 0, None
        if viewport.rect().contains(pos) and pos.x() > HEADER_WIDTH:
            ed, scale = self.arrange.editor, self.arrange.scale
            position = ed.snapped(scale.frame_at(pos.x() - HEADER_WIDTH), scale.frames_per_pixel)
            lane = self.arrange.lane_at_viewport_y(pos.y())
            if lane is not None and lane.track.kind is TrackKind.AUDIO and len(files) == 1:
                track_id = lane.track.id
        self.import_files(files, position, track_id)

    @staticmethod
    def _local_files(urls: list[QUrl]) -> list[Path]:
        return [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]

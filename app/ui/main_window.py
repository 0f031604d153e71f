"""The main window: menus, the arrange view, the status bar, import and save.

The window owns the open project, its EditHistory (mirrored into Qt's undo stack) and
the workers that import audio and build waveforms. Every change goes through the
history; long work runs on the pool and reports back, so the GUI thread never waits.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from app.session import edits, media, store
from app.session.edits import Change, EditHistory
from app.session.model import MediaFile, Project
from app.ui.arrange.view import ArrangeView
from app.ui.arrange.waveforms import WaveformStore
from app.ui.undo import UndoMirror
from app.ui.workers import Task, TaskRunner

NO_DEVICE = "No audio device: running on the internal clock"
AUDIO_FILTER = "Audio files (*.wav *.wave *.bwf *.rf64 *.w64 *.aif *.aiff *.flac *.ogg " \
               "*.opus *.mp3);;All files (*)"
AUTOSAVE_CHECK_MS = 5000
STATUS_MS = 6000


class MainWindow(QMainWindow):
    def __init__(self, audio_status: str = NO_DEVICE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.project: Project | None = None
        self.history: EditHistory | None = None
        self.undo: UndoMirror | None = None
        self.open_report: list[str] = []
        self.import_errors: list[str] = []
        self._import_queue: list[tuple[Path, int]] = []
        self._import_total = 0
        self._import_task: Task | None = None
        self._unsubscribe = None
        self._autosaver = store.Autosaver()
        self.last_message: QMessageBox | None = None

        self.runner = TaskRunner(parent=self)
        self.waveforms = WaveformStore(self.runner, self)
        self.arrange = ArrangeView(self.waveforms)
        self.setCentralWidget(self.arrange)
        self.undo_group = QUndoGroup(self)
        self.setAcceptDrops(True)
        self.setWindowTitle("Glassroom")
        self._build_menus()
        self._build_status(audio_status)

        self.waveforms.progress.connect(self._on_peaks_progress)
        self.waveforms.idle.connect(self._on_peaks_idle)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self._autosave)
        self._autosave_timer.start(AUTOSAVE_CHECK_MS)

    # -- construction ----------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open Project…", QKeySequence.StandardKey.Open,
                                        self.choose_project)
        self.import_action = self._action(file_menu, "&Import Audio…", "Ctrl+I",
                                          self.choose_import)
        file_menu.addSeparator()
        self.save_action = self._action(file_menu, "&Save", QKeySequence.StandardKey.Save,
                                        self.save)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "Zoom &In", QKeySequence.StandardKey.ZoomIn,
                     lambda: self.arrange.zoom(0.5))
        self._action(view_menu, "Zoom &Out", QKeySequence.StandardKey.ZoomOut,
                     lambda: self.arrange.zoom(2.0))
        self._action(view_menu, "Zoom to &Session", "Ctrl+0", self.arrange.fit)
        self._set_project_actions(False)

    def _action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status(self, audio_status: str) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_label.hide()
        self.progress_bar.hide()
        self.format_label = QLabel()
        self.engine_label = QLabel(audio_status, objectName="engineStatus")
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.format_label)
        status.addPermanentWidget(self.engine_label)

    def _set_project_actions(self, enabled: bool) -> None:
        self.import_action.setEnabled(enabled)
        self.save_action.setEnabled(enabled)

    # -- opening and saving ----------------------------------------------------

    def open_folder(self, folder: str | Path) -> bool:
        """Open a project folder; False (with the reason shown) when it cannot be opened."""
        folder = Path(folder)
        try:
            opened = store.open_project(folder)
        except (store.ProjectError, OSError) as e:
            self._tell("Cannot open project", str(e), QMessageBox.Icon.Warning)
            self.statusBar().showMessage(f"Could not open {folder}", STATUS_MS)
            return False
        self._close_project()
        self.folder, self.project = folder, opened.project
        self.history = EditHistory(self.project)
        self.undo = UndoMirror(self.history, self)
        self.undo_group.addStack(self.undo.stack)
        self.undo_group.setActiveStack(self.undo.stack)
        self.undo.stack.cleanChanged.connect(self._update_title)
        self._unsubscribe = self.history.subscribe(self._on_change)
        self.waveforms.reset(folder)
        for media_id in opened.placeholders:
            self.waveforms.mark_missing(media_id)
        self.arrange.set_project(self.project)
        self.open_report = list(opened.report)
        self._set_project_actions(True)
        self._update_title()
        pr = self.project
        self.format_label.setText(f"{pr.sample_rate / 1000:g} kHz  ·  {pr.tempo:g} BPM  ·  "
                                  f"{pr.meter_num}/{pr.meter_den}")
        if opened.placeholders:
            n = len(opened.placeholders)
            self.statusBar().showMessage(
                f"{n} audio file{'s are' if n != 1 else ' is'} missing; "
                "those clips play as silence", 0)
        else:
            self.statusBar().showMessage(f"Opened {folder}", STATUS_MS)
        if self.open_report:
            self._tell("Opened with problems",
                       "The project opened, but:\n\n" + "\n\n".join(self.open_report),
                       QMessageBox.Icon.Warning)
        return True

    def _close_project(self) -> None:
        self._import_queue.clear()
        if self._import_task is not None:
            self._import_task.cancel()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.undo is not None:
            self.undo_group.removeStack(self.undo.stack)
            self.undo.deleteLater()
        self.undo = None
        self.history = None

    def save(self) -> bool:
        if self.project is None or self.folder is None or self.history is None:
            return False
        try:
            store.save_project(self.project, self.folder)
        except (store.ProjectError, OSError) as e:
            self._tell("Not saved", str(e), QMessageBox.Icon.Critical)
            return False
        self.history.mark_clean()
        self.statusBar().showMessage(f"Saved {self.folder}", STATUS_MS)
        return True

    def is_dirty(self) -> bool:
        return self.history is not None and self.history.is_dirty

    def _autosave(self) -> None:
        if self.project is None or self.folder is None:
            return
        if self._autosaver.tick(time.monotonic(), self.is_dirty()):
            try:
                store.write_recovery(self.project, self.folder)
            except (store.ProjectError, OSError) as e:
                self.statusBar().showMessage(f"Autosave failed: {e}", STATUS_MS)

    def choose_project(self) -> None:
        if not self._may_discard():
            return
        start = str(self.folder.parent) if self.folder else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open Project", start)
        if folder:
            self.open_folder(folder)

    def _may_discard(self) -> bool:
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save the changes to this project first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def shut_down(self) -> None:
        """Close without questions, keeping unsaved changes as the autosave in recovery/."""
        if self.is_dirty() and self.project is not None and self.folder is not None:
            try:
                store.write_recovery(self.project, self.folder)
            except (store.ProjectError, OSError) as e:
                print(f"glassroom: could not keep the unsaved changes: {e}", file=sys.stderr)
        self._close_project()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_discard():
            event.ignore()
            return
        self._close_project()
        self.waveforms.reset(None)
        self.runner.cancel_all()
        self.runner.wait(5000)
        event.accept()

    # -- import ----------------------------------------------------------------

    def choose_import(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import Audio", str(Path.home()),
                                                AUDIO_FILTER)
        self.import_files([Path(f) for f in files])

    def import_files(self, paths: list[Path], position: int = 0) -> None:
        """Import each file onto a new track, one after another, in a worker."""
        if self.project is None or not paths:
            return
        if not self._import_queue and self._import_task is None:
            self.import_errors = []
            self._import_total = 0
        self._import_queue.extend((Path(p), position) for p in paths)
        self._import_total += len(paths)
        self._next_import()

    def importing(self) -> bool:
        return self._import_task is not None or bool(self._import_queue)

    def _next_import(self) -> None:
        if self._import_task is not None:
            return
        if not self._import_queue:
            self._import_finished()
            return
        src, position = self._import_queue.pop(0)
        folder, rate = self.folder, self.project.sample_rate
        done = self._import_total - len(self._import_queue)
        label = f"Importing {src.name} ({done}/{self._import_total})"

        def work(progress, cancelled):
            return media.import_audio(src, folder, rate, progress, cancelled)

        task = Task(work, label)
        task.signals.progress.connect(lambda f, t=label: self._show_progress(f, t))
        task.signals.finished.connect(lambda r, p=position, s=src: self._imported(r, p, s))
        task.signals.failed.connect(self._import_failed)
        task.signals.cancelled.connect(self._import_done)
        self._import_task = task
        self._show_progress(0.0, label)
        self.runner.start(task)

    def _imported(self, result: media.ImportResult, position: int, src: Path) -> None:
        self._import_task = None
        if self.undo is not None and self.project is not None:
            try:
                self.undo.push(edits.import_track_edit(self.project, result.media, position))
            except edits.EditError as e:
                self.import_errors.append(f"{src.name}: {e}")
            self.import_errors.extend(result.warnings)
        self._next_import()

    def _import_failed(self, message: str) -> None:
        self.import_errors.append(message)
        self._import_done()

    def _import_done(self) -> None:
        self._import_task = None
        self._next_import()

    def _import_finished(self) -> None:
        self._hide_progress()
        if self.import_errors:
            self._tell("Import problems", "\n\n".join(self.import_errors),
                       QMessageBox.Icon.Warning)
            self.statusBar().showMessage(
                f"{len(self.import_errors)} problem(s) while importing", STATUS_MS)
        elif self._import_total:
            self.statusBar().showMessage(f"Imported {self._import_total} file(s)", STATUS_MS)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.project is not None and self._local_files(event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._local_files(event.mimeData().urls())
        if files:
            event.acceptProposedAction()
            self.import_files(files)

    @staticmethod
    def _local_files(urls: list[QUrl]) -> list[Path]:
        return [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]

    # -- following changes -------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.action == "clean" or change.edit is None or not change.edit.structural:
            return
        self.arrange.rebuild()
        if self.project is not None:
            for media_id in self.project.media:
                mf: MediaFile = self.project.media[media_id]
                self.waveforms.request(mf)

    def _update_title(self) -> None:
        name = self.project.name if self.project else ""
        self.setWindowTitle(f"{name}[*] — Glassroom" if name else "Glassroom")
        self.setWindowModified(self.is_dirty())

    # -- progress and messages ---------------------------------------------------

    def _show_progress(self, fraction: float, label: str) -> None:
        self.progress_label.setText(label)
        self.progress_bar.setValue(int(fraction * 1000))
        self.progress_label.show()
        self.progress_bar.show()

    def _hide_progress(self) -> None:
        if self.importing() or self.waveforms.building():
            return
        self.progress_label.hide()
        self.progress_bar.hide()

    def _on_peaks_progress(self, fraction: float, label: str) -> None:
        if not self.importing():
            self._show_progress(fraction, label)

    def _on_peaks_idle(self) -> None:
        self._hide_progress()

    def _tell(self, title: str, text: str, icon: QMessageBox.Icon) -> QMessageBox:
        """A message that does not block: the window keeps working while it is shown."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self.last_message = box
        return box

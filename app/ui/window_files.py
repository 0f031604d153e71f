"""The main window's project files: open, new, save, save as, recent projects, autosave,
the offers made on open (an autosave newer than the save, takes a crash left unfinished),
closing, the saved window layout, and the export dialog.

A big project saves on a worker from a copy, so the window never waits on the disk.
"""

from __future__ import annotations

import copy
import shutil
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
)

from app.session import edits, store
from app.session.edits import EditHistory
from app.session.model import Track
from app.session.recovery import find_unfinished_takes, repair_header
from app.ui.undo import UndoMirror
from app.ui.window_messages import STATUS_MS
from app.ui.workers import Task

MAX_RECENT = 10
BACKGROUND_SAVE_CLIPS = 500  # from here a save runs on a worker


class WindowFiles:
    """A part of MainWindow (app/ui/main_window.py).

    Opening, saving and closing the project folder.
    """

    def restore_layout(self) -> bool:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        ok = bool(geometry) and self.restoreGeometry(geometry)
        if state:
            self.restoreState(state)
        return ok

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def recent_projects(self) -> list[str]:
        value = self.settings.value("recent", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if p]

    def _remember(self, folder: Path) -> None:
        path = str(folder.resolve())
        recent = [path] + [p for p in self.recent_projects() if p != path]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.sync()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_projects():
            self.recent_menu.addAction(path, lambda p=path: self._open_recent(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent projects").setEnabled(False)

    def _open_recent(self, path: str) -> None:
        if self._may_discard():
            self.open_folder(path)

    def open_folder(self, folder: str | Path, autosaved: bool = False) -> bool:
        """Open a project folder (its autosave in recovery/ when `autosaved`); False (with
        the reason shown) when it cannot be opened."""
        folder = Path(folder)
        try:
            opened = store.open_project(folder)
            if autosaved:
                opened.project = store.read_recovery(folder)
                opened.recovery_available = False
                opened.report = [r for r in opened.report if "recovery/" not in r]
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
        self.arrange.edit_sink = self.undo.push
        self.arrange.close_merge = self.undo.close_merge
        self.waveforms.reset(folder)
        self._placeholders = set(opened.placeholders)
        for media_id in opened.placeholders:
            self.waveforms.mark_missing(media_id)
        if self.engine is not None and self.engine.backend is not None:
            self.arrange.inputs = self.engine.backend.inputs
        self.arrange.set_project(self.project)
        self.transport.set_project(self.project)
        self._load_engine()
        self.open_report = list(opened.report)
        self._set_project_actions(True)
        self._update_title()
        self._show_format()
        self._remember(folder)
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
        self._offer_recovery(folder, opened.recovery_available)
        return True

    def _offer_recovery(self, folder: Path, autosave: bool) -> None:
        """Offer (without blocking) an autosave newer than the save, and takes left
        unfinished in audio/ by a crash."""
        if autosave:
            self._ask("Recover autosaved changes?",
                      "An autosaved version newer than the last save is in recovery/. "
                      "Open it instead?", lambda: self.open_folder(folder, autosaved=True))
        takes = find_unfinished_takes(self.project, folder)
        if takes:
            n = len(takes)
            self._ask("Unfinished takes found",
                      f"{n} take{'s' if n != 1 else ''} recorded before the program stopped "
                      f"{'are' if n != 1 else 'is'} in audio/. Put them back where they were "
                      "recorded?", lambda: self.restore_unfinished_takes(takes))

    def restore_unfinished_takes(self, takes: list) -> None:
        """Put recovered takes back as clips and takes (a track again if it is gone)."""
        for rec in takes:
            if self.project is None:
                return
            repair_header(self.folder, rec)
            if not any(t.id == rec.track_id for t in self.project.tracks):
                self.push(edits.AddTrack(Track(rec.track_name, id=rec.track_id)))
            self.add_recorded_take(rec)
        self.say(f"{len(takes)} recovered take{'s' if len(takes) != 1 else ''} put back")

    def _load_engine(self) -> None:
        if self.engine is None or self.project is None or self.history is None:
            return
        from app.ui.mixer.binder import EngineBinder

        self.engine.stop()
        self.engine.locate(0)
        try:
            for warning in self.engine.load(self.project, self.folder, self._placeholders):
                self.say(warning)
        except Exception as e:  # a project the engine refuses still opens for editing
            self._tell("The engine could not load the project", str(e),
                       QMessageBox.Icon.Warning)
        self.binder = EngineBinder(self.history, self.engine, self.folder, self)
        self.binder.problem.connect(self.say)
        self._locate = (0, time.monotonic())
        self._shown = 0
        self.feedback = self.engine.read_feedback()

    def _show_format(self) -> None:
        pr = self.project
        if pr is not None:
            self.format_label.setText(f"{pr.sample_rate / 1000:g} kHz  ·  {pr.tempo:g} BPM  ·  "
                                      f"{pr.meter_num}/{pr.meter_den}  ·  {len(pr.tracks)} tracks")
            self.format_label.setMinimumWidth(self.format_label.sizeHint().width())

    def _close_project(self) -> None:
        self.enable_control_surface(False)
        self._recording = None
        self._import_queue.clear()
        if self._import_task is not None:
            self._import_task.cancel()
        if self.mixer is not None:
            self.mixer.detach()
            self.mixer.close()
            self.mixer.deleteLater()
            self.mixer = None
        if self.binder is not None:
            self.binder.detach()
            self.binder.deleteLater()
            self.binder = None
        if self.engine is not None:
            self.engine.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.undo is not None:
            self.undo_group.removeStack(self.undo.stack)
            self.undo.deleteLater()
        self.arrange.edit_sink = None
        self.undo = None
        self.history = None

    def save(self) -> bool:
        if self.project is None or self.folder is None or self.history is None:
            return False
        started = time.monotonic()
        try:
            store.save_project(self.project, self.folder)
        except (store.ProjectError, OSError) as e:
            self._tell("Not saved", str(e), QMessageBox.Icon.Critical)
            return False
        self.history.mark_clean()
        took = (time.monotonic() - started) * 1000
        self.statusBar().showMessage(f"Saved {self.folder} ({took:.0f} ms)", STATUS_MS)
        return True

    def save_from_menu(self) -> None:
        """Ctrl+S: a small project saves at once; a big one is copied and written by a
        worker, so the window never waits on the disk."""
        if self.project is None:
            return
        clips = sum(len(t.clips) for t in self.project.tracks)
        if clips < BACKGROUND_SAVE_CLIPS:
            self.save()
        else:
            self.save_in_background()

    def save_in_background(self) -> Task | None:
        if self.project is None or self.folder is None or self.history is None:
            return None
        snapshot, folder = copy.deepcopy(self.project), self.folder
        seen = self._changes

        def work(progress, cancelled):
            store.save_project(snapshot, folder)
            return folder

        def done(_folder) -> None:
            self._hide_progress()
            if self.history is not None and self._changes == seen and self.folder == folder:
                self.history.mark_clean()
            self.statusBar().showMessage(f"Saved {folder}", STATUS_MS)

        task = Task(work, f"Saving {folder.name}")
        task.signals.finished.connect(done)
        task.signals.failed.connect(lambda m: self._tell("Not saved", m,
                                                         QMessageBox.Icon.Critical))
        self._show_progress(0.0, task.label)
        return self.runner.start(task)

    def save_as(self, folder: str | Path) -> Task | None:
        """Copy the project's audio into `folder` in a worker, save there, then open it.
        The original folder is left as it was."""
        if self.project is None or self.folder is None:
            return None
        folder = Path(folder)
        if folder.exists() and any(folder.iterdir()):
            self._tell("Not saved", f"{folder} already exists and is not empty; choose a new "
                       "name.", QMessageBox.Icon.Warning)
            return None
        source, text = self.folder, store.project_to_text(self.project)
        project, _warnings = store.project_from_text(text)

        def work(progress, cancelled):
            folder.mkdir(parents=True, exist_ok=True)
            for sub in ("audio", "peaks"):
                if (source / sub).is_dir():
                    shutil.copytree(source / sub, folder / sub, dirs_exist_ok=True)
                progress(0.5)
            store.save_project(project, folder)
            return folder

        task = Task(work, f"Saving as {folder.name}")
        task.signals.finished.connect(self._saved_as)
        task.signals.failed.connect(lambda m: self._tell("Not saved", m,
                                                         QMessageBox.Icon.Critical))
        self._show_progress(0.0, task.label)
        return self.runner.start(task)

    def _saved_as(self, folder: Path) -> None:
        self._hide_progress()
        if self.history is not None:
            self.history.mark_clean()
        self.open_folder(folder)

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

    def choose_new(self) -> None:
        if not self._may_discard():
            return
        start = str(self.folder.parent) if self.folder else str(Path.home())
        path, _ = QFileDialog.getSaveFileName(self, "New Project", start + "/Song.glassroom")
        if path:
            self.new_project(path)

    def new_project(self, folder: str | Path) -> bool:
        try:
            store.create_project(Path(folder))
        except (store.ProjectError, OSError) as e:
            self._tell("Cannot make the project", str(e), QMessageBox.Icon.Warning)
            return False
        return self.open_folder(folder)

    def choose_save_as(self) -> None:
        if self.folder is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save Project As",
                                              str(self.folder.parent / "Copy.glassroom"))
        if path:
            self.save_as(path)

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

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._may_discard():
            event.ignore()
            return
        self.save_layout()
        self.feedback_timer.stop()
        self.display_timer.stop()
        self._close_project()
        self.waveforms.reset(None)
        self.runner.cancel_all()
        self.runner.wait(5000)
        event.accept()

    def open_export(self):
        if self.project is None or self.engine is None:
            return None
        from app.ui.export_dialog import ExportDialog

        dialog = ExportDialog(self.project, self.folder, self.engine,
                              selection=self.arrange.editor.selection_range(),
                              runner=self.runner, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

"""The main window: transport bar, the arrange view, menus and keys, import, save, and
the one timer that reads the engine's feedback.

The window owns the open project, its EditHistory (mirrored into Qt's undo stack), the
EngineBinder that keeps the engine playing what the project says, and the workers that
import audio and build waveforms. Every change goes through the history; long work runs
on the pool and reports back, so the GUI thread never waits.

MainWindow is put together from parts, one module each:

- window_menus.py: the menus, their keys, the status bar, the transport bar's buttons
- window_transport.py: the engine, the feedback timer, the playhead, play/stop (Space),
  record, locate, loop, punch, markers
- window_files.py: open, new, save, save as, recent projects, autosave and recovery, export
- window_import.py: importing audio (chooser, drag and drop, the worker queue)
- window_edits.py: edits from the Edit, Track and View menus, the mixer window
- window_surface.py: the MIDI / Mackie control surface and MIDI learn
- window_messages.py: status-bar messages, progress, non-blocking message boxes

This module holds what ties them together: building the window and following changes.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QUndoView,
    QWidget,
)

from app.engine.engine import Engine, Feedback
from app.session import store
from app.session.edits import Change, EditHistory
from app.session.model import Project
from app.ui.arrange.import_panel import ImportPanel
from app.ui.arrange.view import ArrangeView
from app.ui.arrange.waveforms import WaveformStore
from app.ui.control_surface import ControlSurface
from app.ui.transport import TransportBar
from app.ui.undo import UndoMirror
from app.ui.window_edits import WindowEdits
from app.ui.window_files import WindowFiles
from app.ui.window_import import WindowImport
from app.ui.window_menus import WindowMenus
from app.ui.window_messages import WindowMessages
from app.ui.window_surface import WindowSurface
from app.ui.window_transport import WindowTransport
from app.ui.workers import Task, TaskRunner

NO_DEVICE = "No audio device: running on the internal clock"
AUTOSAVE_CHECK_MS = 5000


def default_settings() -> QSettings:
    return QSettings("Glassroom", "Glassroom")


class MainWindow(WindowMenus, WindowTransport, WindowFiles, WindowImport, WindowEdits,
                 WindowSurface, WindowMessages, QMainWindow):
    def __init__(self, audio_status: str = NO_DEVICE, parent: QWidget | None = None,
                 engine: Engine | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.project: Project | None = None
        self.history: EditHistory | None = None
        self.undo: UndoMirror | None = None
        self.engine = engine
        self.settings = settings or default_settings()
        self.binder = None
        self.mixer = None
        self.surface: ControlSurface | None = None
        self.open_report: list[str] = []
        self.import_errors: list[str] = []
        self._import_queue: list[tuple[int, Path, int, str | None]] = []
        self._import_total = 0
        self._import_jobs = 0
        self._import_task: Task | None = None
        self._import_job: int | None = None
        self._unsubscribe = None
        self._placeholders: set[str] = set()
        self._autosaver = store.Autosaver()
        self.last_message: QMessageBox | None = None
        self.last_question: QMessageBox | None = None
        self.feedback: Feedback | None = None
        self._last_fb_time = time.monotonic()
        self._locate: tuple[int, float] | None = None  # asked for, until the engine shows it
        self._shown = 0  # the playhead last shown, so it never steps back while rolling
        self._previewing = False  # lanes show a pass being written
        self._recording: tuple[int, list[str]] | None = None  # start, armed track ids
        self._collect_until = 0.0  # look for finished takes until then
        self._last_takes: list[tuple[str, str]] = []  # (track id, take id) of the last record
        self._notes_seen = 0  # engine messages already shown
        self.count_in = False  # two bars of pre-roll with the click before a take
        self._changes = 0  # edits done, undone or redone, to know if a save is current

        self.runner = TaskRunner(parent=self)
        self.waveforms = WaveformStore(self.runner, self)
        self.arrange = ArrangeView(self.waveforms)
        self.arrange.report = self.say
        self.arrange.on_locate = self.locate
        self.arrange.on_audition = self.audition
        self.arrange.on_midi_learn = self.midi_learn
        self.setCentralWidget(self.arrange)
        self.transport = TransportBar()
        bar = QToolBar("Transport", objectName="transportToolbar")
        bar.setMovable(False)
        bar.addWidget(self.transport)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.undo_group = QUndoGroup(self)
        self.history_view = QUndoView(self.undo_group)
        self.history_view.setEmptyLabel("Opened")
        self.history_dock = QDockWidget("History", self, objectName="historyDock")
        self.history_dock.setWidget(self.history_view)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.history_dock)
        self.history_dock.hide()
        self.import_panel = ImportPanel()
        self.import_dock = QDockWidget("Import", self, objectName="importDock")
        self.import_dock.setWidget(self.import_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.import_dock)
        self.import_dock.hide()
        self.setAcceptDrops(True)
        self.setWindowTitle("Glassroom")
        self._build_menus()
        self._build_status(audio_status)
        self._connect_transport()

        self.waveforms.progress.connect(self._on_peaks_progress)
        self.waveforms.idle.connect(self._on_peaks_idle)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self._autosave)
        self._autosave_timer.start(AUTOSAVE_CHECK_MS)
        self.feedback_timer = QTimer(self)
        self.feedback_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.feedback_timer.timeout.connect(self._read_feedback)
        self.display_timer = QTimer(self)
        self.display_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.display_timer.timeout.connect(self._move_playhead)
        if engine is not None:
            self.attach_engine(engine)
        self._set_project_actions(False)

    # -- following changes -----------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.action == "clean" or change.edit is None:
            return
        self._changes += 1
        self.arrange.sync()
        self.transport.refresh()
        self._show_format()
        if self.project is not None:
            for media_id, mf in self.project.media.items():
                if media_id not in self._placeholders:
                    self.waveforms.request(mf)

    def _update_title(self) -> None:
        name = self.project.name if self.project else ""
        self.setWindowTitle(f"{name}[*] — Glassroom" if name else "Glassroom")
        self.setWindowModified(self.is_dirty())

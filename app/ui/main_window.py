"""The main window: transport bar, the arrange view, menus and keys, import, save, and
the one timer that reads the engine's feedback.

The window owns the open project, its EditHistory (mirrored into Qt's undo stack), the
EngineBinder that keeps the engine playing what the project says, and the workers that
import audio and build waveforms. Every change goes through the history; long work runs
on the pool and reports back, so the GUI thread never waits.

The engine's feedback is read in exactly one place (`_read_feedback`, about 30 times a
second), because each read restarts the meters' hold; the playhead moves at the display
rate by extrapolating from the last read with the clock.
"""

from __future__ import annotations

import copy
import shutil
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QToolBar,
    QUndoView,
    QWidget,
)

from app.engine.engine import Engine, Feedback
from app.session import edits, media, store
from app.session.edits import Change, EditHistory
from app.session.model import Clip, MediaFile, Project, Take, Track, TrackKind
from app.session.recovery import DiscardTake, find_unfinished_takes, repair_header
from app.ui.arrange.automation import AutomationLaneWidget
from app.ui.arrange.editor import Snap
from app.ui.arrange.header import HEADER_WIDTH
from app.ui.arrange.import_panel import ImportPanel
from app.ui.arrange.view import ArrangeView
from app.ui.arrange.waveforms import WaveformStore
from app.ui.audio_settings import AudioSettingsDialog, engine_status
from app.ui.automation_pass import pass_edit
from app.ui.control_surface import ControlSurface
from app.ui.transport import TransportBar
from app.ui.undo import UndoMirror
from app.ui.workers import Task, TaskRunner

NO_DEVICE = "No audio device: running on the internal clock"
AUDIO_FILTER = "Audio files (*.wav *.wave *.bwf *.rf64 *.w64 *.aif *.aiff *.flac *.ogg " \
               "*.opus *.mp3);;All files (*)"
AUTOSAVE_CHECK_MS = 5000
STATUS_MS = 6000
FEEDBACK_MS = 33
DISPLAY_MS = 16
MAX_RECENT = 10
DEFAULT_LOOP_BARS = 4
BACKGROUND_SAVE_CLIPS = 500  # from here a save runs on a worker
KEYS_HELP = """Space  play / stop        Shift+R  record        L  loop on/off
Home / End  start / end of session      Tab  add marker at the playhead
S  split at the playhead (or the edit cursor when stopped)
Delete  delete clips     Ctrl+D  duplicate     Ctrl+C / Ctrl+V  copy / paste at the playhead
Alt+Left / Alt+Right  nudge      Ctrl+Z / Ctrl+Shift+Z  undo / redo
+ / -  zoom      Ctrl+wheel  zoom around the mouse      Shift+wheel  scroll in time
G  snap on/off      F  follow the playhead      Z  zoom to selection      Ctrl+0  whole session
Drag a clip to move it (also onto another track), its edges to trim, the small squares at
its top corners for fades, its dashed line for gain. Drag on the ruler's lower half for
the loop (Shift: punch); click its upper half to move the playhead; double-click a marker
to rename it.
Automation: a track header's A button shows a parameter's lane. On a lane, click adds a
point, drag moves it, Ctrl+drag (or the pencil) draws; drag along empty lane selects a
range, drag inside it up or down to raise or lower it; Delete, Ctrl+C and Ctrl+V act on
the lane last clicked; right-click a point for linear or hold.
Right-click a mixer control or a track header for MIDI learn."""


def default_settings() -> QSettings:
    return QSettings("Glassroom", "Glassroom")


class MainWindow(QMainWindow):
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

    # -- construction ----------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        a = self._action
        f = bar.addMenu("&File")
        self.new_action = a(f, "&New Project…", QKeySequence.StandardKey.New, self.choose_new)
        self.open_action = a(f, "&Open Project…", QKeySequence.StandardKey.Open,
                             self.choose_project)
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addSeparator()
        self.save_action = a(f, "&Save", QKeySequence.StandardKey.Save, self.save_from_menu)
        self.save_as_action = a(f, "Save &As…", "Ctrl+Shift+S", self.choose_save_as)
        f.addSeparator()
        self.import_action = a(f, "&Import Audio…", "Ctrl+I", self.choose_import)
        self.export_action = a(f, "&Export…", "Ctrl+E", self.open_export)
        f.addSeparator()
        a(f, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        e = bar.addMenu("&Edit")
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        e.addSeparator()
        ed = self.arrange.editor
        self.copy_action = a(e, "&Copy", "Ctrl+C", self.copy)
        self.paste_action = a(e, "&Paste at Playhead", "Ctrl+V", self.paste)
        self.duplicate_action = a(e, "&Duplicate", "Ctrl+D", ed.duplicate)
        self.delete_action = a(e, "De&lete", QKeySequence(Qt.Key.Key_Delete), self.delete)
        self.split_action = a(e, "&Split at Playhead", "S", self.split)
        self.mute_clip_action = a(e, "&Mute Clips", "Ctrl+M", ed.toggle_mute)
        a(e, "Nudge &Left", "Alt+Left", lambda: ed.nudge(-1))
        a(e, "Nudge &Right", "Alt+Right", lambda: ed.nudge(1))
        e.addSeparator()
        self.move_automation_action = a(e, "Move &Automation with Clips", None,
                                        self._toggle_move_automation, checkable=True)
        e.addSeparator()
        a(e, "&History", "Ctrl+H", self.toggle_history)

        v = bar.addMenu("&View")
        a(v, "Zoom &In", QKeySequence("+"), lambda: self.arrange.zoom(0.5))
        a(v, "Zoom &Out", QKeySequence("-"), lambda: self.arrange.zoom(2.0))
        a(v, "Zoom to Se&lection", "Z", self.arrange.zoom_to_selection)
        a(v, "Zoom to &Session", "Ctrl+0", self.arrange.fit)
        v.addSeparator()
        self.follow_action = a(v, "&Follow Playhead", "F", self._toggle_follow, checkable=True)
        self.follow_action.setChecked(True)
        self.snap_action = a(v, "S&nap", "G", self._toggle_snap, checkable=True)
        self.snap_action.setChecked(True)
        grid = v.addMenu("Snap &Grid")
        self.grid_actions = {}
        for snap in Snap:
            act = a(grid, snap.value.capitalize(), None,
                    lambda _c=False, s=snap: self.set_snap(s), checkable=True)
            self.grid_actions[snap] = act
        self.grid_actions[Snap.BEAT].setChecked(True)

        t = bar.addMenu("&Track")
        a(t, "&Add Audio Track", "Ctrl+Shift+N", lambda: self.add_track(TrackKind.AUDIO))
        a(t, "Add &Bus", "Ctrl+Shift+B", lambda: self.add_track(TrackKind.BUS))
        a(t, "&Duplicate Track", "Ctrl+Shift+D", self.duplicate_track)
        a(t, "&Remove Track", "Ctrl+Shift+Delete", self.remove_track)
        a(t, "Show &Takes", "T", self.toggle_takes)

        tr = bar.addMenu("T&ransport")
        self.play_action = a(tr, "&Play / Stop", QKeySequence(Qt.Key.Key_Space), self.play_stop)
        self.record_action = a(tr, "&Record", "Shift+R", self.toggle_record)
        self.loop_action = a(tr, "&Loop", "L", self.toggle_loop)
        a(tr, "P&unch", "Shift+P", self.toggle_punch)
        a(tr, "Co&unt-in (2 bars)", None,
          lambda c=False: setattr(self, "count_in", bool(c)), checkable=True)
        a(tr, "&Discard Last Take", "Ctrl+Shift+Z", self.discard_last_take)
        a(tr, "Calibrate &Latency (out 1 → in 1)", None, self.calibrate_latency)
        a(tr, "&Click", "K", self.toggle_click)
        tr.addSeparator()
        a(tr, "Go to &Start", QKeySequence(Qt.Key.Key_Home), lambda: self.locate(0))
        a(tr, "Go to &End", QKeySequence(Qt.Key.Key_End),
          lambda: self.locate(self.project.length() if self.project else 0))
        a(tr, "Add &Marker", QKeySequence(Qt.Key.Key_Tab), self.add_marker)
        a(tr, "&Next Marker", "Ctrl+Right", lambda: self.jump_marker(1))
        a(tr, "Pre&vious Marker", "Ctrl+Left", lambda: self.jump_marker(-1))

        w = bar.addMenu("&Window")
        a(w, "&Mixer", "Ctrl+Shift+M", self.open_mixer)
        a(w, "&Audio Settings…", "Ctrl+,", self.open_audio_settings)
        cs = w.addMenu("&Control Surface")
        self.surface_action = a(cs, "Enable &MIDI Control (JACK)", None,
                                lambda: self.enable_control_surface(
                                    self.surface_action.isChecked()), checkable=True)
        self.mackie_action = a(cs, "Mackie &Control Protocol", None,
                               lambda: self._restart_surface(), checkable=True)
        self.mackie_action.setChecked(True)
        a(cs, "Cancel MIDI &Learn", None, self.cancel_midi_learn)
        a(cs, "&Remove All MIDI Mappings", None, self.remove_midi_mappings)
        h = bar.addMenu("&Help")
        a(h, "&Keys and Gestures", "F1", lambda: self._tell("Keys and gestures", KEYS_HELP,
                                                             QMessageBox.Icon.Information))
        a(h, "&About Glassroom", None, lambda: self._tell(
            "About Glassroom", "Glassroom: a control-room DAW.", QMessageBox.Icon.Information))
        self._project_actions = [self.import_action, self.save_action, self.save_as_action,
                                 self.export_action]

    def _action(self, menu, text: str, shortcut, slot, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.addAction(action)
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

    def _connect_transport(self) -> None:
        t = self.transport
        t.play_button.clicked.connect(lambda _c: self.play_stop())
        t.stop_button.clicked.connect(self.stop)
        t.start_button.clicked.connect(lambda: self.locate(0))
        t.record_button.clicked.connect(lambda _c: self.toggle_record())
        t.loop_button.clicked.connect(lambda _c: self.toggle_loop())
        t.punch_button.clicked.connect(lambda _c: self.toggle_punch())
        t.click_button.clicked.connect(lambda _c: self.toggle_click())
        t.clock.locate_requested.connect(self.locate)
        t.clock.refused.connect(self.say)
        t.tempo_requested.connect(lambda bpm: self.push(edits.SetTempo(bpm)))
        t.meter_requested.connect(lambda n, d: self.push(edits.SetMeter(n, d)))
        t.device_button.clicked.connect(self.open_audio_settings)

    def _set_project_actions(self, enabled: bool) -> None:
        for action in self._project_actions:
            action.setEnabled(enabled)
        self.transport.setEnabled(enabled)

    # -- settings ---------------------------------------------------------------------------

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

    # -- opening and saving -------------------------------------------------------------------

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

    def _ask(self, title: str, text: str, on_yes) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.accepted.connect(on_yes)
        box.show()
        self.last_question = box
        return box

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

    # -- engine, transport, playhead ---------------------------------------------------------

    def start_engine(self, engine: Engine, **options) -> Task:
        """Compile and open `engine` ("auto": a device, else the clock; `options` go to
        `Engine.open`) on a worker (the first compile takes about 20 s), with progress
        in the status bar; the window is usable meanwhile and takes the engine over
        when it is running."""
        self.engine_label.setText("Preparing the audio engine…")
        self.transport.show_device("Starting audio…", False)

        def work(progress, cancelled):
            engine.prepare(lambda _text, fraction: progress(fraction))
            engine.open("auto", **options)
            return engine

        task = Task(work, "Preparing the audio engine")
        task.signals.progress.connect(
            lambda f: self.engine_label.setText(f"Preparing the audio engine… {f:.0%}"))
        task.signals.finished.connect(self.attach_engine)
        task.signals.failed.connect(
            lambda why: self._tell("The audio engine could not start", why,
                                   QMessageBox.Icon.Critical))
        return self.runner.start(task)

    def attach_engine(self, engine: Engine) -> None:
        """Play, meter and record through `engine` from now on (it is open)."""
        self.engine = engine
        self.feedback_timer.start(FEEDBACK_MS)
        self.display_timer.start(DISPLAY_MS)
        self._show_engine()
        if engine.fallback_reason:
            self.say(f"No audio device: running on the internal clock ({engine.fallback_reason})")
        if self.project is not None:
            if engine.backend is not None:
                self.arrange.inputs = engine.backend.inputs
            self._load_engine()

    def _show_engine(self) -> None:
        if self.engine is None:
            return
        text, ok = engine_status(self.engine)
        self.engine_label.setText(text)
        self.engine_label.setMinimumWidth(self.engine_label.sizeHint().width())
        self.transport.show_device(text if ok else "No audio device · internal clock", ok)

    def _read_feedback(self) -> None:
        if self.engine is None:
            return
        fb = self.engine.read_feedback()
        now = time.monotonic()
        dt = min(now - self._last_fb_time, 0.5)
        self._last_fb_time = now
        self.feedback = fb
        self.transport.show_feedback_values(fb.dsp_load, fb.late_cycles)
        self.transport.show_transport(fb.playing, fb.recording)
        for header in self.arrange.headers():
            m = fb.meters.get(header.track.id)
            header.meter.set_peak(m.peak if m is not None else 0.0, dt)
        if self.mixer is not None and self.mixer.isVisible():
            self.mixer.show_feedback(fb, dt)
            for strip in self.mixer.strips.values():
                strip.show_automation(fb.position if fb.playing else None)
        if self._locate is not None and (abs(fb.position - self._locate[0]) < fb.sample_rate
                                         or now - self._locate[1] > 0.5):
            self._locate = None
        self._follow_recording(fb, now)
        self._follow_automation(fb)
        notes = getattr(self.engine, "messages", [])
        if len(notes) > self._notes_seen:
            self._notes_seen = len(notes)
            self.say(notes[-1][:1].upper() + notes[-1][1:])

    def touch(self, track_id: str, path: str, on: bool) -> None:
        """A strip control is held or let go (the mixer's, or a touch-sensing fader)."""
        if self.binder is not None:
            self.binder.touch(track_id, path, on)

    def ride(self, track_id: str, path: str, value: object) -> bool:
        """A strip control moved: True when the engine took it as automation being
        written (no edit then; see EngineBinder.ride)."""
        return self.binder is not None and self.binder.ride(track_id, path, value)

    def heard(self, track_id: str, path: str) -> float | None:
        """What the engine plays now for a strip parameter (None: nothing loaded)."""
        return self.binder.heard(track_id, path) if self.binder is not None else None

    def _follow_automation(self, fb: Feedback) -> None:
        """Show the pass being written on its lanes; a finished pass is one undo step."""
        preview = getattr(self.engine, "pass_preview", None)
        if preview is None or self.project is None:
            return
        if not fb.playing:
            for automation_pass in self.engine.finished_passes():
                edit = pass_edit(self.project, automation_pass)
                if edit is not None and self.undo is not None:
                    self.undo.close_merge()  # its own step, never merged into the ride's
                    self.push(edit)
        shown = preview() if fb.playing or self._previewing else {}
        if shown or self._previewing:
            for row in self.arrange.automation_rows():
                row.lane.show_provisional(shown.get((row.track.id, row.param)))
        self._previewing = bool(shown)

    def _follow_recording(self, fb: Feedback, now: float) -> None:
        """Grow the clips being recorded; when takes finish, put them in the project."""
        if self._recording is not None:
            start, track_ids = self._recording
            for track_id in track_ids:
                if any(t.id == track_id for t in self.project.tracks):
                    self.arrange.show_growing_clip(track_id, start, max(0, fb.position - start))
            if not fb.recording and now > self._collect_until:
                for track_id in track_ids:
                    if any(t.id == track_id for t in self.project.tracks):
                        self.arrange.show_growing_clip(track_id, start, None)
                self._recording = None
                self._collect_until = now + 3.0
        finished = getattr(self.engine, "finished_takes", None)
        if finished is None or (self._recording is None and now > self._collect_until):
            return
        for take in finished():
            self.add_recorded_take(take)

    def add_recorded_take(self, rec) -> bool:
        """A finished take becomes a clip on its track and a take in its take lane, one
        undo step; its audio file stays whatever happens."""
        if self.project is None or not any(t.id == rec.track_id for t in self.project.tracks):
            return False
        name = Path(rec.media.name or rec.media.path).stem
        clip = Clip(rec.media.id, rec.position, rec.length, rec.source_offset, name=name)
        take = Take(rec.media.id, rec.position, rec.length, rec.source_offset,
                                name=name, xruns=list(rec.xruns),
                                overruns=list(rec.overruns))
        done = self.push(edits.Compound("Record", [edits.AddClip(rec.track_id, clip, rec.media),
                                                   edits.AddTake(rec.track_id, take)]))
        if done:
            self._last_takes.append((rec.track_id, take.id))
            if rec.overruns or rec.xruns:
                self.say(f"{name}: {len(rec.overruns)} dropout(s) from the disk and "
                         f"{len(rec.xruns)} from the device are marked on the take")
        return done

    def discard_last_take(self) -> None:
        """The last recording's takes go to trash/ in the project folder (undoable)."""
        if self.project is None or not self._last_takes:
            self.say("No take to discard")
            return
        steps = [DiscardTake(self.folder, track_id, take_id)
                 for track_id, take_id in self._last_takes]
        if self.push(edits.Compound("Discard take", steps)):
            self._last_takes = []
            self.say("Last take moved to trash/ in the project folder (Undo brings it back)")

    def calibrate_latency(self) -> None:
        """Measure output 1 -> input 1 (patched together) on a worker; say the result."""
        if self.engine is None:
            return
        engine = self.engine
        result: list[str] = []

        def run() -> None:
            try:
                result.append(f"Round trip measured: {engine.calibrate(0, 0)} frames")
            except Exception as e:  # the engine says why (nothing came back, no device)
                result.append(f"Calibration failed: {e}")

        threading.Thread(target=run, name="glassroom-calibrate", daemon=True).start()
        poll = QTimer(self)

        def check() -> None:
            if result:
                poll.stop()
                poll.deleteLater()
                self.say(result[0])

        poll.timeout.connect(check)
        poll.start(50)

    def position(self) -> int:
        """Where the playhead is now: the last read, moved on by the clock while playing."""
        if self._locate is not None:
            return self._locate[0]
        fb = self.feedback
        if fb is None:
            return 0
        if not fb.playing or fb.waiting:
            return fb.position
        rate = fb.sample_rate or (self.project.sample_rate if self.project else 48000)
        pos = fb.position + int((time.monotonic() - fb.time) * rate)
        on, start, end = fb.loop
        if on and end > start and pos >= end:
            pos = start + (pos - start) % (end - start)
        if self._shown - rate // 4 < pos < self._shown:
            return self._shown  # a read a little behind the guess: hold, never step back
        return pos

    def _move_playhead(self) -> None:
        if self.project is None:
            return
        pos = self.position()
        self._shown = pos
        playing = self.feedback is not None and self.feedback.playing
        self.arrange.set_playhead(pos, following=playing)
        self.transport.show_position(pos)

    def playing(self) -> bool:
        return self.feedback is not None and self.feedback.playing

    def play_stop(self) -> None:
        if self.engine is None or self.project is None:
            return
        if self.playing() or self.transport.play_button.isChecked() and self.feedback is None:
            self.stop()
        else:
            self.engine.play()
            self.feedback = self.engine.read_feedback() if self.feedback is None \
                else self.feedback
            self.transport.show_transport(True, False)

    def stop(self) -> None:
        if self.engine is None:
            return
        if self.feedback is not None and self.feedback.recording:
            self.engine.record(False)
        self.engine.stop()
        self.transport.show_transport(False, False)

    def locate(self, frame: int) -> None:
        frame = max(0, int(frame))
        if self.engine is not None:
            self.engine.locate(frame)
        self._locate = (frame, time.monotonic())
        self._move_playhead()

    def toggle_record(self) -> None:
        if self.engine is None or self.project is None:
            return
        armed = [t for t in self.project.tracks if t.kind is TrackKind.AUDIO and t.armed]
        recording = self.feedback is not None and self.feedback.recording
        if recording:
            self.engine.record(False)
            self.say("Recording stopped")
            return
        if not armed:
            self.transport.record_button.setChecked(False)
            self.say("Nothing to record: arm a track first (the R button on its header).")
            return
        record = getattr(self.engine, "record", None)
        if record is None:
            self.transport.record_button.setChecked(False)
            self.say("Recording is not available in this version of the engine.")
            return
        bars = 2 * self.project.meter_num * 60.0 / self.project.tempo
        preroll = self.project.frames(bars) if self.count_in else 0
        try:
            record(True, preroll=preroll, count_in=True) if preroll else record(True)
        except Exception as e:  # the engine says why it cannot record (no input, ...)
            self.transport.record_button.setChecked(False)
            self.say(f"Cannot record: {e}")
            return
        self._recording = (self.position(), [t.id for t in armed])
        self._last_takes = []
        if not self.playing():
            self.engine.play()
        self.say(f"Recording on {len(armed)} armed track{'s' if len(armed) != 1 else ''}")

    def toggle_loop(self) -> None:
        pr = self.project
        if pr is None:
            return
        if pr.loop.end > pr.loop.start:
            self.push(edits.SetLoop(pr.loop.start, pr.loop.end, not pr.loop.enabled))
        else:
            start, end = self._default_range()
            self.push(edits.SetLoop(start, end, True))
        if self.undo is not None:
            self.undo.close_merge()

    def toggle_punch(self) -> None:
        pr = self.project
        if pr is None:
            return
        if pr.punch.end > pr.punch.start:
            start, end, on = pr.punch.start, pr.punch.end, not pr.punch.enabled
        else:
            (start, end), on = self._default_range(), True
        if on and self.engine is not None:
            try:
                self.engine.check_punch(start, end)
            except Exception as e:  # the engine says why (empty, outside the session)
                self.say(f"Cannot punch: {e}")
                return
        self.push(edits.SetPunch(start, end, on))
        if self.undo is not None:
            self.undo.close_merge()

    def _default_range(self) -> tuple[int, int]:
        rng = self.arrange.editor.selection_range()
        if rng is not None:
            return rng
        pr = self.project
        bar = pr.sample_rate * 60 / pr.tempo * 4 / pr.meter_den * pr.meter_num
        start = int(self.position() // bar * bar)
        return start, int(start + DEFAULT_LOOP_BARS * bar)

    def toggle_click(self) -> None:
        if self.project is not None:
            self.push(edits.SetClick(not self.project.click))

    def add_marker(self) -> None:
        if self.project is None:
            return
        n = len(self.project.markers) + 1
        self.push(edits.AddMarker(f"Marker {n}", self.position()))

    def jump_marker(self, direction: int) -> None:
        if self.project is None or not self.project.markers:
            return
        here = self.position()
        marks = sorted(m.position for m in self.project.markers)
        later = [m for m in marks if m > here] if direction > 0 else \
            [m for m in marks if m < here][::-1]
        if later:
            self.locate(later[0])

    def split(self) -> int:
        """S: split at the playhead while playing, else at the edit cursor if one was
        set by a click, else at the playhead."""
        ed = self.arrange.editor
        frame = self.position() if self.playing() or not ed.cursor else ed.cursor
        return ed.split(frame)

    def audition(self, track_id: str, take) -> None:
        """Play from the take's start; Space stops. (The engine plays clips, so what is
        heard is the track's clips there; the take itself plays once it is comped into a
        clip.)"""
        self.locate(take.position)
        if self.engine is not None:
            self.engine.play()
        self.say(f"Auditioning {take.name or 'the take'} from its start")

    # -- edits from menus ------------------------------------------------------------------

    def push(self, edit: edits.Edit) -> bool:
        if self.undo is None:
            return False
        try:
            self.undo.push(edit)
        except edits.EditError as e:
            self.say(str(e))
            self.transport.refresh()
            return False
        return True

    def add_track(self, kind: TrackKind) -> None:
        if self.project is None:
            return
        n = sum(t.kind is kind for t in self.project.tracks) + 1
        name = f"Bus {n}" if kind is TrackKind.BUS else f"Audio {n}"
        colours = edits.tracks.TRACK_COLOURS
        track = Track(name, kind=kind, colour=colours[len(self.project.tracks) % len(colours)])
        current = self.arrange.track_for_menu()
        index = (self.project.track_index(current.id) + 1) if current is not None else None
        if kind is TrackKind.AUDIO and index is None:
            index = max((i + 1 for i, t in enumerate(self.project.tracks)
                         if t.kind is TrackKind.AUDIO), default=0)
        self.push(edits.AddTrack(track, index))

    def remove_track(self) -> None:
        track = self.arrange.track_for_menu()
        if track is None:
            self.say("Click a track first to choose which one to remove.")
            return
        self.push(edits.RemoveTrack(track.id))

    def duplicate_track(self) -> None:
        track = self.arrange.track_for_menu()
        if track is None:
            self.say("Click a track first to choose which one to duplicate.")
            return
        self.push(edits.DuplicateTrack(track.id))

    def toggle_takes(self) -> None:
        track = self.arrange.track_for_menu()
        if track is None or not track.takes.takes:
            self.say("That track has no takes to show.")
            return
        self.arrange.header_edit(track.id, "takes", track.id not in self.arrange.takes_open)

    def _toggle_follow(self) -> None:
        self.arrange.follow = self.follow_action.isChecked()

    def _toggle_snap(self) -> None:
        self.arrange.editor.snap_on = self.snap_action.isChecked()
        self.say("Snap on" if self.arrange.editor.snap_on else "Snap off")

    def set_snap(self, snap: Snap) -> None:
        self.arrange.editor.snap = snap
        self.arrange.editor.snap_on = True
        self.snap_action.setChecked(True)
        for s, act in self.grid_actions.items():
            act.setChecked(s is snap)

    def toggle_history(self) -> None:
        self.history_dock.setVisible(not self.history_dock.isVisible())

    def open_mixer(self):
        if self.project is None or self.undo is None:
            return None
        if self.mixer is None:
            from app.ui.mixer.window import MixerWindow

            self.mixer = MixerWindow(self.project, self.undo, self.engine, folder=self.folder,
                                     poll=False, bind_engine=False)
            self.mixer.ctx.learn = self.midi_learn
            self.mixer.ctx.touch = self.touch
            self.mixer.ctx.ride = self.ride
            self.mixer.ctx.heard = self.heard
        self.mixer.show()
        self.mixer.raise_()
        return self.mixer

    def _focused_lane(self) -> AutomationLaneWidget | None:
        """The automation lane the user last clicked, while it has the keyboard."""
        widget = self.focusWidget()
        return widget if isinstance(widget, AutomationLaneWidget) else None

    def copy(self) -> None:
        lane = self._focused_lane()
        if lane is None:
            self.arrange.editor.copy()
        elif lane.copy_range() is None:
            self.say("Select a range of automation to copy first (drag along the lane).")

    def paste(self) -> None:
        lane = self._focused_lane()
        if lane is None:
            self.arrange.editor.paste(self.position())
        else:
            lane.paste(self.position())

    def delete(self) -> None:
        lane = self._focused_lane()
        if lane is None:
            self.arrange.editor.delete()
        elif not lane.delete_selection():
            self.say("Select automation points or a range to delete first.")

    def _toggle_move_automation(self) -> None:
        self.arrange.editor.move_automation = self.move_automation_action.isChecked()

    # -- hardware control --------------------------------------------------------------------

    def enable_control_surface(self, on: bool = True, client_name: str = "Glassroom") -> bool:
        """Open (or close) the MIDI control ports on JACK; True when they are open. Without a
        JACK server it says so in the status bar and carries on without."""
        if self.surface is not None:
            self.surface.stop()
            self.surface.deleteLater()
            self.surface = None
        if on and self.history is not None:
            surface = ControlSurface(self.history, client_name=client_name,
                                     mackie=self.mackie_action.isChecked(), parent=self)
            surface.dispatcher.touch = self.touch
            surface.dispatcher.ride = self.ride
            try:
                surface.start()
            except Exception as e:  # noqa: BLE001 (any failure to open MIDI is reported)
                surface.deleteLater()
                self.say(f"MIDI control is off: {e}")
                on = False
            else:
                surface.problem.connect(self.say)
                surface.transport.connect(self._surface_transport)
                surface.learned.connect(self._learned)
                self.surface = surface
                self.say("MIDI control is on: connect your controller to "
                         f"{surface.ports.input_name}.")
        self.surface_action.setChecked(self.surface is not None)
        return self.surface is not None

    def _restart_surface(self) -> None:
        if self.surface is not None:
            self.enable_control_surface(True)

    def midi_learn(self, target: str, param: str) -> bool:
        """MIDI learn: the next control moved on the controller drives `param` of track
        `target` (or a transport action with target "transport")."""
        if self.surface is None and not self.enable_control_surface(True):
            return False
        self.surface.learn(target, param)
        try:
            what = f"{self.project.track(target).name} {edits.param_label(param)}"
        except KeyError:
            what = param
        self.statusBar().showMessage(f"MIDI learn: move a knob, fader or button for {what}…")
        return True

    def cancel_midi_learn(self) -> None:
        if self.surface is not None and self.surface.learning:
            self.surface.cancel_learn()
            self.say("MIDI learn cancelled.")

    def remove_midi_mappings(self) -> None:
        if self.project is None or not self.project.midi_mappings:
            self.say("There are no MIDI mappings to remove.")
            return
        self.push(edits.Compound("Remove MIDI mappings", [
            edits.RemoveMidiMapping(m.id) for m in self.project.midi_mappings]))

    def _learned(self, mapping) -> None:
        self.say(f"MIDI learned: {mapping.kind.value} {mapping.number} on channel "
                 f"{mapping.channel + 1} now drives {edits.param_label(mapping.param)}.")

    def _surface_transport(self, action: str) -> None:
        rate = self.project.sample_rate if self.project is not None else 48000
        if action == "play" and not self.playing():
            self.play_stop()
        elif action == "stop":
            self.stop()
        elif action == "record":
            self.toggle_record()
        elif action == "loop":
            self.toggle_loop()
        elif action in ("rewind", "forward"):
            step = 5 * rate if action == "forward" else -5 * rate
            self.locate(self.position() + step)

    def open_audio_settings(self) -> AudioSettingsDialog | None:
        if self.engine is None:
            self.say("There is no engine in this window.")
            return None
        dialog = AudioSettingsDialog(self.engine, self._engine_reopened, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _engine_reopened(self) -> None:
        if self.project is not None and self.engine is not None:
            try:
                self.engine.load(self.project, self.folder, self._placeholders)
            except Exception as e:  # keep editing even when the engine refuses
                self.say(f"The engine could not load the project: {e}")
        self._show_engine()

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

    # -- import --------------------------------------------------------------------------------

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

    # -- following changes ---------------------------------------------------------------------

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

    # -- progress and messages ---------------------------------------------------------------

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

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

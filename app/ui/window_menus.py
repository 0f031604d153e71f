"""The main window's menus, keyboard shortcuts, status bar and transport-bar wiring.

Every menu entry and key is made here (`_build_menus`), each pointing at a method of the
window: Space is `play_stop` in window_transport.py, Ctrl+S `save_from_menu` in
window_files.py. KEYS_HELP is the text Help > Keys and Gestures shows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QAction,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QProgressBar,
)

from app.session import edits
from app.session.model import TrackKind
from app.ui.arrange.editor import Snap

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


class WindowMenus:
    """A part of MainWindow (app/ui/main_window.py).

    Builds the menus and actions, the status bar, and connects the transport bar.
    """

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
        a(tr, "&Discard Last Take", "Ctrl+Alt+Z", self.discard_last_take)
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

"""The mixer window: every channel strip, the master, the control room, cues and loudness.

Strips follow the project's track order (the arrange window's) and scroll sideways;
the master stays pinned at the right of them. One QTimer reads the engine's feedback
once per tick (30 Hz by default) and hands each meter its numbers; nothing here waits
for the engine.

Changes come back through the history: a parameter edit refreshes its strip at once;
anything else (tracks added, moved or removed, undo of such) is gathered and the
window re-syncs once per event-loop turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.engine.engine import Engine
from app.session import edits as E
from app.session.edits import (
    Change,
    Edit,
    EditHistory,
    SetAutomationMode,
    SetControlRoom,
    SetStripParams,
)
from app.session.model import Project
from app.ui.mixer.binder import EngineBinder, once
from app.ui.mixer.control_room import ControlRoomPanel
from app.ui.mixer.cues import CueContext, CueEditor, CuePanel, ask
from app.ui.mixer.eq import EqEditor
from app.ui.mixer.loudness import LoudnessPanel
from app.ui.mixer.strip import ChannelStrip, StripContext
from app.ui.mixer.widgets import MASTER_BG, STRIP_BG
from app.ui.theme import ui_font
from app.ui.undo import UndoMirror

D = TypeVar("D", bound=QDialog)

METER_HZ = 30
SIDE_WIDTH = 330
MESSAGE_MS = 8000

STYLE = """
QWidget#mixer { background: #15171a; }
QWidget#strips { background: #15171a; }
QFrame#strip { background: @strip; border-right: 1px solid #0f1113; }
QFrame#masterStrip { background: @master; border-left: 1px solid #0c0d0f; }
QFrame#panel { background: #1d2025; border: 1px solid #0f1113; border-radius: 4px; }
QFrame#toolbar { background: #1d2025; border-bottom: 1px solid #0c0d0f; }
QLabel#sectionTitle { color: #8e97a2; }
QLabel#hint, QLabel#dim { color: #8e97a2; }
QLabel#notice, QLabel#mixerMessage { color: #e0a23c; }
QLabel#stripName { color: #eef0f3; background: #262a30; border-top: 1px solid #0f1113;
                   padding: 0 2px; }
QLabel#loudValue { color: #eef0f3; }
QPushButton#sb, QPushButton#on, QPushButton#mute, QPushButton#solo, QPushButton#arm,
QPushButton#pb, QPushButton#source, QPushButton#listen, QPushButton#cut,
QPushButton#clearSolo, QPushButton#delete, QPushButton#talkback {
    min-width: 0; padding: 0 3px; background: #2a2e35; color: #b8bfc8;
    border: 1px solid #363c45; border-radius: 3px; font-size: 7.5pt; }
QPushButton#pb, QPushButton#source, QPushButton#listen, QPushButton#cut,
QPushButton#clearSolo, QPushButton#delete { font-size: 8pt; }
QPushButton#talkback { font-size: 9pt; font-weight: 600; }
QPushButton#sb:hover, QPushButton#pb:hover, QPushButton#source:hover,
QPushButton#listen:hover { background: #333842; }
QPushButton#sb:checked, QPushButton#pb:checked, QPushButton#source:checked,
QPushButton#listen:checked { background: #e0a23c; color: #15171a; border-color: #e0a23c; }
QPushButton#mute:checked { background: #d9843c; color: #15171a; border-color: #d9843c; }
QPushButton#on:checked { background: #5fb58a; color: #15171a; border-color: #5fb58a; }
QPushButton#solo:checked { background: #e8c94a; color: #15171a; border-color: #e8c94a; }
QPushButton#arm:checked, QPushButton#cut:checked, QPushButton#talkback:checked {
    background: #d9534f; color: #15171a; border-color: #d9534f; }
QPushButton#clearSolo[active="true"] { background: #e8c94a; color: #15171a; }
QPushButton:disabled { color: #5e6670; }
QToolButton#inputButton, QToolButton#automationButton {
    background: #111316; color: #b8bfc8; border: 1px solid #2d323a; border-radius: 3px;
    font-size: 7.5pt; padding: 0 2px; }
QToolButton#inputButton::menu-indicator, QToolButton#automationButton::menu-indicator {
    image: none; width: 0; }
QLineEdit#dbField { background: #0f1113; border: 1px solid #2d323a; border-radius: 3px;
                    color: #eef0f3; padding: 0; }
QLineEdit#cueName { background: #111316; border: 1px solid #2d323a; border-radius: 3px;
                    padding: 1px 4px; }
QComboBox { background: #111316; border: 1px solid #2d323a; border-radius: 3px;
            padding: 1px 6px; min-height: 18px; }
QCheckBox { color: #b8bfc8; }
QDialog#cueEditor, QDialog#eqEditor { background: #15171a; }
""".replace("@strip", STRIP_BG).replace("@master", MASTER_BG)


# Edits that change one strip's own settings (not which strips there are).
_ONE_STRIP = (E.RenameTrack, E.SetTrackColour, E.SetArmed, E.SetRecordSafe, E.SetMonitor,
              E.SetInput, SetAutomationMode)


def _history(undo: UndoMirror | EditHistory) -> EditHistory:
    return undo.history if isinstance(undo, UndoMirror) else undo


class MixerWindow(QWidget):
    """The mixer; give it the open project, its history (or the UndoMirror) and the engine.

    With `folder`, structural changes reload the engine (see `binder`); pass
    `bind_engine=False` when something else already forwards the history to the engine.
    Reading the engine's feedback restarts its meters' hold, so there should be one
    reader: with `poll=False` the window reads nothing and its owner, which already reads
    feedback for the transport, hands each Feedback to `show_feedback`.
    """

    def __init__(
        self,
        project: Project,
        undo: UndoMirror | EditHistory,
        engine: Engine | None,
        folder: str | Path | None = None,
        parent: QWidget | None = None,
        bind_engine: bool = True,
        poll: bool = True,
        meter_hz: float = METER_HZ,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.project = project
        self.history = _history(undo)
        if self.history.project is not project:
            raise ValueError("The history belongs to another project.")
        self.engine = engine
        self.setObjectName("mixer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setWindowTitle(f"Mixer — {project.name}")
        self.setStyleSheet(STYLE)
        self.resize(1400, 860)
        self.binder = (EngineBinder(self.history, engine, folder, self)
                       if engine is not None and bind_engine else None)
        if self.binder is not None:
            self.binder.problem.connect(self.report)
        self.strips: dict[str, ChannelStrip] = {}
        self.cue_editors: dict[str, CueEditor] = {}
        self.eq_editors: dict[str, EqEditor] = {}
        self._narrow = False
        self._order: list[str] = []
        self._last_tick = time.monotonic()
        self.ctx = StripContext(project, self.history.apply, self.history.close_merge,
                                self.report, self.open_eq, self._inputs())
        if self.binder is not None:
            self.ctx.touch = self.binder.touch
            self.ctx.ride = self.binder.ride
            self.ctx.heard = self.binder.heard
        self.cue_ctx = CueContext(project, self.history.apply, self.history.close_merge,
                                  self.report, self._listen, self._outputs, ask(self))
        self._build()
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(0)
        self._sync_timer.timeout.connect(self.sync)
        self._unsubscribe = once(self.history.subscribe(self._on_change))
        self.destroyed.connect(self._unsubscribe)
        self.sync()
        self.meter_timer = QTimer(self)
        self.meter_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.meter_timer.setInterval(max(1, int(1000 / meter_hz)))
        self.meter_timer.timeout.connect(self.tick)
        self._poll = engine is not None and poll
        if self._poll:
            self.meter_timer.start()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        bar = QFrame()
        bar.setObjectName("toolbar")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(10, 4, 10, 4)
        title = QLabel("Mixer")
        title.setFont(ui_font(10.5, ui_font().Weight.DemiBold))
        bar_layout.addWidget(title)
        self.narrow_button = QPushButton("Narrow strips")
        self.narrow_button.setObjectName("pb")
        self.narrow_button.setCheckable(True)
        self.narrow_button.setFixedHeight(22)
        self.narrow_button.setToolTip("Show more strips at once (hides the processing controls)")
        self.narrow_button.toggled.connect(self.set_narrow)
        bar_layout.addWidget(self.narrow_button)
        self.message = QLabel()
        self.message.setObjectName("mixerMessage")
        self.message.setFont(ui_font(9))
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar_layout.addWidget(self.message, 1)
        root.addWidget(bar)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.clear)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        root.addLayout(body, 1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.strips_host = QWidget()
        self.strips_host.setObjectName("strips")
        self.strips_box = QHBoxLayout(self.strips_host)
        self.strips_box.setContentsMargins(0, 0, 0, 0)
        self.strips_box.setSpacing(1)
        self.strips_box.addStretch(1)
        self.scroll.setWidget(self.strips_host)
        body.addWidget(self.scroll, 1)
        self.master_host = QVBoxLayout()
        self.master_host.setContentsMargins(0, 0, 0, 0)
        body.addSpacing(6)
        body.addLayout(self.master_host)
        body.addStretch(0)

        side = QWidget()
        side.setFixedWidth(SIDE_WIDTH)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 8, 8, 8)
        side_layout.setSpacing(8)
        self.control_room = ControlRoomPanel(self.project, self.history.apply,
                                             self.history.close_merge, self.report,
                                             self.talkback, self._inputs)
        self.cues = CuePanel(self.cue_ctx, self.open_cue)
        self.loudness = LoudnessPanel(self.engine)
        side_layout.addWidget(self.control_room)
        side_layout.addWidget(self.cues)
        side_layout.addWidget(self.loudness)
        side_layout.addStretch(1)
        side_scroll = QScrollArea()
        side_scroll.setWidgetResizable(True)
        side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setFixedWidth(SIDE_WIDTH + 12)
        side_scroll.setWidget(side)
        body.addWidget(side_scroll)

    # -- the engine ------------------------------------------------------------------------

    def _outputs(self) -> int | None:
        backend = self.engine.backend if self.engine is not None else None
        return getattr(backend, "outputs", None)

    def _inputs(self) -> int:
        backend = self.engine.backend if self.engine is not None else None
        return int(getattr(backend, "inputs", 8) or 8)

    def talkback(self, held: bool) -> None:
        """Talk to the chosen cues while `held` (the control room dims meanwhile)."""
        if self.engine is None:
            return
        try:
            self.engine.set_control_room(talkback_held=held)
        except Exception as e:  # noqa: BLE001 (the engine's refusal is shown, not raised)
            self.report(f"Talkback is not available: {e}")

    def tick(self) -> None:
        """Read the engine's feedback once and show it on every meter."""
        now = time.monotonic()
        dt = min(now - self._last_tick, 0.5)
        self._last_tick = now
        if self.engine is None:
            return
        feedback = self.engine.read_feedback()
        self.show_feedback(feedback, dt)

    def show_feedback(self, feedback: Any, dt: float) -> None:
        """Show one Feedback (levels measured over the last `dt` seconds) on the meters."""
        meters = feedback.meters
        reductions = getattr(feedback, "gain_reduction", None)
        for track_id, strip in self.strips.items():
            m = meters.get(track_id)
            if m is None:
                strip.meter.set_levels(0.0, 0.0, dt)
            else:
                strip.meter.set_levels(m.peak, m.rms, dt)
            if reductions is not None:
                strip.gr.set_reduction(reductions.get(track_id))
        cue_meters = getattr(feedback, "cue_meters", None)
        if cue_meters is not None:
            for cue_id, editor in self.cue_editors.items():
                m = cue_meters.get(cue_id)
                if m is not None:
                    editor.meter.set_levels(m.peak, m.rms, dt)
        self.loudness.show_feedback(feedback)

    # -- following the history -----------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.edit is None:
            return
        self._follow(change.edit)

    def _follow(self, edit: Edit) -> None:
        if isinstance(edit, E.Compound):
            for part in edit.edits:
                self._follow(part)
        elif isinstance(edit, E.SetParam | SetStripParams) and edit.track_id in self.strips:
            self.strips[edit.track_id].refresh()
            if edit.track_id in self.eq_editors:
                self.eq_editors[edit.track_id].refresh()
            paths = edit.paths if isinstance(edit, SetStripParams) else [edit.path]
            if "solo" in paths:
                self.control_room.refresh()
        elif isinstance(edit, E.SetCueSend | E.SetCueParam):
            editor = self.cue_editors.get(edit.cue_id)
            if editor is not None:
                strip = editor.strips.get(getattr(edit, "track_id", ""))
                if strip is not None:
                    strip.refresh()
                else:
                    editor.refresh()
            if isinstance(edit, E.SetCueParam):
                self.control_room.refresh()
        elif isinstance(edit, _ONE_STRIP) and edit.track_id in self.strips:
            self.strips[edit.track_id].refresh()
        elif isinstance(edit, E.AddCue | E.RemoveCue | E.RenameCue | E.SetCueOutput):
            self._sync_cues()
        elif isinstance(edit, SetControlRoom):
            self.control_room.refresh()
            self.cues.refresh()
            for editor in self.cue_editors.values():
                editor.listen.setChecked(self.project.control_room.source == editor.cue_id)
        else:
            self._sync_timer.start()

    def sync(self) -> None:
        """Show the whole project again: strips in track order, panels, open editors."""
        order = [t.id for t in self.project.all_tracks()]
        if order != self._order:
            self._rebuild_strips(order)
        else:
            for strip in self.strips.values():
                strip.refresh()
        slots = max((len(t.strip.sends) for t in self.project.all_tracks()), default=0)
        for strip in self.strips.values():
            strip.set_send_slots(slots)
        self._sync_cues()
        track_ids = set(order)
        for track_id in list(self.eq_editors):
            if track_id not in track_ids:
                self.eq_editors.pop(track_id).close()
            else:
                self.eq_editors[track_id].refresh()
        self.setWindowTitle(f"Mixer — {self.project.name}")

    def _sync_cues(self) -> None:
        self.control_room.refresh()
        self.cues.refresh()
        cue_ids = {c.id for c in self.project.cues}
        for cue_id in list(self.cue_editors):
            if cue_id not in cue_ids:
                self.cue_editors.pop(cue_id).close()
            else:
                self.cue_editors[cue_id].refresh()

    def _rebuild_strips(self, order: list[str]) -> None:
        kept = {tid: s for tid, s in self.strips.items() if tid in order}
        for tid, strip in self.strips.items():
            if tid not in kept:
                strip.setParent(None)
                strip.deleteLater()
        self.strips = {}
        master_id = self.project.master.id
        for i, tid in enumerate(order):
            strip = kept.get(tid) or ChannelStrip(self.ctx, tid)
            strip.set_narrow(self._narrow)
            if tid == master_id:
                self.master_host.addWidget(strip)
            else:
                self.strips_box.insertWidget(i, strip)
            if tid in kept:
                strip.refresh()
            self.strips[tid] = strip
        self._order = order
        self._fit_scroll()

    # -- actions -------------------------------------------------------------------------

    def report(self, text: str) -> None:
        """Say something to the user in the mixer's message line."""
        self.message.setText(text)
        self.message.setToolTip(text)
        self._message_timer.start(MESSAGE_MS)

    def _fit_scroll(self) -> None:
        """Let the strips take only the width they need, so the master sits right after
        them; with more strips than fit, the area scrolls and the master stays pinned."""
        self.strips_host.adjustSize()
        width = self.strips_host.sizeHint().width() + 2 * self.scroll.frameWidth()
        self.scroll.setMaximumWidth(width)

    def set_narrow(self, narrow: bool) -> None:
        self._narrow = narrow
        for strip in self.strips.values():
            strip.set_narrow(narrow)
        self._fit_scroll()
        if self.narrow_button.isChecked() != narrow:
            self.narrow_button.setChecked(narrow)

    def _listen(self, source: str) -> None:
        self.control_room.listen(source)

    def open_cue(self, cue_id: str) -> CueEditor:
        return _open_once(self.cue_editors, cue_id,
                          lambda: CueEditor(self.cue_ctx, cue_id, self))

    def open_eq(self, track_id: str) -> EqEditor:
        return _open_once(self.eq_editors, track_id, lambda: EqEditor(
            self.project.track(track_id), self.project.sample_rate, self.history.apply,
            self.history.close_merge, self))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        if self._poll and not self.meter_timer.isActive():
            self._last_tick = time.monotonic()
            self.meter_timer.start()
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.meter_timer.stop()
        if self.control_room.talk.talking:
            self.talkback(False)
        super().closeEvent(event)

    def detach(self) -> None:
        """Stop following the history and the engine (before the project goes away)."""
        self.meter_timer.stop()
        self._unsubscribe()
        if self.binder is not None:
            self.binder.detach()


def _open_once(editors: dict[str, D], key: str, make: Callable[[], D]) -> D:
    """Show and raise the editor kept under `key` in `editors`, made by `make` (in the
    mixer's style) when there is none; it leaves `editors` when it closes."""
    editor = editors.get(key)
    if editor is None:
        editor = make()
        editor.setStyleSheet(STYLE)
        editor.finished.connect(lambda _r, k=key: editors.pop(k, None))
        editors[key] = editor
    editor.show()
    editor.raise_()
    return editor

"""A channel strip: one track, bus or the master, top to bottom in signal-flow order.

Input and trim, polarity, high-pass, the EQ curve (click to edit), gate and compressor
with a gain-reduction bar, drive, sends with pre/post (right click one to remove it), pan,
the fader with its meter, mute, solo, record-arm, monitor and automation modes, and the
name and colour.

Every control changes the project through an edit applied to the history (a drag is
one undo step: the merge is closed when the mouse goes down and when it comes up),
except a fader or knob move while the engine writes that parameter as automation: the
strip offers each move to the binder first (`StripContext.ride`), which then plays it
as automation only, and the pass becomes the undo step. The strip never talks to the
engine itself. `refresh()` shows the project's values again,
which the window calls after any change, undo and redo included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QColorDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.session import edits as E
from app.session.automation import lane_value
from app.session.edits import AddSend, Edit, EditError, RemoveSend, SetAutomationMode
from app.session.model import AutomationMode, MonitorMode, Project, Track, TrackKind
from app.ui.mixer.eq import EqCurve
from app.ui.mixer.widgets import (
    MASTER_BG,
    DbField,
    Fader,
    Knob,
    Meter,
    ReductionBar,
    format_db,
)
from app.ui.theme import ui_font

WIDE = 112
NARROW = 76
_MONITOR_TEXT = {MonitorMode.AUTO: "Auto", MonitorMode.INPUT: "Input", MonitorMode.OFF: "Off"}
_AUTOMATION_TEXT = {m: m.value.capitalize() for m in AutomationMode}


@dataclass
class StripContext:
    """What a strip needs from its window: the project and how to change it."""

    project: Project
    apply: Callable[[Edit], bool]  # EditHistory.apply: raises EditError when refused
    close_merge: Callable[[], None]
    report: Callable[[str], None]  # tell the user something in a sentence
    open_eq: Callable[[str], None]  # open the EQ editor of a track id
    inputs: int = 8  # device input channels to offer
    learn: Callable[[str, str], None] | None = None  # MIDI learn for (track id, path)
    touch: Callable[[str, str, bool], None] | None = None  # EngineBinder.touch
    ride: Callable[[str, str, Any], bool] | None = None  # EngineBinder.ride
    heard: Callable[[str, str], float | None] | None = None  # EngineBinder.heard


def _db(v: float) -> str:
    return f"{format_db(v)} dB"


def _hz(v: float) -> str:
    return f"{v / 1000:.2g}k" if v >= 1000 else f"{v:.0f}"


def _pan_text(v: float) -> str:
    if abs(v) < 0.005:
        return "C"
    return f"{'L' if v < 0 else 'R'}{abs(v) * 100:.0f}"


def _popup_button(name: str, tip: str) -> QToolButton:
    """A strip-wide button that opens its menu at once."""
    b = QToolButton()
    b.setObjectName(name)
    b.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    b.setFixedHeight(18)
    b.setToolTip(tip)
    return b


def _button(text: str, name: str = "sb", tip: str = "", checkable: bool = True) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setCheckable(checkable)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.setFixedHeight(18)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if tip:
        b.setToolTip(tip)
    return b


class ColourChip(QWidget):
    """The track colour across the top of the strip; click to choose another."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour = QColor("#4f9dde")
        self.setFixedHeight(5)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Track colour: click to change")

    def set_colour(self, colour: str) -> None:
        self._colour = QColor(colour)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.clicked.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), self._colour)
        p.end()


class NameLabel(QStackedWidget):
    """The strip's name; double-click to rename in place."""

    renamed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setObjectName("stripName")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setFont(ui_font(8.5, ui_font().Weight.DemiBold))
        self.label.setToolTip("Double-click to rename")
        self.edit = QLineEdit()
        self.edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.edit.editingFinished.connect(self._finish)
        self.addWidget(self.label)
        self.addWidget(self.edit)
        self.setFixedHeight(20)

    def set_name(self, name: str) -> None:
        self.label.setText(name)
        self.label.setToolTip(f"{name}: double-click to rename")

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.edit.setText(self.label.text())
        self.setCurrentWidget(self.edit)
        self.edit.setFocus()
        self.edit.selectAll()

    def _finish(self) -> None:
        if self.currentWidget() is not self.edit:
            return
        self.setCurrentWidget(self.label)
        text = self.edit.text().strip()
        if text != self.label.text():
            self.renamed.emit(text)


class ChannelStrip(QFrame):
    """One strip of the mixer; see the module docstring."""

    def __init__(self, ctx: StripContext, track_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.track_id = track_id
        track = self.track
        self.kind = track.kind
        self.setObjectName("masterStrip" if self.kind is TrackKind.MASTER else "strip")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self._details: list[QWidget] = []  # hidden when the strip is narrow
        self._narrow = False
        self._send_rows: list[tuple[Knob, QPushButton]] = []
        self._build()
        self.set_narrow(False)
        self.refresh()

    @property
    def track(self) -> Track:
        return self.ctx.project.track(self.track_id)

    # -- building --------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 4)
        outer.setSpacing(3)
        self.chip = ColourChip()
        self.chip.clicked.connect(self._choose_colour)
        outer.addWidget(self.chip)
        body = QVBoxLayout()
        body.setContentsMargins(4, 0, 4, 0)
        body.setSpacing(3)
        outer.addLayout(body, 1)
        audio = self.kind is TrackKind.AUDIO
        master = self.kind is TrackKind.MASTER

        # input stage
        self.input_button = _popup_button("inputButton", "Input channels")
        menu = QMenu(self.input_button)
        menu.aboutToShow.connect(lambda: self._fill_input_menu(menu))
        self.input_button.setMenu(menu)
        if audio:
            body.addWidget(self.input_button)
            self._details.append(self.input_button)
        else:
            self.input_button.hide()
            body.addWidget(self._blank())
        row = QHBoxLayout()
        row.setSpacing(2)
        self.invert = _button("Ø", tip="Polarity invert")
        self.invert.clicked.connect(lambda on: self._set("invert", on, close=True))
        self.hpf_on = _button("HPF", tip="High-pass filter")
        self.hpf_on.clicked.connect(lambda on: self._set("hpf_on", on, close=True))
        row.addWidget(self.invert)
        row.addWidget(self.hpf_on)
        body.addLayout(row)
        knobs = QHBoxLayout()
        knobs.setSpacing(0)
        self.trim = self._knob("Trim", -24.0, 24.0, 0.0, _db, "trim_db", bipolar=True)
        self.hpf_freq = self._knob("HPF", 20.0, 1000.0, 80.0, _hz, "hpf_freq", log=True)
        knobs.addWidget(self.trim)
        knobs.addWidget(self.hpf_freq)
        self._details += [self.invert, self.hpf_on, self.trim, self.hpf_freq]
        body.addLayout(knobs)

        # EQ
        eq_row = QHBoxLayout()
        eq_row.setSpacing(2)
        self.eq_on = _button("EQ", tip="EQ on/off")
        self.eq_on.setFixedWidth(26)
        self.eq_on.clicked.connect(lambda on: self._set("eq_on", on, close=True))
        self.eq_curve = EqCurve(self.ctx.project.sample_rate)
        self.eq_curve.setFixedHeight(34)
        self.eq_curve.clicked.connect(lambda: self.ctx.open_eq(self.track_id))
        eq_row.addWidget(self.eq_on)
        eq_row.addWidget(self.eq_curve, 1)
        body.addLayout(eq_row)

        # dynamics and drive
        row = QHBoxLayout()
        row.setSpacing(2)
        self.gate_on = _button("Gate", tip="Gate on/off")
        self.gate_on.clicked.connect(lambda on: self._set("gate_on", on, close=True))
        self.comp_on = _button("Comp", tip="Compressor on/off")
        self.comp_on.clicked.connect(lambda on: self._set("comp_on", on, close=True))
        self.drive_on = _button("Drv", tip="Drive (saturation) on/off")
        self.drive_on.clicked.connect(lambda on: self._set("drive_on", on, close=True))
        for b in (self.gate_on, self.comp_on, self.drive_on):
            row.addWidget(b)
        body.addLayout(row)
        grid = QGridLayout()
        grid.setSpacing(0)
        self.gate_thr = self._knob("Gate", -80.0, 0.0, -50.0, _db, "gate_threshold_db")
        self.gate_thr.setToolTip("Gate threshold")
        self.comp_thr = self._knob("Comp", -60.0, 0.0, -18.0, _db, "comp_threshold_db")
        self.comp_ratio = self._knob("Ratio", 1.0, 20.0, 4.0, lambda v: f"{v:.1f}:1",
                                     "comp_ratio", log=True)
        self.drive = self._knob("Drive", 0.0, 24.0, 0.0, _db, "drive_db")
        grid.addWidget(self.gate_thr, 0, 0)
        grid.addWidget(self.comp_thr, 0, 1)
        grid.addWidget(self.comp_ratio, 1, 0)
        grid.addWidget(self.drive, 1, 1)
        body.addLayout(grid)
        self.gr = ReductionBar()
        body.addWidget(self.gr)
        self._details += [self.gate_on, self.comp_on, self.gate_thr, self.comp_thr,
                          self.comp_ratio, self.drive, self.drive_on]

        # sends, in a box as tall as the most sends any strip has, so faders line up
        self.sends_host = QWidget()
        self.sends_box = QVBoxLayout(self.sends_host)
        self.sends_box.setContentsMargins(0, 0, 0, 0)
        self.sends_box.setSpacing(0)
        self.sends_box.addStretch(1)
        self.add_send = QToolButton()
        self.add_send.setObjectName("inputButton")
        self.add_send.setText("+ Send")
        self.add_send.setToolTip("Send this strip to an aux bus")
        self.add_send.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_send.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.add_send.setFixedHeight(18)
        send_menu = QMenu(self.add_send)
        send_menu.aboutToShow.connect(lambda: self._fill_send_menu(send_menu))
        self.add_send.setMenu(send_menu)
        self.sends_box.addWidget(self.add_send)
        self.add_send.setVisible(not master)
        body.addWidget(self.sends_host)
        self._details.append(self.sends_host)

        # pan, fader, meter: the fader takes whatever height the window has to spare
        self.pan = self._knob("Pan", -1.0, 1.0, 0.0, _pan_text, "pan", bipolar=True, step=0.01)
        pan_row = QHBoxLayout()
        pan_row.addStretch(1)
        pan_row.addWidget(self.pan)
        pan_row.addStretch(1)
        body.addLayout(pan_row)
        fader_row = QHBoxLayout()
        fader_row.setSpacing(2)
        self.fader = Fader()
        self.fader.pressed.connect(self.ctx.close_merge)
        self.fader.touched.connect(lambda on: self._touch("fader_db", on))
        self.fader.moved.connect(lambda db: self._move("fader_db", db))
        self.fader.released.connect(self.ctx.close_merge)
        self.meter = Meter()
        self.meter.setMinimumWidth(28)
        if master:
            self.meter.set_background(MASTER_BG)
        fader_row.addStretch(1)
        fader_row.addWidget(self.fader)
        fader_row.addWidget(self.meter)
        fader_row.addStretch(1)
        body.addLayout(fader_row, 6)
        self.db_field = DbField()
        self.db_field.setFixedHeight(18)
        self.db_field.typed.connect(lambda db: self._set("fader_db", db, close=True))
        self.db_field.refused.connect(self.ctx.report)
        body.addWidget(self.db_field)

        # switches
        row = QHBoxLayout()
        row.setSpacing(2)
        self.mute = _button("M", "mute", "Mute")
        self.mute.clicked.connect(lambda on: self._set("mute", on, close=True))
        self.solo = _button("S", "solo", "Solo")
        self.solo.clicked.connect(lambda on: self._set("solo", on, close=True))
        row.addWidget(self.mute)
        if not master:
            row.addWidget(self.solo)
        else:
            self.solo.hide()
        body.addLayout(row)
        row = QHBoxLayout()
        row.setSpacing(2)
        self.arm = _button("R", "arm", "Record-arm")
        self.arm.clicked.connect(self._arm)
        self.monitor = _button("Auto", "sb", "Input monitoring: Auto, Input, Off (click to cycle)",
                               checkable=False)
        self.monitor.clicked.connect(self._cycle_monitor)
        if audio:
            row.addWidget(self.arm)
            row.addWidget(self.monitor)
            body.addLayout(row)
        else:
            self.arm.hide()
            self.monitor.hide()
            body.addWidget(self._blank(detail=False))
        self.automation = _popup_button("automationButton", "Automation mode")
        auto_menu = QMenu(self.automation)
        for mode in AutomationMode:
            auto_menu.addAction(_AUTOMATION_TEXT[mode],
                                lambda m=mode: self._apply(SetAutomationMode(self.track_id, m)))
        self.automation.setMenu(auto_menu)
        body.addWidget(self.automation)
        self.name = NameLabel()
        self.name.renamed.connect(lambda n: self._apply(E.RenameTrack(self.track_id, n)))
        outer.addWidget(self.name)
        self._details += [self.automation]
        self._showing_lanes = False
        for widget, path in ((self.fader, "fader_db"), (self.pan, "pan"), (self.trim, "trim_db"),
                             (self.mute, "mute"), (self.solo, "solo"), (self.drive, "drive_db")):
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(
                lambda pos, p=path, w=widget: self.control_menu(p).exec(w.mapToGlobal(pos)))

    def control_menu(self, path: str) -> QMenu:
        """Right-click on a control: MIDI learn it, or forget its mapping."""
        menu = QMenu(self)
        learn = menu.addAction("MIDI learn", lambda: self.ctx.learn(self.track_id, path))
        learn.setEnabled(self.ctx.learn is not None)
        mapped = [m for m in self.ctx.project.midi_mappings
                  if m.target == self.track_id and m.param == path]
        forget = menu.addAction("Remove MIDI mapping", lambda: [
            self._apply(E.RemoveMidiMapping(m.id)) for m in mapped])
        forget.setEnabled(bool(mapped))
        return menu

    def show_automation(self, frame: int | None) -> None:
        """While rolling (`frame` is the play position), show what the strip's lanes play
        in a reading mode, whatever was dragged; None shows the strip's own values again.
        In Touch and Latch, a control let go shows what the engine plays (the value a
        Latch holds after release, a Touch gliding back), where the engine says."""
        track = self.track
        heard = self.ctx.heard if track.automation_mode in (
            AutomationMode.TOUCH, AutomationMode.LATCH) else None
        lanes = [] if frame is None or track.automation_mode not in (
            AutomationMode.READ, AutomationMode.TOUCH, AutomationMode.LATCH) else [
            lane for lane in track.automation if lane.points]
        if not lanes:
            if self._showing_lanes:
                self._showing_lanes = False
                self.refresh()
            return
        self._showing_lanes = True
        for lane in lanes:
            value = lane_value(lane, frame)
            now = heard(self.track_id, lane.param) if heard is not None else None
            if now is not None:
                value = now
            if lane.param == "fader_db" and not self.fader.held:  # a held one writes
                self.fader.set_value(value)
                self.db_field.set_value(value)
            elif lane.param == "pan" and not self.pan.held:
                self.pan.set_value(value)
            elif lane.param == "trim_db" and not self.trim.held:
                self.trim.set_value(value)
            elif lane.param == "drive_db" and not self.drive.held:
                self.drive.set_value(value)
            elif lane.param == "mute":
                self.mute.setChecked(value >= 0.5)

    def _blank(self, detail: bool = True) -> QWidget:
        """An empty row where an audio track has a control, so all strips line up."""
        blank = QWidget()
        blank.setFixedHeight(18)
        if detail:
            self._details.append(blank)
        return blank

    def _knob(self, caption: str, low: float, high: float, default: float,
              fmt: Callable[[float], str], path: str, **options: Any) -> Knob:
        knob = Knob(caption, low, high, default, fmt, **options)
        knob.pressed.connect(self.ctx.close_merge)
        knob.touched.connect(lambda on: self._touch(path, on))
        knob.moved.connect(lambda v: self._move(path, v))
        knob.released.connect(self.ctx.close_merge)
        return knob

    def _rebuild_sends(self, track: Track) -> None:
        if len(self._send_rows) == len(track.strip.sends):
            return
        while self.sends_box.count() > 2:
            item = self.sends_box.takeAt(0)
            if item.layout() is not None:
                while item.layout().count():
                    w = item.layout().takeAt(0).widget()
                    if w is not None:
                        w.deleteLater()
        self._send_rows = []
        for k in range(len(track.strip.sends)):
            row = QHBoxLayout()
            row.setSpacing(2)
            knob = self._knob("Send", -60.0, 6.0, 0.0, _db, f"sends.{k}.level_db")
            pre = _button("Pre", "sb", "Pre-fader send (off: post-fader)")
            pre.setFixedWidth(30)
            pre.clicked.connect(lambda on, k=k: self._set(f"sends.{k}.pre", on, close=True))
            for widget in (knob, pre):
                widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                widget.customContextMenuRequested.connect(
                    lambda pos, k=k, w=widget: self.send_menu(k).exec(w.mapToGlobal(pos)))
            row.addWidget(knob)
            row.addWidget(pre)
            self.sends_box.insertLayout(k, row)
            self._send_rows.append((knob, pre))

    # -- changing the project ---------------------------------------------------------

    def _apply(self, edit: Edit) -> bool:
        try:
            self.ctx.apply(edit)
            return True
        except EditError as e:
            self.ctx.report(str(e))
            self.refresh()
            return False

    def _touch(self, path: str, on: bool) -> None:
        if self.ctx.touch is not None:
            self.ctx.touch(self.track_id, path, on)

    def _move(self, path: str, value: Any) -> None:
        """A drag or wheel step: automation only while the engine writes the parameter
        (the static value stays), an edit otherwise."""
        if self.ctx.ride is not None and self.ctx.ride(self.track_id, path, value):
            return
        self._set(path, value)

    def _set(self, path: str, value: Any, close: bool = False) -> None:
        if close:
            self.ctx.close_merge()
        self._apply(E.SetParam(self.track_id, path, value))
        if close:
            self.ctx.close_merge()

    def _arm(self, on: bool) -> None:
        self.ctx.close_merge()
        self._apply(E.SetArmed(self.track_id, on))

    def _cycle_monitor(self) -> None:
        modes = list(MonitorMode)
        current = MonitorMode(self.track.monitor)
        self._apply(E.SetMonitor(self.track_id, modes[(modes.index(current) + 1) % len(modes)]))

    def _choose_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(self.track.colour), self, "Track colour")
        if colour.isValid():
            self._apply(E.SetTrackColour(self.track_id, colour.name()))

    def _fill_send_menu(self, menu: QMenu) -> None:
        menu.clear()
        used = {s.bus for s in self.track.strip.sends}
        buses = [b for b in self.ctx.project.buses() if b.id != self.track_id]
        for bus in buses:
            action = menu.addAction(bus.name, lambda b=bus.id: self._apply(AddSend(self.track_id,
                                                                                    b)))
            action.setEnabled(bus.id not in used)
        if not buses:
            menu.addAction("No aux buses yet").setEnabled(False)

    def send_menu(self, index: int) -> QMenu:
        """The context menu of send row `index` (right click on its knob or Pre button)."""
        menu = QMenu(self)
        menu.addAction("Remove send", lambda: self._remove_send(index))
        return menu

    def _remove_send(self, index: int) -> None:
        self.ctx.close_merge()
        self._apply(RemoveSend(self.track_id, index))

    def _fill_input_menu(self, menu: QMenu) -> None:
        menu.clear()
        menu.addAction("No input", lambda: self._apply(E.SetInput(self.track_id, [])))
        n = max(1, self.ctx.inputs)
        mono = menu.addMenu("Mono")
        for ch in range(n):
            mono.addAction(f"In {ch + 1}", lambda ch=ch: self._apply(E.SetInput(self.track_id,
                                                                               [ch])))
        stereo = menu.addMenu("Stereo")
        for ch in range(0, n - 1, 2):
            stereo.addAction(f"In {ch + 1}-{ch + 2}",
                             lambda ch=ch: self._apply(E.SetInput(self.track_id, [ch, ch + 1])))

    # -- showing the project -----------------------------------------------------------

    def set_narrow(self, narrow: bool) -> None:
        self._narrow = narrow
        self.setFixedWidth(NARROW if narrow else WIDE)
        for w in self._details:
            w.setVisible(not narrow)

    def set_send_slots(self, slots: int) -> None:
        """Make room for `slots` sends (the most any strip in the mixer has)."""
        self.sends_host.setFixedHeight(slots * (Knob.SIZE + 13) + 20)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(NARROW if self._narrow else WIDE, 640)

    def refresh(self) -> None:
        """Show the project's current values (never emits edits)."""
        track = self.track
        s = track.strip
        self.chip.set_colour(track.colour)
        self.name.set_name(track.name)
        chans = track.input.channels
        if self.kind is TrackKind.AUDIO:
            self.input_button.setText("No input" if not chans else
                                      "In " + "-".join(str(c + 1) for c in chans))
        for button, on in ((self.invert, s.invert), (self.hpf_on, s.hpf_on),
                           (self.eq_on, s.eq_on), (self.gate_on, s.gate_on),
                           (self.comp_on, s.comp_on), (self.drive_on, s.drive_on),
                           (self.mute, s.mute), (self.solo, s.solo), (self.arm, track.armed)):
            button.setChecked(bool(on))
        self.trim.set_value(s.trim_db)
        self.hpf_freq.set_value(s.hpf_freq)
        self.hpf_freq.set_active(s.hpf_on)
        self.gate_thr.set_value(s.gate_threshold_db)
        self.gate_thr.set_active(s.gate_on)
        self.comp_thr.set_value(s.comp_threshold_db)
        self.comp_thr.set_active(s.comp_on)
        self.comp_ratio.set_value(s.comp_ratio)
        self.comp_ratio.set_active(s.comp_on)
        self.drive.set_value(s.drive_db)
        self.drive.set_active(s.drive_on)
        self.eq_curve.set_strip(s)
        self._rebuild_sends(track)
        for k, (knob, pre) in enumerate(self._send_rows):
            send = s.sends[k]
            try:
                bus = self.ctx.project.track(send.bus).name
            except KeyError:
                bus = "?"
            knob.caption = bus[:7]
            knob.set_value(send.level_db)
            knob.set_active(send.enabled)
            knob.setToolTip(f"Send to {bus}: {format_db(send.level_db)} dB")
            pre.setChecked(send.pre)
        self.pan.set_value(s.pan)
        self.fader.set_value(s.fader_db)
        self.db_field.set_value(s.fader_db)
        self.monitor.setText(_MONITOR_TEXT[MonitorMode(track.monitor)])
        self.automation.setText(_AUTOMATION_TEXT[AutomationMode(track.automation_mode)])
        self.arm.setEnabled(not track.record_safe)

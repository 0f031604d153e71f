"""The transport bar: play, stop, record, loop, punch, click, the clock, tempo and meter,
the engine's load and the audio device.

The bar shows state and asks; it changes nothing itself. The main window connects the
buttons, feeds `show_feedback` from its one feedback timer and `show_position` at the
display rate, and turns the clock's, tempo's and meter's requests into locates and edits.
"""

from __future__ import annotations

import math
import re
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.session.model import Project, TrackKind
from app.ui.arrange.grid import frames_per_beat
from app.ui.theme import mono_font, ui_font

BARS, CLOCK = "bars", "clock"
LOAD_WARN = 0.7
LATE_WARN_S = 3.0


def bars_text(project: Project, frame: int) -> str:
    """`bar|beat|tick` (1-based, 960 ticks a beat) for a timeline frame."""
    beat = frames_per_beat(project.sample_rate, project.tempo, project.meter_den)
    beats = max(0.0, frame) / beat
    whole = int(math.floor(beats + 1e-9))
    ticks = int((beats - whole) * 960)
    return f"{whole // project.meter_num + 1:3d}|{whole % project.meter_num + 1}|{ticks:03d}"


def clock_text(project: Project, frame: int) -> str:
    """`m:ss.mmm` (with hours when there are any) for a timeline frame."""
    ms = int(round(max(0, frame) * 1000 / project.sample_rate))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    head = f"{hours}:{minutes:02d}" if hours else f"{minutes:2d}"
    return f"{head}:{seconds:02d}.{millis:03d}"


def parse_position(project: Project, text: str, mode: str) -> int:
    """A timeline frame from what the user typed: `5`, `5|3`, `5.3.480` in bars mode;
    `83.5`, `1:23.5`, `1:02:03` in clock mode. ValueError with a sentence otherwise."""
    text = text.strip()
    if mode == BARS and re.fullmatch(r"\d+([|.:]\d+([|.:]\d+)?)?", text):
        parts = [int(p) for p in re.split(r"[|.:]", text)] + [1, 0]
        bar, beat_no, ticks = parts[0], parts[1], parts[2] if len(parts) > 4 else 0
        if bar < 1 or not 1 <= beat_no <= project.meter_num:
            raise ValueError(f"There is no bar {bar}, beat {beat_no} in "
                             f"{project.meter_num}/{project.meter_den}.")
        beat = frames_per_beat(project.sample_rate, project.tempo, project.meter_den)
        beats = (bar - 1) * project.meter_num + (beat_no - 1) + ticks / 960
        return int(round(beats * beat))
    if re.fullmatch(r"(\d+:){0,2}\d+(\.\d*)?", text):
        seconds = 0.0
        for part in text.split(":"):
            seconds = seconds * 60 + float(part)
        return int(round(seconds * project.sample_rate))
    example = "5|3" if mode == BARS else "1:23.5"
    raise ValueError(f"“{text}” is not a position; type it like {example}.")


class Clock(QLineEdit):
    """The big position display. A click switches bars|beats and min:sec; a double click
    (or typing after a click) edits it, and Enter asks to go there."""

    locate_requested = Signal(int)
    refused = Signal(str)
    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clock")
        self.mode = BARS
        self.project: Project | None = None
        self.frame = 0
        self.setFont(mono_font(15))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedWidth(170)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setToolTip("Click: bars|beats or min:sec. Double-click and type a position, "
                        "then Enter, to go there.")
        self._editing = False
        self.returnPressed.connect(self._commit)

    def show_frame(self, frame: int) -> None:
        self.frame = frame
        if self._editing or self.project is None:
            return
        text = (bars_text if self.mode == BARS else clock_text)(self.project, frame)
        if text != self.text():
            self.setText(text)

    def toggle_mode(self) -> None:
        self.mode = CLOCK if self.mode == BARS else BARS
        self.mode_changed.emit(self.mode)
        self.show_frame(self.frame)

    def start_editing(self) -> None:
        self._editing = True
        self.setFocus()
        self.selectAll()

    def locate_text(self, text: str) -> bool:
        """Go to the typed position; False (and `refused`) when it cannot be read."""
        if self.project is None:
            return False
        try:
            frame = parse_position(self.project, text, self.mode)
        except ValueError as e:
            self.refused.emit(str(e))
            return False
        self.locate_requested.emit(frame)
        return True

    def _commit(self) -> None:
        text = self.text()
        self._editing = False
        self.clearFocus()
        self.locate_text(text)
        self.show_frame(self.frame)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._editing and event.button() == Qt.MouseButton.LeftButton:
            self.toggle_mode()
            self.clearFocus()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.toggle_mode()  # undo the first click's switch
        self.start_editing()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self._editing = False
            self.clearFocus()
            self.show_frame(self.frame)
            return
        if not self._editing and event.text():
            self._editing = True
            self.clear()
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if self._editing:
            self._editing = False
            self.show_frame(self.frame)


def _button(text: str, tip: str, checkable: bool = False, name: str = "") -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.setObjectName(name or "transportButton")
    b.setFont(ui_font(11, ui_font().Weight.DemiBold))
    b.setMinimumSize(34, 30)
    return b


class TransportBar(QWidget):
    """See the module docstring. Buttons are public so the window can connect them."""

    tempo_requested = Signal(float)
    meter_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transport")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.project: Project | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.setSpacing(4)
        self.start_button = _button("⇤", "Return to start (Home)")
        self.stop_button = _button("■", "Stop (Space)")
        self.play_button = _button("▶", "Play (Space)", True, "playButton")
        self.record_button = _button("●", "Record (Shift+R): records on armed tracks", True,
                                     "recordButton")
        self.loop_button = _button("⟳", "Loop (L): drag the range on the ruler", True)
        self.punch_button = _button("⇥⇤", "Punch in/out: drag the range on the ruler", True)
        self.click_button = _button("♩", "Click (metronome)", True)
        for b in (self.start_button, self.stop_button, self.play_button, self.record_button):
            row.addWidget(b)
        row.addSpacing(10)
        for b in (self.loop_button, self.punch_button, self.click_button):
            row.addWidget(b)
        row.addSpacing(14)
        self.clock = Clock()
        row.addWidget(self.clock)
        row.addSpacing(14)
        self.tempo = QDoubleSpinBox(objectName="tempo")
        self.tempo.setRange(20.0, 400.0)
        self.tempo.setDecimals(2)
        self.tempo.setSuffix(" BPM")
        self.tempo.setKeyboardTracking(False)
        self.tempo.setToolTip("Tempo (undoable)")
        self.tempo.setFixedWidth(104)
        self.meter = QLineEdit(objectName="meter")
        self.meter.setFixedWidth(48)
        self.meter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.meter.setToolTip("Meter, such as 4/4 or 6/8 (undoable)")
        row.addWidget(self.tempo)
        row.addWidget(self.meter)
        row.addStretch(1)
        self.armed_label = QLabel(objectName="armedCount")
        self.load_label = QLabel(objectName="dspLoad")
        self.load_label.setFont(mono_font(9))
        self.load_label.setToolTip("DSP load of the audio callback, and late cycles "
                                   "(blocks that missed their deadline)")
        self.device_button = QPushButton(objectName="deviceButton")
        self.device_button.setFlat(True)
        self.device_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.device_button.setToolTip("Audio device: click for the audio settings")
        row.addWidget(self.armed_label)
        row.addSpacing(12)
        row.addWidget(self.load_label)
        row.addSpacing(12)
        row.addWidget(self.device_button)
        self.tempo.valueChanged.connect(self._tempo_changed)
        self.meter.editingFinished.connect(self._meter_edited)
        self._syncing = False
        self._late, self._late_at = 0, -LATE_WARN_S
        self.show_feedback_values(0.0, 0)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.clock.project = project
        self.refresh()

    def refresh(self) -> None:
        """Show the project's tempo, meter, loop, punch, click and armed tracks again."""
        p = self.project
        self.setEnabled(p is not None)
        if p is None:
            self.clock.setText("")
            self.armed_label.setText("")
            return
        self._syncing = True
        try:
            self.tempo.setValue(p.tempo)
            self.meter.setText(f"{p.meter_num}/{p.meter_den}")
            self.loop_button.setChecked(p.loop.enabled)
            self.punch_button.setChecked(p.punch.enabled)
            self.click_button.setChecked(p.click)
        finally:
            self._syncing = False
        armed = sum(1 for t in p.tracks if t.kind is TrackKind.AUDIO and t.armed)
        self.armed_label.setText(f"● {armed} armed" if armed else "no track armed")
        self.armed_label.setProperty("armed", bool(armed))
        self.armed_label.style().polish(self.armed_label)
        self.armed_label.setMinimumWidth(self.armed_label.sizeHint().width())
        self.clock.show_frame(self.clock.frame)

    def show_position(self, frame: int) -> None:
        self.clock.show_frame(frame)

    def show_transport(self, playing: bool, recording: bool) -> None:
        self.play_button.setChecked(playing)
        self.record_button.setChecked(recording)

    def show_feedback_values(self, load: float, late: int) -> None:
        """The load, and the late cycles since the engine started; it turns amber while
        the load is high or a cycle was late in the last few seconds."""
        now = time.monotonic()
        if late != self._late:
            self._late, self._late_at = late, now
        warn = load >= LOAD_WARN or now - self._late_at < LATE_WARN_S
        self.load_label.setText(f"DSP {load * 100:3.0f}%  late {late}")
        if self.load_label.property("warn") != warn:
            self.load_label.setProperty("warn", warn)
            self.load_label.style().polish(self.load_label)

    def show_device(self, text: str, ok: bool) -> None:
        self.device_button.setText(text)
        self.device_button.setProperty("fallback", not ok)
        self.device_button.style().polish(self.device_button)

    def _tempo_changed(self, value: float) -> None:
        if not self._syncing and self.project is not None and value != self.project.tempo:
            self.tempo_requested.emit(float(value))

    def _meter_edited(self) -> None:
        if self._syncing or self.project is None:
            return
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", self.meter.text())
        if m:
            num, den = int(m.group(1)), int(m.group(2))
            if (num, den) != (self.project.meter_num, self.project.meter_den):
                self.meter_requested.emit(num, den)
                return
        self.meter.setText(f"{self.project.meter_num}/{self.project.meter_den}")

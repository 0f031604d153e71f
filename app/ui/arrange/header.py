"""A track's header at the left of its lane: colour, name, arm, mute, solo, monitoring,
input, automation lanes and mode, a small level meter; drag it to reorder, drag its bottom
edge to resize; right-click for automation lanes and MIDI learn.

The header only asks: every change goes to the view's `header_edit`, which makes it an
edit in the window's history.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.session.automation import automatable_params
from app.session.model import AutomationMode, MonitorMode, Project, Track, TrackKind
from app.ui.arrange.automation import param_name
from app.ui.arrange.rename import inline_rename
from app.ui.theme import ui_font

HEADER_WIDTH = 232
STRIP_WIDTH = 5
RESIZE_PX = 5
MIN_HEIGHT, MAX_HEIGHT = 40, 400
MAX_INPUTS = 8


def describe_track(project: Project, track: Track) -> str:
    """One line under the name: what the track is and holds."""
    fader = track.strip.fader_db
    level = "0.0 dB" if abs(fader) < 0.05 else f"{fader:+.1f} dB".replace("-", "\u2212")
    if track.kind is TrackKind.BUS:
        return f"Bus · {track.bus_effect or 'aux'} · {level}"
    n = len(track.clips)
    channels = {project.media[c.media].channels for c in track.clips if c.media in project.media}
    kind = "stereo" if channels == {2} else "mono" if channels == {1} else "audio"
    takes = f" · {len(track.takes.takes)} takes" if track.takes.takes else ""
    clips = f"{n} clip{'s' if n != 1 else ''}"
    return f"{kind} · {clips}{takes} · {level} · {pan_label(track.strip.pan)}"


def pan_label(pan: float) -> str:
    """C, or L/R with a percentage, as engineers read a pan pot."""
    percent = round(abs(pan) * 100)
    if percent == 0:
        return "C"
    return f"{'L' if pan < 0 else 'R'}{percent}"


def input_choices(inputs: int) -> list[tuple[str, list[int]]]:
    """The input selector's entries: none, each mono input, each stereo pair."""
    out: list[tuple[str, list[int]]] = [("No input", [])]
    out += [(f"In {i + 1}", [i]) for i in range(inputs)]
    out += [(f"In {i + 1}+{i + 2}", [i, i + 1]) for i in range(0, inputs - 1, 2)]
    return out


class LevelMeter(QWidget):
    """A thin horizontal peak meter with a short fall-back."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(4)
        self.level_db = -120.0

    def set_peak(self, peak: float, dt: float) -> None:
        db = 20 * math.log10(peak) if peak > 1e-6 else -120.0
        fallen = self.level_db - 24.0 * dt  # 24 dB a second
        new = max(db, fallen)
        if abs(new - self.level_db) > 0.2:
            self.level_db = new
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#0d0f11"))
        frac = max(0.0, min(1.0, (self.level_db + 60.0) / 60.0))
        colour = "#d9534f" if self.level_db > -0.5 else "#e0a23c" if self.level_db > -9 \
            else "#5fb58a"
        p.fillRect(QRectF(0, 0, w * frac, h), QColor(colour))
        p.end()


def _toggle(text: str, tip: str, name: str) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(True)
    b.setObjectName(name)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.setFixedSize(22, 18)
    b.setFont(ui_font(7.5, ui_font().Weight.Bold))
    return b


class TrackHeader(QWidget):
    def __init__(self, project: Project, track: Track, parent: QWidget | None = None,
                 view=None, height: int | None = None, inputs: int = 2) -> None:
        super().__init__(parent)
        self.project = project
        self.track = track
        self.view = view
        self.setObjectName("trackHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setFixedSize(HEADER_WIDTH, height or track.height)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self._painted_colour = track.colour
        layout = QVBoxLayout(self)
        layout.setContentsMargins(STRIP_WIDTH + 10, 5, 8, 5)
        layout.setSpacing(3)
        top = QHBoxLayout()
        top.setSpacing(3)
        self.name_label = QLabel(track.name)
        self.name_label.setObjectName("trackName")
        self.name_label.setFont(ui_font(10, ui_font().Weight.DemiBold))
        self.name_label.setMinimumWidth(40)
        top.addWidget(self.name_label, 1)
        self.arm = _toggle("R", "Record arm", "armButton")
        self.mute = _toggle("M", "Mute", "muteButton")
        self.solo = _toggle("S", "Solo", "soloButton")
        self.takes_button = _toggle("T", "Show the takes (comp by swiping a take)", "takesButton")
        self.fold = _toggle("▾", "Fold the bus", "foldButton")
        self.lanes_button = _toggle("A", "Show automation lanes", "automationLanesButton")
        self.lanes_button.setCheckable(False)
        self.lanes_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        lanes_menu = QMenu(self.lanes_button)
        lanes_menu.aboutToShow.connect(lambda: self.fill_lanes_menu(lanes_menu))
        self.lanes_button.setMenu(lanes_menu)
        self.lanes_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        audio = track.kind is TrackKind.AUDIO
        for b in (self.arm, self.mute, self.solo):
            top.addWidget(b)
        if audio:
            top.addWidget(self.takes_button)
        else:
            top.addWidget(self.fold)
        top.addWidget(self.lanes_button)
        self.arm.setVisible(audio)
        self.takes_button.setEnabled(bool(track.takes.takes))
        layout.addLayout(top)
        self.detail_label = QLabel(describe_track(project, track))
        self.detail_label.setObjectName("trackDetail")
        self.detail_label.setFont(ui_font(8.5))
        layout.addWidget(self.detail_label)
        self.meter = LevelMeter()
        self.monitor = QComboBox(objectName="monitorBox")
        self.input = QComboBox(objectName="inputBox")
        self.mode = QToolButton(objectName="automationModeButton")
        self.mode.setToolTip("Automation mode")
        self.mode.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.mode.setFont(ui_font(8))
        self.mode.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mode.setFixedHeight(20)
        self.mode_menu = QMenu(self.mode)
        for m in AutomationMode:
            self.mode_menu.addAction(m.value.capitalize(),
                                     lambda m=m: self._edit("automation_mode", m.value))
        self.mode.setMenu(self.mode_menu)
        self.mode.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.mode.setMinimumWidth(46)
        row = QHBoxLayout()
        row.setSpacing(3)
        if audio:
            for mode, text in ((MonitorMode.AUTO, "Mon auto"), (MonitorMode.INPUT, "Mon in"),
                               (MonitorMode.OFF, "Mon off")):
                self.monitor.addItem(text, mode.value)
            for text, channels in input_choices(max(2, min(inputs, MAX_INPUTS))):
                self.input.addItem(text, channels)
            for box in (self.monitor, self.input):
                box.setFont(ui_font(8))
                box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                row.addWidget(box)
        row.addWidget(self.mode)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.meter)
        small = self.height() < 70
        self.detail_label.setVisible(self.height() >= 56)
        self.monitor.setVisible(audio and not small)
        self.input.setVisible(audio and not small)
        self.mode.setVisible(not small)
        self.setToolTip(f"{track.name}\nDrag to reorder; drag the bottom edge to resize; "
                        "double-click the name to rename")
        self.refresh()
        self.arm.toggled.connect(lambda on: self._edit("armed", on))
        self.mute.toggled.connect(lambda on: self._edit("mute", on))
        self.solo.toggled.connect(lambda on: self._edit("solo", on))
        self.takes_button.toggled.connect(lambda on: self._edit("takes", on))
        self.fold.toggled.connect(lambda on: self._edit("folded", on))
        self.monitor.activated.connect(lambda i: self._edit("monitor", self.monitor.itemData(i)))
        self.input.activated.connect(lambda i: self._edit("input", self.input.itemData(i)))
        self._press: tuple[str, float, int] | None = None
        self._editor: QLineEdit | None = None

    def refresh(self) -> None:
        t = self.track
        self._syncing = True
        for button, on in ((self.arm, t.armed), (self.mute, t.strip.mute),
                           (self.solo, t.strip.solo), (self.fold, t.folded),
                           (self.takes_button, self.view is not None
                            and t.id in self.view.takes_open)):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        for box, value in ((self.monitor, t.monitor.value), (self.input, t.input.channels)):
            i = box.findData(value)
            if i >= 0:
                box.blockSignals(True)
                box.setCurrentIndex(i)
                box.blockSignals(False)
        self.takes_button.setEnabled(bool(t.takes.takes))
        self.mode.setText(AutomationMode(t.automation_mode).value.capitalize())
        shown = sum(1 for lane in t.automation if lane.visible)
        self.lanes_button.setText(f"A{shown}" if shown else "A")
        self.name_label.setText(t.name)
        self.detail_label.setText(describe_track(self.project, t))
        # the controls repaint themselves when they change; the header's own painting is
        # only the colour strip, and repainting all 32 styled headers after every edit
        # took 9 ms
        if t.colour != self._painted_colour:
            self._painted_colour = t.colour
            self.update()

    def fill_lanes_menu(self, menu: QMenu) -> QMenu:
        """Each automatable parameter, checked when its lane is shown; choosing one shows
        or hides its lane."""
        menu.clear()
        shown = {lane.param for lane in self.track.automation if lane.visible}
        held = {lane.param for lane in self.track.automation if lane.points}
        for param in automatable_params(self.project, self.track):
            text = param_name(self.project, param, self.track) + ("  •" if param in held else "")
            act = menu.addAction(text, lambda p=param: self._edit("automation", p))
            act.setCheckable(True)
            act.setChecked(param in shown)
            act.setData(param)
        return menu

    def context_menu(self) -> QMenu:
        """Right-click on the header: automation lanes and mode, MIDI learn."""
        menu = QMenu(self)
        self.fill_lanes_menu(menu.addMenu("Show automation"))
        modes = menu.addMenu("Automation mode")
        for m in AutomationMode:
            act = modes.addAction(m.value.capitalize(),
                                  lambda m=m: self._edit("automation_mode", m.value))
            act.setCheckable(True)
            act.setChecked(self.track.automation_mode == m)
        learn = getattr(self.view, "on_midi_learn", None)
        if learn is not None:
            sub = menu.addMenu("MIDI learn")
            for param, text in (("fader_db", "Fader"), ("pan", "Pan"), ("mute", "Mute"),
                                ("solo", "Solo")):
                sub.addAction(text, lambda p=param: learn(self.track.id, p))
            mapped = [m.id for m in self.project.midi_mappings if m.target == self.track.id]
            forget = menu.addAction("Remove MIDI mappings", lambda: self._edit("unmap", mapped))
            forget.setEnabled(bool(mapped))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        self.context_menu().popup(event.globalPos())

    def _edit(self, what: str, value: object) -> None:
        if self.view is not None:
            self.view.header_edit(self.track.id, what, value)

    def start_rename(self) -> QLineEdit:
        def done(text: str) -> None:
            self._editor = None
            if text and text != self.track.name:
                self._edit("name", text)

        self._editor = inline_rename(self, self.track.name, self.name_label.geometry(), done)
        return self._editor

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.position().x() < STRIP_WIDTH + 4:
            self._edit("colour", None)
        else:
            self.start_rename()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        y = event.position().y()
        kind = "resize" if self.height() - y <= RESIZE_PX else "reorder"
        self._press = (kind, event.globalPosition().y(), self.height())
        if self.view is not None:
            self.view.focus_track(self.track.id)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None:
            near = self.height() - event.position().y() <= RESIZE_PX
            self.setCursor(Qt.CursorShape.SizeVerCursor if near else Qt.CursorShape.ArrowCursor)
            return
        kind, y0, h0 = self._press
        dy = event.globalPosition().y() - y0
        if kind == "resize":
            self.setFixedHeight(int(max(MIN_HEIGHT, min(MAX_HEIGHT, h0 + dy))))
        elif self.view is not None:
            self.view.show_reorder(self, event.globalPosition().y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        press, self._press = self._press, None
        if press is None or self.view is None:
            return
        kind, y0, h0 = press
        dy = event.globalPosition().y() - y0
        if kind == "resize" and abs(dy) >= 2:
            extra = h0 - self.track.height
            height = int(max(MIN_HEIGHT, min(MAX_HEIGHT, h0 + dy - extra)))
            self._edit("height", height)
        elif kind == "reorder":
            self.view.finish_reorder(self, event.globalPosition().y(), abs(dy) >= 6)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        p = QPainter(self)
        p.fillRect(0, 0, STRIP_WIDTH, self.height() - 1, QColor(self.track.colour))
        if self.view is not None and self.view.editor.selection.track == self.track.id:
            p.fillRect(STRIP_WIDTH, 0, 2, self.height() - 1, QColor("#e0a23c"))
        p.setPen(QColor("#0f1113"))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        p.end()

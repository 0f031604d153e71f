"""The control room section: what the engineer hears, and talking to the artists.

Monitor source (main, each cue, the external input), level, dim, mono, cut, the
small-speaker check, talkback (held while pressed, latched by a double click, sent to
the cues chosen here), the click level, and solo (in place, AFL, PFL, clear).

Settings are edits (saved with the project, undoable, forwarded to the engine by the
binder). Talkback being held is not part of the project: it goes to the engine directly.
A plain notice says when soloing will not change what is heard (listening to a cue).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.session import edits as E
from app.session.edits import Edit, EditError, SetControlRoom
from app.session.model import Project, SoloMode
from app.ui.mixer.widgets import Knob, format_db
from app.ui.theme import ui_font

_SOLO_TEXT = {SoloMode.IN_PLACE: "In place", SoloMode.AFL: "AFL", SoloMode.PFL: "PFL"}


def _db(v: float) -> str:
    return f"{format_db(v)} dB"


def section_title(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("sectionTitle")
    label.setFont(ui_font(7.5, ui_font().Weight.DemiBold))
    return label


def panel_button(text: str, tip: str = "", checkable: bool = True, name: str = "pb") -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setCheckable(checkable)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.setFixedHeight(22)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if tip:
        b.setToolTip(tip)
    return b


def solo_notice(project: Project) -> str:
    """What to tell the engineer when soloing will not do what they may expect, or ""."""
    room = project.control_room
    soloed = [t.name for t in project.tracks if t.strip.solo]
    if not soloed or room.source == "main":
        return ""
    where = "the external input" if room.source == "ext" else next(
        (c.name for c in project.cues if c.id == room.source), "a cue mix")
    if SoloMode(room.solo_mode) is SoloMode.IN_PLACE:
        return (f"Solo in place changes the main mix, but you are listening to {where}, so "
                "you will not hear it. Listen to Main, or switch to AFL or PFL.")
    return (f"While something is soloed the control room plays the solo instead of {where}; "
            "the cue mixes themselves never change.")


class TalkbackButton(QPushButton):
    """Talk while held; a double click latches it on until the next click."""

    held = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Talk", parent)
        self.setObjectName("talkback")
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Talkback: hold to talk, double-click to latch")
        self.setMinimumHeight(34)
        self.latched = False
        self._on = False

    def _set(self, on: bool) -> None:
        self.setChecked(on)
        if on != self._on:
            self._on = on
            self.held.emit(on)

    @property
    def talking(self) -> bool:
        return self._on

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.latched = False
            self._set(True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.latched:
            self._set(False)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.latched = True
        self._set(True)


class ControlRoomPanel(QFrame):
    """See the module docstring. `talkback` is called with True/False as talk starts/ends."""

    def __init__(
        self,
        project: Project,
        apply: Callable[[Edit], bool],
        close_merge: Callable[[], None],
        report: Callable[[str], None],
        talkback: Callable[[bool], None],
        inputs: Callable[[], int] = lambda: 8,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project
        self._inputs = inputs
        self._inputs_shown: tuple[int, int, int] | None = None
        self._apply_edit = apply
        self._close_merge = close_merge
        self._report = report
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)
        layout.addWidget(section_title("Control room"))

        self.source_row = QGridLayout()
        self.source_row.setSpacing(3)
        self.source_group = QButtonGroup(self)
        self.source_group.setExclusive(True)
        self.source_buttons: dict[str, QPushButton] = {}
        layout.addLayout(self.source_row)

        row = QHBoxLayout()
        self.level = Knob("Level", -60.0, 12.0, 0.0, _db)
        self.level.pressed.connect(close_merge)
        self.level.moved.connect(lambda v: self._set(level_db=v))
        self.level.released.connect(close_merge)
        row.addWidget(self.level)
        switches = QGridLayout()
        switches.setSpacing(3)
        self.dim = panel_button("Dim", "Dim the control room")
        self.mono = panel_button("Mono", "Listen in mono")
        self.cut = panel_button("Cut", "Cut the control room speakers", name="cut")
        self.small = panel_button("Small", "Small-speaker check")
        for i, (b, name) in enumerate(((self.dim, "dim"), (self.mono, "mono"), (self.cut, "cut"),
                                       (self.small, "small_speaker"))):
            b.clicked.connect(lambda on, name=name: self._set(close=True, **{name: on}))
            switches.addWidget(b, i // 2, i % 2)
        row.addLayout(switches, 1)
        layout.addLayout(row)

        row = QHBoxLayout()
        self.talk = TalkbackButton()
        self.talk.held.connect(talkback)
        self.talk_level = Knob("TB lvl", -40.0, 12.0, 0.0, _db)
        self.talk_level.pressed.connect(close_merge)
        self.talk_level.moved.connect(lambda v: self._set(talkback_db=v))
        self.talk_level.released.connect(close_merge)
        self.click = Knob("Click", -60.0, 6.0, -12.0, _db)
        self.click.setToolTip("Click level in the control room")
        self.click.pressed.connect(close_merge)
        self.click.moved.connect(lambda v: self._set(click_db=v))
        self.click.released.connect(close_merge)
        row.addWidget(self.talk, 1)
        row.addWidget(self.talk_level)
        row.addWidget(self.click)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.mic = QComboBox()
        self.mic.setToolTip("The talkback microphone's input")
        self.mic.activated.connect(
            lambda i: self._set(close=True, talkback_input=int(self.mic.itemData(i))))
        self.ext = QComboBox()
        self.ext.setToolTip("The external input pair (a phone, a reference player)")
        self.ext.activated.connect(
            lambda i: self._set(close=True, ext_input=int(self.ext.itemData(i))))
        for text, box in (("Mic", self.mic), ("Ext", self.ext)):
            label = QLabel(text)
            label.setObjectName("dim")
            row.addWidget(label)
            row.addWidget(box, 1)
        layout.addLayout(row)
        self.talk_to = QHBoxLayout()
        self.talk_to.setSpacing(6)
        self.talk_boxes: dict[str, QCheckBox] = {}
        layout.addLayout(self.talk_to)

        row = QHBoxLayout()
        row.setSpacing(3)
        self.solo_group = QButtonGroup(self)
        self.solo_buttons: dict[SoloMode, QPushButton] = {}
        for mode in SoloMode:
            b = panel_button(_SOLO_TEXT[mode], f"Solo mode: {_SOLO_TEXT[mode]}")
            b.clicked.connect(lambda _=False, mode=mode: self._set(close=True, solo_mode=mode))
            self.solo_group.addButton(b)
            self.solo_buttons[mode] = b
            row.addWidget(b)
        self.clear_solo = panel_button("Clear solo", "Take every solo off", checkable=False,
                                       name="clearSolo")
        self.clear_solo.clicked.connect(self._clear_solo)
        row.addWidget(self.clear_solo)
        layout.addLayout(row)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setFont(ui_font(8.5))
        layout.addWidget(self.notice)
        self.refresh()

    # -- changes --------------------------------------------------------------------

    def _apply(self, edit: Edit) -> None:
        try:
            self._apply_edit(edit)
        except EditError as e:
            self._report(str(e))
            self.refresh()

    def _set(self, close: bool = False, **values) -> None:
        if close:
            self._close_merge()
        self._apply(SetControlRoom(**values))
        if close:
            self._close_merge()

    def listen(self, source: str) -> None:
        """Hear `source` ("main", "ext" or a cue id) in the control room."""
        self._set(close=True, source=source)

    def _clear_solo(self) -> None:
        soloed = [t for t in self.project.all_tracks() if t.strip.solo]
        if soloed:
            self._close_merge()
            self._apply(E.Compound("Clear solo",
                                   [E.SetParam(t.id, "solo", False) for t in soloed]))
            self._close_merge()

    def _talk_to(self, cue_id: str, on: bool) -> None:
        self._close_merge()
        self._apply(E.SetCueParam(cue_id, "talkback", on))
        self._close_merge()

    # -- showing ----------------------------------------------------------------------

    def _rebuild_cues(self) -> None:
        wanted = ["main", *(c.id for c in self.project.cues), "ext"]
        names = {"main": "Main", "ext": "Ext"} | {c.id: c.name for c in self.project.cues}
        if list(self.source_buttons) != wanted:
            for b in self.source_buttons.values():
                self.source_group.removeButton(b)
                b.deleteLater()
            self.source_buttons = {}
            for i, source in enumerate(wanted):
                b = panel_button(names[source], name="source")
                b.clicked.connect(lambda _=False, s=source: self.listen(s))
                self.source_group.addButton(b)
                self.source_row.addWidget(b, i // 3, i % 3)
                self.source_buttons[source] = b
            for box in self.talk_boxes.values():
                box.deleteLater()
            self.talk_boxes = {}
            if self.project.cues:
                for cue in self.project.cues:
                    box = QCheckBox(cue.name)
                    box.setToolTip(f"Talkback reaches {cue.name}")
                    box.toggled.connect(lambda on, c=cue.id: self._talk_to(c, on))
                    self.talk_to.addWidget(box)
                    self.talk_boxes[cue.id] = box
        for source, b in self.source_buttons.items():
            b.setText(names[source])
            b.setToolTip(f"Listen to {names[source]}")
        for cue in self.project.cues:
            box = self.talk_boxes[cue.id]
            box.setText(f"TB → {cue.name}")
            box.blockSignals(True)
            box.setChecked(cue.talkback)
            box.blockSignals(False)

    def _fill_inputs(self) -> None:
        room = self.project.control_room
        n = max(1, self._inputs())
        key = (n, room.talkback_input, room.ext_input)
        if key == self._inputs_shown:
            return
        self._inputs_shown = key
        for box, chosen, pairs in ((self.mic, room.talkback_input, False),
                                   (self.ext, room.ext_input, True)):
            box.blockSignals(True)
            box.clear()
            box.addItem("none", -1)
            for ch in range(0, n - 1 if pairs else n, 2 if pairs else 1):
                box.addItem(f"In {ch + 1}-{ch + 2}" if pairs else f"In {ch + 1}", ch)
            if box.findData(chosen) < 0:
                box.addItem(f"In {chosen + 1} (missing)", chosen)
            box.setCurrentIndex(box.findData(chosen))
            box.blockSignals(False)

    def refresh(self) -> None:
        room = self.project.control_room
        self._rebuild_cues()
        self._fill_inputs()
        button = self.source_buttons.get(room.source, self.source_buttons["main"])
        button.setChecked(True)
        self.level.set_value(room.level_db)
        self.talk_level.set_value(room.talkback_db)
        self.click.set_value(room.click_db)
        for b, on in ((self.dim, room.dim), (self.mono, room.mono), (self.cut, room.cut),
                      (self.small, room.small_speaker)):
            b.setChecked(on)
        self.solo_buttons[SoloMode(room.solo_mode)].setChecked(True)
        soloed = sum(1 for t in self.project.all_tracks() if t.strip.solo)
        self.clear_solo.setEnabled(soloed > 0)
        self.clear_solo.setText(f"Clear solo ({soloed})" if soloed else "Clear solo")
        self.clear_solo.setProperty("active", soloed > 0)
        self.clear_solo.style().unpolish(self.clear_solo)
        self.clear_solo.style().polish(self.clear_solo)
        text = solo_notice(self.project)
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

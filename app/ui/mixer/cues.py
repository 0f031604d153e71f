"""Cue mixes: the list in the mixer's side panel and the editor of one cue.

A cue mix is a headphone mix of its own, on its own output pair. The list creates,
renames and deletes cues, picks each one's outputs and listens to one in a click; the
editor shows a small strip per track and bus with that cue's level, pan and switch,
"copy the main mix", "more me" and the cue's master with its meter.

Plain refusals: two cues on one output pair, a cue on the main outputs, a pair the
device does not have (said, not refused: the mix is kept for when it does). Deleting a
cue that feeds an output or that the control room is listening to asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.session import edits as E
from app.session.edits import Edit, EditError
from app.session.model import CueMix, CueSend, Project, TrackKind
from app.ui.mixer.control_room import panel_button, section_title
from app.ui.mixer.strip import ColourChip
from app.ui.mixer.widgets import (
    MASTER_BG,
    SILENCE_DB,
    DbField,
    Fader,
    Knob,
    Meter,
    format_db,
)
from app.ui.theme import ui_font

MAIN_PAIR = 0  # the main mix and the control room play on outputs 1-2
MORE_ME_DB = 3.0


def pair_name(first: int) -> str:
    return f"Out {first + 1}-{first + 2}"


def pair_problem(project: Project, cue_id: str | None, first: int, outputs: int | None) -> str:
    """Why a cue cannot go to the pair starting at `first` ("" when it can)."""
    if first < 0:
        return "An output pair starts at output 1 or above."
    if abs(first - MAIN_PAIR) < 2:
        return (f"{pair_name(first)} would overlap outputs 1-2, which carry the main mix and "
                "the control room; choose another pair.")
    for cue in project.cues:
        if cue.id != cue_id and abs(cue.output - first) < 2:
            return (f"{pair_name(first)} would overlap {cue.name} on {pair_name(cue.output)}; "
                    "two cue mixes cannot share outputs. Choose another pair.")
    return ""


def pair_warning(first: int, outputs: int | None) -> str:
    """What is wrong with a pair on this device ("" when nothing), said plainly."""
    if outputs is None:
        return ""
    if first >= outputs:
        return (f"The device has {outputs} outputs, so {pair_name(first)} does not exist: "
                "this cue is not heard anywhere.")
    if first + 1 >= outputs:
        return (f"The device has no output {first + 2}: this cue plays its left side alone "
                f"on output {first + 1}, and its right side is lost.")
    return ""


def free_pair(project: Project, outputs: int | None) -> int:
    first = 2
    while pair_problem(project, None, first, outputs):
        first += 2
    return first


def main_mix_sends(project: Project) -> dict[str, CueSend]:
    """Cue sends that sound like the main mix: each strip's fader and pan, muted ones off."""
    return {t.id: CueSend(level_db=t.strip.fader_db, pan=t.strip.pan, pre=True,
                          enabled=not t.strip.mute)
            for t in project.tracks}


@dataclass
class CueContext:
    project: Project
    apply: Callable[[Edit], bool]
    close_merge: Callable[[], None]
    report: Callable[[str], None]
    listen: Callable[[str], None]  # the control room listens to a source
    outputs: Callable[[], int | None]  # the device's output count, None when unknown
    confirm: Callable[[str, str], bool]  # (title, question) -> yes


def try_apply(ctx: CueContext, edit: Edit, close: bool = True) -> bool:
    if close:
        ctx.close_merge()
    try:
        ctx.apply(edit)
        return True
    except EditError as e:
        ctx.report(str(e))
        return False
    finally:
        if close:
            ctx.close_merge()


def set_output(ctx: CueContext, cue_id: str, first: int) -> bool:
    """Move a cue to another output pair, refusing a clash with a sentence."""
    problem = pair_problem(ctx.project, cue_id, first, ctx.outputs())
    if problem:
        ctx.report(problem)
        return False
    ok = try_apply(ctx, E.SetCueOutput(cue_id, first))
    warning = pair_warning(first, ctx.outputs())
    if ok and warning:
        ctx.report(warning)
    return ok


def add_cue(ctx: CueContext, name: str = "") -> str | None:
    """Create a cue that starts as a copy of the main mix, on the first free pair."""
    names = {c.name for c in ctx.project.cues}
    if not name:
        n = len(ctx.project.cues) + 1
        while f"Cue {n}" in names:
            n += 1
        name = f"Cue {n}"
    cue = CueMix(name, output=free_pair(ctx.project, ctx.outputs()),
                 sends=main_mix_sends(ctx.project))
    if not try_apply(ctx, E.AddCue(cue)):
        return None
    warning = pair_warning(cue.output, ctx.outputs())
    if warning:
        ctx.report(warning)
    return cue.id


def delete_cue(ctx: CueContext, cue_id: str) -> bool:
    """Delete a cue after asking, since it feeds someone's headphones (and maybe ours)."""
    cue = ctx.project.cue(cue_id)
    lines = [f"{cue.name} plays on {pair_name(cue.output)}: whoever is on those headphones "
             "will hear nothing."]
    if ctx.project.control_room.source == cue.id:
        lines.append("The control room is listening to it and will go back to the main mix.")
    lines.append("Delete it? (Undo brings it back.)")
    if not ctx.confirm(f"Delete {cue.name}", "\n".join(lines)):
        return False
    return try_apply(ctx, E.RemoveCue(cue_id))


def copy_main_mix(ctx: CueContext, cue_id: str) -> bool:
    cue = ctx.project.cue(cue_id)
    sends = main_mix_sends(ctx.project)
    parts = [E.SetCueSend(cue_id, tid, level_db=s.level_db, pan=s.pan, enabled=s.enabled)
             for tid, s in sends.items()]
    return try_apply(ctx, E.Compound(f"Copy the main mix into {cue.name}", parts))


def more_me(ctx: CueContext, cue_id: str, track_id: str) -> bool:
    """Raise one source relative to the rest by lowering the others, which keeps the
    artist's headphones from getting louder overall."""
    cue = ctx.project.cue(cue_id)
    me = ctx.project.track(track_id)
    parts: list[Edit] = []
    for tid, send in cue.sends.items():
        if tid != track_id and send.level_db > SILENCE_DB:
            parts.append(E.SetCueSend(cue_id, tid, level_db=max(SILENCE_DB,
                                                                 send.level_db - MORE_ME_DB)))
    if not parts:
        ctx.report(f"Nothing else plays in {cue.name}; {me.name} is already on its own.")
        return False
    return try_apply(ctx, E.Compound(f"More {me.name} in {cue.name}", parts))


def ask(parent: QWidget) -> Callable[[str, str], bool]:
    def confirm(title: str, question: str) -> bool:
        answer = QMessageBox.question(parent, title, question,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes
    return confirm


class OutputBox(QComboBox):
    """The output pair of a cue; offers pairs from 3-4 up to the device's count."""

    def __init__(self, ctx: CueContext, cue_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.cue_id = ctx, cue_id
        self.setToolTip("Output pair of this cue mix")
        self.activated.connect(self._chosen)

    def refresh(self) -> None:
        cue = self.ctx.project.cue(self.cue_id)
        outputs = self.ctx.outputs()
        top = max(outputs or 16, cue.output + 2, 8)
        self.blockSignals(True)
        self.clear()
        for first in range(2, top, 2):
            label = pair_name(first)
            if outputs is not None and first + 1 >= outputs:
                label += " (mono)" if first < outputs else " (missing)"
            self.addItem(label, first)
        if self.findData(cue.output) < 0:
            self.addItem(pair_name(cue.output), cue.output)
        self.setCurrentIndex(self.findData(cue.output))
        self.blockSignals(False)
        self.setToolTip(pair_warning(cue.output, outputs) or "Output pair of this cue mix")

    def _chosen(self, index: int) -> None:
        if not set_output(self.ctx, self.cue_id, int(self.itemData(index))):
            self.refresh()


class CueRow(QFrame):
    """One cue in the side panel: name (double-click to rename), outputs, listen, edit, delete."""

    def __init__(self, ctx: CueContext, cue_id: str, open_editor: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.cue_id = ctx, cue_id
        self.setObjectName("cueRow")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 2, 0, 4)
        outer.setSpacing(3)
        top = QHBoxLayout()
        top.setSpacing(3)
        layout = QHBoxLayout()
        layout.setSpacing(3)
        outer.addLayout(top)
        outer.addLayout(layout)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setFont(ui_font(8))
        outer.addWidget(self.notice)
        self.name = QLineEdit()
        self.name.setObjectName("cueName")
        self.name.setToolTip("Cue mix name: click to rename")
        self.name.editingFinished.connect(self._rename)
        self.output = OutputBox(ctx, cue_id)
        self.listen = panel_button("Listen", "Hear this cue in the control room", name="listen")
        self.listen.clicked.connect(lambda: ctx.listen(cue_id))
        self.edit = panel_button("Edit", "Open the cue mix", checkable=False)
        self.edit.clicked.connect(lambda: open_editor(cue_id))
        self.delete = panel_button("✕", "Delete this cue mix", checkable=False, name="delete")
        self.delete.setFixedWidth(24)
        self.delete.clicked.connect(lambda: delete_cue(ctx, cue_id))
        top.addWidget(self.name, 1)
        top.addWidget(self.delete)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.listen)
        layout.addWidget(self.edit)
        for b in (self.listen, self.edit):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            b.setFixedWidth(48)

    def _rename(self) -> None:
        cue = self.ctx.project.cue(self.cue_id)
        if self.name.text().strip() != cue.name:
            if not try_apply(self.ctx, E.RenameCue(self.cue_id, self.name.text())):
                self.name.setText(cue.name)

    def refresh(self) -> None:
        cue = self.ctx.project.cue(self.cue_id)
        if not self.name.hasFocus():
            self.name.setText(cue.name)
        self.output.refresh()
        self.listen.setChecked(self.ctx.project.control_room.source == cue.id)
        warning = pair_warning(cue.output, self.ctx.outputs())
        self.notice.setText(warning)
        self.notice.setVisible(bool(warning))


class CuePanel(QFrame):
    """The list of cue mixes in the mixer's side panel."""

    def __init__(self, ctx: CueContext, open_editor: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._open_editor = open_editor
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(4)
        head = QHBoxLayout()
        head.addWidget(section_title("Cue mixes"), 1)
        self.add = panel_button("+ New cue", "Add a headphone mix (starts as the main mix)",
                                checkable=False)
        self.add.setFixedWidth(84)
        self.add.clicked.connect(lambda: add_cue(ctx))
        head.addWidget(self.add)
        layout.addLayout(head)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(3)
        layout.addLayout(self.rows_box)
        self.empty = QLabel("No cue mixes yet: add one for each set of headphones.")
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.rows: dict[str, CueRow] = {}
        self.refresh()

    def refresh(self) -> None:
        ids = [c.id for c in self.ctx.project.cues]
        if list(self.rows) != ids:
            for row in self.rows.values():
                row.deleteLater()
            self.rows = {}
            for cue_id in ids:
                row = CueRow(self.ctx, cue_id, self._open_editor)
                self.rows_box.addWidget(row)
                self.rows[cue_id] = row
        for row in self.rows.values():
            row.refresh()
        self.empty.setVisible(not ids)


class CueStrip(QFrame):
    """One track as heard in one cue: on/off, pre, pan, level."""

    def __init__(self, ctx: CueContext, cue_id: str, track_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.cue_id, self.track_id = ctx, cue_id, track_id
        self.setObjectName("strip")
        self.setFixedWidth(76)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(3)
        self.chip = ColourChip()
        self.chip.setToolTip("")
        layout.addWidget(self.chip)
        body = QVBoxLayout()
        body.setContentsMargins(4, 0, 4, 0)
        body.setSpacing(3)
        layout.addLayout(body, 1)
        row = QHBoxLayout()
        row.setSpacing(2)
        self.on = QPushButton("On")
        self.pre = QPushButton("Pre")
        for b, tip in ((self.on, "Heard in this cue"), (self.pre, "Pre-fader (off: follows the "
                                                                  "main fader)")):
            b.setObjectName("on" if b is self.on else "sb")
            b.setCheckable(True)
            b.setFixedHeight(18)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setToolTip(tip)
            row.addWidget(b)
        self.on.clicked.connect(lambda on: try_apply(ctx, E.SetCueSend(cue_id, track_id,
                                                                       enabled=on)))
        self.pre.clicked.connect(lambda on: try_apply(ctx, E.SetCueSend(cue_id, track_id,
                                                                        pre=on)))
        body.addLayout(row)
        self.pan = Knob("Pan", -1.0, 1.0, 0.0, lambda v: "C" if abs(v) < 0.005 else
                        f"{'L' if v < 0 else 'R'}{abs(v) * 100:.0f}", bipolar=True, step=0.01)
        self.pan.pressed.connect(ctx.close_merge)
        self.pan.moved.connect(lambda v: try_apply(ctx, E.SetCueSend(cue_id, track_id, pan=v),
                                                   close=False))
        self.pan.released.connect(ctx.close_merge)
        pan_row = QHBoxLayout()
        pan_row.addStretch(1)
        pan_row.addWidget(self.pan)
        pan_row.addStretch(1)
        body.addLayout(pan_row)
        self.fader = Fader(labels=True)
        self.fader.pressed.connect(ctx.close_merge)
        self.fader.moved.connect(self._level)
        self.fader.released.connect(ctx.close_merge)
        fader_row = QHBoxLayout()
        fader_row.addStretch(1)
        fader_row.addWidget(self.fader)
        fader_row.addStretch(1)
        body.addLayout(fader_row, 1)
        self.field = DbField()
        self.field.setFixedHeight(18)
        self.field.typed.connect(lambda db: try_apply(ctx, E.SetCueSend(cue_id, track_id,
                                                                        level_db=db)))
        self.field.refused.connect(ctx.report)
        body.addWidget(self.field)
        self.name = QLabel()
        self.name.setObjectName("stripName")
        self.name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name.setFont(ui_font(8.5, ui_font().Weight.DemiBold))
        self.name.setFixedHeight(20)
        layout.addWidget(self.name)

    def _level(self, db: float) -> None:
        try_apply(self.ctx, E.SetCueSend(self.cue_id, self.track_id, level_db=db), close=False)

    def refresh(self) -> None:
        track = self.ctx.project.track(self.track_id)
        send = self.ctx.project.cue(self.cue_id).sends.get(self.track_id)
        present = send is not None
        send = send or CueSend(level_db=SILENCE_DB, enabled=False)
        self.chip.set_colour(track.colour)
        self.name.setText(track.name)
        self.name.setToolTip(track.name)
        self.on.setChecked(present and send.enabled)
        self.pre.setChecked(send.pre)
        self.pan.set_value(send.pan)
        self.fader.set_value(send.level_db)
        self.field.set_value(send.level_db)


class CueEditor(QDialog):
    """One cue mix: a strip per track and bus, the cue's master with its meter, and the
    shortcuts an engineer uses while an artist asks for changes."""

    def __init__(self, ctx: CueContext, cue_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.cue_id = ctx, cue_id
        self.setObjectName("cueEditor")
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.title = QLabel()
        self.title.setObjectName("cueTitle")
        self.title.setFont(ui_font(12, ui_font().Weight.DemiBold))
        top.addWidget(self.title)
        self.output = OutputBox(ctx, cue_id)
        top.addWidget(self.output)
        top.addStretch(1)
        self.listen = panel_button("Listen", "Hear this cue in the control room", name="listen")
        self.listen.setFixedWidth(70)
        self.listen.clicked.connect(lambda: ctx.listen(cue_id))
        top.addWidget(self.listen)
        self.copy = panel_button("Copy the main mix", "Set every level and pan as in the "
                                 "main mix", checkable=False)
        self.copy.setFixedWidth(130)
        self.copy.clicked.connect(lambda: copy_main_mix(ctx, cue_id))
        top.addWidget(self.copy)
        more_of = QLabel("More of")
        more_of.setObjectName("dim")
        top.addWidget(more_of)
        self.me = QComboBox()
        self.me.setToolTip("Whose sound to raise")
        top.addWidget(self.me)
        self.more = panel_button("More me", f"Raise the chosen source {MORE_ME_DB:g} dB "
                                 "against the rest (by lowering the rest)", checkable=False)
        self.more.setFixedWidth(76)
        self.more.clicked.connect(self._more_me)
        top.addWidget(self.more)
        layout.addLayout(top)
        self.warning = QLabel()
        self.warning.setObjectName("notice")
        self.warning.setWordWrap(True)
        layout.addWidget(self.warning)

        body = QHBoxLayout()
        body.setSpacing(8)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strips_host = QWidget()
        self.strips_host.setObjectName("strips")
        self.strips_box = QHBoxLayout(self.strips_host)
        self.strips_box.setContentsMargins(0, 0, 0, 0)
        self.strips_box.setSpacing(2)
        self.strips_box.addStretch(1)
        self.scroll.setWidget(self.strips_host)
        body.addWidget(self.scroll, 1)

        master = QFrame()
        master.setObjectName("masterStrip")
        master.setFixedWidth(120)
        mlay = QVBoxLayout(master)
        mlay.setContentsMargins(6, 8, 6, 6)
        mlay.setSpacing(4)
        mlay.addWidget(section_title("Cue master"), 0, Qt.AlignmentFlag.AlignHCenter)
        knobs = QHBoxLayout()
        self.click = Knob("Click", -60.0, 6.0, -120.0, lambda v: f"{format_db(v)} dB")
        self.click.setToolTip("Click level in this cue")
        self.click.pressed.connect(ctx.close_merge)
        self.click.moved.connect(lambda v: try_apply(ctx, E.SetCueParam(cue_id, "click_db", v),
                                                     close=False))
        self.click.released.connect(ctx.close_merge)
        knobs.addWidget(self.click)
        self.talkback = panel_button("TB", "Talkback reaches this cue")
        self.talkback.clicked.connect(
            lambda on: try_apply(ctx, E.SetCueParam(cue_id, "talkback", on)))
        knobs.addWidget(self.talkback)
        mlay.addLayout(knobs)
        row = QHBoxLayout()
        row.addStretch(1)
        self.master = Fader(labels=True)
        self.master.pressed.connect(ctx.close_merge)
        self.master.moved.connect(lambda db: try_apply(ctx, E.SetCueParam(cue_id, "master_db",
                                                                          db), close=False))
        self.master.released.connect(ctx.close_merge)
        self.meter = Meter()
        self.meter.set_background(MASTER_BG)
        self.meter.setMinimumWidth(28)
        self.meter.setToolTip("The cue's output level (when the engine reports it)")
        row.addWidget(self.master)
        row.addWidget(self.meter)
        row.addStretch(1)
        mlay.addLayout(row, 1)
        self.master_field = DbField()
        self.master_field.typed.connect(
            lambda db: try_apply(ctx, E.SetCueParam(cue_id, "master_db", db)))
        self.master_field.refused.connect(ctx.report)
        mlay.addWidget(self.master_field)
        body.addWidget(master)
        layout.addLayout(body, 1)
        self.strips: dict[str, CueStrip] = {}
        self.refresh()

    def _more_me(self) -> None:
        track_id = self.me.currentData()
        if track_id:
            more_me(self.ctx, self.cue_id, track_id)

    def refresh(self) -> None:
        project = self.ctx.project
        cue = project.cue(self.cue_id)
        self.setWindowTitle(f"Cue mix — {cue.name}")
        self.title.setText(cue.name)
        ids = [t.id for t in project.tracks if t.kind is not TrackKind.MASTER]
        if list(self.strips) != ids:
            for strip in self.strips.values():
                strip.deleteLater()
            self.strips = {}
            for i, track_id in enumerate(ids):
                strip = CueStrip(self.ctx, self.cue_id, track_id)
                self.strips_box.insertWidget(i, strip)
                self.strips[track_id] = strip
            self.me.clear()
            for t in project.tracks:
                self.me.addItem(t.name, t.id)
        for strip in self.strips.values():
            strip.refresh()
        self.output.refresh()
        self.listen.setChecked(project.control_room.source == cue.id)
        self.talkback.setChecked(cue.talkback)
        self.click.set_value(cue.click_db)
        self.master.set_value(cue.master_db)
        self.master_field.set_value(cue.master_db)
        warning = pair_warning(cue.output, self.ctx.outputs())
        self.warning.setText(warning)
        self.warning.setVisible(bool(warning))

"""The loudness panel on the master: momentary, short-term, integrated, range, true peak.

Values come from the engine's feedback (`Feedback.loudness`, with `momentary`,
`short_term`, `integrated` in LUFS, `lra` in LU and `true_peak` in dBTP); silence
reads -inf, and a feedback that carries no loudness reads "—". Targets: -23 LUFS (EBU R128
broadcast) and -14 LUFS (streaming); the integrated value is coloured by how far it is
from the target. Reset asks the engine to start integrating again, where it can.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QWidget

from app.ui.mixer.control_room import panel_button, section_title
from app.ui.theme import mono_font, ui_font

PRESETS = (("-23 LUFS broadcast", -23.0), ("-14 LUFS streaming", -14.0))
NO_VALUE = "—"
_ROWS = (("momentary", "Momentary", "LUFS"), ("short_term", "Short-term", "LUFS"),
         ("integrated", "Integrated", "LUFS"), ("lra", "Range", "LU"),
         ("true_peak", "True peak", "dBTP"))


def _text(value: Any) -> str:
    if value is None:
        return NO_VALUE
    v = float(value)
    if math.isnan(v):
        return NO_VALUE
    return "-inf" if v == -math.inf else f"{v:.1f}"


class LoudnessPanel(QFrame):
    def __init__(self, engine: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.setObjectName("panel")
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 10)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        grid.addWidget(section_title("Loudness (master)"), 0, 0, 1, 3)
        head = QHBoxLayout()
        self.target = QComboBox()
        for name, value in PRESETS:
            self.target.addItem(name, value)
        self.target.setToolTip("Target loudness")
        self.target.currentIndexChanged.connect(lambda _: self._colour())
        head.addWidget(self.target)
        self.reset = panel_button("Reset", "Start measuring again", checkable=False)
        self.reset.setFixedWidth(56)
        self.reset.clicked.connect(self._reset)
        can_reset = engine is not None and hasattr(engine, "reset_loudness")
        self.reset.setEnabled(can_reset)
        if not can_reset:
            self.reset.setToolTip("The engine does not measure loudness yet")
        head.addWidget(self.reset)
        head.addStretch(1)
        grid.addLayout(head, 1, 0, 1, 3)
        self.values: dict[str, QLabel] = {}
        for row, (key, name, unit) in enumerate(_ROWS, start=2):
            label = QLabel(name)
            label.setFont(ui_font(8.5))
            label.setObjectName("dim")
            value = QLabel(NO_VALUE)
            value.setObjectName("loudValue")
            value.setFont(mono_font(11 if key == "integrated" else 9.5))
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            u = QLabel(unit)
            u.setObjectName("dim")
            u.setFont(ui_font(7.5))
            grid.addWidget(label, row, 0)
            grid.addWidget(value, row, 1)
            grid.addWidget(u, row, 2)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        self._last: tuple[str, ...] = ()
        self._integrated: float | None = None

    def _reset(self) -> None:
        reset = getattr(self.engine, "reset_loudness", None)
        if reset is not None:
            reset()

    def show_feedback(self, feedback: Any) -> None:
        loud = getattr(feedback, "loudness", None)
        texts = tuple(_text(getattr(loud, key, None)) for key, _n, _u in _ROWS)
        if texts == self._last:
            return
        self._last = texts
        for (key, _n, _u), text in zip(_ROWS, texts, strict=True):
            self.values[key].setText(text)
        integrated = getattr(loud, "integrated", None)
        self._integrated = None if integrated is None else float(integrated)
        self._colour()

    def _colour(self) -> None:
        label = self.values["integrated"]
        v = self._integrated
        if v is None or not math.isfinite(v):
            label.setStyleSheet("")
            return
        off = abs(v - float(self.target.currentData()))
        colour = "#5fb58a" if off <= 1.0 else "#e8b94a" if off <= 3.0 else "#e0714f"
        label.setStyleSheet(f"color: {colour};")

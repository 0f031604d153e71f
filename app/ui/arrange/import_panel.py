"""The import list: one row per file being imported, with its progress and a cancel
button, and the files that could not be imported, each with the reason in plain words."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.ui.theme import ui_font


class ImportRow(QWidget):
    def __init__(self, name: str, cancel: Callable[[], None]) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        self.label = QLabel(name)
        self.label.setFont(ui_font(8.5))
        self.label.setMinimumWidth(220)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(cancel)
        self.state = QLabel("waiting")
        self.state.setFont(ui_font(8.5))
        self.state.setMinimumWidth(280)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.state)
        row.addWidget(self.cancel_button)

    def set_progress(self, fraction: float) -> None:
        self.bar.setValue(int(fraction * 1000))
        self.state.setText("importing")

    def finish(self, text: str, ok: bool) -> None:
        self.bar.setValue(1000 if ok else self.bar.value())
        self.state.setText(text)
        self.state.setProperty("problem", not ok)
        self.state.setStyleSheet("" if ok else "color: #f0b0ad;")
        self.cancel_button.setEnabled(False)


class ImportPanel(QWidget):
    """Rows keyed by a job number; the window adds, updates and finishes them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPanel")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel("Import")
        self.title.setFont(ui_font(9, ui_font().Weight.DemiBold))
        self.clear_button = QPushButton("Clear")
        head.addWidget(self.title, 1)
        head.addWidget(self.clear_button)
        outer.addLayout(head)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        body = QWidget()
        self.rows_layout = QVBoxLayout(body)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(0)
        self.rows_layout.addStretch(1)
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)
        self.rows: dict[int, ImportRow] = {}
        self.clear_button.clicked.connect(self.clear)

    def add(self, job: int, name: str, cancel: Callable[[], None]) -> ImportRow:
        row = ImportRow(name, cancel)
        self.rows[job] = row
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
        return row

    def clear(self) -> None:
        for job in [j for j, r in self.rows.items() if not r.cancel_button.isEnabled()]:
            self.rows.pop(job).deleteLater()

    def problems(self) -> list[str]:
        return [f"{r.label.text()}: {r.state.text()}" for r in self.rows.values()
                if r.state.property("problem")]

"""The inline name editor the arrange view opens over a track's name, a marker or a clip's
title: Enter (or leaving it) finishes, and the owner decides what the new text changes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLineEdit, QWidget


def inline_rename(parent: QWidget, text: str, geometry: QRect,
                  on_done: Callable[[str], None]) -> QLineEdit:
    """A line editor holding `text` over `geometry` of `parent`, selected and focused. When
    editing finishes it goes away and `on_done` gets the text without surrounding spaces
    (empty when cleared)."""
    editor = QLineEdit(text, parent)
    editor.setGeometry(geometry)
    editor.selectAll()
    editor.show()
    editor.setFocus()

    def done() -> None:
        new = editor.text().strip()
        editor.deleteLater()
        on_done(new)

    editor.editingFinished.connect(done)
    return editor

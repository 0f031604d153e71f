"""What floats over the lanes without being part of them: the playhead, the edit cursor,
the loop and punch ranges, the rubber band, clips being dragged, the reorder line.

It is transparent to the mouse, and it repaints only the few pixels that changed, so the
playhead moving at the display rate costs the lanes under it a thin strip each frame.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from app.ui.theme import COLOURS

PLAYHEAD = QColor("#f5f6f8")
CURSOR = QColor(COLOURS.accent)


class Overlay(QWidget):
    def __init__(self, parent: QWidget, left: int) -> None:
        super().__init__(parent)
        self.left = left  # x where the lanes start (right of the headers)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.playhead_x: float | None = None
        self.cursor_x: float | None = None
        self.band: QRectF | None = None
        self.ghosts: list[QRectF] = []
        self.reorder_y: float | None = None

    def _strip(self, x: float | None) -> QRect:
        if x is None:
            return QRect()
        return QRect(int(x) - 2, 0, 5, self.height())

    def set_playhead(self, x: float | None) -> None:
        if x is not None:
            x = round(x + self.left)
        if x == self.playhead_x:
            return
        old = self._strip(self.playhead_x)
        self.playhead_x = x
        self.update(old)
        self.update(self._strip(x))

    def set_cursor(self, x: float | None) -> None:
        if x is not None:
            x = round(x + self.left)
        if x != self.cursor_x:
            old = self._strip(self.cursor_x)
            self.cursor_x = x
            self.update(old)
            self.update(self._strip(x))

    def set_shapes(self, band: QRectF | None = None, ghosts: list[QRectF] | None = None,
                   reorder_y: float | None = None) -> None:
        self.band, self.ghosts, self.reorder_y = band, ghosts or [], reorder_y
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setClipRect(QRect(self.left, 0, self.width() - self.left, self.height()))
        if self.cursor_x is not None:
            p.setPen(QPen(CURSOR, 1, Qt.PenStyle.DashLine))
            p.drawLine(int(self.cursor_x), 0, int(self.cursor_x), self.height())
        for ghost in self.ghosts:
            p.setPen(QPen(QColor(COLOURS.accent), 1, Qt.PenStyle.DashLine))
            p.setBrush(QColor(224, 162, 60, 50))
            p.drawRect(ghost)
        if self.band is not None:
            p.setPen(QPen(QColor(COLOURS.accent), 1))
            p.setBrush(QColor(224, 162, 60, 30))
            p.drawRect(self.band)
        if self.reorder_y is not None:
            p.setClipping(False)
            p.fillRect(QRectF(0, self.reorder_y - 1, self.width(), 3), QColor(COLOURS.accent))
        if self.playhead_x is not None:
            p.fillRect(QRectF(self.playhead_x - 0.5, 0, 1.5, self.height()), PLAYHEAD)
        p.end()

"""The ruler above the lanes: bars|beats on top, the clock below, and the markers."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.session.model import Project
from app.ui.arrange.grid import bar_ticks, second_ticks
from app.ui.arrange.timescale import TimeScale
from app.ui.theme import COLOURS, colour, mono_font, ui_font

RULER_HEIGHT = 52


class Ruler(QWidget):
    def __init__(self, scale: TimeScale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = scale
        self.project: Project | None = None
        self.setFixedHeight(RULER_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        scale.changed.connect(self.update)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, colour("panel"))
        mid = 30
        p.fillRect(0, mid, w, h - mid, QColor("#181b1f"))
        pr = self.project
        if pr is not None:
            start, end = self.scale.visible_range()
            self._paint_bars(p, pr, start, end, mid)
            self._paint_clock(p, pr, start, end, mid, h)
            self._paint_markers(p, pr, start, end)
        p.setPen(QColor("#0c0d0f"))
        p.drawLine(0, h - 1, w, h - 1)
        p.end()

    def _paint_bars(self, p: QPainter, pr: Project, start: int, end: int, mid: int) -> None:
        ticks = bar_ticks(start, end + 1, self.scale.frames_per_pixel, pr.sample_rate,
                          pr.tempo, pr.meter_num, pr.meter_den)
        p.setFont(ui_font(9, ui_font().Weight.DemiBold))
        for tick in ticks:
            x = round(self.scale.x_of(tick.frame)) + 0.5
            if tick.major:
                p.setPen(QColor("#59616c"))
                p.drawLine(QPointF(x, mid - 14), QPointF(x, mid))
                p.setPen(colour("text"))
                p.drawText(QRectF(x + 4, mid - 17, 60, 14), Qt.AlignmentFlag.AlignVCenter,
                           tick.label)
            else:
                p.setPen(QColor("#3a4049"))
                p.drawLine(QPointF(x, mid - 5), QPointF(x, mid))
                if tick.label:
                    p.setPen(colour("text_dim"))
                    p.setFont(ui_font(8))
                    p.drawText(QRectF(x + 4, mid - 15, 60, 14), Qt.AlignmentFlag.AlignVCenter,
                               tick.label)
                    p.setFont(ui_font(9, ui_font().Weight.DemiBold))

    def _paint_clock(self, p: QPainter, pr: Project, start: int, end: int, mid: int,
                     h: int) -> None:
        p.setFont(mono_font(8))
        for tick in second_ticks(start, end + 1, self.scale.frames_per_pixel, pr.sample_rate):
            x = round(self.scale.x_of(tick.frame)) + 0.5
            p.setPen(QColor("#3a4049"))
            p.drawLine(QPointF(x, mid), QPointF(x, mid + 5))
            p.setPen(colour("text_dim"))
            p.drawText(QRectF(x + 4, mid + 2, 80, h - mid - 4), Qt.AlignmentFlag.AlignVCenter,
                       tick.label)

    def _paint_markers(self, p: QPainter, pr: Project, start: int, end: int) -> None:
        p.setFont(ui_font(8, ui_font().Weight.DemiBold))
        metrics = p.fontMetrics()
        for marker in pr.markers:
            if not start <= marker.position < end:
                continue
            x = round(self.scale.x_of(marker.position)) + 0.5
            width = metrics.horizontalAdvance(marker.name) + 12
            flag = QRectF(x, 1, width, 13)
            p.fillRect(flag, QColor(COLOURS.accent))
            p.setPen(QColor(COLOURS.window))
            p.drawText(flag.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, marker.name)
            p.setPen(QColor(COLOURS.accent))
            p.drawLine(QPointF(x, 1), QPointF(x, self.height()))
            p.setBrush(QColor(COLOURS.accent))
            p.drawPolygon(QPolygonF([QPointF(x, 14), QPointF(x + 5, 14), QPointF(x, 19)]))

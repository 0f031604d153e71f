"""A track's lane in the arrange view: the grid, and each clip with its waveform.

Drawing asks each clip's peak pyramid for exactly the visible pixels
(`envelope(start, end, pixels)`) and fills one polygon per clip, so the cost depends on
the width of the window, not the length of the session or the zoom. Clips whose pyramid
is not ready are drawn as hatched placeholders that say why.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget
from shiboken6 import VoidPtr

from app.session.model import Clip, Project, Track, TrackKind
from app.ui.arrange.grid import bar_ticks
from app.ui.arrange.timescale import TimeScale
from app.ui.arrange.waveforms import PeakState, WaveformStore
from app.ui.theme import COLOURS, colour, ui_font

TITLE_HEIGHT = 15
MIN_TITLE_LANE = 44  # lanes lower than this draw clips without a title bar
WAVE_HEADROOM = 0.92  # full scale fills this much of the half-height


def polygon_buffer(points: int) -> tuple[QPolygonF, np.ndarray]:
    """A polygon of `points` points and a (points, 2) float64 array that is its memory,
    so numpy fills it without a Python loop over QPointF objects."""
    poly = QPolygonF()
    poly.resize(points)
    buffer = VoidPtr(poly.data(), points * 16, True)
    return poly, np.frombuffer(buffer, dtype=np.float64).reshape(points, 2)


def _alpha(hex_colour: str, alpha: int) -> QColor:
    c = QColor(hex_colour)
    c.setAlpha(alpha)
    return c


def _wave_colour(hex_colour: str) -> QColor:
    c = QColor(hex_colour)
    return QColor.fromHslF(c.hslHueF(), min(1.0, c.hslSaturationF() * 0.9),
                           min(0.86, c.lightnessF() * 1.25 + 0.08))


class TrackLane(QWidget):
    """Paints one track's clips across the TimeScale's visible range."""

    def __init__(self, project: Project, track: Track, scale: TimeScale, store: WaveformStore,
                 index: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.track = track
        self.scale = scale
        self.store = store
        self.index = index
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(track.height)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.drawn_waveforms = 0  # clips drawn from peaks in the last paint (for tests)
        self.drawn_placeholders = 0

    def media_ids(self) -> set[str]:
        return {c.media for c in self.track.clips}

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, colour("lane_alt" if self.index % 2 else "lane"))
        self._paint_grid(p, w, h)
        self.drawn_waveforms = self.drawn_placeholders = 0
        if self.track.kind is TrackKind.BUS:
            p.setPen(colour("text_faint"))
            p.setFont(ui_font(9))
            effect = self.track.bus_effect or "aux"
            p.drawText(QRectF(12, 0, w - 24, h), Qt.AlignmentFlag.AlignVCenter,
                       f"{effect.capitalize()} return: fed by sends")
        for clip in self.track.clips:
            self._paint_clip(p, clip, w, h)
        p.setPen(colour("lane_border"))
        p.drawLine(0, h - 1, w, h - 1)
        p.end()

    def _paint_grid(self, p: QPainter, w: int, h: int) -> None:
        start, end = self.scale.visible_range()
        pr = self.project
        ticks = bar_ticks(start, end + 1, self.scale.frames_per_pixel, pr.sample_rate,
                          pr.tempo, pr.meter_num, pr.meter_den)
        for tick in ticks:
            x = round(self.scale.x_of(tick.frame)) + 0.5
            p.setPen(colour("grid_bar" if tick.major else "grid_beat"))
            p.drawLine(QPointF(x, 0), QPointF(x, h))

    def _paint_clip(self, p: QPainter, clip: Clip, w: int, h: int) -> None:
        x0, x1 = self.scale.x_of(clip.position), self.scale.x_of(clip.end)
        if x1 < 0 or x0 > w:
            return
        body = QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0)
        state = self.store.state(clip.media)
        missing = state in (PeakState.MISSING, PeakState.FAILED)
        # A clip without its audio loses the track colour, so it cannot pass for a quiet one.
        tint = COLOURS.missing if missing else self.track.colour
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(body, QColor("#241c1e") if missing else _alpha(tint, COLOURS.clip_body_alpha))
        wave = QRectF(body)
        if h >= MIN_TITLE_LANE:
            title = QRectF(body.left(), body.top(), body.width(), TITLE_HEIGHT)
            p.fillRect(title, _alpha(tint, COLOURS.clip_title_alpha))
            if body.width() > 24:
                p.setPen(QColor("#0e1012"))
                p.setFont(ui_font(8, ui_font().Weight.DemiBold))
                text = QRectF(max(title.left(), 0) + 5, title.top(), title.width() - 8,
                              title.height())
                name = clip.name or "clip"
                p.drawText(text, Qt.AlignmentFlag.AlignVCenter,
                           f"{name}  (missing)" if missing else name)
            wave.setTop(title.bottom() + 1)
        if state is PeakState.READY:
            self._paint_waveform(p, clip, wave, w, tint)
            self.drawn_waveforms += 1
        else:
            self._paint_placeholder(p, clip, wave, state)
            self.drawn_placeholders += 1
        p.setPen(QPen(_alpha(tint, 190), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(body)

    def _paint_waveform(self, p: QPainter, clip: Clip, rect: QRectF, w: int, tint: str) -> None:
        pyramid = self.store.pyramid(clip.media)
        if pyramid is None:
            return
        px0 = max(0, math.floor(rect.left()))
        px1 = min(w, math.ceil(rect.right()))
        n = px1 - px0
        if n <= 0:
            return
        start = int(self.scale.frame_at(px0)) - clip.position
        end = int(self.scale.frame_at(px1)) - clip.position
        start, end = max(start, 0), min(end, clip.length)
        if end <= start:
            return
        mins, maxs = pyramid.envelope(start + clip.source_offset, end + clip.source_offset, n)
        gain = 10.0 ** (clip.gain_db / 20.0)
        mid = rect.center().y()
        half = rect.height() / 2 * WAVE_HEADROOM
        top = np.clip(mid - maxs.astype(np.float64) * gain * half, rect.top(), rect.bottom())
        bottom = np.clip(mid - mins.astype(np.float64) * gain * half, rect.top(), rect.bottom())
        thin = bottom - top < 1.0  # keep silence visible as a hairline
        top[thin] = mid - 0.5
        bottom[thin] = mid + 0.5
        xs = px0 + np.arange(n, dtype=np.float64) + 0.5
        poly, pts = polygon_buffer(2 * n)
        pts[:n, 0], pts[:n, 1] = xs, top
        pts[n:, 0], pts[n:, 1] = xs[::-1], bottom[::-1]
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_wave_colour(tint))
        p.drawPolygon(poly)
        p.setPen(QPen(_alpha(tint, 90), 1))
        p.drawLine(QPointF(px0, mid), QPointF(px1, mid))

    def _paint_placeholder(self, p: QPainter, clip: Clip, rect: QRectF,
                           state: PeakState | None) -> None:
        missing = state in (PeakState.MISSING, PeakState.FAILED)
        hatch = QColor(COLOURS.missing if missing else COLOURS.text_faint)
        hatch.setAlpha(110 if missing else 70)
        p.fillRect(rect, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        if rect.width() < 60:
            return
        media = self.project.media.get(clip.media)
        name = media.name or media.path if media else clip.media
        if state is PeakState.MISSING:
            text = f"Missing media: {name} (plays as silence)"
        elif state is PeakState.FAILED:
            text = f"No waveform: {self.store.error(clip.media)}"
        else:
            text = "Building waveform…"
        p.setFont(ui_font(8.5))
        metrics = p.fontMetrics()
        label = QRectF(max(rect.left(), 0) + 8, rect.top(), rect.width() - 16, rect.height())
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(label.width()))
        back = QRectF(label.left() - 4, rect.center().y() - metrics.height() / 2 - 2,
                      metrics.horizontalAdvance(shown) + 8, metrics.height() + 4)
        p.fillRect(back, _alpha(COLOURS.window, 220))
        p.setPen(QColor("#f0b0ad" if missing else COLOURS.text_dim))
        p.drawText(label, Qt.AlignmentFlag.AlignVCenter, shown)

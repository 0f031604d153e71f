"""A track's lane in the arrange view: the grid, each clip with its waveform, fades and gain,
the take rows when unfolded, and the mouse gestures on them.

Drawing asks each clip's peak pyramid for exactly the visible pixels
(`envelope(start, end, pixels)`) and fills one polygon per clip, so the cost depends on
the width of the window, not the length of the session or the zoom. Clips whose pyramid
is not ready are drawn as hatched placeholders that say why.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.session.model import Clip, FadeShape, Project, Take, Track, TrackKind
from app.ui.arrange.grid import bar_ticks
from app.ui.arrange.timescale import TimeScale
from app.ui.arrange.waveforms import PeakState, WaveformStore
from app.ui.theme import COLOURS, colour, ui_font

TITLE_HEIGHT = 15
TAKE_ROW = 30  # height of one take row when a track's takes are shown
FOLDED_HEIGHT = 26
EDGE_PX = 6  # how close to a clip's edge a press trims instead of moving
HANDLE_PX = 6
LANE_BIN = 4096  # frames per bin of a lane's own summary, used when zoomed out past it
NARROW_PX = 28  # clips narrower than this skip their title text and fade handles
FAST_PX = 60  # zoomed out, plain clips narrower than this are drawn together in runs
MIN_TITLE_LANE = 44  # lanes lower than this draw clips without a title bar
WAVE_HEADROOM = 0.92  # full scale fills this much of the half-height


def draw_wave(p: QPainter, x0: int, top: np.ndarray, bottom: np.ndarray, y0: float,
              y1: float, colour: QColor) -> None:
    """Fill each pixel column x0 + i from top[i] to bottom[i] (within y0..y1) in `colour`.

    Built as an image with numpy and drawn once: a filled polygon with a vertex per
    column costs the raster engine 100 times more on spiky audio (measured: 15 ms
    against 0.2 ms for 1600 x 26 px)."""
    r0, r1 = int(math.floor(y0)), int(math.ceil(y1))
    h, w = r1 - r0, len(top)
    if h <= 0 or w <= 0:
        return
    rows = np.arange(r0, r1, dtype=np.float32)[:, None] + 0.5
    mask = (rows >= top.astype(np.float32)[None, :]) & (rows <= bottom.astype(np.float32)[None, :])
    pixels = np.where(mask, np.uint32(colour.rgba()), np.uint32(0))
    image = QImage(pixels.data, w, h, w * 4, QImage.Format.Format_ARGB32_Premultiplied)
    p.drawImage(x0, r0, image)


def outline(p: QPainter, rect: QRectF, colour: QColor, width: int, left: int,
            right: int) -> None:
    """A rectangle's border as four fills, cut to the columns being painted: a stroked
    rectangle costs the raster engine far more, and a long clip mostly lies off screen."""
    x0, x1 = int(rect.left()), int(rect.right())
    y0, y1 = int(rect.top()), int(rect.bottom())
    a, b = max(x0, left), min(x1, right)
    if b > a:
        p.fillRect(a, y0, b - a, width, colour)
        p.fillRect(a, y1 - width + 1, b - a, width, colour)
    if left <= x0 <= right:
        p.fillRect(x0, y0, width, y1 - y0 + 1, colour)
    if left <= x1 <= right:
        p.fillRect(x1 - width + 1, y0, width, y1 - y0 + 1, colour)


def _alpha(hex_colour: str, alpha: int) -> QColor:
    c = QColor(hex_colour)
    c.setAlpha(alpha)
    return c


def _wave_colour(hex_colour: str) -> QColor:
    c = QColor(hex_colour)
    return QColor.fromHslF(c.hslHueF(), min(1.0, c.hslSaturationF() * 0.9),
                           min(0.86, c.lightnessF() * 1.25 + 0.08))


def lane_height(track: Track, takes_open: bool) -> int:
    """Pixels a track's row needs: folded buses are thin, open takes add a row each."""
    if track.kind is TrackKind.BUS and track.folded:
        return FOLDED_HEIGHT
    extra = TAKE_ROW * len(track.takes.takes) if takes_open else 0
    return track.height + extra


def fade_curve(shape: FadeShape, t: np.ndarray) -> np.ndarray:
    """Gain 0..1 along a fade-in for t in 0..1 (a fade-out is the mirror)."""
    if shape is FadeShape.LINEAR:
        return t
    if shape is FadeShape.S_CURVE:
        return 0.5 - 0.5 * np.cos(np.pi * t)
    if shape is FadeShape.LOG:
        return np.log10(1 + 9 * t)
    return np.sin(0.5 * np.pi * t)


class Drag:
    """A gesture in progress on a lane (what, where it started, where it is now)."""

    def __init__(self, kind: str, clip: Clip | None, x: float, y: float) -> None:
        self.kind = kind  # move, trim_start, trim_end, fade_in, fade_out, gain, band, swipe
        self.clip = clip
        self.x0, self.y0 = x, y
        self.x, self.y = x, y
        self.take: Take | None = None
        self.moved = False


class TrackLane(QWidget):
    """Paints one track's clips across the TimeScale's visible range; `view` (the
    ArrangeView) carries the editor, the overlay and the other lanes for gestures."""

    def __init__(self, project: Project, track: Track, scale: TimeScale, store: WaveformStore,
                 index: int = 0, parent: QWidget | None = None, view=None) -> None:
        super().__init__(parent)
        self.project = project
        self.track = track
        self.scale = scale
        self.store = store
        self.index = index
        self.view = view
        self.takes_open = bool(view is not None and track.id in view.takes_open)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(lane_height(track, self.takes_open))
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.drawn_waveforms = 0  # clips drawn from peaks in the last paint (for tests)
        self.drawn_placeholders = 0
        self.drag: Drag | None = None
        self.growing: tuple[int, int] | None = None  # a clip being recorded: start, length
        self._summary_key: tuple | None = None
        self._spans_key: tuple | None = None
        self._overlap_key: tuple | None = None
        self._overlap_spans: list[tuple[int, int]] = []
        self._starts = self._ends = np.zeros(0)
        self._summary: tuple[np.ndarray, np.ndarray, np.ndarray, set[str]] | None = None

    def media_ids(self) -> set[str]:
        ids = {c.media for c in self.track.clips}
        return ids | {k.media for k in self.track.takes.takes} if self.takes_open else ids

    def _clip_rows(self) -> int:
        if self.track.kind is TrackKind.BUS and self.track.folded:
            return self.height()
        return self.track.height

    def _selected(self, clip: Clip) -> bool:
        return self.view is not None and clip.id in self.view.editor.selection.clips

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        w, h = self.width(), self._clip_rows()
        area = event.rect()
        left, right = area.left() - 2, area.right() + 2
        p.fillRect(area, colour("lane_alt" if self.index % 2 else "lane"))
        self._paint_grid(p, left, right, self.height())
        self.drawn_waveforms = self.drawn_placeholders = 0
        if self.track.kind is TrackKind.BUS:
            p.setPen(colour("text_faint"))
            p.setFont(ui_font(9))
            effect = self.track.bus_effect or "aux"
            p.drawText(QRectF(12, 0, w - 24, h), Qt.AlignmentFlag.AlignVCenter,
                       f"{effect.capitalize()} return: fed by sends")
        summary = self._lane_summary() if self.scale.frames_per_pixel >= LANE_BIN else None
        self._summarised = summary[3] if summary is not None else set()
        spans = []
        for clip in self._visible_clips(left, right):
            if clip.id in self._summarised and not self._selected(clip):
                x0, x1 = self.scale.x_of(clip.position), self.scale.x_of(clip.end)
                plain = x1 - x0 < FAST_PX or h < MIN_TITLE_LANE
                if plain and not clip.fade_in and not clip.fade_out and not clip.gain_db:
                    if x1 >= left and x0 <= right:
                        spans.append((x0, x1))
                        self.drawn_waveforms += 1
                    continue
            self._paint_clip(p, clip, left, right, h)
        if spans:
            self._paint_spans(p, spans, h)
        if summary is not None:
            self._paint_summary(p, summary, left, right, h)
        self._paint_crossfades(p, h)
        if self.growing is not None:
            self._paint_growing(p, h)
        if self.takes_open:
            self._paint_takes(p, w, h)
        p.setPen(colour("lane_border"))
        p.drawLine(0, self.height() - 1, w, self.height() - 1)
        p.end()

    def _paint_grid(self, p: QPainter, left: int, right: int, h: int) -> None:
        start, end = self.scale.frame_at(max(0, left)), self.scale.frame_at(right)
        if self.view is not None:
            ticks = self.view.grid_ticks(start, end + 1)
        else:
            pr = self.project
            ticks = bar_ticks(start, end + 1, self.scale.frames_per_pixel, pr.sample_rate,
                              pr.tempo, pr.meter_num, pr.meter_den)
        bar, beat = colour("grid_bar"), colour("grid_beat")
        for tick in ticks:
            p.fillRect(round(self.scale.x_of(tick.frame)), 0, 1, h, bar if tick.major else beat)

    def _paint_clip(self, p: QPainter, clip: Clip, left: int, right: int, h: int) -> None:
        x0, x1 = self.scale.x_of(clip.position), self.scale.x_of(clip.end)
        if x1 < left or x0 > right:
            return
        body = QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0)
        state = self.store.state(clip.media)
        missing = state in (PeakState.MISSING, PeakState.FAILED)
        # A clip without its audio loses the track colour, so it cannot pass for a quiet one.
        tint = COLOURS.missing if missing else ("#6b7380" if clip.mute else self.track.colour)
        selected = self._selected(clip)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        body_alpha = COLOURS.clip_body_alpha + (40 if selected else 0)
        p.fillRect(body, QColor("#241c1e") if missing else _alpha(tint, body_alpha))
        wave = QRectF(body)
        narrow = body.width() < NARROW_PX
        if h >= MIN_TITLE_LANE:
            title = QRectF(body.left(), body.top(), body.width(), TITLE_HEIGHT)
            p.fillRect(title, _alpha(tint, 235 if selected else COLOURS.clip_title_alpha))
            if not narrow:
                p.setPen(QColor("#0e1012"))
                p.setFont(ui_font(8, ui_font().Weight.DemiBold))
                text = QRectF(max(title.left(), 0) + 5, title.top(), title.width() - 8,
                              title.height())
                name = clip.name or "clip"
                extra = "  (missing)" if missing else "  (muted)" if clip.mute else ""
                if abs(clip.gain_db) >= 0.05:
                    extra += f"  {clip.gain_db:+.1f} dB".replace("-", "\u2212")
                p.drawText(text, Qt.AlignmentFlag.AlignVCenter, name + extra)
            wave.setTop(title.bottom() + 1)
        if state is PeakState.READY and clip.id in self._summarised:
            self.drawn_waveforms += 1  # drawn with the whole lane in _paint_summary
        elif state is PeakState.READY:
            self._paint_waveform(p, clip, wave, left, right, tint)
            self.drawn_waveforms += 1
        else:
            self._paint_placeholder(p, clip, wave, state)
            self.drawn_placeholders += 1
        tall = self.track.height >= MIN_TITLE_LANE
        if clip.fade_in or clip.fade_out or (tall and not narrow) or selected:
            self._paint_fades(p, clip, body)
        outline(p, body, QColor(COLOURS.accent) if selected else _alpha(tint, 190),
                2 if selected else 1, left, right)

    def _visible_clips(self, left: int, right: int) -> list[Clip]:
        """The clips reaching into pixel columns left..right, found with numpy over
        arrays of clip spans that are rebuilt only after edits."""
        clips = self.track.clips
        version = self.view.version if self.view is not None else -1
        key = (version, id(self.track), len(clips))
        if version < 0 or key != self._spans_key:
            self._spans_key = key
            self._starts = np.array([c.position for c in clips], np.float64)
            self._ends = np.array([c.end for c in clips], np.float64)
        f0, f1 = self.scale.frame_at(left), self.scale.frame_at(right)
        hit = np.flatnonzero((self._ends >= f0) & (self._starts <= f1))
        return [clips[i] for i in hit]

    def _paint_spans(self, p: QPainter, spans: list[tuple[float, float]], h: int) -> None:
        """Bodies of many small plain clips at once: one fill per run of touching clips,
        and a line where each clip starts."""
        spans.sort()
        runs: list[list[float]] = []
        for x0, x1 in spans:
            if runs and x0 <= runs[-1][1] + 0.5:
                runs[-1][1] = max(runs[-1][1], x1)
            else:
                runs.append([x0, x1])
        tint = self.track.colour
        body_colour = _alpha(tint, COLOURS.clip_body_alpha)
        title_colour = _alpha(tint, COLOURS.clip_title_alpha)
        titled = h >= MIN_TITLE_LANE
        for x0, x1 in runs:
            p.fillRect(QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0), body_colour)
            if titled:
                p.fillRect(QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), TITLE_HEIGHT),
                           title_colour)
        edge = _alpha(tint, 190)
        for x0, x1 in runs:
            outline(p, QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0), edge, 1,
                    -2, self.width() + 2)
        if spans[0][1] - spans[0][0] >= 4:
            for x0, _x1 in spans:
                p.fillRect(int(x0), 2, 1, h - 4, edge)

    def _lane_summary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[str]] | None:
        """Min, max and coverage per LANE_BIN frames over the whole lane (clip gain
        applied), and the ids of the clips in it; rebuilt only after edits or when more
        waveforms are ready. Zoomed out, the lane draws this in one pass instead of
        asking every clip."""
        version = self.view.version if self.view is not None else -1
        key = (version, id(self.track), len(self.track.clips), self.store.generation)
        if version >= 0 and key == self._summary_key:
            return self._summary
        self._summary_key = key
        clips = [c for c in self.track.clips
                 if not c.mute and self.store.state(c.media) is PeakState.READY]
        if not clips:
            self._summary = None
            return None
        n = -(-max(c.end for c in clips) // LANE_BIN) + 1
        mins = np.zeros(n, np.float32)
        maxs = np.zeros(n, np.float32)
        covered = np.zeros(n, bool)
        for c in clips:
            b0, b1 = c.position // LANE_BIN, -(-c.end // LANE_BIN)
            lo, hi = self.store.pyramid(c.media).envelope(
                c.source_offset, c.source_offset + c.length, b1 - b0)
            gain = np.float32(10.0 ** (c.gain_db / 20.0))
            np.minimum(mins[b0:b1], lo * gain, out=mins[b0:b1])
            np.maximum(maxs[b0:b1], hi * gain, out=maxs[b0:b1])
            covered[b0:b1] = True
        self._summary = (mins, maxs, covered, {c.id for c in clips})
        return self._summary

    def _paint_summary(self, p: QPainter, summary, left: int, right: int, h: int) -> None:
        mins, maxs, covered, _ids = summary
        px0, px1 = max(0, left), min(self.width(), right)
        if px1 <= px0:
            return
        frames = self.scale.origin + np.arange(px0, px1 + 1) * self.scale.frames_per_pixel
        edges = np.clip((frames // LANE_BIN).astype(np.int64), 0, len(mins))
        inside = edges[:-1] < len(mins)
        if not inside.any():
            return
        n_in = int(np.count_nonzero(inside))
        starts = edges[:n_in]
        lo = np.minimum.reduceat(mins, starts)
        hi = np.maximum.reduceat(maxs, starts)
        cov = np.logical_or.reduceat(covered, starts)
        top_edge = 1.5 + (TITLE_HEIGHT + 1 if h >= MIN_TITLE_LANE else 0)
        bottom_edge = h - 2.5
        mid = (top_edge + bottom_edge) / 2
        half = (bottom_edge - top_edge) / 2 * WAVE_HEADROOM
        top = np.clip(mid - hi.astype(np.float64) * half, top_edge, bottom_edge)
        bottom = np.clip(mid - lo.astype(np.float64) * half, top_edge, bottom_edge)
        thin = bottom - top < 1.0
        top[thin] = mid - 0.5
        bottom[thin] = mid + 0.5
        top[~cov] = mid + 1  # empty: nothing drawn in those columns
        bottom[~cov] = mid - 1
        draw_wave(p, px0, top, bottom, top_edge, bottom_edge, _wave_colour(self.track.colour))

    def _paint_fades(self, p: QPainter, clip: Clip, body: QRectF) -> None:
        """Fade curves over the clip, and the handles that drag them."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        shade = QColor(0, 0, 0, 90)
        for length, shape, inward in ((clip.fade_in, clip.fade_in_shape, True),
                                      (clip.fade_out, clip.fade_out_shape, False)):
            handle_x = body.left() + (length / self.scale.frames_per_pixel if inward else 0)
            if not inward:
                handle_x = body.right() - length / self.scale.frames_per_pixel
            if length > 0:
                px = max(2, int(length / self.scale.frames_per_pixel))
                t = np.linspace(0.0, 1.0, min(px, 200) + 1)
                g = fade_curve(FadeShape(shape), t)
                xs = (body.left() + t * px) if inward else (body.right() - t * px)
                ys = body.bottom() - g * (body.height() - 2)
                pts = [QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
                corner = QPointF(xs[0], body.top())
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(shade)
                p.drawPolygon(QPolygonF([corner, *pts, QPointF(xs[-1], body.top())]))
                p.setPen(QPen(QColor("#f2f4f7"), 1.2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPolyline(QPolygonF(pts))
            if body.width() > 4 * HANDLE_PX and self.track.height >= MIN_TITLE_LANE:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor("#f2f4f7"))
                p.drawRect(QRectF(handle_x - 3 if not inward else handle_x - 1, body.top(),
                                  4, 4))
        show_gain = self._selected(clip) or abs(clip.gain_db) >= 0.05
        if show_gain and body.width() > 6 * HANDLE_PX and self.track.height >= MIN_TITLE_LANE:
            gain_y = self._gain_y(clip, body)
            p.setPen(QPen(QColor(255, 255, 255, 110), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(body.left() + 2, gain_y), QPointF(body.right() - 2, gain_y))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    @staticmethod
    def _gain_y(clip: Clip, body: QRectF) -> float:
        # +12 dB at the top of the waveform area, -24 dB at the bottom
        frac = (12.0 - max(-24.0, min(12.0, clip.gain_db))) / 36.0
        top = body.top() + TITLE_HEIGHT + 2
        return top + frac * (body.bottom() - top - 2)

    def _overlaps(self) -> list[tuple[int, int]]:
        """Frame spans where two clips of the lane overlap (crossfades); cached per edit."""
        version = self.view.version if self.view is not None else -1
        key = (version, id(self.track), len(self.track.clips))
        if version < 0 or key != self._overlap_key:
            self._overlap_key = key
            clips = sorted(self.track.clips, key=lambda c: c.position)
            self._overlap_spans = [(b.position, min(a.end, b.end))
                                   for a, b in zip(clips, clips[1:], strict=False)
                                   if b.position < a.end]
        return self._overlap_spans

    def _paint_crossfades(self, p: QPainter, h: int) -> None:
        spans = self._overlaps()
        if not spans:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for start, end in spans:
            x0, x1 = self.scale.x_of(start), self.scale.x_of(end)
            if x1 - x0 < 2:
                continue
            p.fillRect(QRectF(x0, 2, x1 - x0, h - 5), QColor(224, 162, 60, 40))
            p.setPen(QPen(QColor(COLOURS.accent), 1.3))
            p.drawLine(QPointF(x0, 2), QPointF(x1, h - 3))
            p.drawLine(QPointF(x0, h - 3), QPointF(x1, 2))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_growing(self, p: QPainter, h: int) -> None:
        start, length = self.growing
        x0, x1 = self.scale.x_of(start), self.scale.x_of(start + length)
        body = QRectF(x0, 1.5, max(1.0, x1 - x0), h - 4.0)
        p.fillRect(body, QColor(217, 83, 79, 70))
        p.fillRect(QRectF(body.left(), body.top(), body.width(), TITLE_HEIGHT),
                   QColor(217, 83, 79, 200))
        p.setPen(QColor("#f5f6f8"))
        p.setFont(ui_font(8, ui_font().Weight.DemiBold))
        p.drawText(body.adjusted(5, 0, 0, 0), Qt.AlignmentFlag.AlignTop, "● recording")

    def _paint_takes(self, p: QPainter, w: int, h: int) -> None:
        lane = self.track.takes
        comp = {(r.take, r.start, r.end) for r in lane.comp}
        p.setFont(ui_font(8))
        for i, take in enumerate(lane.takes):
            top = h + i * TAKE_ROW
            p.fillRect(QRectF(0, top, w, TAKE_ROW), QColor("#14161a"))
            x0 = self.scale.x_of(take.position)
            x1 = self.scale.x_of(take.position + take.length)
            p.fillRect(QRectF(x0, top + 3, x1 - x0, TAKE_ROW - 6), _alpha(self.track.colour, 60))
            for take_id, s, e in comp:
                if take_id == take.id:
                    cx0, cx1 = self.scale.x_of(s), self.scale.x_of(e)
                    p.fillRect(QRectF(cx0, top + 3, cx1 - cx0, TAKE_ROW - 6),
                               _alpha(self.track.colour, 200))
            p.setPen(colour("text_dim"))
            p.drawText(QRectF(max(x0, 0) + 6, top, 300, TAKE_ROW), Qt.AlignmentFlag.AlignVCenter,
                       take.name or f"Take {i + 1}")
            p.setPen(colour("lane_border"))
            p.drawLine(0, top, w, top)

    # -- hit tests ---------------------------------------------------------------------

    def clip_at(self, x: float) -> Clip | None:
        frame = self.scale.frame_at(x)
        hits = [c for c in self.track.clips if c.position <= frame < c.end]
        return hits[-1] if hits else None

    def take_at(self, y: float) -> Take | None:
        row = int((y - self.track.height) // TAKE_ROW)
        if not self.takes_open or y < self.track.height or row >= len(self.track.takes.takes):
            return None
        return self.track.takes.takes[row]

    def zone(self, clip: Clip, x: float, y: float) -> str:
        x0, x1 = self.scale.x_of(clip.position), self.scale.x_of(clip.end)
        fpp = self.scale.frames_per_pixel
        if y < 8:
            if abs(x - (x0 + clip.fade_in / fpp)) <= HANDLE_PX:
                return "fade_in"
            if abs(x - (x1 - clip.fade_out / fpp)) <= HANDLE_PX:
                return "fade_out"
        if x - x0 <= EDGE_PX and x1 - x0 > 3 * EDGE_PX:
            return "trim_start"
        if x1 - x <= EDGE_PX and x1 - x0 > 3 * EDGE_PX:
            return "trim_end"
        body = QRectF(x0, 1.5, x1 - x0, self.track.height - 4.0)
        if self.track.height >= MIN_TITLE_LANE and abs(y - self._gain_y(clip, body)) <= 3:
            return "gain"
        return "move"

    # -- gestures ----------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.view is None:
            return
        x, y = event.position().x(), event.position().y()
        editor = self.view.editor
        extend = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.view.focus_track(self.track.id)
        if event.button() == Qt.MouseButton.RightButton:
            clip = self.clip_at(x) if y < self.track.height else None
            self.view.context_menu(self, clip, self.take_at(y), event)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        take = self.take_at(y)
        if take is not None:
            self.drag = Drag("swipe", None, x, y)
            self.drag.take = take
            return
        clip = self.clip_at(x) if y < self.track.height else None
        if clip is None:
            editor.cursor = editor.snapped(self.scale.frame_at(x), self.scale.frames_per_pixel)
            if not extend:
                editor.select(None)
            self.drag = Drag("band", None, x, y)
            self.view.selection_changed()
            return
        editor.cursor = editor.snapped(self.scale.frame_at(x), self.scale.frames_per_pixel)
        if extend or clip.id not in editor.selection.clips:
            editor.select(clip.id, extend)
        self.drag = Drag(self.zone(clip, x, y), clip, x, y)
        self.view.selection_changed()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        x, y = event.position().x(), event.position().y()
        if self.drag is None:
            clip = self.clip_at(x) if y < self.track.height else None
            zone = self.zone(clip, x, y) if clip is not None else ""
            cursors = {"trim_start": Qt.CursorShape.SizeHorCursor,
                       "trim_end": Qt.CursorShape.SizeHorCursor,
                       "fade_in": Qt.CursorShape.PointingHandCursor,
                       "fade_out": Qt.CursorShape.PointingHandCursor,
                       "gain": Qt.CursorShape.SizeVerCursor}
            self.setCursor(cursors.get(zone, Qt.CursorShape.ArrowCursor))
            return
        self.drag.x, self.drag.y = x, y
        self.drag.moved = self.drag.moved or abs(x - self.drag.x0) + abs(y - self.drag.y0) > 3
        if self.drag.moved:
            self.view.show_drag(self, self.drag)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag, self.drag = self.drag, None
        if drag is None or self.view is None:
            return
        self.view.show_drag(self, None)
        x, y = event.position().x(), event.position().y()
        drag.moved = drag.moved or abs(x - drag.x0) + abs(y - drag.y0) > 3
        drag.x, drag.y = x, y
        if drag.moved:
            self.view.finish_drag(self, drag, event.modifiers())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        x, y = event.position().x(), event.position().y()
        clip = self.clip_at(x) if y < self.track.height else None
        if clip is not None and self.view is not None:
            self.view.start_rename(self, clip)

    def _paint_waveform(self, p: QPainter, clip: Clip, rect: QRectF, left: int, right: int,
                        tint: str) -> None:
        pyramid = self.store.pyramid(clip.media)
        if pyramid is None:
            return
        px0 = max(0, left, math.floor(rect.left()))
        px1 = min(self.width(), right, math.ceil(rect.right()))
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
        draw_wave(p, px0, top, bottom, rect.top(), rect.bottom(), _wave_colour(tint))
        p.fillRect(px0, int(mid), px1 - px0, 1, _alpha(tint, 90))

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

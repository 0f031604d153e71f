"""A track's lane in the arrange view: the grid, each clip with its waveform, fades and gain,
the take rows when unfolded, and the mouse gestures on them.

Drawing asks the window's WaveformStore for exactly the visible pixels of each clip
(`envelope(start, end, pixels)`), gathers the columns of every clip into one waveform
image for the whole lane and draws it once, so the cost of a frame depends on the width
of the window, not on the length of the session, the zoom or the number of clips.
Zoomed out past LANE_BIN frames per pixel the lane draws from its own summary instead of
asking each clip. Clips whose pyramid is not ready are drawn as hatched placeholders that
say why.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
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
from app.ui.arrange.raster import bucket_columns, column_pixels, peak_pixels
from app.ui.arrange.timescale import TimeScale
from app.ui.arrange.waveforms import PeakState, WaveformStore
from app.ui.theme import COLOURS, colour, ui_font

TITLE_HEIGHT = 15
TAKE_ROW = 30  # height of one take row when a track's takes are shown
FOLDED_HEIGHT = 26
EDGE_PX = 6  # how close to a clip's edge a press trims instead of moving
HANDLE_PX = 6
LANE_BIN = 4096  # frames per bin of a lane's own summary, used when zoomed out past it
SUMMARY_FACTOR = 4  # each coarser level of the summary
NARROW_PX = 28  # clips narrower than this skip their title text and fade handles
FAST_PX = 60  # zoomed out, plain clips narrower than this are drawn together in runs
MIN_TITLE_LANE = 44  # lanes lower than this draw clips without a title bar
WAVE_HEADROOM = 0.92  # full scale fills this much of the half-height
MUTED_TINT = "#6b7380"
MISSING_BODY = QColor("#241c1e")
TITLE_TEXT = QColor("#0e1012")
FADE_SHADE = QColor(0, 0, 0, 90)
FADE_LINE = QColor("#f2f4f7")
GAIN_LINE = QColor(255, 255, 255, 110)
CROSSFADE_FILL = QColor(224, 162, 60, 40)


def draw_wave(p: QPainter, x0: int, top: np.ndarray, bottom: np.ndarray, y0: float,
              y1: float, colour: QColor | np.ndarray) -> None:
    """Fill each pixel column x0 + i from top[i] to bottom[i] (within y0..y1) in `colour`:
    one QColor, or an ARGB value per column (0 leaves a column empty).

    Built as an image and drawn once: a filled polygon with a vertex per column costs
    the raster engine 100 times more on spiky audio (measured: 15 ms against 0.2 ms for
    1600 x 26 px)."""
    if isinstance(colour, QColor):
        colour = np.full(len(top), colour.rgba(), np.uint32)
    if len(top) and y1 > y0:
        _draw_pixels(p, x0, *column_pixels(top, bottom, colour, y0, y1))


def _draw_pixels(p: QPainter, x0: int, pixels: np.ndarray, r0: int) -> None:
    h, w = pixels.shape
    if h > 0 and w > 0:
        p.drawImage(x0, r0, QImage(pixels.data, w, h, w * 4,
                                   QImage.Format.Format_ARGB32_Premultiplied))


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


def _premultiplied(colour: QColor) -> int:
    """The colour as a premultiplied ARGB pixel, rounded as Qt rounds it."""
    pixel = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
    pixel.fill(colour)
    return int(np.frombuffer(pixel.constBits(), np.uint32)[0])


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


def backdrop(ticks: list, scale: TimeScale, width: int, height: int, base: str,
             bar: str = COLOURS.grid_bar, beat: str = COLOURS.grid_beat) -> QImage:
    """A lane's background `width` x `height` in colour `base`, with the bar and beat
    lines of `ticks` in theirs: one opaque image that all lanes of that height and shade
    draw, instead of a fill and a rectangle per line each."""
    row = np.full(width, QColor(base).rgba(), np.uint32)
    for major in (False, True):
        frames = np.array([t.frame for t in ticks if t.major is major], np.float64)
        xs = np.round((frames - scale.origin) / scale.frames_per_pixel).astype(np.int64)
        row[xs[(xs >= 0) & (xs < width)]] = QColor(bar if major else beat).rgba()
    pixels = np.repeat(row[None, :], max(0, height), axis=0)
    return QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGB32).copy()


class Drag:
    """A gesture in progress on a lane (what, where it started, where it is now)."""

    def __init__(self, kind: str, clip: Clip | None, x: float, y: float) -> None:
        self.kind = kind  # move, trim_start, trim_end, fade_in, fade_out, gain, band, swipe
        self.clip = clip
        self.x0, self.y0 = x, y
        self.x, self.y = x, y
        self.take: Take | None = None
        self.moved = False


class WaveColumns:
    """The waveform of a lane across pixel columns [x0, x1) while a frame is painted:
    each clip writes its columns (a later clip over an earlier one), then it is drawn
    as one image."""

    def __init__(self, x0: int, x1: int, top_edge: float, bottom_edge: float) -> None:
        n = max(0, x1 - x0)
        self.x0 = x0
        self.top_edge, self.bottom_edge = top_edge, bottom_edge
        self.peaks = np.zeros((2, n), np.float64)  # max, then min, per column
        self.colour = np.zeros(n, np.uint32)
        self._used = (n, 0)  # the columns written so far, [first, end)

    def __len__(self) -> int:
        return len(self.colour)

    def put(self, px0: int, lo: np.ndarray, hi: np.ndarray, gain: float, colour: QColor,
            where: np.ndarray | None = None) -> None:
        """Columns from px0 on: min and max, times `gain`, in a colour; with `where`,
        only the columns where it is true."""
        a = px0 - self.x0
        b = a + len(lo)
        peaks = self.peaks[:, a:b]
        if where is None:
            peaks[0] = hi
            peaks[1] = lo
            if gain != 1.0:
                peaks *= gain
            self.colour[a:b] = colour.rgba()
        else:
            np.copyto(peaks[0], np.multiply(hi, gain, dtype=np.float64), where=where)
            np.copyto(peaks[1], np.multiply(lo, gain, dtype=np.float64), where=where)
            self.colour[a:b][where] = colour.rgba()
        self._used = (min(self._used[0], a), max(self._used[1], b))

    def draw(self, p: QPainter) -> None:
        a, b = self._used
        if b > a:
            _draw_pixels(p, self.x0 + a, *peak_pixels(self.peaks[:, a:b], self.colour[a:b],
                                                      self.top_edge, self.bottom_edge,
                                                      WAVE_HEADROOM))


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
        self._summary_content: tuple | None = None
        self._spans_key: tuple | None = None
        self._overlap_key: tuple | None = None
        self._overlap_spans: list[tuple[int, int]] = []
        self._starts = self._ends = np.zeros(0)
        self._simple = np.zeros(0, bool)
        self._order = np.zeros(0, np.int64)
        self._summary: tuple[list[tuple[int, np.ndarray, np.ndarray]], set[str]] | None = None
        self._summarised: set[str] = set()
        self._tints: dict[tuple[str, int], QColor] = {}
        self._waves: dict[str, QColor] = {}
        self._pixels: dict[tuple[str, int], int] = {}
        self._title_font = ui_font(8, QFont.Weight.DemiBold)
        self._label_font = ui_font(8.5)
        self._text_font = ui_font(8)
        self._bus_font = ui_font(9)

    def _tint(self, hex_colour: str, alpha: int) -> QColor:
        """A colour with an alpha, made once per lane rather than once per clip and frame."""
        key = (hex_colour, alpha)
        c = self._tints.get(key)
        if c is None:
            c = self._tints[key] = _alpha(hex_colour, alpha)
        return c

    def _start_pixel(self, hex_colour: str) -> int:
        """The premultiplied pixel of the line where a clip starts, in a run of clips."""
        key = (hex_colour, -190)
        if key not in self._pixels:
            self._pixels[key] = _premultiplied(self._tint(hex_colour, 190))
        return self._pixels[key]

    def _wave_tint(self, hex_colour: str) -> QColor:
        c = self._waves.get(hex_colour)
        if c is None:
            c = self._waves[hex_colour] = _wave_colour(hex_colour)
        return c

    def media_ids(self) -> set[str]:
        ids = {c.media for c in self.track.clips}
        return ids | {k.media for k in self.track.takes.takes} if self.takes_open else ids

    def _clip_rows(self) -> int:
        if self.track.kind is TrackKind.BUS and self.track.folded:
            return self.height()
        return self.track.height

    def _selected(self, clip: Clip) -> bool:
        return self.view is not None and clip.id in self.view.editor.selection.clips

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self._clip_rows()
        area = event.rect()
        left, right = area.left() - 2, area.right() + 2
        self._paint_backdrop(p, area)
        self.drawn_waveforms = self.drawn_placeholders = 0
        if self.track.kind is TrackKind.BUS:
            p.setPen(colour("text_faint"))
            p.setFont(self._bus_font)
            effect = self.track.bus_effect or "aux"
            p.drawText(QRectF(12, 0, w - 24, h), Qt.AlignmentFlag.AlignVCenter,
                       f"{effect.capitalize()} return: fed by sends")
        summary = self._lane_summary() if self.scale.frames_per_pixel >= LANE_BIN else None
        self._summarised = summary[1] if summary is not None else set()
        titled = h >= MIN_TITLE_LANE
        wave = WaveColumns(max(0, left), min(w, right),
                           1.5 + (TITLE_HEIGHT + 1 if titled else 0), h - 2.5)
        clips = self.track.clips
        starts, ends, simple, order = self._clip_arrays()
        x0s = (starts - self.scale.origin) / self.scale.frames_per_pixel
        x1s = (ends - self.scale.origin) / self.scale.frames_per_pixel
        shown = (x1s >= left) & (x0s <= right)
        fast = np.zeros(0, np.int64)
        if summary is not None:
            # plain summarised clips too small for a title go together in runs
            small = (x1s - x0s < FAST_PX) if titled else True
            fast = order[(shown & simple & small)[order]]  # left to right
            selection = self.view.editor.selection.clips if self.view is not None else ()
            if selection and len(fast):
                fast = fast[[clips[i].id not in selection for i in fast]]
            shown[fast] = False
        drawn = [self._paint_clip(p, clips[i], x0s[i], x1s[i], left, right, h, wave)
                 for i in np.flatnonzero(shown).tolist()]
        if len(fast):
            self._paint_spans(p, x0s[fast], x1s[fast], h)
            self.drawn_waveforms += len(fast)
        if summary is not None:
            self._summary_columns(wave, summary)
        wave.draw(p)
        for clip, body, tint, mid_line in drawn:
            self._finish_clip(p, clip, body, tint, mid_line, left, right)
        self._paint_crossfades(p, h)
        if self.growing is not None:
            self._paint_growing(p, h)
        if self.takes_open:
            self._paint_takes(p, w, h)
        p.setPen(self._tint(COLOURS.lane_border, 255))
        p.drawLine(0, self.height() - 1, w, self.height() - 1)
        p.end()

    def _paint_backdrop(self, p: QPainter, area: QRect) -> None:
        """The background and the grid under the clips."""
        base = COLOURS.lane_alt if self.index % 2 else COLOURS.lane
        if self.view is not None:
            image = self.view.lane_backdrop(self.width(), self.height(), base)
        else:
            s, pr = self.scale, self.project
            ticks = bar_ticks(s.frame_at(0), s.frame_at(self.width()) + 1, s.frames_per_pixel,
                              pr.sample_rate, pr.tempo, pr.meter_num, pr.meter_den)
            image = backdrop(ticks, s, self.width(), self.height(), base)
        p.drawImage(area.topLeft(), image, area)

    def _paint_clip(self, p: QPainter, clip: Clip, x0: float, x1: float, left: int,
                    right: int, h: int, wave: WaveColumns
                    ) -> tuple[Clip, QRectF, str, tuple[int, int, int] | None]:
        """A clip's body, title and placeholder, and its waveform's columns into `wave`;
        what goes over the waveform comes after it, in _finish_clip."""
        body = QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0)
        state = self.store.state(clip.media)
        missing = state in (PeakState.MISSING, PeakState.FAILED)
        # A clip without its audio loses the track colour, so it cannot pass for a quiet one.
        tint = COLOURS.missing if missing else (MUTED_TINT if clip.mute else self.track.colour)
        selected = self._selected(clip)
        body_alpha = COLOURS.clip_body_alpha + (40 if selected else 0)
        p.fillRect(body, MISSING_BODY if missing else self._tint(tint, body_alpha))
        rect = QRectF(body)
        narrow = body.width() < NARROW_PX
        if h >= MIN_TITLE_LANE:
            title = QRectF(body.left(), body.top(), body.width(), TITLE_HEIGHT)
            p.fillRect(title, self._tint(tint, 235 if selected else COLOURS.clip_title_alpha))
            if not narrow:
                p.setPen(TITLE_TEXT)
                p.setFont(self._title_font)
                text = QRectF(max(title.left(), 0) + 5, title.top(), title.width() - 8,
                              title.height())
                name = clip.name or "clip"
                extra = "  (missing)" if missing else "  (muted)" if clip.mute else ""
                if abs(clip.gain_db) >= 0.05:
                    extra += f"  {clip.gain_db:+.1f} dB".replace("-", "\u2212")
                p.drawText(text, Qt.AlignmentFlag.AlignVCenter, name + extra)
            rect.setTop(title.bottom() + 1)
        mid_line = None
        if state is PeakState.READY and clip.id in self._summarised:
            self.drawn_waveforms += 1  # its columns come from the lane's summary
        elif state is PeakState.READY:
            mid_line = self._clip_columns(clip, rect, left, right, tint, wave)
            self.drawn_waveforms += 1
        else:
            self._paint_placeholder(p, clip, rect, state)
            self.drawn_placeholders += 1
        return clip, body, tint, mid_line

    def _finish_clip(self, p: QPainter, clip: Clip, body: QRectF, tint: str,
                     mid_line: tuple[int, int, int] | None, left: int, right: int) -> None:
        """What lies over a clip's waveform: the zero line, fades and gain, the border."""
        if mid_line is not None:
            px0, px1, y = mid_line
            p.fillRect(px0, y, px1 - px0, 1, self._tint(tint, 90))
        selected = self._selected(clip)
        tall = self.track.height >= MIN_TITLE_LANE
        if clip.fade_in or clip.fade_out or (tall and body.width() >= NARROW_PX) or selected:
            self._paint_fades(p, clip, body)
        edge = QColor(COLOURS.accent) if selected else self._tint(tint, 190)
        outline(p, body, edge, 2 if selected else 1, left, right)

    def _clip_columns(self, clip: Clip, rect: QRectF, left: int, right: int, tint: str,
                      wave: WaveColumns) -> tuple[int, int, int] | None:
        """Put a clip's visible waveform columns into `wave`; the zero line's columns and
        row, or None when nothing of it shows."""
        px0 = max(0, left, math.floor(rect.left()))
        px1 = min(self.width(), right, math.ceil(rect.right()))
        n = px1 - px0
        if n <= 0:
            return None
        start = int(self.scale.frame_at(px0)) - clip.position
        end = int(self.scale.frame_at(px1)) - clip.position
        start, end = max(start, 0), min(end, clip.length)
        if end <= start:
            return None
        envelope = self.store.envelope(clip.media, start + clip.source_offset,
                                       end + clip.source_offset, n)
        if envelope is None:
            return None
        wave.put(px0, envelope[0], envelope[1], 10.0 ** (clip.gain_db / 20.0),
                 self._wave_tint(tint))
        return px0, px1, int(rect.center().y())

    def _clip_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Start and end frames of the lane's clips, which of them are plain (in the
        lane summary, no fades, no gain), and their order by start then end, as arrays
        rebuilt only after edits or when more waveforms are ready."""
        clips = self.track.clips
        version = self.view.version if self.view is not None else -1
        key = (version, id(self.track), len(clips), self.store.generation)
        if version < 0 or key != self._spans_key:
            self._spans_key = key
            self._starts = np.array([c.position for c in clips], np.float64)
            self._ends = np.array([c.end for c in clips], np.float64)
            ready = {m for m in {c.media for c in clips}
                     if self.store.state(m) is PeakState.READY}
            self._simple = np.array([not c.mute and c.media in ready and not c.fade_in
                                     and not c.fade_out and not c.gain_db for c in clips],
                                    bool)
            self._order = np.lexsort((self._ends, self._starts))
        return self._starts, self._ends, self._simple, self._order

    def _paint_spans(self, p: QPainter, x0s: np.ndarray, x1s: np.ndarray, h: int) -> None:
        """Bodies of many small plain clips at once (given left to right): one fill per
        run of touching clips, and a line where each clip starts."""
        reach = np.maximum.accumulate(x1s)
        breaks = np.flatnonzero(x0s[1:] > reach[:-1] + 0.5).tolist()
        lefts, reaches = x0s.tolist(), reach.tolist()
        runs = [(lefts[a], reaches[b]) for a, b in
                zip([0, *(k + 1 for k in breaks)], [*breaks, len(lefts) - 1], strict=True)]
        tint = self.track.colour
        body_colour = self._tint(tint, COLOURS.clip_body_alpha)
        title_colour = self._tint(tint, COLOURS.clip_title_alpha)
        titled = h >= MIN_TITLE_LANE
        for x0, x1 in runs:
            p.fillRect(QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0), body_colour)
            if titled:
                p.fillRect(QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), TITLE_HEIGHT),
                           title_colour)
        edge = self._tint(tint, 190)
        for x0, x1 in runs:
            outline(p, QRectF(x0 + 0.5, 1.5, max(1.0, x1 - x0 - 1.0), h - 4.0), edge, 1,
                    -2, self.width() + 2)
        if x1s[0] - x0s[0] >= 4:
            # one image row with a pixel where each clip starts, stretched down the lane
            width = self.width()
            xs = x0s.astype(np.int64)
            row = np.zeros(width, np.uint32)
            row[xs[(xs >= 0) & (xs < width)]] = self._start_pixel(tint)
            p.drawImage(QRectF(0, 2, width, h - 4),
                        QImage(row.data, width, 1, width * 4,
                               QImage.Format.Format_ARGB32_Premultiplied))

    def _lane_summary(self) -> tuple[list[tuple[int, np.ndarray, np.ndarray]], set[str]] | None:
        """Min and max per LANE_BIN frames over the whole lane (clip gain applied), then
        levels SUMMARY_FACTOR times coarser, each as (frames per bin, mins, maxs); and
        the ids of the clips in it. Bins under no clip hold min > max. Zoomed out, the
        lane draws this in one pass instead of asking every clip.

        Building it asks every clip's pyramid (2-3 ms for 60 clips), so after an edit or
        a new waveform it is rebuilt only when the lane's own clips or their waveforms
        changed: an edit elsewhere costs a glance at the clips, not 32 rebuilds."""
        version = self.view.version if self.view is not None else -1
        key = (version, id(self.track), len(self.track.clips), self.store.generation)
        if version >= 0 and key == self._summary_key:
            return self._summary
        self._summary_key = key
        clips = self.track.clips
        content = ([(c.id, c.media, c.position, c.length, c.source_offset, c.gain_db, c.mute)
                    for c in clips],
                   [(m, self.store.state(m), id(self.store.pyramid(m)))
                    for m in sorted({c.media for c in clips})])
        if version >= 0 and content == self._summary_content:
            return self._summary
        self._summary_content = content
        clips = [c for c in clips
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
        mins[~covered] = np.inf
        maxs[~covered] = -np.inf
        levels = [(LANE_BIN, mins, maxs)]
        while len(mins) > SUMMARY_FACTOR:
            pad = -len(mins) % SUMMARY_FACTOR
            mins = np.append(mins, np.full(pad, np.inf, np.float32))
            maxs = np.append(maxs, np.full(pad, -np.inf, np.float32))
            # strided slices: a reduction along a short last axis is 50 times slower
            mins = np.minimum.reduce([mins[k::SUMMARY_FACTOR] for k in range(SUMMARY_FACTOR)])
            maxs = np.maximum.reduce([maxs[k::SUMMARY_FACTOR] for k in range(SUMMARY_FACTOR)])
            levels.append((levels[-1][0] * SUMMARY_FACTOR, mins, maxs))
        self._summary = (levels, {c.id for c in clips})
        return self._summary

    def _summary_columns(self, wave: WaveColumns, summary) -> None:
        """The lane summary's min and max over each pixel's bins, from the coarsest level
        with four bins or more a pixel, into `wave`; columns over no clip stay empty."""
        levels, _ids = summary
        bin_frames, mins, maxs = levels[0]
        for level in levels[1:]:
            if 4 * level[0] <= self.scale.frames_per_pixel:
                bin_frames, mins, maxs = level
        n = len(wave)
        start = int(self.scale.frame_at(wave.x0))
        end = int(self.scale.frame_at(wave.x0 + n))
        if n > 0 and end > start:
            lo, hi = bucket_columns(mins, maxs, bin_frames, start, end, n)
            wave.put(wave.x0, lo, hi, 1.0, self._wave_tint(self.track.colour),
                     where=lo <= hi)

    def _paint_fades(self, p: QPainter, clip: Clip, body: QRectF) -> None:
        """Fade curves over the clip, and the handles that drag them."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
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
                p.setBrush(FADE_SHADE)
                p.drawPolygon(QPolygonF([corner, *pts, QPointF(xs[-1], body.top())]))
                p.setPen(QPen(FADE_LINE, 1.2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPolyline(QPolygonF(pts))
            if body.width() > 4 * HANDLE_PX and self.track.height >= MIN_TITLE_LANE:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(FADE_LINE)
                p.drawRect(QRectF(handle_x - 3 if not inward else handle_x - 1, body.top(),
                                  4, 4))
        show_gain = self._selected(clip) or abs(clip.gain_db) >= 0.05
        if show_gain and body.width() > 6 * HANDLE_PX and self.track.height >= MIN_TITLE_LANE:
            gain_y = self._gain_y(clip, body)
            p.setPen(QPen(GAIN_LINE, 1, Qt.PenStyle.DashLine))
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
            p.fillRect(QRectF(x0, 2, x1 - x0, h - 5), CROSSFADE_FILL)
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
        p.setFont(self._title_font)
        p.drawText(body.adjusted(5, 0, 0, 0), Qt.AlignmentFlag.AlignTop, "● recording")

    def _paint_takes(self, p: QPainter, w: int, h: int) -> None:
        lane = self.track.takes
        comp = {(r.take, r.start, r.end) for r in lane.comp}
        p.setFont(self._text_font)
        for i, take in enumerate(lane.takes):
            top = h + i * TAKE_ROW
            p.fillRect(QRectF(0, top, w, TAKE_ROW), QColor("#14161a"))
            x0 = self.scale.x_of(take.position)
            x1 = self.scale.x_of(take.position + take.length)
            p.fillRect(QRectF(x0, top + 3, x1 - x0, TAKE_ROW - 6),
                       self._tint(self.track.colour, 60))
            for take_id, s, e in comp:
                if take_id == take.id:
                    cx0, cx1 = self.scale.x_of(s), self.scale.x_of(e)
                    p.fillRect(QRectF(cx0, top + 3, cx1 - cx0, TAKE_ROW - 6),
                               self._tint(self.track.colour, 200))
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
        p.setFont(self._label_font)
        metrics = p.fontMetrics()
        label = QRectF(max(rect.left(), 0) + 8, rect.top(), rect.width() - 16, rect.height())
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(label.width()))
        back = QRectF(label.left() - 4, rect.center().y() - metrics.height() / 2 - 2,
                      metrics.horizontalAdvance(shown) + 8, metrics.height() + 4)
        p.fillRect(back, self._tint(COLOURS.window, 220))
        p.setPen(QColor("#f0b0ad" if missing else COLOURS.text_dim))
        p.drawText(label, Qt.AlignmentFlag.AlignVCenter, shown)

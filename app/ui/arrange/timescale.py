"""The horizontal mapping shared by the ruler and every lane: frames <-> pixels.

One TimeScale per arrange view. It holds the zoom (frames per pixel) and the frame at the
left edge; the ruler and the lanes draw from it and repaint when it changes, so they
never disagree about where a bar line is.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

MIN_FRAMES_PER_PIXEL = 1.0
MAX_FRAMES_PER_PIXEL = 48000.0 * 60  # an hour in 60 pixels
TAIL_FRAMES_RATIO = 0.1  # room to scroll past the last clip


class TimeScale(QObject):
    changed = Signal()

    def __init__(self, sample_rate: int = 48000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sample_rate = sample_rate
        self.frames_per_pixel = sample_rate / 100.0  # 100 px per second
        self.origin = 0.0  # frame at x = 0
        self.width = 1  # visible lane width in pixels
        self.session_frames = 0

    def x_of(self, frame: float) -> float:
        return (frame - self.origin) / self.frames_per_pixel

    def frame_at(self, x: float) -> float:
        return self.origin + x * self.frames_per_pixel

    def visible_range(self) -> tuple[int, int]:
        """Frames [start, end) across the visible width."""
        return int(self.origin), int(self.frame_at(self.width))

    def extent(self) -> int:
        """Frames the view can scroll over: the session plus some room after it."""
        tail = max(self.session_frames * TAIL_FRAMES_RATIO, self.sample_rate * 10)
        return int(self.session_frames + tail)

    def _clamp(self) -> None:
        most = max(0.0, self.extent() - self.width * self.frames_per_pixel)
        self.origin = min(max(0.0, self.origin), most)

    def set_width(self, width: int) -> None:
        if width != self.width:
            self.width = max(1, width)
            self._clamp()
            self.changed.emit()

    def set_session_frames(self, frames: int) -> None:
        self.session_frames = max(0, int(frames))
        self._clamp()
        self.changed.emit()

    def set_origin(self, frame: float) -> None:
        old = self.origin
        self.origin = frame
        self._clamp()
        if self.origin != old:
            self.changed.emit()

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """Multiply frames-per-pixel by `factor`, keeping the frame under `anchor_x` still."""
        anchor_x = self.width / 2 if anchor_x is None else anchor_x
        anchor = self.frame_at(anchor_x)
        fpp = min(max(self.frames_per_pixel * factor, MIN_FRAMES_PER_PIXEL), self.max_zoom_out())
        if fpp == self.frames_per_pixel:
            return
        self.frames_per_pixel = fpp
        self.origin = anchor - anchor_x * fpp
        self._clamp()
        self.changed.emit()

    def max_zoom_out(self) -> float:
        return min(MAX_FRAMES_PER_PIXEL, max(MIN_FRAMES_PER_PIXEL, self.extent() / self.width))

    def fit(self) -> None:
        """Show the whole session."""
        self.frames_per_pixel = self.max_zoom_out()
        self.origin = 0.0
        self.changed.emit()

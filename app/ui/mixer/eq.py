"""The EQ display: the strip's response curve, a thumbnail for the strip and an editor.

The curve comes from the engine (`strip_response_db`): the same RBJ biquads the kernel
runs (high-pass, then the four bands), so what is drawn is what is heard. The editor lets
a band be dragged on the curve (frequency sideways, gain up and down, wheel for Q); each
drag is one undo step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.engine.engine import strip_response_db
from app.session.edits import Edit, EditError, SetParam, SetStripParams
from app.session.model import EqKind, StripParams, Track
from app.ui.mixer.widgets import Knob, format_db
from app.ui.theme import COLOURS, mono_font, ui_font

F_LOW, F_HIGH = 20.0, 20000.0
GAIN_RANGE_DB = 18.0
BAND_COLOURS = ("#e0714f", "#e8b94a", "#5fb58a", "#5aa6e6")
_KIND_NAMES = {EqKind.LOW_SHELF: "Low shelf", EqKind.PEAK: "Peak", EqKind.HIGH_SHELF: "High shelf"}


def log_freqs(n: int) -> np.ndarray:
    return np.geomspace(F_LOW, F_HIGH, n)


class EqCurve(QWidget):
    """Paints a strip's response; the editor's version also drags bands."""

    clicked = Signal()

    def __init__(self, rate: int, editable: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rate = rate
        self.editable = editable
        self._strip: StripParams | None = None
        self._key: tuple = ()
        self._path = QPainterPath()
        self._path_size = (0, 0)
        self._drag_band: int | None = None
        self.on_drag: Callable[[int, float, float], None] | None = None
        self.on_release: Callable[[], None] | None = None
        self.on_q: Callable[[int, float], None] | None = None
        self._bg = QColor("#0f1113")
        self._grid = QColor("#22262c")
        self._zero = QColor("#343a42")
        self._curve = QColor(COLOURS.accent)
        self._curve_off = QColor(COLOURS.text_faint)
        self._fill = QColor(COLOURS.accent)
        self._fill.setAlpha(40)
        self._label = QColor(COLOURS.text_faint)
        self._font = mono_font(6.5)
        if not editable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip("EQ: click to edit")

    def set_strip(self, strip: StripParams) -> None:
        """Show `strip`'s response; redrawn only when its filters changed."""
        key = (strip.hpf_on, strip.hpf_freq, strip.eq_on,
               tuple((b.kind, b.freq, b.gain_db, b.q, b.enabled) for b in strip.eq))
        if strip is self._strip and key == self._key:
            return
        self._strip, self._key = strip, key
        self._path_size = (0, 0)
        self.update()

    # geometry
    def _plot(self) -> QRectF:
        pad = 6.0 if self.editable else 1.0
        return QRectF(pad + (18 if self.editable else 0), pad, self.width() - 2 * pad
                      - (18 if self.editable else 0), self.height() - 2 * pad
                      - (12 if self.editable else 0))

    def _x(self, f: float | np.ndarray, r: QRectF):
        return r.left() + np.log(np.asarray(f) / F_LOW) / np.log(F_HIGH / F_LOW) * r.width()

    def _y(self, db: float | np.ndarray, r: QRectF):
        return r.center().y() - np.asarray(db) / GAIN_RANGE_DB * r.height() / 2

    def _freq_at(self, x: float, r: QRectF) -> float:
        frac = min(max((x - r.left()) / r.width(), 0.0), 1.0)
        f = F_LOW * (F_HIGH / F_LOW) ** frac
        return float(round(f)) if f >= 100 else round(f, 1)

    def _gain_at(self, y: float, r: QRectF) -> float:
        db = (r.center().y() - y) / (r.height() / 2) * GAIN_RANGE_DB
        return round(min(max(db, -GAIN_RANGE_DB), GAIN_RANGE_DB), 1)

    def _band_point(self, b: int, r: QRectF) -> QPointF:
        assert self._strip is not None
        band = self._strip.eq[b]
        return QPointF(float(self._x(band.freq, r)), float(self._y(band.gain_db, r)))

    def _build_path(self, r: QRectF) -> None:
        assert self._strip is not None
        n = max(32, int(r.width() / (2 if not self.editable else 1.5)))
        f = log_freqs(n)
        db = np.clip(strip_response_db(self._strip, f, self.rate), -GAIN_RANGE_DB * 1.5,
                     GAIN_RANGE_DB * 1.5)
        xs, ys = self._x(f, r), self._y(db, r)
        path = QPainterPath(QPointF(xs[0], ys[0]))
        for x, y in zip(xs[1:], ys[1:], strict=True):
            path.lineTo(float(x), float(y))
        self._path = path
        self._path_size = (self.width(), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), self._bg)
        r = self._plot()
        p.setFont(self._font)
        for f in (100.0, 1000.0, 10000.0):
            x = float(self._x(f, r))
            p.fillRect(QRectF(x, r.top(), 1, r.height()), self._grid)
            if self.editable:
                p.setPen(self._label)
                p.drawText(QRectF(x - 20, r.bottom() + 1, 40, 11), Qt.AlignmentFlag.AlignCenter,
                           f"{f / 1000:g}k" if f >= 1000 else f"{f:g}")
        if self.editable:
            for db in (-12, -6, 6, 12):
                y = float(self._y(db, r))
                p.fillRect(QRectF(r.left(), y, r.width(), 1), self._grid)
                p.setPen(self._label)
                p.drawText(QRectF(0, y - 6, r.left() - 3, 12),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{db:+d}")
        p.fillRect(QRectF(r.left(), float(self._y(0.0, r)), r.width(), 1), self._zero)
        if self._strip is None:
            p.end()
            return
        if self._path_size != (self.width(), self.height()):
            self._build_path(r)
        active = self._strip.eq_on or self._strip.hpf_on
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = QPainterPath(self._path)
        zero_y = float(self._y(0.0, r))
        fill.lineTo(r.right(), zero_y)
        fill.lineTo(r.left(), zero_y)
        fill.closeSubpath()
        p.fillPath(fill, self._fill)
        p.setPen(QPen(self._curve if active else self._curve_off, 1.6 if self.editable else 1.2))
        p.drawPath(self._path)
        if self.editable:
            for b, band in enumerate(self._strip.eq):
                colour = QColor(BAND_COLOURS[b % len(BAND_COLOURS)])
                if not (band.enabled and self._strip.eq_on):
                    colour.setAlpha(90)
                p.setPen(QPen(QColor("#0f1113"), 1.5))
                p.setBrush(colour)
                p.drawEllipse(self._band_point(b, r), 6.5, 6.5)
        p.end()

    def _hit(self, pos: QPointF) -> int | None:
        if self._strip is None:
            return None
        r = self._plot()
        best, best_d = None, 14.0
        for b in range(len(self._strip.eq)):
            pt = self._band_point(b, r)
            d = ((pt.x() - pos.x()) ** 2 + (pt.y() - pos.y()) ** 2) ** 0.5
            if d < best_d:
                best, best_d = b, d
        return best

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.editable:
            self.clicked.emit()
            return
        self._drag_band = self._hit(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_band is None or self.on_drag is None:
            return
        r = self._plot()
        pos = event.position()
        self.on_drag(self._drag_band, self._freq_at(pos.x(), r), self._gain_at(pos.y(), r))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_band is not None:
            self._drag_band = None
            if self.on_release is not None:
                self.on_release()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        band = self._hit(event.position()) if self.editable else None
        if band is None or self.on_q is None or self._strip is None:
            return
        q = self._strip.eq[band].q * (1.15 ** (event.angleDelta().y() / 120.0))
        self.on_q(band, round(min(max(q, 0.1), 20.0), 2))


def _hz(v: float) -> str:
    return f"{v / 1000:.3g} kHz" if v >= 1000 else f"{v:.0f} Hz"


class EqEditor(QDialog):
    """Edit one strip's high-pass and EQ with a draggable curve and a row per band."""

    def __init__(
        self,
        track: Track,
        rate: int,
        apply: Callable[[Edit], bool],
        close_merge: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.track = track
        self._apply = apply
        self._close_merge = close_merge
        self.setWindowTitle(f"EQ — {track.name}")
        self.setObjectName("eqEditor")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        self.curve = EqCurve(rate, editable=True)
        self.curve.setMinimumHeight(230)
        self.curve.on_drag = self._drag
        self.curve.on_release = close_merge
        self.curve.on_q = lambda b, q: self._set(f"eq.{b}.q", q, close=True)
        layout.addWidget(self.curve, 1)

        top = QHBoxLayout()
        self.eq_on = QCheckBox("EQ on")
        self.eq_on.toggled.connect(lambda on: self._set("eq_on", on, close=True))
        self.hpf_on = QCheckBox("High-pass")
        self.hpf_on.toggled.connect(lambda on: self._set("hpf_on", on, close=True))
        self.hpf_freq = Knob("High-pass frequency", 20.0, 1000.0, 80.0,
                             _hz, log=True, show_value=True)
        self._wire(self.hpf_freq, "hpf_freq")
        top.addWidget(self.eq_on)
        top.addSpacing(16)
        top.addWidget(self.hpf_on)
        top.addWidget(self.hpf_freq)
        top.addStretch(1)
        layout.addLayout(top)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self.band_on: list[QCheckBox] = []
        self.band_kind: list[QComboBox] = []
        self.band_knobs: list[tuple[Knob, Knob, Knob]] = []
        for b in range(len(track.strip.eq)):
            on = QCheckBox(f"Band {b + 1}")
            on.setStyleSheet(f"QCheckBox {{ color: {BAND_COLOURS[b % 4]}; font-weight: 600; }}")
            on.toggled.connect(lambda v, b=b: self._set(f"eq.{b}.enabled", v, close=True))
            kind = QComboBox()
            for k in EqKind:
                kind.addItem(_KIND_NAMES[k], k.value)
            kind.currentIndexChanged.connect(
                lambda i, b=b, box=kind: self._set(f"eq.{b}.kind", box.itemData(i), close=True))
            freq = Knob("Frequency", F_LOW, F_HIGH, 1000.0, _hz, log=True,
                        show_value=True)
            gain = Knob("Gain", -GAIN_RANGE_DB, GAIN_RANGE_DB, 0.0, lambda v: f"{format_db(v)} dB",
                        bipolar=True, show_value=True)
            q = Knob("Q", 0.1, 20.0, 0.707, lambda v: f"Q {v:.2f}", log=True, show_value=True)
            for knob, name in ((freq, "freq"), (gain, "gain_db"), (q, "q")):
                self._wire(knob, f"eq.{b}.{name}")
            for col, w in enumerate((on, kind, freq, gain, q)):
                grid.addWidget(w, b // 2, col + (b % 2) * 6)
            self.band_on.append(on)
            self.band_kind.append(kind)
            self.band_knobs.append((freq, gain, q))
        grid.setColumnMinimumWidth(5, 24)
        layout.addLayout(grid)
        self.message = QLabel()
        self.message.setObjectName("mixerMessage")
        self.message.setFont(ui_font(8.5))
        layout.addWidget(self.message)
        self.refresh()

    def _wire(self, knob: Knob, path: str) -> None:
        knob.pressed.connect(self._close_merge)
        knob.moved.connect(lambda v: self._set(path, v))
        knob.released.connect(self._close_merge)

    def _try(self, edit: Edit) -> None:
        try:
            self._apply(edit)
            self.message.clear()
        except EditError as e:
            self.message.setText(str(e))
            self.refresh()

    def _set(self, path: str, value, close: bool = False) -> None:
        if close:
            self._close_merge()
        self._try(SetParam(self.track.id, path, value))
        if close:
            self._close_merge()

    def _drag(self, band: int, freq: float, gain: float) -> None:
        values = {f"eq.{band}.freq": freq, f"eq.{band}.gain_db": gain}
        self._try(SetStripParams(self.track.id, values, label=f"Move EQ band {band + 1}"))

    def refresh(self) -> None:
        """Show the strip's values (after any change, including undo)."""
        strip = self.track.strip
        self.curve.set_strip(strip)
        widgets: list[QWidget] = [self.eq_on, self.hpf_on, *self.band_on, *self.band_kind]
        for w in widgets:
            w.blockSignals(True)
        self.eq_on.setChecked(strip.eq_on)
        self.hpf_on.setChecked(strip.hpf_on)
        self.hpf_freq.set_value(strip.hpf_freq)
        self.hpf_freq.set_active(strip.hpf_on)
        for b, band in enumerate(strip.eq):
            self.band_on[b].setChecked(band.enabled)
            self.band_kind[b].setCurrentIndex(self.band_kind[b].findData(EqKind(band.kind).value))
            for knob, value in zip(self.band_knobs[b], (band.freq, band.gain_db, band.q),
                                   strict=True):
                knob.set_value(value)
                knob.set_active(band.enabled and strip.eq_on)
        for w in widgets:
            w.blockSignals(False)

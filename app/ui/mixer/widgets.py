"""Small painted controls of the mixer: fader, level meter, knob, gain-reduction bar, dB field.

They know nothing about projects or the engine. A control reports a user's change with
`moved(value)` while it happens and `released()` when the gesture ends (mouse up, a
typed value, a double-click reset), so the owner can merge a drag into one undo step.
Fader and Knob also say `touched(True)` when a hand takes them (mouse down, before any
move) and `touched(False)` when it lets go: automation in Touch, Latch and Trim writes
while a control is held. A wheel step cannot be held; the owner decides how long it counts.
`set_value` never emits: the owner calls it to show the project's value.

Meters are built for many instances at 30-60 Hz: `set_levels` only does arithmetic and
asks for a repaint when a drawn pixel would change, and `paintEvent` is a handful of
fillRect calls with colours made once per widget.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QLineEdit, QSizePolicy, QWidget

from app.session.faders import FADER_MAX_DB, SILENCE_DB, fader_db, fader_pos
from app.ui.theme import COLOURS, mono_font, ui_font

METER_FLOOR_DB = -60.0
METER_TOP_DB = 6.0
PEAK_FALL_DB_PER_S = 24.0
RMS_FALL_DB_PER_S = 18.0
PEAK_HOLD_S = 1.5
STRIP_BG = "#1d2025"  # the channel strip's panel (see window.STYLE)
MASTER_BG = "#23272d"
CLIP_LINEAR = 0.999  # a sample this close to full scale counts as a clip

FADER_SCALE = (12, 6, 0, -6, -12, -24, -40, -60)
METER_SCALE = (6, 0, -6, -12, -18, -24, -36, -48)


def lin_to_db(x: float) -> float:
    return 20.0 * math.log10(x) if x > 1e-6 else SILENCE_DB


def format_db(db: float, digits: int = 1) -> str:
    """A level as people write it: "-3.0", "+2.5", "0.0", or "-inf"."""
    if db <= SILENCE_DB:
        return "-inf"
    text = f"{db:+.{digits}f}"
    return text[1:] if text[1:] == f"{0:.{digits}f}" else text


def parse_db(text: str) -> float:
    """A typed level ("-3", "-3 dB", "+1.5", "-inf", "off") in dB; ValueError with a sentence."""
    t = text.strip().lower().removesuffix("db").strip()
    if t in ("-inf", "inf", "-∞", "off", "-"):
        return SILENCE_DB
    try:
        value = float(t)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a level; type a number of dB such as -6 or -inf.") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a level; type a number of dB such as -6 or -inf.")
    return max(SILENCE_DB, value)


class HeldControl(QWidget):
    """What a fader and a knob share: the signals saying a hand took, moved and let go of
    the control, and double-click for the default. A subclass keeps `_drag` set while the
    mouse holds it, and makes `_change(value)` set the value and emit `moved`."""

    moved = Signal(float)
    pressed = Signal()
    released = Signal()
    touched = Signal(bool)

    default = 0.0  # what a double-click sets
    _drag: tuple[float, float] | None  # set while the mouse holds the control

    @property
    def held(self) -> bool:
        """A hand (the mouse) is on the control now."""
        return self._drag is not None

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is not None:
            self._drag = None
            self.touched.emit(False)
            self.released.emit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.pressed.emit()
        self._change(self.default)
        self.released.emit()


class Fader(HeldControl):
    """A vertical fader in dB. Drag (Shift for fine), wheel, double-click for 0 dB."""

    CAP_W, CAP_H = 26, 38
    LABEL_W = 18

    def __init__(self, parent: QWidget | None = None, labels: bool = False) -> None:
        super().__init__(parent)
        self._labels = labels  # dB numbers beside the travel, where no meter scale is near
        self._db = 0.0
        self._drag: tuple[float, float] | None = None  # (start y, start position)
        self.setMinimumSize(34 + (self.LABEL_W if labels else 0), 150)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.SizeVerCursor)
        self.setToolTip("Fader: drag (Shift for fine), wheel, double-click for 0 dB")
        self._groove = QColor("#0b0c0e")
        self._tick = QColor(COLOURS.text_faint)
        self._unity = QColor(COLOURS.text_dim)
        self._cap = QColor("#c9ced6")
        self._cap_edge = QColor("#7d8590")
        self._cap_line = QColor("#1a1c20")
        self._font = mono_font(6.5)

    def value(self) -> float:
        return self._db

    def set_value(self, db: float) -> None:
        if db != self._db:
            self._db = db
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(34, 220)

    def _travel(self) -> tuple[int, int]:
        """The y of the top (position 1) and of the bottom (position 0) of the cap centre."""
        half = self.CAP_H // 2
        return half + 2, self.height() - half - 2

    def _y(self, pos: float) -> float:
        top, bottom = self._travel()
        return bottom - pos * (bottom - top)

    def _change(self, db: float) -> None:
        if db != self._db:
            self._db = db
            self.update()
            self.moved.emit(db)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.pressed.emit()
        self.touched.emit(True)
        y = event.position().y()
        cap_y = self._y(fader_pos(self._db))
        if abs(y - cap_y) > self.CAP_H / 2:
            # A click beside the cap moves it there; a press on the cap never jumps.
            top, bottom = self._travel()
            self._change(fader_db((bottom - y) / max(1, bottom - top)))
        self._drag = (y, fader_pos(self._db))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        start_y, start_pos = self._drag
        top, bottom = self._travel()
        scale = 0.1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
        dy = event.position().y() - start_y
        self._change(fader_db(start_pos - dy * scale / max(1, bottom - top)))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        fine = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        base = self._db if self._db > SILENCE_DB else -90.0
        self.pressed.emit()
        self._change(min(FADER_MAX_DB, round(base + steps * (0.1 if fine else 0.5), 1)))
        self.released.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        label_w = self.LABEL_W if self._labels else 0
        cx = label_w + (self.width() - label_w) // 2
        top, bottom = self._travel()
        p.fillRect(cx - 2, top - 4, 4, bottom - top + 8, self._groove)
        p.setFont(self._font)
        for db in FADER_SCALE:
            y = int(self._y(fader_pos(db)))
            colour = self._unity if db == 0 else self._tick
            p.fillRect(cx - 11, y, 6, 1, colour)
            p.fillRect(cx + 5, y, 6, 1, colour)
            if self._labels:
                p.setPen(colour)
                p.drawText(QRect(0, y - 6, label_w, 12),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           f"+{db}" if db > 0 else str(abs(db)))
        y = self._y(fader_pos(self._db))
        cap = QRectF(cx - self.CAP_W / 2, y - self.CAP_H / 2, self.CAP_W, self.CAP_H)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(self._cap_edge, 1))
        p.setBrush(self._cap)
        p.drawRoundedRect(cap, 3, 3)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(QRectF(cap.left() + 3, y - 1, self.CAP_W - 6, 2), self._cap_line)
        for dy in (-9, -5, 5, 9):
            p.fillRect(QRectF(cap.left() + 6, y + dy, self.CAP_W - 12, 1), self._cap_edge)
        p.end()


class Meter(QWidget):
    """A vertical level meter: peak (light) and RMS (solid) bars, peak hold, clip light.

    The readout on top shows the highest peak since the last reset (click to reset it and
    the clip light). Levels are linear, as the engine reports them.
    """

    READOUT_H = 15

    def __init__(self, parent: QWidget | None = None, scale: bool = True,
                 readout: bool = True) -> None:
        super().__init__(parent)
        self._scale = scale
        self._readout = readout
        self._peak_db = SILENCE_DB
        self._rms_db = SILENCE_DB
        self._hold_db = SILENCE_DB
        self._hold_left = 0.0
        self._max_db = SILENCE_DB
        self._clipped = False
        self._drawn: tuple[int, int, int, bool, str] | None = None
        self._text = "-inf"
        self.setMinimumWidth(24 if scale else 12)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setToolTip("Peak and RMS level; click the readout to reset the clip light")
        self._bg = QColor("#0b0c0e")
        self._seg = (QColor("#3f9e6a"), QColor("#c9b04a"), QColor("#d9534f"))
        self._seg_peak = (QColor("#2a5f43"), QColor("#7a6b33"), QColor("#8a3937"))
        self._hold_colour = QColor("#eef0f3")
        self._tick = QColor(COLOURS.text_faint)
        self._text_colour = QColor(COLOURS.text)
        self._clip_bg = QColor("#c23c37")
        self._readout_bg = QColor("#111316")
        self._font = mono_font(6.5)
        self._static: QPixmap | None = None
        self._panel = QColor(STRIP_BG)
        # It paints every pixel itself, so Qt need not draw the strip behind it first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_background(self, colour: str) -> None:
        """The colour of the panel the meter sits on."""
        self._panel = QColor(colour)
        self._static = None
        self.update()

    # -- what the mixer calls ----------------------------------------------------------

    def set_levels(self, peak: float, rms: float, dt: float) -> None:
        """New linear levels measured over the last `dt` seconds."""
        peak_db, rms_db = lin_to_db(peak), lin_to_db(rms)
        self._peak_db = max(peak_db, self._peak_db - PEAK_FALL_DB_PER_S * dt)
        self._rms_db = max(rms_db, self._rms_db - RMS_FALL_DB_PER_S * dt)
        self._hold_left -= dt
        if peak_db >= self._hold_db or self._hold_left <= 0.0:
            self._hold_db = peak_db if peak_db >= self._hold_db else self._peak_db
            self._hold_left = PEAK_HOLD_S
        if peak_db > self._max_db:
            self._max_db = peak_db
            self._text = format_db(round(peak_db, 1))
        if peak >= CLIP_LINEAR:
            self._clipped = True
        self._repaint_if_changed()

    def reset(self) -> None:
        """Clear the clip light, the peak hold and the readout."""
        self._clipped = False
        self._max_db = self._hold_db = SILENCE_DB
        self._text = "-inf"
        self._repaint_if_changed()

    def peak_text(self) -> str:
        return self._text

    @property
    def clipped(self) -> bool:
        return self._clipped

    # -- drawing -------------------------------------------------------------------------

    def _bar(self) -> QRect:
        top = self.READOUT_H + 2 if self._readout else 1
        width = 8 if self._scale else self.width() - 2
        return QRect(1, top, width, self.height() - top - 1)

    def _y(self, db: float, bar: QRect) -> int:
        frac = (db - METER_FLOOR_DB) / (METER_TOP_DB - METER_FLOOR_DB)
        frac = min(max(frac, 0.0), 1.0)
        return bar.bottom() + 1 - int(round(frac * bar.height()))

    def _repaint_if_changed(self) -> None:
        bar = self._bar()
        state = (self._y(self._peak_db, bar), self._y(self._rms_db, bar),
                 self._y(self._hold_db, bar), self._clipped, self._text)
        if state == self._drawn:
            return
        if self._drawn is not None and state[3:] == self._drawn[3:]:
            self.update(bar)  # only the bar moved: leave the readout alone
        else:
            self.update()
        self._drawn = state

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.reset()

    def _fill(self, p: QPainter, bar: QRect, y: int, colours: tuple[QColor, ...]) -> None:
        """Fill from the bottom of `bar` up to y in the three zones' colours."""
        bottom = bar.bottom() + 1
        zones = (self._y(-12.0, bar), self._y(-3.0, bar), bar.top())
        lower = bottom
        for colour, upper in zip(colours, zones, strict=True):
            top = max(y, upper)
            if top < lower:
                p.fillRect(bar.left(), top, bar.width(), lower - top, colour)
            lower = upper
            if y >= upper:
                break

    def _static_layer(self) -> QPixmap:
        """The parts that only change with the size: bar background and the scale."""
        if self._static is not None and self._static.size() == self.size():
            return self._static
        pixmap = QPixmap(self.size())
        pixmap.fill(self._panel)
        p = QPainter(pixmap)
        bar = self._bar()
        p.fillRect(bar, self._bg)
        if self._scale:
            p.setFont(self._font)
            p.setPen(self._tick)
            x = bar.right() + 3
            for db in METER_SCALE:
                y = self._y(float(db), bar)
                p.fillRect(bar.right() + 1, y, 2, 1, self._tick)
                p.drawText(QRect(x, max(bar.top() - 2, y - 6), self.width() - x, 12),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           f"+{db}" if db > 0 else str(abs(db)))
        p.end()
        self._static = pixmap
        return pixmap

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.drawPixmap(0, 0, self._static_layer())
        bar = self._bar()
        if self._readout and event.rect().top() < self.READOUT_H:
            box = QRect(0, 0, self.width(), self.READOUT_H)
            p.fillRect(box, self._clip_bg if self._clipped else self._readout_bg)
            p.setFont(self._font)
            p.setPen(self._text_colour)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._text)
        self._fill(p, bar, self._y(self._peak_db, bar), self._seg_peak)
        self._fill(p, bar, self._y(self._rms_db, bar), self._seg)
        if self._hold_db > METER_FLOOR_DB:
            p.fillRect(bar.left(), self._y(self._hold_db, bar), bar.width(), 2, self._hold_colour)
        p.end()


class ReductionBar(QWidget):
    """Gain reduction in dB, a bar growing right to left under a "GR" mark. It stays
    blank (the strip shows through) until the engine reports gain reduction."""

    RANGE_DB = 20.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._gr: float | None = None
        self._drawn = -1
        self.setFixedHeight(9)
        self.setToolTip("Gain reduction of the gate and compressor (0-20 dB)")
        self._bg = QColor("#0b0c0e")
        self._fg = QColor(COLOURS.accent)
        self._text = QColor(COLOURS.text_faint)
        self._font = ui_font(5.5)

    def reduction(self) -> float | None:
        return self._gr

    def set_reduction(self, db: float | None) -> None:
        first = self._gr is None and db is not None
        self._gr = db
        px = -1 if db is None else int(min(max(db, 0.0), self.RANGE_DB) / self.RANGE_DB
                                       * (self.width() - 14))
        if px != self._drawn or first:
            self._drawn = px
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self._gr is None:
            return
        p = QPainter(self)
        p.setFont(self._font)
        p.setPen(self._text)
        p.drawText(QRect(0, 0, 13, self.height()), Qt.AlignmentFlag.AlignCenter, "GR")
        p.fillRect(14, 1, self.width() - 14, self.height() - 2, self._bg)
        if self._drawn > 0:
            p.fillRect(self.width() - self._drawn, 1, self._drawn, self.height() - 2, self._fg)
        p.end()


class Knob(HeldControl):
    """A small rotary control with its caption; drag up/down (Shift fine), double-click
    for the default, wheel for steps. `log` makes the travel logarithmic (frequencies)."""

    SIZE = 26

    def __init__(
        self,
        caption: str,
        low: float,
        high: float,
        default: float,
        fmt: Callable[[float], str] = lambda v: f"{v:.1f}",
        log: bool = False,
        step: float = 0.1,
        bipolar: bool = False,
        show_value: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.caption, self.low, self.high, self.default = caption, low, high, default
        self.show_value = show_value  # write the value under the knob instead of the caption
        self.fmt, self.log, self.step, self.bipolar = fmt, log, step, bipolar
        self._value = default
        self._drag: tuple[float, float] | None = None
        self._active = True
        self.setFixedSize(44 if show_value else 40, self.SIZE + 13)
        self.setCursor(Qt.CursorShape.SizeVerCursor)
        self._track = QColor("#0b0c0e")
        self._arc = QColor(COLOURS.accent)
        self._arc_off = QColor(COLOURS.text_faint)
        self._body = QColor("#2d323a")
        self._edge = QColor("#454c56")
        self._pointer = QColor("#eef0f3")
        self._text = QColor(COLOURS.text_dim)
        self._font = ui_font(6.5)
        self._update_tip()

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        if value != self._value:
            self._value = value
            self._update_tip()
            self.update()

    def set_active(self, active: bool) -> None:
        """Draw the arc dim when the section it belongs to is switched off."""
        if active != self._active:
            self._active = active
            self.update()

    def _update_tip(self) -> None:
        self.setToolTip(f"{self.caption}: {self.fmt(self._value)}")

    def _norm(self, value: float) -> float:
        if self.log:
            return math.log(value / self.low) / math.log(self.high / self.low)
        return (value - self.low) / (self.high - self.low)

    def _denorm(self, frac: float) -> float:
        frac = min(max(frac, 0.0), 1.0)
        if self.log:
            v = self.low * (self.high / self.low) ** frac
            return float(round(v)) if v >= 100 else round(v, 1)
        v = self.low + frac * (self.high - self.low)
        return round(round(v / self.step) * self.step, 6)

    def _change(self, value: float) -> None:
        value = min(max(value, self.low), self.high)
        if value != self._value:
            self._value = value
            self._update_tip()
            self.update()
            self.moved.emit(value)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.pressed.emit()
            self.touched.emit(True)
            self._drag = (event.position().y(), self._norm(self._value))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        start_y, start = self._drag
        scale = 0.1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
        self._change(self._denorm(start - (event.position().y() - start_y) * scale / 150.0))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.pressed.emit()
            self._change(self._denorm(self._norm(self._value) + steps * 0.02))
            self.released.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        s = self.SIZE
        box = QRectF((self.width() - s) / 2 + 2, 2, s - 4, s - 4)
        start, span = 225 * 16, -270 * 16
        p.setPen(QPen(self._track, 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(box, start, span)
        frac = min(max(self._norm(self._value), 0.0), 1.0)
        origin = 0.5 if self.bipolar else 0.0
        p.setPen(QPen(self._arc if self._active else self._arc_off, 3,
                      Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(box, int(start + span * origin), int(span * (frac - origin)))
        inner = box.adjusted(4, 4, -4, -4)
        p.setPen(QPen(self._edge, 1))
        p.setBrush(self._body)
        p.drawEllipse(inner)
        angle = math.radians(225 - 270 * frac)
        c = inner.center()
        r = inner.width() / 2 - 1.5
        p.setPen(QPen(self._pointer, 1.6))
        p.drawLine(QPointF(c.x() + math.cos(angle) * r * 0.35, c.y() - math.sin(angle) * r * 0.35),
                   QPointF(c.x() + math.cos(angle) * r, c.y() - math.sin(angle) * r))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setFont(self._font)
        p.setPen(self._text)
        showing = self._drag is not None or self.show_value
        text = self.fmt(self._value) if showing else self.caption
        p.drawText(QRect(0, s, self.width(), 12), Qt.AlignmentFlag.AlignCenter, text)
        p.end()


class DbField(QLineEdit):
    """The fader's number: shows the level and takes a typed one (Enter to apply)."""

    typed = Signal(float)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = 0.0
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFont(mono_font(7.5))
        self.setObjectName("dbField")
        self.setToolTip("Type a level in dB and press Enter")
        self.setText(format_db(self._db))
        self.editingFinished.connect(self._finish)

    def set_value(self, db: float) -> None:
        self._db = db
        if not self.hasFocus():
            self.setText(format_db(db))

    def _finish(self) -> None:
        text = self.text()
        if text == format_db(self._db):
            return
        try:
            db = parse_db(text)
        except ValueError as e:
            self.setText(format_db(self._db))
            self.refused.emit(str(e))
            return
        self.setText(format_db(db))
        self.typed.emit(min(db, FADER_MAX_DB))


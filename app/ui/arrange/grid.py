"""Musical and clock grid lines for a visible range: where bars, beats and seconds fall.

Pure arithmetic on a TimeScale and the project's tempo and meter, shared by the ruler
(labels) and the lanes (grid lines), so both thin out the grid at the same zoom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_LABEL_PX = 64.0
MIN_BEAT_PX = 16.0
_BAR_STEPS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_SECOND_STEPS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800)


@dataclass(frozen=True)
class Tick:
    frame: float
    label: str = ""
    major: bool = True


def frames_per_beat(sample_rate: int, tempo: float, meter_den: int = 4) -> float:
    """Frames in one beat: the tempo counts quarter notes, the meter's denominator the beat."""
    return sample_rate * 60.0 / tempo * 4.0 / meter_den


def bar_ticks(start: float, end: float, frames_per_pixel: float, sample_rate: int,
              tempo: float, meter_num: int, meter_den: int) -> list[Tick]:
    """Bar lines (labelled, numbered from 1) and beat lines (minor, labelled bar.beat when
    there is room) inside [start, end)."""
    beat = frames_per_beat(sample_rate, tempo, meter_den)
    bar = beat * meter_num
    bar_px = bar / frames_per_pixel
    step = next((s for s in _BAR_STEPS if s * bar_px >= MIN_LABEL_PX), _BAR_STEPS[-1])
    beats = beat / frames_per_pixel >= MIN_BEAT_PX
    beat_labels = beat / frames_per_pixel >= MIN_LABEL_PX * 0.75
    first = max(0, math.floor(start / bar))
    ticks = []
    for b in range(first, int(end // bar) + 1):
        if b % step == 0:
            ticks.append(Tick(b * bar, str(b + 1), True))
        elif bar_px >= MIN_BEAT_PX:
            ticks.append(Tick(b * bar, "", False))
        if beats:
            ticks.extend(Tick(b * bar + k * beat, f"{b + 1}.{k + 1}" if beat_labels else "", False)
                         for k in range(1, meter_num))
    return [t for t in ticks if start <= t.frame < end]


def second_ticks(start: float, end: float, frames_per_pixel: float,
                 sample_rate: int) -> list[Tick]:
    """Clock labels (m:ss, or with decimals when zoomed in) inside [start, end)."""
    px_per_second = sample_rate / frames_per_pixel
    step = next((s for s in _SECOND_STEPS if s * px_per_second >= MIN_LABEL_PX * 1.2),
                _SECOND_STEPS[-1])
    first = max(0, math.floor(start / sample_rate / step))
    last = int(end / sample_rate / step) + 1
    return [Tick(i * step * sample_rate, clock_label(i * step, step))
            for i in range(first, last) if start <= i * step * sample_rate < end]


def clock_label(seconds: float, step: float = 1.0) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    decimals = next(d for d in range(4) if abs(step * 10**d - round(step * 10**d)) < 1e-9 or d == 3)
    sec = f"{secs:0{3 + decimals if decimals else 2}.{decimals}f}"
    return f"{hours}:{minutes:02d}:{sec}" if hours else f"{minutes}:{sec}"

"""Reading automation lanes outside the audio thread: a lane's value at a frame (what the
screen shows while the engine plays), the value scale of each automatable parameter
(how a lane draws it), and thinning of drawn points.

`lane_value` follows the engine kernel's rule exactly (app.engine.mixer.lane_value, which
reads the arena's copy of the points): held before the first and after the last point, a
straight line between points unless the earlier one holds.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from app.session.faders import FADER_MAX_DB, SILENCE_DB, fader_db, fader_pos
from app.session.model import AutomationLane, AutomationPoint, Interp, Project, Track, get_path


def lane_value(lane: AutomationLane, frame: float) -> float | None:
    """The lane's value at timeline `frame`, or None when it has no points."""
    points = lane.points
    if not points:
        return None
    if frame <= points[0].time:
        return points[0].value
    if frame >= points[-1].time:
        return points[-1].value
    i = bisect.bisect_right([p.time for p in points], frame) - 1
    a, b = points[i], points[i + 1]
    if a.interp is Interp.HOLD or b.time == a.time:
        return a.value
    return a.value + (frame - a.time) / (b.time - a.time) * (b.value - a.value)


def lane_arrays(lane: AutomationLane) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lane's point times, values and hold flags as arrays, for `lane_values`."""
    times = np.array([p.time for p in lane.points], dtype=np.float64)
    values = np.array([p.value for p in lane.points], dtype=np.float64)
    hold = np.array([p.interp is Interp.HOLD for p in lane.points], dtype=bool)
    return times, values, hold


def lane_values(lane: AutomationLane | tuple[np.ndarray, np.ndarray, np.ndarray],
                frames: np.ndarray) -> np.ndarray:
    """`lane_value` at many frames at once (for drawing), of a lane or of its
    `lane_arrays`; NaN everywhere without points."""
    frames = np.asarray(frames, dtype=np.float64)
    times, values, hold = lane_arrays(lane) if isinstance(lane, AutomationLane) else lane
    if not len(times):
        return np.full(frames.shape, np.nan)
    out = np.interp(frames, times, values)
    i = np.clip(np.searchsorted(times, frames, side="right") - 1, 0, len(times) - 1)
    held = hold[i] & (frames > times[0]) & (frames < times[-1])
    out[held] = values[i[held]]
    return out


@dataclass(frozen=True)
class ParamScale:
    """How a parameter's values sit on a lane's height: `kind` is "fader" (the fader law),
    "toggle" (off/on steps), "log" (frequencies) or "linear"."""

    kind: str
    low: float
    high: float
    unit: str = ""

    def to_unit(self, value: float) -> float:
        """0 (bottom of the lane) .. 1 (top) for a value."""
        if self.kind == "fader":
            return fader_pos(value)
        if self.kind == "toggle":
            return 1.0 if value >= 0.5 else 0.0
        if self.kind == "log":
            value = min(max(value, self.low), self.high)
            return math.log(value / self.low) / math.log(self.high / self.low)
        return min(max((value - self.low) / (self.high - self.low), 0.0), 1.0)

    def to_units(self, values: np.ndarray) -> np.ndarray:
        """`to_unit` of many values at once (for drawing)."""
        values = np.asarray(values, dtype=np.float64)
        if self.kind == "fader":
            return np.interp(values, _TAPER_DB, _TAPER_POS)
        if self.kind == "toggle":
            return (values >= 0.5).astype(np.float64)
        if self.kind == "log":
            clipped = np.clip(values, self.low, self.high)
            return np.log(clipped / self.low) / math.log(self.high / self.low)
        return np.clip((values - self.low) / (self.high - self.low), 0.0, 1.0)

    def from_unit(self, u: float) -> float:
        """The value at height `u` (0..1) of the lane."""
        u = min(max(u, 0.0), 1.0)
        if self.kind == "fader":
            return fader_db(u)
        if self.kind == "toggle":
            return 1.0 if u >= 0.5 else 0.0
        if self.kind == "log":
            return round(self.low * (self.high / self.low) ** u, 1)
        return round(self.low + u * (self.high - self.low), 3)

    def clamp(self, value: float) -> float:
        return min(max(value, self.low), self.high)

    def text(self, value: float) -> str:
        """The value as an engineer reads it."""
        if self.kind == "toggle":
            return "on" if value >= 0.5 else "off"
        if self.unit == "pan":
            percent = round(abs(value) * 100)
            return "C" if percent == 0 else f"{'L' if value < 0 else 'R'}{percent}"
        if self.unit == "dB" and value <= SILENCE_DB + 0.05:
            return "-inf dB"
        if self.unit == "Hz":
            return f"{value / 1000:.2f} kHz" if value >= 1000 else f"{value:.0f} Hz"
        return f"{value:+.1f} {self.unit}".strip() if self.unit == "dB" else f"{value:.2f}"


_LINEAR = {
    "pan": ParamScale("linear", -1.0, 1.0, "pan"),
    "trim_db": ParamScale("linear", -24.0, 24.0, "dB"),
    "gain_db": ParamScale("linear", -18.0, 18.0, "dB"),
    "drive_db": ParamScale("linear", 0.0, 24.0, "dB"),
    "comp_threshold_db": ParamScale("linear", -60.0, 0.0, "dB"),
    "gate_threshold_db": ParamScale("linear", -80.0, 0.0, "dB"),
    "comp_makeup_db": ParamScale("linear", 0.0, 24.0, "dB"),
    "comp_ratio": ParamScale("linear", 1.0, 20.0),
    "q": ParamScale("linear", 0.1, 10.0),
}
_FADER = ParamScale("fader", SILENCE_DB, FADER_MAX_DB, "dB")
# the fader law sampled finely enough that straight lines between samples are exact
_TAPER_DB = np.linspace(SILENCE_DB, FADER_MAX_DB, 1321)
_TAPER_POS = np.array([fader_pos(d) for d in _TAPER_DB])


def param_scale(track: Track, param: str) -> ParamScale:
    """The value scale a lane of `param` on `track` is drawn and edited in."""
    last = param.rpartition(".")[2]
    if param == "fader_db" or last == "level_db":
        return _FADER
    if param.startswith("cue.") and last == "pan":
        return _LINEAR["pan"]
    if last in ("freq", "hpf_freq"):
        return ParamScale("log", 20.0, 20000.0, "Hz")
    if last in _LINEAR:
        return _LINEAR[last]
    try:
        if isinstance(get_path(track.strip, param), bool):
            return ParamScale("toggle", 0.0, 1.0)
    except KeyError:
        pass
    return ParamScale("linear", -24.0, 24.0, "dB" if last.endswith("_db") else "")


def current_value(project: Project, track: Track, param: str) -> float:
    """The parameter's static value (what the strip holds), as a lane value; 0 for a
    parameter that is gone (a removed send or cue), whose lane keeps its points."""
    parts = param.split(".")
    try:
        if parts[0] == "cue":
            send = project.cue(parts[1]).sends.get(track.id)
            return 0.0 if send is None else float(getattr(send, parts[2]))
        return float(get_path(track.strip, param))
    except (KeyError, AttributeError, IndexError, TypeError, ValueError):
        return 0.0


def automatable_params(project: Project, track: Track) -> list[str]:
    """Every parameter of `track` a lane can be shown for, in the strip's order."""
    out = ["fader_db", "pan", "mute", "trim_db"]
    out += [f"sends.{k}.level_db" for k in range(len(track.strip.sends))]
    for cue in project.cues:
        out += [f"cue.{cue.id}.level_db", f"cue.{cue.id}.pan"]
    for band in range(len(track.strip.eq)):
        out += [f"eq.{band}.gain_db", f"eq.{band}.freq"]
    out += ["hpf_freq", "comp_threshold_db", "gate_threshold_db", "drive_db"]
    return out


def thin(points: list[AutomationPoint], scale: ParamScale,
         tolerance: float = 0.004) -> list[AutomationPoint]:
    """Drop points that lie on the straight line between their neighbours to within
    `tolerance` of the lane's height (Ramer-Douglas-Peucker on the drawn scale)."""
    if len(points) <= 2:
        return list(points)
    t = np.array([p.time for p in points], dtype=np.float64)
    u = np.array([scale.to_unit(p.value) for p in points])
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        span = t[b] - t[a]
        x = (t[a + 1:b] - t[a]) / span if span > 0 else np.zeros(b - a - 1)
        err = np.abs(u[a + 1:b] - (u[a] + x * (u[b] - u[a])))
        k = int(np.argmax(err))
        if err[k] > tolerance:
            keep[a + 1 + k] = True
            stack += [(a, a + 1 + k), (a + 1 + k, b)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]

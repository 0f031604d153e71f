"""A written automation pass (from Engine.finished_passes) as one undo step.

Each written segment replaces its lane's points inside the segment's range with the
recorded ride, thinned so the curve stays within LEVEL_TOLERANCE_DB of what was written
for levels (within the lane's usual drawing tolerance for anything else); the points
outside the range stay. A lane the track did not have yet is added in the same step.
"""

from __future__ import annotations

from app.engine.engine import AutomationPass, LaneWrite
from app.session import edits as E
from app.session.automation import ParamScale, lane_value, param_scale, thin
from app.session.faders import FADER_MAX_DB, SILENCE_DB
from app.session.model import AutomationLane, AutomationPoint, Interp, Project, Track

# Thinning error allowed on a level lane; the render then stays within 0.1 dB of the ride
# (half of it here, the other half for the block-wise ramps between points).
LEVEL_TOLERANCE_DB = 0.05
_LEVEL_SPAN = FADER_MAX_DB - SILENCE_DB


def thinned(track: Track, write: LaneWrite) -> list[AutomationPoint]:
    """The recorded points of `write`, fewer, on the lane's own value scale."""
    points: list[AutomationPoint] = []
    for t, v in write.points:
        point = AutomationPoint(max(0, int(t)), float(v))  # a pass from 0 starts at -1
        if points and points[-1].time == point.time:
            points[-1] = point
        else:
            points.append(point)
    scale = param_scale(track, write.param)
    if scale.unit == "dB":
        linear = ParamScale("linear", SILENCE_DB, FADER_MAX_DB, "dB")
        return thin(points, linear, LEVEL_TOLERANCE_DB / _LEVEL_SPAN)
    return thin(points, scale)


def merged(lane: AutomationLane | None, new: list[AutomationPoint]) -> list[AutomationPoint]:
    """The lane's points outside the range of `new`, with `new` inside it. After the
    range, the old curve resumes on the next frame (a step, when the ride ended away
    from it); before it, the ride begins where the old curve stood."""
    old = list(lane.points) if lane is not None else []
    start, end = new[0].time, new[-1].time
    before = [p for p in old if p.time < start]
    after = [p for p in old if p.time > end]
    if after and after[0].time > end + 1 and lane is not None:
        resume = lane_value(lane, end + 1)
        if resume is not None:
            after.insert(0, AutomationPoint(end + 1, resume, Interp.LINEAR))
    return [*before, *new, *after]


def pass_edit(project: Project, automation_pass: AutomationPass) -> E.Edit | None:
    """One undo step writing `automation_pass` into the project (None: nothing to write,
    e.g. every track written has been removed since)."""
    parts: list[E.Edit] = []
    lanes: dict[tuple[str, str], list[AutomationPoint] | None] = {}
    for write in automation_pass.writes:
        try:
            track = project.track(write.track_id)
        except KeyError:
            continue
        key = (track.id, write.param)
        if key not in lanes:
            lane = next((ln for ln in track.automation if ln.param == write.param), None)
            if lane is None:
                parts.append(E.AddAutomationLane(track.id, write.param))
            lanes[key] = list(lane.points) if lane is not None else None
        current = lanes[key]
        shown = AutomationLane(write.param, current or [])
        points = merged(shown if current else None, thinned(track, write))
        lanes[key] = points
    for (track_id, param), points in lanes.items():
        parts.append(E.SetAutomationPoints(track_id, param, points or []))
    if not parts:
        return None
    return E.Compound("Write automation", parts)

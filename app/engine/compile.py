"""Project -> arena numbers: the plan (structure) and the parameter targets.

`compile_plan` runs off the audio thread. It writes the plan into the idle slot and
then flips the index the kernel reads once per block, so the kernel never sees half a
plan. `param_target` converts one StripParams path and value (dB, switches, pan) into
the arena store and number the kernel reads, which is all a fader move costs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.dsp.pan import balance_gains, pan_gains
from app.engine import arena as A
from app.session.model import (
    AutomationLane,
    AutomationMode,
    ControlRoom,
    EqKind,
    Interp,
    MonitorMode,
    Project,
    SoloMode,
    StripParams,
    Track,
    TrackKind,
)

SILENCE_DB = -120.0
EQ_KIND_CODES = {EqKind.LOW_SHELF: 0.0, EqKind.PEAK: 1.0, EqKind.HIGH_SHELF: 2.0}
SOLO_CODES = {
    SoloMode.IN_PLACE: A.SOLO_IN_PLACE,
    SoloMode.AFL: A.SOLO_AFL,
    SoloMode.PFL: A.SOLO_PFL,
}
MONITOR_CODES = {
    MonitorMode.AUTO: A.MON_AUTO,
    MonitorMode.INPUT: A.MON_INPUT,
    MonitorMode.OFF: A.MON_OFF,
}
FX_CODES = {"reverb": A.FX_REVERB, "delay": A.FX_DELAY}
KIND_CODES = {
    TrackKind.AUDIO: A.KIND_AUDIO,
    TrackKind.BUS: A.KIND_BUS,
    TrackKind.MASTER: A.KIND_MASTER,
}


class PlanError(Exception):
    """A project whose routing or parameters the engine cannot take, with the reason."""


def db_to_gain(db: float) -> float:
    """Linear gain for a level in dB; exactly 0.0 at or below -120 dB (and for NaN)."""
    if not db > SILENCE_DB:
        return 0.0
    return math.pow(10.0, min(db, 48.0) / 20.0)


def _flag(value: Any) -> float:
    return 1.0 if value else 0.0


def _finite(value: Any) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise PlanError(f"parameter value {value!r} is not a finite number")
    return v


# Plain StripParams fields: path -> (strip param offset, converter).
_SIMPLE: dict[str, tuple[int, Callable[[Any], float]]] = {
    "trim_db": (A.P_TRIM, db_to_gain),
    "invert": (A.P_POLARITY, lambda v: -1.0 if v else 1.0),
    "pan": (A.P_PAN, lambda v: max(-1.0, min(1.0, _finite(v)))),
    "fader_db": (A.P_FADER, db_to_gain),
    "mute": (A.P_MUTE, _flag),
    "solo": (A.P_SOLO, _flag),
    "solo_isolate": (A.P_SOLO_ISOLATE, _flag),
    "hpf_on": (A.P_HPF_ON, _flag),
    "hpf_freq": (A.P_HPF_FREQ, _finite),
    "eq_on": (A.P_EQ_ON, _flag),
    "gate_on": (A.P_GATE_ON, _flag),
    "gate_threshold_db": (A.P_GATE_THRESHOLD_DB, _finite),
    "gate_range_db": (A.P_GATE_RANGE_DB, _finite),
    "gate_attack_ms": (A.P_GATE_ATTACK_MS, _finite),
    "gate_release_ms": (A.P_GATE_RELEASE_MS, _finite),
    "comp_on": (A.P_COMP_ON, _flag),
    "comp_threshold_db": (A.P_COMP_THRESHOLD_DB, _finite),
    "comp_ratio": (A.P_COMP_RATIO, _finite),
    "comp_knee_db": (A.P_COMP_KNEE_DB, _finite),
    "comp_attack_ms": (A.P_COMP_ATTACK_MS, _finite),
    "comp_release_ms": (A.P_COMP_RELEASE_MS, _finite),
    "comp_makeup_db": (A.P_COMP_MAKEUP_DB, _finite),
    "drive_on": (A.P_DRIVE_ON, _flag),
    "drive_db": (A.P_DRIVE_DB, _finite),
}
_EQ_FIELDS: dict[str, tuple[int, Callable[[Any], float]]] = {
    "enabled": (A.EQ_ENABLED, _flag),
    "kind": (A.EQ_KIND, lambda v: EQ_KIND_CODES[EqKind(v)]),
    "freq": (A.EQ_FREQ, _finite),
    "gain_db": (A.EQ_GAIN_DB, _finite),
    "q": (A.EQ_Q, _finite),
}


def param_target(strip: StripParams, path: str, value: Any) -> tuple[int, float]:
    """(strip param offset, arena value) for setting `path` of a strip to `value`.

    Send levels combine with the send's enabled switch, read from `strip`. Paths that
    change routing (a send's bus or pre/post) are structural: they raise PlanError and
    need a new plan (Engine.load).
    """
    if path in _SIMPLE:
        offset, convert = _SIMPLE[path]
        return offset, convert(value)
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "eq" and parts[2] in _EQ_FIELDS:
        band = int(parts[1])
        if not 0 <= band < A.EQ_BANDS:
            raise PlanError(f"there is no EQ band {band} (bands 0-{A.EQ_BANDS - 1})")
        offset, convert = _EQ_FIELDS[parts[2]]
        return A.P_EQ + band * A.EQ_FIELDS + offset, convert(value)
    if len(parts) == 3 and parts[0] == "sends" and parts[2] in ("level_db", "enabled"):
        k = int(parts[1])
        if not 0 <= k < min(len(strip.sends), A.MAX_SENDS):
            raise PlanError(f"there is no send {k} on this strip")
        send = strip.sends[k]
        level = value if parts[2] == "level_db" else send.level_db
        enabled = value if parts[2] == "enabled" else send.enabled
        return A.P_SENDS + k, db_to_gain(_finite(level)) if enabled else 0.0
    raise PlanError(f"{path!r} is not a live strip parameter; change it through a new plan")


def strip_targets(strip: StripParams) -> list[tuple[int, float]]:
    """Every (offset, value) target of one strip."""
    out = [param_target(strip, name, getattr(strip, name)) for name in _SIMPLE]
    for b, band in enumerate(strip.eq[: A.EQ_BANDS]):
        for name in _EQ_FIELDS:
            out.append(param_target(strip, f"eq.{b}.{name}", getattr(band, name)))
    for k in range(min(len(strip.sends), A.MAX_SENDS)):
        out.append(param_target(strip, f"sends.{k}.level_db", strip.sends[k].level_db))
    return out


@dataclass
class PlanMap:
    """Where each project object landed in the arena."""

    strips: dict[str, int] = field(default_factory=dict)  # track id -> strip index
    rings: dict[str, int] = field(default_factory=dict)  # audio track id -> ring index
    cues: dict[str, int] = field(default_factory=dict)  # cue id -> cue index
    order: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fresh_strips: set[int] = field(default_factory=set)  # strip indices new in this plan
    # automated parameter key (arena `auto` row - 1) -> (track id, lane param, L_CONVERT)
    auto_keys: dict[int, tuple[str, str, int]] = field(default_factory=dict)

    def counts(self) -> tuple[int, int, int]:
        return len(self.strips), len(self.rings), len(self.cues)


MODE_CODES = {
    AutomationMode.READ: A.MODE_READ,
    AutomationMode.TOUCH: A.MODE_TOUCH,
    AutomationMode.LATCH: A.MODE_LATCH,
    AutomationMode.WRITE: A.MODE_WRITE,
    AutomationMode.TRIM: A.MODE_TRIM,
}
WRITING_MODES = (
    AutomationMode.TOUCH,
    AutomationMode.LATCH,
    AutomationMode.WRITE,
    AutomationMode.TRIM,
)


def planned_lanes(track: Track) -> list[AutomationLane]:
    """The lanes of `track` the kernel runs: in Read those with points; in a writing
    mode every lane, and a fader lane even when the track has none yet (it is what a
    ride writes first)."""
    mode = AutomationMode(track.automation_mode)
    if mode is AutomationMode.OFF:
        return []
    if mode not in WRITING_MODES:
        return [lane for lane in track.automation if lane.points]
    lanes = list(track.automation)
    if not any(lane.param == "fader_db" for lane in lanes):
        lanes.append(AutomationLane("fader_db"))
    return lanes


def automation_counts(project: Project) -> tuple[int, int]:
    """(lanes, points) of automation the engine plays for a project."""
    lanes = [lane for t in project.all_tracks() for lane in planned_lanes(t)]
    return len(lanes), sum(len(lane.points) for lane in lanes)


def auto_key(arena: A.Arena, strip: int, offset: int, cue: int = -1) -> int:
    """The row (less one) of a strip parameter, or of a cue send's when `cue` >= 0, in
    the arena's `auto` array."""
    strips = arena.capacity.strips
    if cue < 0:
        return strip * A.PARAMS_PER_STRIP + offset
    return strips * A.PARAMS_PER_STRIP + (cue * strips + strip) * A.CUE_PARAMS + offset


def _automation_target(track: Track, path: str, m: PlanMap) -> tuple[int, int, int, int] | None:
    """(on a cue, cue index, offset, conversion) of an automated parameter, or None."""
    parts = path.split(".")
    if parts[0] == "cue":
        if len(parts) != 3 or parts[1] not in m.cues or parts[2] not in ("level_db", "pan"):
            return None
        if parts[2] == "level_db":
            return 1, m.cues[parts[1]], A.C_LEVEL, A.CONVERT_GAIN
        return 1, m.cues[parts[1]], A.C_PAN, A.CONVERT_RAW
    if path in _SIMPLE:
        offset, convert = _SIMPLE[path]
        if path == "invert":
            return 0, 0, offset, A.CONVERT_POLARITY
        kind = {db_to_gain: A.CONVERT_GAIN, _flag: A.CONVERT_FLAG}.get(convert, A.CONVERT_RAW)
        return 0, 0, offset, kind
    if len(parts) == 3 and parts[0] == "eq" and parts[2] in ("enabled", "freq", "gain_db", "q"):
        band = int(parts[1])
        if not 0 <= band < A.EQ_BANDS:
            return None
        offset = A.P_EQ + band * A.EQ_FIELDS + _EQ_FIELDS[parts[2]][0]
        return 0, 0, offset, A.CONVERT_FLAG if parts[2] == "enabled" else A.CONVERT_RAW
    if len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db":
        k = int(parts[1])
        if 0 <= k < min(len(track.strip.sends), A.MAX_SENDS) and track.strip.sends[k].enabled:
            return 0, 0, A.P_SENDS + k, A.CONVERT_GAIN
    return None


def _write_automation(project: Project, arena: A.Arena, p: int, m: PlanMap) -> None:
    lanes: list[tuple[int, ...]] = []
    points: list[tuple[float, float, float]] = []
    m.auto_keys = {}
    for t in project.all_tracks():
        mode = MODE_CODES.get(AutomationMode(t.automation_mode), A.MODE_READ)
        for lane in planned_lanes(t):
            target = _automation_target(t, lane.param, m)
            if target is None:
                m.warnings.append(f"{t.name}: automation of {lane.param!r} cannot be played")
                continue
            on_cue, cue, offset, convert = target
            s = m.strips[t.id]
            lanes.append((on_cue, s, cue, offset, convert, len(points), len(lane.points), mode))
            key = auto_key(arena, s, offset, cue if on_cue else -1)
            m.auto_keys[key] = (t.id, lane.param, convert)
            row = arena.auto[1 + key]
            if row[A.AF_TOUCH] == 0.0:
                # What Write plays from until the control moves: the stored value.
                store = arena.cue_p[A.TARGET, cue, s] if on_cue else arena.strip_p[A.TARGET, s]
                row[A.AF_UI] = store[offset]
            for point in sorted(lane.points, key=lambda pt: pt.time):
                hold = 1.0 if point.interp is Interp.HOLD else 0.0
                points.append((float(point.time), float(point.value), hold))
    arena.plan_lanes[p] = 0
    arena.lane_seg[p] = 0.0
    for i, row in enumerate(lanes):
        arena.plan_lanes[p, i, : len(row)] = row
    if points:
        arena.plan_points[p, : len(points)] = points
    arena.plan_head[p, A.H_LANES] = len(lanes)


def plan_counts(project: Project) -> tuple[int, int, int]:
    """(strips, playback tracks, cues) a project needs."""
    tracks = sum(1 for t in project.tracks if t.kind is TrackKind.AUDIO)
    return len(project.tracks) + 1, tracks, len(project.cues)


def _stable(
    ids: list[str], previous: dict[str, int], capacity: int
) -> tuple[dict[str, int], set[int]] | None:
    """Indices for ids: the previous one where there was one, else one no plan uses.

    Indices of removed objects are not reused in the same load: the running plan may
    still be using them until the flip. Returns (mapping, new indices), or None when
    the capacity is too small.
    """
    out = {i: previous[i] for i in ids if i in previous}
    busy = set(previous.values())
    free = (k for k in range(capacity) if k not in busy)
    fresh = set()
    for i in ids:
        if i not in out:
            k = next(free, None)
            if k is None:
                return None
            out[i] = k
            fresh.add(k)
    return out, fresh


def allocate(
    project: Project, capacity: A.Capacity, previous: PlanMap | None = None
) -> PlanMap | None:
    """Where each strip, playback track and cue lives in an arena of `capacity`.

    Objects keep the index they had in `previous`, so reloading after an edit moves
    no running state (smoothed gains, filters, ring contents) to another track.
    Returns None when the capacity is too small.
    """
    previous = previous or PlanMap()
    tracks = project.all_tracks()
    strips = _stable([t.id for t in tracks], previous.strips, capacity.strips)
    audio = [t.id for t in tracks if t.kind is TrackKind.AUDIO]
    rings = _stable(audio, previous.rings, capacity.tracks)
    cues = _stable([c.id for c in project.cues], previous.cues, capacity.cues)
    if strips is None or rings is None or cues is None:
        return None
    m = PlanMap(strips=strips[0], rings=rings[0], cues=cues[0])
    m.fresh_strips = strips[1]
    return m


def _destination(project: Project, t: Track, m: PlanMap) -> int:
    master = m.strips[project.master.id]
    if t.kind is TrackKind.MASTER:
        return -1
    if not t.output or t.output == project.master.id:
        return master
    dest = m.strips.get(t.output)
    if dest is None or project.track(t.output).kind is not TrackKind.BUS:
        m.warnings.append(f"{t.name}: output {t.output!r} is not a bus; it plays to the master")
        return master
    return dest


def _order(project: Project, dests: dict[int, int], m: PlanMap) -> list[int]:
    """Strips in processing order: every strip before the bus it feeds, master last."""
    master = m.strips[project.master.id]
    feeds: dict[int, set[int]] = {s: set() for s in m.strips.values()}
    for s, d in dests.items():
        if d >= 0:
            feeds[d].add(s)
    for t in project.tracks:
        for send in t.strip.sends[: A.MAX_SENDS]:
            if send.bus in m.strips:
                feeds[m.strips[send.bus]].add(m.strips[t.id])
    order: list[int] = []
    state: dict[int, int] = {}

    def visit(s: int, path: list[int]) -> None:
        if state.get(s) == 2:
            return
        if state.get(s) == 1:
            names = " -> ".join(project.all_tracks()[i].name for i in [*path, s])
            raise PlanError(f"the routing loops back on itself: {names}")
        state[s] = 1
        for u in sorted(feeds[s]):
            visit(u, [*path, s])
        state[s] = 2
        order.append(s)

    for s in sorted(m.strips.values()):
        if s != master:
            visit(s, [])
    visit(master, [])
    return order


def _wait_idle_slot(arena: A.Arena, running: bool, timeout: float = 1.0) -> None:
    """Wait until the kernel has started a block with the current plan index.

    From then on no block reads the other slot, so it may be rewritten.
    """
    if not running:
        return
    deadline = time.monotonic() + timeout
    while arena.fb[A.F_PLAN_ACK] != arena.ctl[A.K_PLAN_INDEX]:
        if time.monotonic() > deadline:
            return  # the kernel is not running: nothing reads the plan
        time.sleep(0.001)


def compile_plan(
    project: Project,
    arena: A.Arena,
    main_out: int = 0,
    cr_out: int = 0,
    running: bool = False,
    layout: PlanMap | None = None,
) -> PlanMap:
    """Write the project's routing into the idle plan slot, its targets, then flip.

    `running` says a kernel runs over the arena: then the idle slot is written only
    once the kernel has left it. `layout` places the objects (see `allocate`); by
    default they are packed from index 0.
    """
    m = layout if layout is not None else allocate(project, arena.capacity)
    lanes, points = automation_counts(project)
    if lanes > arena.capacity.lanes or points > arena.capacity.points:
        raise PlanError(
            f"the arena holds {arena.capacity.lanes} automation lanes and "
            f"{arena.capacity.points} points; the project has {lanes} and {points}"
        )
    if m is None:
        strips, tracks, cues = plan_counts(project)
        raise PlanError(
            f"the arena holds {arena.capacity.strips} strips, {arena.capacity.tracks} tracks and "
            f"{arena.capacity.cues} cues; the project needs {strips}, {tracks} and {cues}"
        )
    m.warnings = []
    all_tracks = project.all_tracks()
    dests = {m.strips[t.id]: _destination(project, t, m) for t in all_tracks}
    m.order = _order(project, dests, m)

    _wait_idle_slot(arena, running)
    p = 1 - int(arena.ctl[A.K_PLAN_INDEX])
    head = arena.plan_head[p]
    head[:] = 0
    head[A.H_STRIPS] = len(m.order)
    head[A.H_MASTER] = m.strips[project.master.id]
    head[A.H_CUES] = max(m.cues.values(), default=-1) + 1
    head[A.H_MAIN_OUT] = main_out
    head[A.H_CR_OUT] = cr_out
    ps = arena.plan_strip[p]
    ps[:] = 0
    ps[:, A.S_RING] = ps[:, A.S_IN_L] = ps[:, A.S_IN_R] = -1
    arena.plan_send[p] = -1
    arena.plan_order[p] = 0
    arena.plan_order[p, : len(m.order)] = m.order
    fx_slots = 0
    for t in all_tracks:
        s = m.strips[t.id]
        row = ps[s]
        row[A.S_KIND] = KIND_CODES[t.kind]
        row[A.S_RING] = m.rings.get(t.id, -1)
        chans = list(t.input.channels[:2]) if t.kind is TrackKind.AUDIO else []
        row[A.S_IN_L] = chans[0] if chans else -1
        row[A.S_IN_R] = chans[1] if len(chans) > 1 else -1
        row[A.S_MONITOR] = MONITOR_CODES[t.monitor]
        row[A.S_ARMED] = 1 if t.armed else 0
        row[A.S_OUTPUT] = dests[s]
        row[A.S_ACTIVE] = 1
        row[A.S_FX] = -1
        effect = FX_CODES.get(t.bus_effect, A.FX_NONE) if t.kind is TrackKind.BUS else A.FX_NONE
        if t.bus_effect and effect == A.FX_NONE and t.kind is TrackKind.BUS:
            m.warnings.append(f"{t.name}: there is no built-in effect {t.bus_effect!r}")
        elif effect != A.FX_NONE:
            if fx_slots < arena.capacity.fx:
                row[A.S_FX] = fx_slots
                row[A.S_FX_KIND] = effect
                fx_slots += 1
            else:
                m.warnings.append(
                    f"{t.name}: only {arena.capacity.fx} built-in effect returns run at once; "
                    f"its {t.bus_effect} is off"
                )
        for k, send in enumerate(t.strip.sends[: A.MAX_SENDS]):
            bus = m.strips.get(send.bus, -1)
            if bus >= 0 and project.track(send.bus).kind is TrackKind.BUS and bus != s:
                arena.plan_send[p, s, k] = (bus, 1 if send.pre else 0)
            elif send.bus:
                m.warnings.append(f"{t.name}: send {k} goes to {send.bus!r}, which is not a bus")
        for offset, value in strip_targets(t.strip):
            arena.strip_p[A.TARGET, s, offset] = value
    arena.plan_cue[p, :, A.Q_OUT] = -2  # cue slots not in this project play nowhere
    # The kernel reads cue targets live: build them aside and write each value once,
    # so an unchanged send never dips through zero while the plan is rebuilt.
    cue_targets = arena.cue_p[A.TARGET].copy()
    cue_targets[:, :, A.C_LEVEL] = 0.0
    for cue in project.cues:
        c = m.cues[cue.id]
        arena.plan_cue[p, c, A.Q_OUT] = cue.output
        write_cue_head(arena, c, cue.master_db, cue.click_db, cue.talkback)
        for track_id, send in cue.sends.items():
            if track_id in m.strips:
                row = cue_targets[c, m.strips[track_id]]
                row[A.C_LEVEL] = db_to_gain(send.level_db) if send.enabled else 0.0
                row[A.C_PAN] = max(-1.0, min(1.0, float(send.pan)))
                row[A.C_PRE] = 1.0 if send.pre else 0.0
    arena.cue_p[A.TARGET] = cue_targets
    write_control_room(arena, project, m)
    _write_automation(project, arena, p, m)
    for s in m.fresh_strips:
        # A strip new to this plan starts at its settings, with clean filters: no
        # running block reads it until the flip below.
        cur = arena.strip_p[A.CUR, s]
        cur[:] = arena.strip_p[A.TARGET, s]
        # Its pan gains too: the kernel takes them as those of P_PAN while it is held.
        law = pan_gains if arena.plan_strip[p, s, A.S_KIND] == A.KIND_AUDIO else balance_gains
        cur[A.P_PAN_L], cur[A.P_PAN_R] = law(cur[A.P_PAN])
        arena.dsp_state[s] = 0.0
        arena.meters[s] = 0.0
    arena.ctl[A.K_PLAN_INDEX] = p
    return m


def write_cue_head(
    arena: A.Arena, c: int, master_db: float, click_db: float, talkback: bool
) -> None:
    head = arena.cuehead_p[A.TARGET, c]
    head[A.CH_MASTER] = db_to_gain(master_db)
    head[A.CH_CLICK] = db_to_gain(click_db)
    head[A.CH_TALKBACK] = 1.0 if talkback else 0.0


def write_control_room(
    arena: A.Arena, project: Project, m: PlanMap, room: ControlRoom | None = None
) -> None:
    """The control-room targets (the project's, or `room`) and the click settings."""
    cr = arena.cr_p[A.TARGET]
    room = project.control_room if room is None else room
    if room.source == "main":
        cr[A.CR_SOURCE] = A.SOURCE_MAIN
    elif room.source == "ext":
        cr[A.CR_SOURCE] = A.SOURCE_EXT
    elif room.source in m.cues:
        cr[A.CR_SOURCE] = m.cues[room.source]
    else:
        m.warnings.append(f"control room source {room.source!r} is unknown; listening to main")
        cr[A.CR_SOURCE] = A.SOURCE_MAIN
    cr[A.CR_LEVEL] = db_to_gain(room.level_db)
    cr[A.CR_DIM] = _flag(room.dim)
    cr[A.CR_DIM_GAIN] = db_to_gain(room.dim_db)
    cr[A.CR_MONO] = _flag(room.mono)
    cr[A.CR_CUT] = _flag(room.cut)
    cr[A.CR_SOLO_MODE] = SOLO_CODES[SoloMode(room.solo_mode)]
    cr[A.CR_CLICK_GAIN] = db_to_gain(room.click_db)
    cr[A.CR_CLICK_ON] = _flag(project.click)
    cr[A.CR_TEMPO] = project.tempo
    cr[A.CR_METER_NUM] = max(1, project.meter_num)
    cr[A.CR_METER_DEN] = max(1, project.meter_den)
    cr[A.CR_SMALL_SPEAKER] = _flag(room.small_speaker)
    cr[A.CR_TALKBACK_INPUT] = room.talkback_input
    cr[A.CR_TALKBACK_GAIN] = db_to_gain(room.talkback_db)
    cr[A.CR_EXT_INPUT] = room.ext_input
    cr[A.CR_SAMPLE_RATE] = project.sample_rate

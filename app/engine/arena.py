"""The arena: every piece of state shared between the audio thread and the rest.

One set of preallocated numpy arrays, sized at allocation for a capacity (strips,
tracks with playback rings, cue mixes). The audio callback reaches them through a
pointer table (`table`, one int64 address per array, in `ARRAYS` order) whose own
address sits in a root holder (`Root`) that the callback dereferences every block.

Ownership decides who may write what, which is how the sides stay lock-free:

- UI (any Python thread through the Engine): parameter targets (`strip_p[TARGET]`,
  `cue_p[TARGET]`, `cuehead_p[TARGET]`, `cr_p[TARGET]`), the idle plan slot
  (`plan_*`, including automation lanes and points), the `ctl` array (plan index,
  command write counter, meter and loudness reset counters), the command records
  ahead of the write counter, and each automatable parameter's touch flag, control
  value and touch reference in `auto` (AF_TOUCH, AF_UI, AF_REF).
- kernel: the `CUR` half of the parameter arrays (smoothed values), `fb` (transport,
  loop mapping, take marks and counters), `meters`, `dsp_state`, `fx_state`,
  `room_state`, the loudness and true-peak state, `capture`, `bus_acc`, `cue_acc`,
  `scratch`, `batch` (tracks' filters run together), `lane_seg` (the piece of each
  lane it is playing); while rolling, the targets that automation lanes drive; the
  rest of each parameter's `auto` row (what it writes) and the automation capture
  ring at the end of `auto` up to its write counter, whose records the Engine's
  collector thread takes (moving the read counter, AH_READ).
- butler: the playback rings and `ring_ctl` (written counter, ready generation).

The kernel also copies every device input into `capture` (frame k of the stream at
row k mod ring size, k < fb[F_FRAMES]): the source for recording and for measuring.

Parameters are float64 stores with a fixed per-strip layout (`PARAMS_PER_STRIP`,
offsets named below). Levels are stored as linear gains, switches as 0.0 / 1.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.dsp.delay import delay_state_size
from app.dsp.loudness import HIST_BINS as _HIST_BINS
from app.dsp.loudness import LOUDNESS_STATE_SIZE as _LOUDNESS_STATE_SIZE
from app.dsp.reverb import reverb_state_size
from app.dsp.strip import BATCH, BATCH_WIDTH, SECTIONS
from app.dsp.truepeak import TP_STATE_SIZE as _TP_STATE_SIZE

# -- capacities that are constants of the layout ------------------------------

MAX_SENDS = 8
MAX_BLOCK = 2048  # frames per kernel call; callers split longer device buffers
EQ_BANDS = 4
CMD_CAPACITY = 256  # records in the command ring (a power of two)
CMD_FIELDS = 4  # op, a, b, c
DSP_STATE_PER_STRIP = 128  # filter and detector states for the dsp/ kernels
DEFAULT_RING_FRAMES = 1 << 17  # 2.7 s at 48 kHz per track

TARGET = 0  # first index of a parameter array: what the UI asked for
CUR = 1  # ...and the kernel's smoothed value

# -- per-strip parameters ------------------------------------------------------

P_TRIM = 0  # linear gain
P_POLARITY = 1  # +1.0 normal, -1.0 inverted (ramped through zero, no click)
P_PAN = 2  # -1 .. +1
P_FADER = 3  # linear gain
P_MUTE = 4  # 0/1
P_SOLO = 5  # 0/1
P_SOLO_ISOLATE = 6  # 0/1
P_HPF_ON = 7
P_HPF_FREQ = 8
P_EQ_ON = 9
P_EQ = 10  # EQ_BANDS records of EQ_FIELDS
EQ_ENABLED, EQ_KIND, EQ_FREQ, EQ_GAIN_DB, EQ_Q = range(5)
EQ_FIELDS = 5
P_GATE_ON = P_EQ + EQ_BANDS * EQ_FIELDS  # 30
P_GATE_THRESHOLD_DB = 31
P_GATE_RANGE_DB = 32
P_GATE_ATTACK_MS = 33
P_GATE_RELEASE_MS = 34
P_COMP_ON = 35
P_COMP_THRESHOLD_DB = 36
P_COMP_RATIO = 37
P_COMP_KNEE_DB = 38
P_COMP_ATTACK_MS = 39
P_COMP_RELEASE_MS = 40
P_COMP_MAKEUP_DB = 41
P_DRIVE_ON = 42
P_DRIVE_DB = 43
P_AUDIBLE = 44  # kernel-owned: the mute/solo gain it derives and ramps
P_PAN_L = 45  # kernel-owned: pan gains reached at the end of the last block
P_PAN_R = 46
P_POST_CUE = 47  # kernel-owned: fader x (1 - mute) last applied to post-fader cue taps
P_SENDS = 48  # MAX_SENDS linear send levels
PARAMS_PER_STRIP = P_SENDS + MAX_SENDS  # 56
# What a track's input, filters and dynamics read: a render runs those a chunk ahead
# on its second thread (mixer.render_front) unless a lane moves one of them.
P_AHEAD = (P_TRIM, P_POLARITY, *range(P_HPF_ON, P_DRIVE_DB + 1))


# -- per-strip DSP state (dsp_state rows), kernel-owned -------------------------------

DS_READY = 0  # 0 until the kernel first designed this strip's filters (then it snaps)
DS_FILTERS = 1  # FILTERS records of FILTER_FIELDS: the high-pass, then the EQ bands
FILTERS = 1 + EQ_BANDS
FILTER_FIELDS = 19
FL_COEFS = 0  # 5 coefficients in use
FL_TARGET = 5  # 5 coefficients they glide to
FL_STATE = 10  # (z1, z2) for the left, then the right channel
FL_LAST = 14  # on, kind, freq, gain, q the target was designed from
DS_GATE = DS_FILTERS + FILTERS * FILTER_FIELDS  # 96: dsp.dynamics gate state
DS_COMP = DS_GATE + 4  # dsp.dynamics compressor state
DS_GAIN_REDUCTION = DS_COMP + 3  # dB the gate and compressor took off in the last block

# -- master loudness and built-in effects ------------------------------------------

LOUDNESS_STATE_SIZE = _LOUDNESS_STATE_SIZE
HIST_BINS = _HIST_BINS
TP_STATE_SIZE = _TP_STATE_SIZE
FX_KIND = 0  # fx_state row: the effect the row was set up for
FX_RATE = 1  # ...and at which sample rate
FX_DATA = 2  # then the effect's own state
MAX_FX_RATE = 192000.0
FX_SIZE = FX_DATA + max(reverb_state_size(MAX_FX_RATE), delay_state_size(MAX_FX_RATE / 2))

SMALL_SPEAKER_LOW = 250.0  # Hz: the band a phone or laptop speaker reproduces
SMALL_SPEAKER_HIGH = 3500.0
ROOM_STATE = 1 + 2 * FILTER_FIELDS  # the small-speaker band-pass, as two filter records

# -- per cue, per strip --------------------------------------------------------

C_LEVEL = 0  # linear gain (0 when the cue send is disabled)
C_PAN = 1
C_PRE = 2  # 1 pre-fader, 0 post-fader
C_PAN_L = 3  # kernel-owned pan gains
C_PAN_R = 4
CUE_PARAMS = 5

# -- per cue head --------------------------------------------------------------

CH_MASTER = 0  # linear gain
CH_CLICK = 1  # linear gain of the click in this cue
CH_TALKBACK = 2  # 1 when this cue receives talkback while it is held
CH_LIMIT = 3  # kernel-owned: the safety limiter's current gain
CUEHEAD_PARAMS = 4

# -- control room --------------------------------------------------------------

CR_SOURCE = 0  # -1 main, -2 external input pair, k >= 0: cue k
CR_LEVEL = 1  # linear
CR_DIM = 2  # 0/1
CR_DIM_GAIN = 3  # linear
CR_MONO = 4  # 0/1
CR_CUT = 5  # 0/1
CR_SOLO_MODE = 6  # 0 in place, 1 AFL, 2 PFL
CR_CLICK_GAIN = 7  # linear, click level in the control room
CR_CLICK_ON = 8  # 0/1 (the project's click switch)
CR_TEMPO = 9  # beats per minute
CR_METER_NUM = 10
CR_SMALL_SPEAKER = 11
CR_TALKBACK_INPUT = 12  # device input channel, -1 none
CR_TALKBACK_GAIN = 13  # linear
CR_TALKBACK_HELD = 14  # 0/1
CR_EXT_INPUT = 15  # first channel of the external pair, -1 none
CR_GAIN = 16  # kernel-owned: level x dim x cut x talkback dim, ramped
CR_MONO_MIX = 17  # kernel-owned: 0 stereo .. 1 mono, ramped
CR_SAMPLE_RATE = 18
CR_METER_DEN = 19
CR_TEST_OUT = 20  # output channel of the calibration impulse, -1 none
CR_TEST_FRAME = 21  # stream frame at which that impulse is played
CR_COUNT_IN = 22  # 1: the click plays before the punch-in (a count-in), whatever CR_CLICK_ON
CR_PARAMS = 24

SOLO_IN_PLACE, SOLO_AFL, SOLO_PFL = 0, 1, 2
SOURCE_MAIN, SOURCE_EXT = -1, -2
TALKBACK_DIM = 0.1  # -20 dB on the control room while talkback is held

# -- plan: structure, two slots ------------------------------------------------

H_STRIPS = 0  # strips in this plan, processing order is plan_order
H_MASTER = 1  # strip index of the master
H_CUES = 2
H_MAIN_OUT = 3  # first output channel of the main pair
H_CR_OUT = 4  # first output channel of the control-room pair
H_LANES = 5  # automation lanes in this plan
PLAN_HEAD = 8

# Automation lanes (plan_lanes rows) and their points (plan_points rows: time, value,
# 1 for hold / 0 for a linear ramp to the next point), played while rolling.
L_ON_CUE = 0  # 0: a strip parameter, 1: a cue send
L_STRIP = 1  # strip index
L_CUE = 2  # cue index (cue sends)
L_OFFSET = 3  # strip parameter offset, or C_LEVEL / C_PAN
L_CONVERT = 4  # how a lane value becomes the stored number: CONVERT_*
L_FIRST = 5  # first row in plan_points
L_COUNT = 6  # points
L_MODE = 7  # how the strip plays and writes the lane: MODE_*
PLAN_LANE = 8  # 64 bytes: one cache line a lane, read every block for every lane
# The kernel's cache of the segment each lane is playing (lane_seg rows, per plan half):
# the lane is a straight line over [SEG_FROM, SEG_TO), so a block inside it reads one
# contiguous row instead of the lane's points. Zeros are an empty range: read afresh.
SEG_FROM = 0
SEG_TO = 1
SEG_VALUE = 2  # the lane's value at SEG_FROM
SEG_SLOPE = 3  # its change per frame (0 for a hold)
SEG_HINT = 4  # plan_points row of the piece's first point (the next search looks there)
# A level lane's gain follows its piece block by block as a product: exp of a straight
# line in dB grows by the same ratio every n frames, so one multiply replaces exp.
SEG_NEXT = 5  # the block end where SEG_GAIN x SEG_RATIO is the gain (NaN: take exp)
SEG_GAIN = 6  # the gain at the last block end read
SEG_RATIO = 7  # gain ratio over one block of the length the last one had
LANE_SEG = 8  # 64 bytes
CONVERT_RAW, CONVERT_GAIN, CONVERT_FLAG, CONVERT_POLARITY = 0, 1, 2, 3
MODE_READ, MODE_TOUCH, MODE_LATCH, MODE_WRITE, MODE_TRIM = 0, 1, 2, 3, 4

S_KIND = 0  # 0 audio, 1 bus, 2 master
S_RING = 1  # playback ring index, -1 none
S_IN_L = 2  # device input channels, -1 none
S_IN_R = 3
S_MONITOR = 4  # 0 auto, 1 input, 2 off
S_ARMED = 5
S_OUTPUT = 6  # strip index of the bus or master this feeds, -1 for the master itself
S_ACTIVE = 7  # 1 when the strip exists in this plan
S_FX = 8  # built-in effect slot of a bus (row of fx_state), -1 none
S_FX_KIND = 9  # FX_NONE, FX_REVERB or FX_DELAY
PLAN_STRIP = 10
FX_NONE, FX_REVERB, FX_DELAY = 0, 1, 2
KIND_AUDIO, KIND_BUS, KIND_MASTER = 0, 1, 2
MON_AUTO, MON_INPUT, MON_OFF = 0, 1, 2

SEND_BUS = 0  # strip index of the destination bus, -1 unused
SEND_PRE = 1
PLAN_SEND = 2

Q_OUT = 0  # first output channel of the cue's pair
PLAN_CUE = 2

# -- control (UI-written counters) -----------------------------------------------

K_PLAN_INDEX = 0  # which plan slot the kernel uses
K_CMD_WRITE = 1  # commands written (monotonic)
K_METER_RESET = 2  # bumped by the reader after it took the meters
K_IN_CHANNELS = 3  # device channel counts of the running backend
K_OUT_CHANNELS = 4
K_LOUDNESS_RESET = 5  # bumped to restart the master's loudness measurement
K_PUNCH_IN = 6  # timeline frames of the punch range; no punch unless out > in
K_PUNCH_OUT = 7
# Non-zero: nobody watches this stream's meters (a render, which measures what it writes):
# no level meters, loudness or true peak.
K_UNMETERED = 8
CTL_SIZE = 9

# -- feedback (kernel-written) ---------------------------------------------------

F_POSITION = 0  # timeline frame of the next block
F_PLAYING = 1
F_RECORDING = 2
F_GEN = 3  # transport generation: bumped at each locate or loop change
F_SEEK = 4  # timeline frame at ring frame F_BASE (see the mapping below)
F_LOOP_ON = 5  # the loop as last set (the mapping in use may still be the previous)
F_LOOP_START = 6
F_LOOP_END = 7
F_WRAP = 8  # 1 when the current mapping wraps at its loop end
F_CONSUMED = 9  # ring frames read in this generation
F_CMD_READ = 10  # commands applied (monotonic)
F_BLOCKS = 11  # kernel calls
F_FRAMES = 12  # frames processed
F_XRUNS = 13  # device status flags seen (under/overflows)
F_LATE = 14  # blocks whose device time came later than expected
F_UNDERRUNS = 15  # frames played as silence because a ring was not filled in time
F_PLAN_ACK = 16  # the plan index the kernel used last
F_METER_ACK = 17
F_LAST_FLAGS = 18
F_WAITING = 19  # 1 while playing is held for the butler's refill after a locate
F_DEVICE_TIME = 20  # last device time seen, microseconds
F_ROLL_FRAME = 21  # value of F_FRAMES when the current generation started rolling
F_LOUDNESS_ACK = 22
F_REC_TAKE = 23  # takes started so far
F_REC_START = 24  # stream frame (of the capture ring) where the last take starts
F_REC_STOP = 25  # ...and where it stopped (-1 while recording)
F_REC_POSITION = 26  # timeline frame at which the last take started
# How ring frames map to the timeline: from ring frame F_BASE on, timeline frame
# F_SEEK + (k - F_BASE), wrapping at F_MAP_LOOP_END back to F_MAP_LOOP_START when
# F_WRAP. A loop change while rolling "splices" a next mapping in from F_NEXT_BASE
# (a little ahead, so the butler can rewrite the ring in time) instead of refilling.
F_BASE = 27
F_MAP_LOOP_START = 28
F_MAP_LOOP_END = 29
F_NEXT_PENDING = 30  # 1 while the next mapping waits for the read point to reach it
F_NEXT_BASE = 31
F_NEXT_SEEK = 32
F_NEXT_WRAP = 33
F_NEXT_LOOP_START = 34
F_NEXT_LOOP_END = 35
F_SPLICES = 36  # bumped (last) each time a next mapping is published
F_XRUN_FRAME = 37  # stream frame of the block where the last xrun was seen
FB_SIZE = 40
SPLICE_FRAMES = 2048  # how far ahead of the read point a loop change takes effect

# -- butler ring control -------------------------------------------------------

R_WRITTEN = 0  # ring frames written in the generation R_READY_GEN
R_READY_GEN = 1  # generation the ring content belongs to (-1 none yet)
RING_CTL = 4

# -- meters per strip ------------------------------------------------------------

M_PEAK = 0
M_SUMSQ = 1  # sum of squares over both channels
M_COUNT = 2  # samples counted into M_SUMSQ
METERS = 4

# -- commands ---------------------------------------------------------------------

CMD_PLAY = 1
CMD_STOP = 2
CMD_LOCATE = 3  # a: frame
CMD_LOOP = 4  # a: on, b: start, c: end
CMD_RECORD = 5  # a: on

# -- scratch rows ---------------------------------------------------------------

SCR_PRE = 0  # a strip after its input stage (pre-pan)
SCR_POST = 1  # after pan and fader
SCR_PANNED = 2  # after pan, before the fader: pre-fader sends
SCR_SOLO = 3  # AFL/PFL sum
SCR_CR = 4  # control room
SCR_MAIN = 5  # the master's output
SCR_RAMP = 6  # kernel: (i + 1) / n in both channels of frame i: a gain ramp's shape
SCRATCH_ROWS = 7

# The `batch` array (flat): the filters of up to BATCH tracks run together (see
# dsp.strip.biquads_batch): their inputs side by side, the sections' coefficients and
# states, then per strip the number of sections it runs and their offsets in its
# dsp_state row.
BATCH_X = 0
BATCH_COEFS = MAX_BLOCK * BATCH_WIDTH
BATCH_STATES = BATCH_COEFS + SECTIONS * 5 * BATCH_WIDTH
BATCH_PLAN = BATCH_STATES + SECTIONS * 2 * BATCH_WIDTH
BATCH_PLAN_FIELDS = 1 + SECTIONS
BATCH_SIZE = BATCH_PLAN + BATCH * BATCH_PLAN_FIELDS

# The order of the arrays in the pointer table; the callback rebuilds them in this order.
ARRAYS = (
    "dims",
    "strip_p",
    "cue_p",
    "cuehead_p",
    "cr_p",
    "plan_head",
    "plan_strip",
    "plan_send",
    "plan_cue",
    "plan_order",
    "ctl",
    "cmd",
    "fb",
    "meters",
    "rings",
    "ring_ctl",
    "dsp_state",
    "bus_acc",
    "cue_acc",
    "scratch",
    "capture",
    "loud_state",
    "loud_hist",
    "tp_state",
    "fx_state",
    "room_state",
    "plan_lanes",
    "plan_points",
    "capture_pos",
    "auto",
    "lane_seg",
    "batch",
)

# -- automation writing (the `auto` array) ------------------------------------------
# Row 0 holds the capture ring's counters; then one row per automatable parameter (its
# key: strip s, offset o -> s * PARAMS_PER_STRIP + o; cue c, strip s, offset o ->
# strips * PARAMS_PER_STRIP + (c * strips + s) * CUE_PARAMS + o), then the ring's
# records (AR_KEY, AR_FRAME, AR_VALUE, AR_FLAGS), values in the lane's unit (dB, not gain).
AH_WRITE = 0  # kernel: records written (monotonic)
AH_READ = 1  # collector: records taken
AH_LOST = 2  # kernel: records dropped because the ring was full
AF_TOUCH = 0  # UI: 1 while the control is held (or moving, for one that cannot sense touch)
AF_UI = 1  # UI: the control's value as stored (gain for levels); NaN: not moved since touch
AF_REF = 2  # UI: the stored value when the touch began (what Trim measures the move from)
AF_WRITING = 3  # kernel: 1 while a segment of this parameter is being recorded
AF_LATCHED = 4  # kernel: Latch has taken over until stop
AF_HELD = 5  # kernel: value (lane unit) when the touch began: held until the first move
AF_GLIDE = 6  # kernel: frames left of the glide back to the lane after a release
AF_FROM = 7  # kernel: where that glide starts (value, or Trim's offset)
AF_OUT = 8  # kernel: the value (lane unit) this parameter was set to in the last block
AF_PREV_AT = 9  # kernel: timeline frame the last block ended on (-1 none)
AF_REC_AT = 10  # kernel: frame of the last record written
AF_REC_VALUE = 11  # kernel: ...and its value
AF_WAS_TOUCHED = 12  # kernel: AF_TOUCH as seen in the last block
AF_UI_SEEN = 13  # kernel: the AF_UI last converted...
AF_UI_LANE = 14  # ...and it in the lane's unit (a log10 saved per block)
AUTO_FIELDS = 16
AR_KEY, AR_FRAME, AR_VALUE, AR_FLAGS = 0, 1, 2, 3
REC_START, REC_END = 1.0, 2.0  # AR_FLAGS: first and last record of a written segment
AUTO_RING = 1 << 15  # records (a power of two): ~1.7 s of 512 parameters at 128 frames
GLIDE_SECONDS = 0.15  # Touch: from the released control's value back to the lane


def auto_params(strips: int, cues: int) -> int:
    """Rows of automatable parameters in the `auto` array."""
    return strips * PARAMS_PER_STRIP + cues * strips * CUE_PARAMS


# dims: the capacities, so the callback can rebuild every shape from one array.
D_STRIPS, D_TRACKS, D_CUES, D_RING, D_MAX_BLOCK, D_INPUTS, D_FX, D_FX_SIZE, D_LANES, D_POINTS = (
    range(10)
)
DIMS = 16


@dataclass(frozen=True)
class Capacity:
    """How many strips (tracks, buses and the master), playback tracks and cues fit."""

    strips: int = 48
    tracks: int = 32
    cues: int = 4
    ring_frames: int = DEFAULT_RING_FRAMES
    inputs: int = 32  # device input channels kept in the capture ring
    fx: int = 2  # built-in reverb/delay returns
    lanes: int = 32  # automation lanes
    points: int = 8192  # automation points over all lanes

    def grown_for(
        self, strips: int, tracks: int, cues: int, lanes: int = 0, points: int = 0
    ) -> Capacity:
        """A capacity with room for the given counts, doubling so growth stays rare."""

        def grow(have: int, need: int) -> int:
            while have < need:
                have *= 2
            return have

        return Capacity(
            grow(self.strips, strips),
            grow(self.tracks, tracks),
            grow(max(self.cues, 1), cues),
            self.ring_frames,
            self.inputs,
            self.fx,
            grow(self.lanes, lanes),
            grow(self.points, points),
        )


class Arena:
    """The preallocated arrays for one capacity, with their pointer table.

    An Arena must stay referenced for as long as any stream may run over it: the
    callback holds only raw addresses.
    """

    def __init__(self, capacity: Capacity = Capacity()) -> None:
        ring = capacity.ring_frames
        if ring & (ring - 1):
            raise ValueError(f"ring size must be a power of two, not {ring}")
        s, t, c = capacity.strips, capacity.tracks, capacity.cues
        self.capacity = capacity
        self.dims = np.zeros(DIMS, np.int64)
        self.dims[D_STRIPS] = s
        self.dims[D_TRACKS] = t
        self.dims[D_CUES] = c
        self.dims[D_RING] = ring
        self.dims[D_MAX_BLOCK] = MAX_BLOCK
        self.dims[D_INPUTS] = capacity.inputs
        self.dims[D_FX] = capacity.fx
        self.dims[D_FX_SIZE] = FX_SIZE
        self.dims[D_LANES] = capacity.lanes
        self.dims[D_POINTS] = capacity.points
        self.strip_p = np.zeros((2, s, PARAMS_PER_STRIP))
        self.cue_p = np.zeros((2, c, s, CUE_PARAMS))
        self.cuehead_p = np.zeros((2, c, CUEHEAD_PARAMS))
        self.cr_p = np.zeros((2, CR_PARAMS))
        self.plan_head = np.zeros((2, PLAN_HEAD), np.int64)
        self.plan_strip = np.zeros((2, s, PLAN_STRIP), np.int64)
        self.plan_send = np.full((2, s, MAX_SENDS, PLAN_SEND), -1, np.int64)
        self.plan_cue = np.zeros((2, c, PLAN_CUE), np.int64)
        self.plan_order = np.zeros((2, s), np.int64)
        self.ctl = np.zeros(CTL_SIZE, np.int64)
        self.cmd = np.zeros((CMD_CAPACITY, CMD_FIELDS))
        self.fb = np.zeros(FB_SIZE, np.int64)
        self.meters = np.zeros((s + c, METERS))  # strips, then cue mixes
        self.rings = np.zeros((t, ring, 2), np.float32)
        self.ring_ctl = np.zeros(RING_CTL, np.int64)
        self.dsp_state = np.zeros((s, DSP_STATE_PER_STRIP))
        self.bus_acc = np.zeros((s, MAX_BLOCK, 2))
        self.cue_acc = np.zeros((c, MAX_BLOCK, 2))
        self.scratch = np.zeros((SCRATCH_ROWS, MAX_BLOCK, 2))
        self.capture = np.zeros((ring, capacity.inputs), np.float32)
        # Timeline frame the output played at each captured stream frame (-1 stopped):
        # what places a recording, splits loop passes and finds the punch range.
        self.capture_pos = np.full(ring, -1, np.int64)
        self.loud_state = np.zeros(LOUDNESS_STATE_SIZE)
        self.loud_hist = np.zeros((4, HIST_BINS))
        self.tp_state = np.zeros((2, TP_STATE_SIZE))
        self.fx_state = np.zeros((capacity.fx, FX_SIZE))
        self.room_state = np.zeros(ROOM_STATE)
        self.plan_lanes = np.zeros((2, capacity.lanes, PLAN_LANE), np.int64)
        self.plan_points = np.zeros((2, capacity.points, 3))
        self.lane_seg = np.zeros((2, capacity.lanes, LANE_SEG))
        self.batch = np.zeros(BATCH_SIZE)
        self.auto = np.zeros((1 + auto_params(s, c) + AUTO_RING, AUTO_FIELDS))
        self.auto[1 : 1 + auto_params(s, c), AF_PREV_AT] = -1.0
        self.auto[1 : 1 + auto_params(s, c), AF_UI_SEEN] = math.nan
        self.ring_ctl[R_READY_GEN] = -1
        self._init_defaults()
        self.table = np.array([getattr(self, name).ctypes.data for name in ARRAYS], np.int64)

    def _init_defaults(self) -> None:
        for half in (TARGET, CUR):
            sp = self.strip_p[half]
            sp[:, P_TRIM] = 1.0
            sp[:, P_POLARITY] = 1.0
            sp[:, P_FADER] = 1.0
            sp[:, P_AUDIBLE] = 1.0
            sp[:, P_POST_CUE] = 1.0
            sp[:, P_PAN_L] = math.cos(math.pi / 4)
            sp[:, P_PAN_R] = math.sin(math.pi / 4)
            self.cue_p[half, :, :, C_PRE] = 1.0
            self.cue_p[half, :, :, C_PAN_L] = math.cos(math.pi / 4)
            self.cue_p[half, :, :, C_PAN_R] = math.sin(math.pi / 4)
            self.cuehead_p[half, :, CH_MASTER] = 1.0
            self.cuehead_p[half, :, CH_LIMIT] = 1.0
            cr = self.cr_p[half]
            cr[CR_SOURCE] = SOURCE_MAIN
            cr[CR_LEVEL] = cr[CR_GAIN] = 1.0
            cr[CR_DIM_GAIN] = 0.1
            cr[CR_TALKBACK_INPUT] = cr[CR_EXT_INPUT] = -1.0
            cr[CR_TEMPO] = 120.0
            cr[CR_METER_NUM] = 4.0
            cr[CR_METER_DEN] = 4.0
            cr[CR_TEST_OUT] = -1.0
            cr[CR_SAMPLE_RATE] = 48000.0
        self.plan_strip[:, :, S_RING] = -1
        self.plan_strip[:, :, S_IN_L] = -1
        self.plan_strip[:, :, S_IN_R] = -1

    def kernel_args(self) -> tuple[np.ndarray, ...]:
        """The arrays in ARRAYS order, as process_block takes them."""
        return tuple(getattr(self, name) for name in ARRAYS)

    @property
    def table_address(self) -> int:
        return int(self.table.ctypes.data)

    # -- the UI side of the command ring ------------------------------------------

    def push_command(self, op: int, a: float = 0.0, b: float = 0.0, c: float = 0.0) -> None:
        """Queue a transport command for the kernel's next block start.

        Single producer: callers serialise (the Engine holds a lock around this).
        """
        w = int(self.ctl[K_CMD_WRITE])
        if w - int(self.fb[F_CMD_READ]) >= CMD_CAPACITY:
            raise RuntimeError("the engine is not taking commands (is the stream running?)")
        self.cmd[w % CMD_CAPACITY] = (op, a, b, c)
        self.ctl[K_CMD_WRITE] = w + 1

    def commands_pending(self) -> int:
        return int(self.ctl[K_CMD_WRITE] - self.fb[F_CMD_READ])

    def take_state_from(self, old: Arena) -> None:
        """Copy the UI-owned values of a smaller arena before this one replaces it.

        The kernel-owned state (smoothed values, transport) is carried over by the
        kernel itself when it first sees this arena, so nothing jumps.
        """
        s = min(old.capacity.strips, self.capacity.strips)
        c = min(old.capacity.cues, self.capacity.cues)
        self.strip_p[:, :s] = old.strip_p[:, :s]
        self.cue_p[:, :c, :s] = old.cue_p[:, :c, :s]
        self.cuehead_p[:, :c] = old.cuehead_p[:, :c]
        self.cr_p[:] = old.cr_p
        self.cmd[:] = old.cmd
        self.ctl[K_CMD_WRITE] = old.ctl[K_CMD_WRITE]
        self.ctl[K_METER_RESET] = old.ctl[K_METER_RESET]
        self.ctl[K_IN_CHANNELS] = old.ctl[K_IN_CHANNELS]
        self.ctl[K_OUT_CHANNELS] = old.ctl[K_OUT_CHANNELS]
        self.ctl[K_PUNCH_IN] = old.ctl[K_PUNCH_IN]
        self.ctl[K_PUNCH_OUT] = old.ctl[K_PUNCH_OUT]
        rows = 1 + s * PARAMS_PER_STRIP  # strip keys do not depend on the capacity
        self.auto[1:rows, AF_TOUCH : AF_REF + 1] = old.auto[1:rows, AF_TOUCH : AF_REF + 1]


class Root:
    """The one-element holder whose address the callback gets as userData.

    root[0] is the address of the current arena's pointer table; root[1] is written
    by the kernel with the table address it last ran on, which acknowledges a swap.
    """

    def __init__(self, arena: Arena) -> None:
        self.array = np.zeros(2, np.int64)
        self.arena = arena
        self.retired: list[Arena] = []
        self.array[0] = arena.table_address
        self.array[1] = arena.table_address

    @property
    def address(self) -> int:
        return int(self.array.ctypes.data)

    def swap(self, arena: Arena) -> None:
        """Point the kernel at a new arena; the old one stays alive until acknowledged."""
        self.retired.append(self.arena)
        self.arena = arena
        self.array[0] = arena.table_address

    @property
    def active(self) -> Arena:
        """The arena the kernel runs on: the previous one until the swap is acknowledged."""
        if self.retired and not self.acknowledged():
            return self.retired[-1]
        return self.arena

    def acknowledged(self) -> bool:
        return int(self.array[1]) == int(self.array[0])

    def release_retired(self) -> None:
        """Drop the old arenas once the kernel runs on the current one."""
        if self.acknowledged():
            self.retired.clear()

"""The fader law: where a level sits on a fader's travel (0..1) and back.

Shared by the mixer's painted faders and by hardware motor faders, so a level looks and
feels the same on the screen and under the hand. Finer near 0 dB, where mixing happens.
"""

from __future__ import annotations

import bisect

SILENCE_DB = -120.0
FADER_MAX_DB = 12.0

# The fader's travel: (position 0..1, dB).
_TAPER = (
    (0.0, SILENCE_DB),
    (0.06, -60.0),
    (0.2, -40.0),
    (0.36, -24.0),
    (0.54, -12.0),
    (0.76, 0.0),
    (0.88, 6.0),
    (1.0, FADER_MAX_DB),
)
_TAPER_POS = [p for p, _ in _TAPER]
_TAPER_DB = [d for _, d in _TAPER]


def fader_pos(db: float) -> float:
    """Where a level sits on the fader's travel, 0..1."""
    db = min(max(db, SILENCE_DB), FADER_MAX_DB)
    i = bisect.bisect_right(_TAPER_DB, db)
    if i >= len(_TAPER):
        return 1.0
    d0, d1 = _TAPER_DB[i - 1], _TAPER_DB[i]
    p0, p1 = _TAPER_POS[i - 1], _TAPER_POS[i]
    return p0 + (p1 - p0) * (db - d0) / (d1 - d0)


def fader_db(pos: float) -> float:
    """The level at a fader position 0..1, rounded to 0.1 dB (what the field shows)."""
    pos = min(max(pos, 0.0), 1.0)
    i = max(1, bisect.bisect_right(_TAPER_POS, pos))
    if i >= len(_TAPER):
        return FADER_MAX_DB
    p0, p1 = _TAPER_POS[i - 1], _TAPER_POS[i]
    d0, d1 = _TAPER_DB[i - 1], _TAPER_DB[i]
    db = d0 + (d1 - d0) * (pos - p0) / (p1 - p0)
    return SILENCE_DB if db <= -90.0 else round(db, 1)

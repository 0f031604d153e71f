"""Keeps Python's None alive under shiboken6 6.12 on Python 3.11.

Measured here (PySide6 6.12.0, Python 3.11.7): every call of a PySide6 method that returns
nothing (QWidget.update, QPainter.fillRect, QLabel.setText, ...) drops one reference to
None that it never took. Python 3.12 made None immortal, so there it is harmless; on 3.11
None's count falls by thousands a second while meters paint, and the process aborts with
"Fatal Python error: none_dealloc" (a 128-strip mixer died within seconds). Raising the
count far out of reach is what 3.12 does by design. It belongs at application start-up;
the mixer calls it too because its meters make most of these calls.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40  # a trillion calls; Py_ssize_t holds 2**63


def keep_none_alive() -> None:
    """Make None's reference count unreachable by the leak (no-op from Python 3.12)."""
    if sys.version_info < (3, 12) and sys.getrefcount(None) < _HEADROOM:
        ctypes.c_ssize_t.from_address(id(None)).value += _HEADROOM

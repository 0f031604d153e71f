"""Per-machine engine settings kept between runs: measured latency corrections.

A small JSON file in the user's config directory (`$XDG_CONFIG_HOME/glassroom/engine.json`,
or the path in `GLASSROOM_SETTINGS`, which tests use). Keys name a device and block
size; values are frames to add to the latency the stream reports. A missing or broken
file means no corrections; writing replaces the file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

ENV = "GLASSROOM_SETTINGS"


def settings_path() -> Path:
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "glassroom" / "engine.json"


def _read() -> dict:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def latency_correction(device_key: str) -> int:
    """Frames measured by calibration for this device and block size (0 if none)."""
    value = _read().get("latency_correction", {}).get(device_key, 0)
    return int(value) if isinstance(value, int | float) else 0


def store_latency_correction(device_key: str, frames: int) -> None:
    data = _read()
    corrections = data.get("latency_correction")
    if not isinstance(corrections, dict):
        corrections = {}
    corrections[device_key] = int(frames)
    data["latency_correction"] = corrections
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".engine-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

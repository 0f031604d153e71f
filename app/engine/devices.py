"""The audio devices PortAudio can see, listed for a settings dialog to offer.

Listing is all this does; the backends open the stream. Kept apart from backends.py so
a dialog can ask what is there without reaching below the engine facade.
"""

from __future__ import annotations


def list_devices() -> tuple[list[str], list[tuple[str, str, int, int]]]:
    """Host API names, and (host API, device name, inputs, outputs) for each device.
    Empty when PortAudio is not there."""
    try:
        import sounddevice as sd

        apis = [a["name"] for a in sd.query_hostapis()]
        devices = [(apis[d["hostapi"]], d["name"], int(d["max_input_channels"]),
                    int(d["max_output_channels"])) for d in sd.query_devices()]
    except Exception:  # no PortAudio library, or it failed to start: offer the clock only
        return [], []
    return apis, devices

"""The mixer and control-room window: channel strips, control room, cue mixes, loudness."""

from app.ui.mixer.window import MixerWindow

__all__ = ["MixerWindow"]

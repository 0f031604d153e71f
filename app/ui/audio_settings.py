"""The audio settings dialog: host API, device, sample rate, block size, inputs and
outputs, with the latency they give, applied at once by reopening the engine.

If the chosen device cannot be opened, the engine falls back to its internal clock and
the dialog says why; the app keeps running either way.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.engine import Engine, list_devices

RATES = (44100, 48000, 88200, 96000)
BLOCKS = (32, 64, 128, 256, 512, 1024)
CLOCK = "Internal clock (no sound)"


def latency_text(rate: int, block: int, device_latency: tuple[float, float] | None = None) -> str:
    """What a player hears: one block each way plus what the device adds."""
    one = block / rate * 1000
    extra = sum(device_latency) * 1000 if device_latency else 0.0
    return (f"{one:.1f} ms a block · about {2 * one + extra:.1f} ms round trip "
            f"({block} frames at {rate / 1000:g} kHz)")


def engine_status(engine: Engine) -> tuple[str, bool]:
    """The device label for the status area, and whether sound really goes out."""
    backend = engine.backend
    if backend is None:
        return "Audio stopped", False
    if backend.name == "clock":
        return "No audio device: running on the internal clock", False
    summary = getattr(backend, "summary", backend.name)
    return f"{summary} · {backend.samplerate / 1000:g} kHz · {backend.blocksize}", True


class AudioSettingsDialog(QDialog):
    def __init__(self, engine: Engine, on_applied: Callable[[], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audio Settings")
        self.engine = engine
        self.on_applied = on_applied or (lambda: None)
        self.apis, self.devices = list_devices()
        form = QFormLayout()
        self.api_box = QComboBox()
        self.api_box.addItem(CLOCK, None)
        for api in self.apis:
            self.api_box.addItem(api, api)
        self.device_box = QComboBox()
        self.rate_box = QComboBox()
        for r in RATES:
            self.rate_box.addItem(f"{r} Hz", r)
        self.block_box = QComboBox()
        for b in BLOCKS:
            self.block_box.addItem(f"{b} frames", b)
        self.inputs_box = QSpinBox()
        self.inputs_box.setRange(0, 64)
        self.outputs_box = QSpinBox()
        self.outputs_box.setRange(1, 64)
        self.latency_label = QLabel()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        form.addRow("Host API", self.api_box)
        form.addRow("Device", self.device_box)
        form.addRow("Sample rate", self.rate_box)
        form.addRow("Block size", self.block_box)
        form.addRow("Inputs", self.inputs_box)
        form.addRow("Outputs", self.outputs_box)
        form.addRow("Latency", self.latency_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        backend = engine.backend
        rate = backend.samplerate if backend else 48000
        block = backend.blocksize if backend else 128
        self.rate_box.setCurrentIndex(max(0, self.rate_box.findData(rate)))
        self.block_box.setCurrentIndex(max(0, self.block_box.findData(block)))
        self.inputs_box.setValue(backend.inputs if backend else 2)
        self.outputs_box.setValue(backend.outputs if backend else 2)
        if backend is not None and backend.name != "clock" and self.apis:
            self.api_box.setCurrentIndex(1)
        self.api_box.currentIndexChanged.connect(self._fill_devices)
        for box in (self.rate_box, self.block_box):
            box.currentIndexChanged.connect(self._show_latency)
        self._fill_devices()
        self._show_latency()
        self._show_status()

    def _fill_devices(self) -> None:
        api = self.api_box.currentData()
        self.device_box.clear()
        for host, name, ins, outs in self.devices:
            if host == api and outs > 0:
                self.device_box.addItem(f"{name} ({ins} in, {outs} out)", name)
        self.device_box.setEnabled(api is not None)

    def _show_latency(self) -> None:
        backend = self.engine.backend
        extra = getattr(backend, "latency", None) if backend is not None else None
        self.latency_label.setText(latency_text(self.rate_box.currentData(),
                                                self.block_box.currentData(), extra))

    def _show_status(self) -> None:
        text, ok = engine_status(self.engine)
        reason = self.engine.fallback_reason
        self.status_label.setText(text if ok or not reason else f"{text}\nWhy: {reason}")

    def options(self) -> dict:
        opts = {"samplerate": self.rate_box.currentData(),
                "blocksize": self.block_box.currentData(),
                "inputs": self.inputs_box.value(), "outputs": self.outputs_box.value()}
        if self.api_box.currentData() is not None:
            opts["hostapi"] = self.api_box.currentData()
            if self.device_box.currentData() is not None:
                opts["device"] = self.device_box.currentData()
        return opts

    def apply(self) -> None:
        """Reopen the engine with these settings (close, then open); never raises."""
        opts = self.options()
        self.engine.fallback_reason = None
        backend = "auto" if "hostapi" in opts else "clock"
        try:
            self.engine.open(backend, **opts)
        except Exception as e:  # a device refusal must not take the app down
            self.engine.open("clock", **{k: v for k, v in opts.items()
                                         if k in ("samplerate", "blocksize", "inputs",
                                                  "outputs")})
            self.engine.fallback_reason = str(e)
        self._show_status()
        self._show_latency()
        self.on_applied()

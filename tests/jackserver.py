"""A real JACK server with the dummy driver for the audio tests.

`JackServer` starts `jackd -n NAME --no-realtime -d dummy` as a child process, waits
until a client can connect, and stops it. `use_for_portaudio` points PortAudio at it:
PortAudio reads JACK_DEFAULT_SERVER when it initialises, so it is re-initialised
after the variable is set. `loopback` connects PortAudio's outputs to its inputs,
which gives the tests a real round trip through the server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid


def unique_name(prefix: str = "glassroom") -> str:
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class JackServer:
    def __init__(self, name: str | None = None, rate: int = 48000, period: int = 128) -> None:
        self.name = name or unique_name()
        self.rate = rate
        self.period = period
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("jackd") is not None and shutil.which("jack_lsp") is not None

    def start(self, timeout: float = 15.0) -> JackServer:
        self.process = subprocess.Popen(
            [
                "jackd",
                "-n",
                self.name,
                "--no-realtime",
                "-d",
                "dummy",
                "-r",
                str(self.rate),
                "-p",
                str(self.period),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise RuntimeError(f"jackd exited at start ({self.process.returncode}): {err}")
            probe = subprocess.run(["jack_lsp", "-s", self.name], capture_output=True, timeout=5)
            if probe.returncode == 0 and b"system:playback_1" in probe.stdout:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"jackd {self.name} did not come up within {timeout} s")

    def use_for_portaudio(self) -> None:
        """Make PortAudio (sounddevice) talk to this server from now on."""
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        import sounddevice as sd

        sd._terminate()
        sd._initialize()

    def release_portaudio(self) -> None:
        """Let go of PortAudio's JACK client before the server stops.

        PortAudio aborts the process if it still holds a client of a vanished server
        when it terminates at exit.
        """
        import sounddevice as sd

        sd._terminate()
        os.environ.pop("JACK_DEFAULT_SERVER", None)
        sd._initialize()

    def client(self, name: str = "glassroom-test"):
        import jack

        return jack.Client(unique_name(name), no_start_server=True, servername=self.name)

    def loopback(self, channels: int = 2, timeout: float = 5.0) -> None:
        """Connect PortAudio's outputs to its inputs, first to first, once they exist.

        PortAudio numbers its ports on from earlier streams of the same process
        (in_2, in_3 for the second stream), so they are paired in order.
        """
        client = self.client("loop")

        def numbered(kind: str) -> list[str]:
            names = [p.name for p in client.get_ports("PortAudio:" + kind)]
            return sorted(names, key=lambda n: int(n.rsplit("_", 1)[1]))

        try:
            deadline = time.monotonic() + timeout
            while len(numbered("out")) < channels or len(numbered("in")) < channels:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PortAudio ports did not appear: {numbered('out')} {numbered('in')}"
                    )
                time.sleep(0.01)
            for src, dst in zip(numbered("out"), numbered("in"), strict=False):
                client.connect(src, dst)
        finally:
            client.close()

    def kill(self) -> None:
        """End the server abruptly, as a crashed or unplugged device would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

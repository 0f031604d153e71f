"""A real JACK server with the dummy driver for the audio tests.

`JackServer` starts `jackd -n NAME --no-realtime -d dummy` as a child process, waits
until a client can connect, and stops it. `use_for_portaudio` points PortAudio at it:
PortAudio reads JACK_DEFAULT_SERVER when it initialises, so it is re-initialised
after the variable is set. `loopback` connects PortAudio's outputs to its inputs,
which gives the tests a real round trip through the server.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REGISTRY = Path("/dev/shm/jack-shm-registry")
REGISTRY_MAGIC = 0x4A41434B
MAX_SERVERS = 8
PR_SET_PDEATHSIG = 1
SERVERS_AT = 24  # after magic, protocol, type, size, hdr_len, entry_len


def reclaim_dead_server_slots() -> int:
    """Free the registry slots of JACK servers whose process is gone.

    jackd frees a dead server's slot only when a server of the same name starts, so
    every killed server with a unique name would hold one of the 8 slots for good
    ("Too many servers already active"). Returns how many slots were freed.
    """
    try:
        with REGISTRY.open("r+b") as f:
            head = f.read(SERVERS_AT)
            magic, _proto, _type, _size, hdr_len, _entry = struct.unpack("<IHxxiiii", head)
            stride = (hdr_len - SERVERS_AT) // MAX_SERVERS
            if magic != REGISTRY_MAGIC or stride < 8:
                return 0
            freed = 0
            for i in range(MAX_SERVERS):
                f.seek(SERVERS_AT + i * stride)
                (pid,) = struct.unpack("<i", f.read(4))
                if pid <= 0 or _alive(pid):
                    continue
                f.seek(SERVERS_AT + i * stride)
                f.write(bytes(stride))
                freed += 1
            return freed
    except (OSError, struct.error):
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """In the child before exec: end the server when the test process ends.

    A test run killed by a timeout never reaches its teardown; without this its
    server would live on and hold one of JACK's 8 server slots.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def unique_name(prefix: str = "glassroom") -> str:
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class JackServer:
    def __init__(self, name: str | None = None, rate: int = 48000, period: int = 128) -> None:
        self.name = name or unique_name()
        self.rate = rate
        self.period = period
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()

    @staticmethod
    def available() -> bool:
        return shutil.which("jackd") is not None and shutil.which("jack_lsp") is not None

    def start(self, timeout: float = 30.0) -> JackServer:
        """Start the server; waits while JACK's limit of concurrent servers is reached."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._start_once(deadline)
            except RuntimeError as e:
                if "Too many servers" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _start_once(self, deadline: float) -> JackServer:
        reclaim_dead_server_slots()
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
            stderr=self._log,  # a file, not a pipe: a full pipe would stall the server
            preexec_fn=_die_with_parent,
        )
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                self._log.seek(0)
                self._log.truncate()
                self.process = None
                raise RuntimeError(f"jackd exited at start: {err}")
            self._log.seek(0)
            if b"Too many servers" in self._log.read():
                self.stop()
                self._log.seek(0)
                self._log.truncate()
                raise RuntimeError("Too many servers already active")
            probe = subprocess.run(["jack_lsp", "-s", self.name], capture_output=True, timeout=5)
            if probe.returncode == 0 and b"system:playback_1" in probe.stdout:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"jackd {self.name} did not come up in time")

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
        """End the server abruptly, as a crashed or unplugged device would.

        A killed server cannot remove its sockets and semaphores; they are removed
        here so killed servers do not pile up in /dev/shm.
        """
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for leftover in Path("/dev/shm").glob(f"jack*{self.name}*"):
            leftover.unlink(missing_ok=True)
        reclaim_dead_server_slots()

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
        self.process = None

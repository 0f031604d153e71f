"""A JACK server with the dummy driver for the stress benchmarks, and its xrun watcher.

Not a benchmark itself: run_all.py skips modules whose name starts with "_".
"""

from __future__ import annotations

import subprocess
import time


def start_jack(name: str, realtime: bool, rate: int, period: int,
               inputs: int = 0) -> subprocess.Popen[bytes] | None:
    """`jackd -n name -d dummy` at `rate` and `period`, with `inputs` capture ports (and
    two playback ports) when given; None when it does not come up within 15 s."""
    scheduling = ["-R", "-P", "70"] if realtime else ["--no-realtime"]
    ports = ["-C", str(inputs), "-P", "2"] if inputs else []
    server = subprocess.Popen(
        ["jackd", "-n", name, *scheduling, "-d", "dummy", "-r", str(rate), "-p", str(period),
         *ports],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        probe = subprocess.run(["jack_lsp", "-s", name], capture_output=True)
        if probe.returncode == 0 and (
                not inputs or f"system:capture_{inputs}".encode() in probe.stdout):
            return server
        if server.poll() is not None:
            return None
        time.sleep(0.05)
    server.kill()
    server.wait()
    return None


def start_server(name: str, rate: int, period: int,
                 inputs: int = 0) -> tuple[subprocess.Popen[bytes] | None, bool]:
    """The server and whether it runs real-time. A real-time server (as a studio runs it)
    where the system allows, so the figures measure the engine rather than the scheduler;
    otherwise an ordinary one."""
    server = start_jack(name, True, rate, period, inputs)
    if server is not None:
        return server, True
    return start_jack(name, False, rate, period, inputs), False


def watch_xruns(client_name: str, server_name: str, xruns: list[float]):
    """An active JACK client that appends each xrun's delay to `xruns`."""
    import jack

    watcher = jack.Client(client_name, no_start_server=True, servername=server_name)
    watcher.set_xrun_callback(lambda delay: xruns.append(delay))
    watcher.activate()
    return watcher


def stop_jack(server: subprocess.Popen[bytes], watcher) -> None:
    """Leave JACK and stop the server (after the engine is closed)."""
    import sounddevice

    sounddevice._terminate()  # PortAudio must leave JACK before the server stops
    watcher.deactivate()
    watcher.close()
    server.terminate()
    server.wait(timeout=10)

"""A private, user-mode PulseAudio with a null sink: a real capture device without hardware.

Recipe measured in ../shared/notes/desktop-testing.md: the null sink ``vsink`` plays nowhere, its
monitor ``vsink.monitor`` is the default source, so whatever ``paplay --device=vsink`` plays is
recorded by any client of the server (sounddevice sees it as the ALSA device named ``pulse``).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """\
load-module module-native-protocol-unix
load-module module-null-sink sink_name=vsink rate=48000
set-default-sink vsink
set-default-source vsink.monitor
"""


class PulseUnavailable(Exception):
    """PulseAudio cannot be used here; the message says why (the fixture turns it into a skip)."""


class PulseServer:
    """Start with ``start()``, stop with ``stop()``; ``env`` holds the variables a client needs."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.env: dict[str, str] = {}
        self._keeper: subprocess.Popen | None = None
        self._players: list[subprocess.Popen] = []

    def start(self, timeout: float = 10.0) -> "PulseServer":
        missing = [tool for tool in ("pulseaudio", "pactl", "pacat", "paplay") if not shutil.which(tool)]
        if missing:
            raise PulseUnavailable(f"pulseaudio not installed: {', '.join(missing)} missing (apt install pulseaudio pulseaudio-utils)")
        self.root = Path(tempfile.mkdtemp(prefix="yamview-pulse-"))
        runtime, home = self.root / "runtime", self.root / "home"
        for folder in (runtime, home):
            folder.mkdir(mode=0o700)  # PulseAudio refuses a runtime dir others can read
        config = self.root / "default.pa"
        config.write_text(CONFIG)
        # PULSE_SERVER names the socket explicitly, so no client falls back to another server.
        self.env = {
            "XDG_RUNTIME_DIR": str(runtime),
            "HOME": str(home),
            "PULSE_SERVER": f"unix:{runtime}/pulse/native",
        }
        self._launch(timeout)
        return self

    def restart(self, timeout: float = 10.0) -> None:
        """The daemon again, on the same socket (after ``signal_server(SIGKILL)``): the device
        comes back under the same name, as a replugged microphone does."""
        if self._keeper is not None and self._keeper.poll() is None:
            self._keeper.kill()
            self._keeper.wait(timeout=5)
        pid_file = Path(self.env["XDG_RUNTIME_DIR"]) / "pulse" / "pid"
        pid_file.unlink(missing_ok=True)  # the killed daemon's
        self._launch(timeout)

    def _launch(self, timeout: float) -> None:
        config = self.root / "default.pa"
        run = subprocess.run(
            ["pulseaudio", "-D", "-n", "-F", str(config), "--exit-idle-time=-1", "--disallow-exit",
             "--system=false", "--log-target=stderr"],
            env=self._child_env(), capture_output=True, text=True, timeout=timeout,
        )
        if run.returncode != 0:
            self.stop()
            raise PulseUnavailable(f"pulseaudio did not start: {run.stderr.strip()[-500:]}")
        deadline = time.monotonic() + timeout
        while subprocess.run(["pactl", "info"], env=self._child_env(), capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                self.stop()
                raise PulseUnavailable("pulseaudio started but `pactl info` never answered")
            time.sleep(0.05)
        # Without a low-latency client the null sink runs with ~2 s buffers and the first
        # captured block arrives that late; this keeper pins it at 20 ms.
        self._keeper = subprocess.Popen(
            ["pacat", "--playback", "--device=vsink", "--latency-msec=20", "/dev/zero"],
            env=self._child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_capturing(timeout)

    def _wait_capturing(self, timeout: float) -> None:
        """Block until the monitor delivers audio.

        Measured: a fresh null sink sends its first captured block ~2 s after the server starts
        (its first cycle runs at the default 2 s latency, before the keeper lowers it), and a
        client opened in that window waits that long. Suspending and resuming the sink once the
        keeper is connected restarts the cycle at 20 ms: ready in ~30 ms instead of ~2 s.
        """
        env = self._child_env()
        deadline = time.monotonic() + timeout
        while not subprocess.run(["pactl", "list", "short", "sink-inputs"], env=env,
                                 capture_output=True, text=True).stdout.strip():
            if time.monotonic() > deadline:
                break  # no keeper: the probe below still waits out the slow first cycle
            time.sleep(0.01)
        else:
            for flag in ("1", "0"):
                subprocess.run(["pactl", "suspend-sink", "vsink", flag], env=env, capture_output=True)
        probe = subprocess.Popen(
            ["pacat", "--record", "--raw", "--device=vsink.monitor", "--latency-msec=20"],
            env=self._child_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        try:
            ready, _, _ = select.select([probe.stdout], [], [], timeout)
            if not ready or not probe.stdout.read1(1):
                self.stop()
                raise PulseUnavailable(f"the null sink's monitor delivered nothing in {timeout:.0f} s")
        finally:
            if probe.poll() is None:
                probe.kill()
            probe.wait(timeout=5)
            probe.stdout.close()

    def _child_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def play(self, path: str | os.PathLike) -> subprocess.Popen:
        """Play a file into the null sink (its monitor is what a capture client records)."""
        proc = subprocess.Popen(["paplay", "--device=vsink", str(path)], env=self._child_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._players.append(proc)
        return proc

    def pid(self) -> int | None:
        """Our daemon's pid, checked against its command line (a stale pid file may point at
        a recycled pid that belongs to someone else)."""
        try:
            pid = int((Path(self.env["XDG_RUNTIME_DIR"]) / "pulse" / "pid").read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (KeyError, OSError, ValueError, IndexError):
            return None
        return pid if self.root is not None and str(self.root).encode() in cmdline and _alive(pid) else None

    def signal_server(self, sig: int) -> None:
        """Send the daemon a signal: SIGKILL vanishes like an unplugged device, SIGSTOP freezes it."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        for proc in [*self._players, self._keeper]:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        self._players.clear()
        self._keeper = None
        pid = self.pid()
        if pid is not None:
            self.signal_server(signal.SIGCONT)  # a frozen daemon cannot act on --kill
            subprocess.run(["pulseaudio", "--kill"], env=self._child_env(), capture_output=True, timeout=10)
            deadline = time.monotonic() + 5
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _alive(pid):
                self.signal_server(signal.SIGKILL)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie left unreaped by a container's init counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")

"""scripts/dev.sh's system-package step, with stand-ins for apt-get and dpkg-query on PATH
(the real ones would change this machine)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LOCKED = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)"


def fake_tools(bin_dir: Path, apt_script: str) -> None:
    bin_dir.mkdir()
    tools = {
        # one package of the list is missing, so the step runs apt-get
        "dpkg-query": 'case "$*" in *libportaudio2*) echo "install ok not-installed";; *) echo "install ok installed";; esac',
        "id": "echo 0",  # as root: no sudo needed
        "apt-get": apt_script,
    }
    for name, body in tools.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/bash\n{body}\n")
        tool.chmod(0o755)


def run_system(tmp_path: Path, apt_script: str, wait: int) -> tuple[subprocess.CompletedProcess, float]:
    bin_dir = tmp_path / "bin"
    fake_tools(bin_dir, apt_script)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "YAMVIEW_APT_WAIT": str(wait),
           "YAMVIEW_APT_POLL": "0.2", "CALLS": str(tmp_path / "calls")}
    t0 = time.monotonic()
    run = subprocess.run(["bash", str(ROOT / "scripts" / "dev.sh"), "system"], env=env,
                         capture_output=True, text=True, timeout=120)
    return run, time.monotonic() - t0


def test_apt_lock_held_for_a_while_is_waited_for(tmp_path):
    # Locked for the first three calls, then free: dev.sh says why it waits, once, then installs.
    script = f'echo "$*" >> "$CALLS"; [ $(wc -l < "$CALLS") -gt 3 ] && exit 0; echo "{LOCKED}" >&2; exit 100'
    run, _ = run_system(tmp_path, script, wait=60)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("waiting for it") == 1 and "process 4242 (apt-get)" in run.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[-2].startswith("update") and calls[-1].startswith("install") and "libportaudio2" in calls[-1]


def test_apt_lock_never_released_ends_with_a_clear_message(tmp_path):
    run, seconds = run_system(tmp_path, f'echo "{LOCKED}" >&2; exit 100', wait=2)
    assert run.returncode == 1
    assert "still holds apt's lock after 2 s" in run.stderr and "YAMVIEW_APT_WAIT" in run.stderr
    assert seconds < 30  # bounded: it gave up instead of waiting forever


def test_other_apt_errors_are_shown_at_once(tmp_path):
    run, _ = run_system(tmp_path, 'echo "E: Unable to locate package libportaudio2" >&2; exit 100', wait=60)
    assert run.returncode != 0 and "Unable to locate package libportaudio2" in run.stderr
    assert "waiting" not in run.stderr


@pytest.mark.skipif(not Path("/usr/bin/apt-get").exists(), reason="not a Debian-like system")
def test_the_real_apt_says_what_dev_sh_waits_for(tmp_path):
    """This machine's apt-get, its lock held by us: its message is one dev.sh recognises.
    (A private lists folder, so no other apt on the machine is disturbed.)"""
    import fcntl
    import re

    lists = tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    with open(lists / "lock", "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run = subprocess.run(["apt-get", "-o", f"Dir::State::Lists={lists}", "update", "-qq"],
                             capture_output=True, text=True, timeout=60, env={**os.environ, "LC_ALL": "C"})
    pattern = re.search(r"grep -qE '([^']+)'", (ROOT / "scripts" / "dev.sh").read_text()).group(1)
    assert run.returncode != 0 and re.search(pattern, run.stderr), run.stderr
    assert re.search(r"held by process \d+", run.stderr)

"""How long ``yamview --self-test`` takes: the whole command (what a user waits for) and the
time it prints itself (its checks: model load, the tone, PortAudio, rendering the window).

    .venv/bin/python benchmarks/bench_selftest.py [--runs 5]

Runs the source install and, when built (``bash scripts/dev.sh bundle``), the bundle, turn
about, with fresh user folders each time, and prints medians and their ratio to the source.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINTED = re.compile(r"yamview self-test: ok \(.*, (\d+\.\d) s\)")


def run_once(command: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="yamview-bench-selftest-") as home:
        env = {k: v for k, v in os.environ.items() if k not in ("YAMVIEW_MODEL", "DISPLAY")}
        env.update({f"XDG_{kind}_HOME": f"{home}/{kind.lower()}" for kind in ("CONFIG", "DATA", "STATE", "CACHE")})
        env["QT_QPA_PLATFORM"] = "offscreen"
        t0 = time.perf_counter()
        run = subprocess.run(command, env=env, cwd=home, capture_output=True, text=True, timeout=300)
        wall = time.perf_counter() - t0
    match = PRINTED.search(run.stdout)
    if run.returncode != 0 or not match:
        sys.exit(f"{' '.join(command)} failed: {run.stdout}{run.stderr}")
    return wall, float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    installs = {"source": [sys.executable, "-m", "yamview", "--self-test"]}
    bundle = ROOT / "dist" / "yamview" / "yamview"
    if bundle.exists():
        installs["bundle"] = [str(bundle), "--self-test"]
    print(f"machine: {os.cpu_count()} cores, load avg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in installs}
    for _ in range(args.runs):  # turn about, so both see the same load
        for name, command in installs.items():
            results[name].append(run_once(command))
    base = statistics.median(w for w, _ in results["source"])
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        printed = statistics.median(p for _, p in runs)
        print(f"{name:7} whole command {wall:5.2f} s median ({min(w for w, _ in runs):.2f}-"
              f"{max(w for w, _ in runs):.2f}), printed (the checks) {printed:4.1f} s, "
              f"start-up {wall - printed:4.2f} s, {wall / base:.2f}x the source's wall time")
    print(f"load avg after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

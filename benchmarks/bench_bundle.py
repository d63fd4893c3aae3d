"""The double-click app: bundle size (unpacked, archived) and launch time to a visible window.

    bash scripts/dev.sh bundle                     # build dist/yamview first
    .venv/bin/python benchmarks/bench_bundle.py [--runs 5] [--cold] [--no-source]

Launch time: from starting the executable to its main window being mapped and viewable on a
virtual X screen (Xvfb 1280x800x24, Qt's xcb platform, fresh settings: the window opens before
the model has loaded, by design). Polled with xwininfo (x11-utils) every 10 ms. Targets (issue 6):
<= 250 MB unpacked on Linux, <= 3 s to a visible window.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yamview import __version__  # noqa: E402

TITLE = "yamview — what YAMNet hears"
SIZE_TARGET_MB, LAUNCH_TARGET_S = 250, 3.0


def tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


class Xvfb:
    """A private virtual X screen on a free display number."""

    def __init__(self, screen: str = "1280x800x24") -> None:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def window_visible(display: str) -> bool:
    result = subprocess.run(["xwininfo", "-display", display, "-name", TITLE],
                            capture_output=True, text=True)
    return result.returncode == 0 and "IsViewable" in result.stdout


def launch_time(cmd: list[str], display: str, timeout: float = 30.0) -> float:
    with tempfile.TemporaryDirectory(prefix="yamview-bench-") as home:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb",
                   **{f"XDG_{k}_HOME": os.path.join(home, k.lower()) for k in ("CONFIG", "DATA", "STATE", "CACHE")})
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while not window_visible(display):
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[0]} exited ({proc.returncode}): {proc.stderr.read().decode()[-500:]}")
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"no visible window after {timeout:.0f} s")
                time.sleep(0.01)
            return time.perf_counter() - started
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def drop_page_cache() -> bool:
    """Root only: forget cached file contents, so the next launch reads the bundle from disk."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure(label: str, cmd: list[str], display: str, runs: int, cold: bool) -> None:
    cold = cold and drop_page_cache()
    times = [launch_time(cmd, display) for _ in range(runs)]
    print(f"  {label:<7} {' '.join(cmd)}")
    print(f"          first{' (cold page cache)' if cold else ''} {times[0]:.2f} s, median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {runs} runs (target <= {LAUNCH_TARGET_S:g} s): "
          f"{'ok' if max(times) <= LAUNCH_TARGET_S else 'OVER'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-source", action="store_true", help="skip the from-source comparison")
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache before the first launch (root; slows the machine briefly)")
    args = parser.parse_args()
    bundle = args.dist / "yamview"
    exe = bundle / "yamview"
    if not exe.is_file():
        print(f"no bundle at {bundle}: run `bash scripts/dev.sh bundle` first", file=sys.stderr)
        return 1
    for tool in ("Xvfb", "xwininfo"):
        if shutil.which(tool) is None:
            print(f"{tool} missing: apt-get install xvfb x11-utils", file=sys.stderr)
            return 1

    size, files = tree_size(bundle)
    print(f"bundle {bundle.relative_to(ROOT) if bundle.is_relative_to(ROOT) else bundle}: "
          f"{size / 1e6:.0f} MB unpacked in {files} files (target <= {SIZE_TARGET_MB} MB): "
          f"{'ok' if size / 1e6 <= SIZE_TARGET_MB else 'OVER'}")
    for part in ("PySide6", "numpy.libs", "numpy", "ai_edge_litert", "models"):
        if (bundle / "_internal" / part).exists():
            print(f"  {part:<15} {tree_size(bundle / '_internal' / part)[0] / 1e6:6.1f} MB")
    archives = sorted(args.dist.glob(f"yamview-{__version__}-*.tar.gz")) + sorted(args.dist.glob(f"yamview-{__version__}-*.zip"))
    for path in archives:
        print(f"archive {path.name}: {path.stat().st_size / 1e6:.0f} MB")

    xvfb = Xvfb()
    try:
        print(f"launch to a visible window (Xvfb 1280x800x24, xcb, fresh settings, {os.cpu_count()} cores):")
        measure("bundle", [str(exe)], xvfb.display, args.runs, args.cold)
        if not args.no_source:
            measure("source", [sys.executable, "-m", "yamview"], xvfb.display, args.runs, args.cold)
    finally:
        xvfb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

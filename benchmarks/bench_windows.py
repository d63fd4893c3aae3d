"""Memory over many inspector windows: open a recording, let the analysis finish, close the
window, open the next (as `File > Inspect a recording…` does), and print the process's RSS after
each close. A window that is never freed shows as RSS that climbs with every one.

    .venv/bin/python benchmarks/bench_windows.py [--files 6] [--rounds 2] [--workdir DIR]

Offscreen Qt; the recordings are 44.1 kHz stereo FLACs of 170 s and up (bench_core's generator,
one per length so no analysis comes from the cache), in a fresh cache folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import make_flac


def rss_mb() -> float:
    """Resident memory now (not the peak), MiB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2, help="times each file is opened")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "yamview-bench-windows")
    args = p.parse_args(argv)
    files = [make_flac(args.workdir, 170 + i) for i in range(args.files)]
    os.environ["XDG_CACHE_HOME"] = str(args.workdir / f"cache-{time.time_ns()}")

    from PySide6.QtCore import QEventLoop, QTimer

    from yamview.gui.app import Windows, make_app
    from yamview.gui.settings import Settings

    make_app()

    def run_until(done, timeout: float) -> None:
        loop, poll = QEventLoop(), QTimer()
        poll.timeout.connect(lambda: loop.quit() if done() else None)
        poll.start(20)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        poll.stop()

    windows = Windows(Settings(args.workdir / "bench.ini"), output_device="none")
    print(f"RSS at start: {rss_mb():.0f} MiB")
    after = []
    for n, path in enumerate(files * args.rounds, 1):
        w = windows.inspect(str(path))
        run_until(lambda: w.session is not None and w.session.complete, 600)
        w.close()
        run_until(lambda: False, 2.5)  # the app idles, its timers run
        after.append(rss_mb())
        print(f"  inspector {n:2d} ({path.name}) closed: RSS {after[-1]:5.0f} MiB", flush=True)
    print(f"RSS after the first close {after[0]:.0f} MiB, after the last {after[-1]:.0f} MiB: "
          f"{(after[-1] - after[0]) / max(1, len(after) - 1):+.1f} MiB per further window")
    return 0


if __name__ == "__main__":
    sys.exit(main())

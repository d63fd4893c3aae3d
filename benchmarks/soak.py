"""Live soak: the main window plays a recording in a loop through the whole live pipeline for a
while; prints memory, frames scored against the frames the hop schedule asks for, and the audio
the pipeline lost. The figures go to docs/reliability.md.

    .venv/bin/python benchmarks/soak.py [--minutes 5] [--hop 0.1] [--clip PATH]

Offscreen, file playback paced by the clock (no sound card), settings in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared/corpus/librosa/Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_loop(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--hop", type=float, default=0.1)
    p.add_argument("--clip", default=str(DEFAULT_CLIP))
    p.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    args = p.parse_args()

    from yamview.gui.app import make_app
    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    app = make_app()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp) / "soak.ini")
        settings.set("classify/hop_seconds", args.hop)
        settings.set("source/loop", True)
        w = MainWindow(settings, output_device="none")
        w.resize(1280, 800)
        w.show()
        deadline = time.monotonic() + 60
        while w.model_info is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        if w.model_info is None:
            print("soak: the model did not load", file=sys.stderr)
            return 1
        if not w.open_file(args.clip):
            print(f"soak: cannot open {args.clip}: {w.message()}", file=sys.stderr)
            return 1
        run_loop(5.0)  # warm-up: first window, caches, allocations
        src = w.source
        t0, f0, s0 = time.monotonic(), w.frames_scored, src.stream_time
        rss0 = rss_mb()
        print(f"soak: {Path(args.clip).name} looped, hop {args.hop} s, {args.minutes:g} min; "
              f"RSS after warm-up {rss0:.0f} MB")
        print(f"{'min':>6} {'RSS MB':>7} {'audio s':>8} {'scored':>7} {'expected':>8} {'skipped':>7} "
              f"{'lost':>5}  status")
        end = t0 + args.minutes * 60
        peak = rss0
        while time.monotonic() < end:
            run_loop(min(args.every, end - time.monotonic()))
            src = w.source
            audio = src.stream_time - s0
            expected = int(audio / args.hop)
            scored = w.frames_scored - f0
            peak = max(peak, rss_mb())
            print(f"{(time.monotonic() - t0) / 60:6.1f} {rss_mb():7.0f} {audio:8.1f} {scored:7d} {expected:8d} "
                  f"{w.worker.skipped:7d} {src.overflows:5d}  {src.losses() or 'no audio lost'}", flush=True)
        audio = src.stream_time - s0
        wall = time.monotonic() - t0
        scored = w.frames_scored - f0
        print(f"soak: {wall / 60:.1f} min wall, {audio:.1f} s of audio ({audio / wall:.3f} x real time), "
              f"{scored} of {int(audio / args.hop)} frames scored, RSS {rss0:.0f} -> {rss_mb():.0f} MB "
              f"(peak {peak:.0f}), capture blocks lost {src.overflows}, source error {src.error!r}")
        w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

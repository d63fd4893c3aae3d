"""Presenter view benchmark (issue 5): frames per second and GUI-thread work per frame.

Run from the project root:

    .venv/bin/python benchmarks/bench_presenter.py [--seconds 20] [--clip FILE] [--hop 0.1]

The whole app runs offscreen (Qt's offscreen platform with virtual screens), with the real
model, a corpus clip played through the normal pipeline (clock-paced, no sound card) and the
presenter view full screen at 1920x1080. Two layouts, each in its own process:

- one screen: the presenter covers the main window (whose views then pause);
- two screens: main window on a 1280x800 laptop screen drawing its views too, the presenter
  on a 1920x1080 projector.

Figures: presenter frames painted per second; GUI-thread CPU time per frame (everything the
GUI thread did between two presenter frames: the display tick, both windows' painting, the
worker's results, Qt's own work), measured with time.thread_time() on the GUI thread; the
presenter's own share (tick + QPainter paint); frame-interval percentiles.
Targets (issue 5): >= 60 fps, <= 8 ms of GUI-thread work per frame.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CLIP = ROOT.parent / "shared" / "corpus" / "librosa" / "pibble.hq.ogg"
TARGET_FPS = 60.0
TARGET_MS = 8.0

SCREENS = {
    "one": [{"name": "projector", "x": 0, "y": 0, "width": 1920, "height": 1080}],
    "two": [{"name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 800},
            {"name": "projector", "x": 1280, "y": 0, "width": 1920, "height": 1080}],
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def pct(values, q):
    import numpy as np

    return float(np.percentile(values, q)) if len(values) else float("nan")


def run_layout(args) -> dict:
    """In the child process: the app, the presenter, the measurement; prints one JSON line."""
    import numpy as np

    from yamview.gui.app import make_app

    app = make_app()
    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    tmp = tempfile.mkdtemp(prefix="yamview-bench-")
    s = Settings(Path(tmp) / "bench.ini")
    s.set("classify/hop_seconds", args.hop)
    s.set("source/loop", True)
    s.set("presenter/focus", json.dumps([{"label": "Bark", "threshold": 0.4}, {"label": "Howl", "threshold": 0.4},
                                         {"label": "Clapping", "threshold": 0.3}]))
    s.set("presenter/spectrogram", True)
    w = MainWindow(s, output_device="none")
    w.setScreen(app.screens()[0])
    w.resize(1280, 800)
    w.show()

    def wait(seconds, until=None):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until()):
            app.processEvents()
            time.sleep(0.001)

    wait(30, lambda: w.model_info is not None and w.talk.board is not None)
    if not w.open_file(str(args.clip)):
        raise SystemExit(w.message())
    w.talk.show_presenter(full_screen=True)
    p = w.talk.presenter
    wait(args.warmup)
    view = p.view

    # Per presenter frame: GUI-thread CPU time since the previous frame, and the wall clock.
    stamps = []
    original = view.paintEvent

    def paint(event):
        original(event)
        stamps.append((time.perf_counter(), time.thread_time()))

    view.paintEvent = paint  # instance attribute: PySide calls the Python override
    n_paint = len(view.paint_ms)
    n_tick = len(w.talk.tick_ms)
    frames0, scored0 = view.frames, w.frames_scored
    import resource

    wall0, cpu0 = time.perf_counter(), time.thread_time()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    from PySide6.QtCore import QTimer

    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()  # the real event loop: timers and paints as in the app
    wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    process_cpu = (ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime) / wall
    frames = view.frames - frames0
    times = np.array(stamps)
    intervals = np.diff(times[:, 0]) * 1000 if len(times) > 1 else np.array([])
    cpu_per_frame = np.diff(times[:, 1]) * 1000 if len(times) > 1 else np.array([])
    paint_ms = list(view.paint_ms)[n_paint:] if len(view.paint_ms) > n_paint else list(view.paint_ms)
    tick_ms = list(w.talk.tick_ms)[n_tick:] if len(w.talk.tick_ms) > n_tick else list(w.talk.tick_ms)
    out = {
        "screens": [sc.name() for sc in app.screens()],
        "presenter": [p.screen().name(), p.width(), p.height(), p.isFullScreen()],
        "covers_main": w.talk._covers_main(),
        "seconds": wall,
        "frames": frames,
        "fps": frames / wall,
        "scored_per_s": (w.frames_scored - scored0) / wall,
        "gui_ms_per_frame": cpu * 1000 / max(frames, 1),
        "gui_ms_p50": pct(cpu_per_frame, 50), "gui_ms_p95": pct(cpu_per_frame, 95),
        "gui_ms_p99": pct(cpu_per_frame, 99),
        "gui_busy": cpu / wall,
        "process_cpu": process_cpu,  # the whole process, in cores (0.6 = 60 % of one core)
        "presenter_ms_p50": pct(np.add(paint_ms[: len(tick_ms)], tick_ms[: len(paint_ms)]), 50),
        "presenter_ms_p95": pct(np.add(paint_ms[: len(tick_ms)], tick_ms[: len(paint_ms)]), 95),
        "paint_ms_p50": pct(paint_ms, 50), "paint_ms_p95": pct(paint_ms, 95),
        "tick_ms_p50": pct(tick_ms, 50),
        "interval_ms_p50": pct(intervals, 50), "interval_ms_p95": pct(intervals, 95),
        "interval_ms_max": float(intervals.max()) if len(intervals) else float("nan"),
        "bars": len(w.talk.board.order),
        "skipped": w.worker.skipped,
    }
    print("RESULT " + json.dumps(out), flush=True)
    w.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per layout")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--hop", type=float, default=0.1)
    parser.add_argument("--layout", choices=sorted(SCREENS), help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.layout:
        run_layout(args)
        return 0

    import PySide6
    import pyqtgraph

    print(f"yamview presenter benchmark · {cpu_model()} · {os.cpu_count()} cores · Python {platform.python_version()}"
          f" · PySide6 {PySide6.__version__} · pyqtgraph {pyqtgraph.__version__}")
    print(f"clip {args.clip.name} (looped) · hop {args.hop} s · {args.seconds:.0f} s measured per layout · "
          "Qt offscreen platform, presenter full screen at 1920x1080")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for layout, screens in SCREENS.items():
            cfg = Path(tmp) / f"{layout}.json"
            cfg.write_text(json.dumps({"screens": [dict(sc, logicalDpi=96, logicalBaseDpi=96, dpr=1) for sc in screens]}))
            env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={cfg}", PYQTGRAPH_QT_LIB="PySide6")
            cmd = [sys.executable, __file__, "--layout", layout, "--seconds", str(args.seconds),
                   "--warmup", str(args.warmup), "--clip", str(args.clip), "--hop", str(args.hop)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.seconds + 120)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if proc.returncode != 0 or line is None:
                print(proc.stdout + proc.stderr, file=sys.stderr)
                return 1
            results[layout] = json.loads(line[len("RESULT "):])

    names = {"one": "1 screen (presenter covers the main window)",
             "two": "2 screens (main window drawing too)"}
    print()
    print(f"{'layout':46} {'fps':>6} {'GUI ms/frame':>13} {'p95':>6} {'p99':>6} {'presenter ms':>13} "
          f"{'interval p50/p95/max ms':>24} {'GUI busy':>9}")
    ok = True
    for layout, r in results.items():
        passed = r["fps"] >= TARGET_FPS and r["gui_ms_per_frame"] <= TARGET_MS
        ok &= passed
        print(f"{names[layout]:46} {r['fps']:6.1f} {r['gui_ms_per_frame']:13.2f} {r['gui_ms_p95']:6.2f} "
              f"{r['gui_ms_p99']:6.2f} {r['presenter_ms_p50']:6.2f}/{r['presenter_ms_p95']:<6.2f} "
              f"{r['interval_ms_p50']:8.1f}/{r['interval_ms_p95']:.1f}/{r['interval_ms_max']:<8.1f} "
              f"{r['gui_busy']:8.0%}  {'PASS' if passed else 'FAIL'}")
    print()
    for layout, r in results.items():
        print(f"{layout}: presenter on {r['presenter'][0]} {r['presenter'][1]}x{r['presenter'][2]} full screen "
              f"{r['presenter'][3]}, {r['bars']} bars, {r['scored_per_s']:.1f} frames scored/s, "
              f"{r['skipped']} skipped; paint p50 {r['paint_ms_p50']:.2f} ms, tick p50 {r['tick_ms_p50']:.2f} ms")
    print(f"\ntargets: >= {TARGET_FPS:.0f} fps and <= {TARGET_MS:.0f} ms GUI-thread work per frame: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())

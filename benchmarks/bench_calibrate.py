"""Calibration on a labelled corpus set: the held-out before/after table and how long it takes.

The set: five soundscapes made from ../shared/corpus ESC-10 clips (tests/soundscape.py), each
holding a different clip of every ESC-10 class in its own order, with its labels beside it; the
label → class mapping maps each ESC-10 label to one or two YAMNet classes. Prints the analysis
time (no cache), the fit + held-out time (5 folds by recording, best of N) and the table.

    .venv/bin/python benchmarks/bench_calibrate.py [--runs 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # soundscape.py: the labelled set the tests use too


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "yamview-bench-calibrate"))
    args = p.parse_args()

    import soundscape

    from yamview.core import assets
    from yamview.core.calibrate import Objective, fit, held_out, load_set
    from yamview.core.calibrate.dataset import find_recordings
    from yamview.core.calibrate.report import format_table
    from yamview.core.labels_io import read_mapping
    from yamview.core.model import Model

    model = Model(assets.ensure("yamnet", allow_download=False))
    folder = Path(args.workdir) / "set"
    _, mapping_csv = soundscape.build_labelled_set(ROOT.parent / "shared" / "corpus", folder,
                                                      recordings=5, seed=0)
    recordings, _ = find_recordings([folder])
    mapping = read_mapping(mapping_csv, model.classes)
    cpu = platform.processor()
    if os.path.exists("/proc/cpuinfo"):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")), cpu)
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load avg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    t0 = time.perf_counter()
    data = load_set(recordings, model, mapping, use_cache=False, jobs=1)
    analysis_s = time.perf_counter() - t0
    seconds = sum(r.duration for r in data.recordings)
    print(f"labelled set: {len(data.recordings)} recordings, {seconds:.0f} s of audio, {data.n_frames} "
          f"frames, {len(data.labelled)} labelled classes; analysis (no cache, 1 interpreter) "
          f"{analysis_s:.2f} s")

    for text in ("f1", "precision=0.8", "recall=0.8"):
        objective = Objective.parse(text)
        fit_s, check_s = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            fit(data, objective)
            fit_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            result = held_out(data, objective)
            check_s.append(time.perf_counter() - t)
        print(f"\n== objective {objective}: one fit {min(fit_s) * 1000:.0f} ms; fit + held-out check "
              f"(final fit and {result.folds} fold fits) {min(check_s) * 1000:.0f} ms "
              f"(best of {args.runs})")
        print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

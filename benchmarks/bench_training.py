"""Teach a new sound (issue 14): held-out accuracy on ESC-10 next to YAMNet's own top-1, train
time, embedding throughput.

Run from the project root:

    .venv/bin/python benchmarks/bench_training.py [--folds 5] [--repeat 5]

It prints figures only; the training set is a temporary copy of ../shared/corpus/esc10 (5 clips
per class, so 5 folds by recording train on 4 clips per class and test on the fifth). YAMNet's
own top-1 is judged on the same clips with the corpus's labels.csv: a hit when the clip's
best class (mean over frames) is one of the human label's YAMNet classes. Embedding throughput
is measured with the cache off (every frame decoded and run), fast kernels, one thread; the
machine's load average is printed, since other processes share it.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yamview.core import assets, training  # noqa: E402
from yamview.core.analysis import analyze  # noqa: E402
from yamview.core.audio import AudioFile  # noqa: E402
from yamview.core.model import Model  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=5, help="train-time repeats (median)")
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} cores, load avg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    model = Model(assets.ensure("yamnet", allow_download=False))
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as f:
        targets = {Path(r["file"]).name: set(r["yamnet_target_classes"].split(";"))
                   for r in csv.DictReader(f) if r["file"].startswith("esc10/")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "esc10"
        for clip in sorted((CORPUS / "esc10").glob("*.ogg")):
            name = "my " + clip.name.split("__")[0][4:].replace("_", " ").lower()
            (root / name).mkdir(parents=True, exist_ok=True)
            shutil.copy(clip, root / name / clip.name)
        tset = training.load_training_set(root, model.window_seconds, model.classes)
        audio_s = sum(r.duration for r in tset.recordings)

        t0 = time.perf_counter()
        emb = training.embed_training_set(tset, model, use_cache=False)
        embed_s = time.perf_counter() - t0
        frames = len(emb.y)
        print(f"embedding: {len(tset.recordings)} clips, {audio_s:.0f} s of audio, {frames} frames "
              f"(hop {emb.hop_seconds:.4g} s) in {embed_s:.2f} s = {frames / embed_s:.0f} frames/s, "
              f"{audio_s / embed_s:.0f}x real time (decode + resample + model, cache off)")

        t0 = time.perf_counter()
        ev = training.cross_validate(emb, args.folds)
        cv_s = time.perf_counter() - t0
        hits = 0
        for r in tset.recordings:
            a = analyze(AudioFile(r.path), model).result()
            hits += a.top(1)[0][0] in targets[r.path.name]
        per_class = len(tset.recordings) // len(tset.classes)
        print(f"ESC-10, {ev.folds} folds by recording ({per_class - per_class // ev.folds} training clips "
              f"per class): trained head {100 * ev.accuracy:.0f} % of clips "
              f"({100 * ev.frame_accuracy:.0f} % of frames); YAMNet's own top-1 on the same clips "
              f"{100 * hits / len(tset.recordings):.0f} %; cross-validation took {cv_s:.1f} s")

        times = []
        for _ in range(args.repeat):
            head = training.train_head(emb)
            times.append(head.train_seconds)
        print(f"train time, {head.frames} frames x {emb.x.shape[1]} dims, {len(emb.classes)} classes: "
              f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}) "
              f"over {args.repeat} runs")
    print(f"load avg after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

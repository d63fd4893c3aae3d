"""Interpreter pool benchmark (issue 17): frames/s with 1 and 2 jobs, yamview vs MediaPipe, RSS.

Run from the project root (``pip install -e .[bench]`` brings mediapipe):

    .venv/bin/python benchmarks/bench_jobs.py [--rounds N] [--workdir DIR] [--jobs N]

On the 1-hour 44.1 kHz stereo FLAC of bench_core.py (generated into ``--workdir`` on first use),
every figure is a whole process, as a user runs it: ``python -m yamview classify FLAC --jobs J``
(at the default hop, 0.4875 s, and at MediaPipe's hop, 0.975 s) and a small script that feeds
the same file to MediaPipe's AudioClassifier (AUDIO_CLIPS mode, its own resampling, decoded in
39 s chunks so that its memory stays bounded too). In-process, the pool alone is measured on
frames decoded beforehand (what inference itself gains, without the decoder's share of the
cores), for fast and reference kernels.

The runs are interleaved: each round runs every measurement once, in a rotated order, so load
from other processes falls on all of them alike; the medians over rounds are printed, with the
machine's load average and the CPU other processes used during each run (from /proc/stat).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# After the environment and sys.path set-up above:
from bench_core import cpu_model, make_flac  # noqa: E402

from yamview.core import assets  # noqa: E402
from yamview.core.audio import AudioFile, audio_files  # noqa: E402
from yamview.core.framing import Framing  # noqa: E402
from yamview.core.model import Model  # noqa: E402
from yamview.core.pool import InterpreterPool, usable_cores  # noqa: E402

TARGET_SCALING = 1.7
TARGET_VS_MP = 5.0
TARGET_RSS_MB = 300.0

# Starts a command, reports (on its first line) its peak RSS (KiB), wall (s), CPU (s) and exit
# code, then the command's own stdout. A fresh, small launcher: Linux carries a parent's memory
# high-water mark over fork+exec into the child's ru_maxrss (see bench_core.py).
_LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
    "wall = time.perf_counter() - t\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(ru.ru_maxrss, wall, ru.ru_utime + ru.ru_stime, p.returncode)\n"
    "sys.stdout.write(p.stdout.decode())\n"
)

# MediaPipe's AudioClassifier on a whole file: 39 s chunks (40 of its 0.975 s windows at any
# integer rate, so chunking adds no padded frames), its own resampling; prints the frame count.
_MEDIAPIPE = (
    "import sys\n"
    "import soundfile as sf\n"
    "from mediapipe.tasks.python import audio\n"
    "from mediapipe.tasks.python.components.containers.audio_data import AudioData\n"
    "from mediapipe.tasks.python.core.base_options import BaseOptions\n"
    "model, path = sys.argv[1], sys.argv[2]\n"
    "options = audio.AudioClassifierOptions(base_options=BaseOptions(model_asset_path=model),\n"
    "                                       running_mode=audio.RunningMode.AUDIO_CLIPS)\n"
    "frames = 0\n"
    "with audio.AudioClassifier.create_from_options(options) as classifier, sf.SoundFile(path) as f:\n"
    "    for block in f.blocks(blocksize=39 * f.samplerate, dtype='float32', always_2d=True):\n"
    "        frames += len(classifier.classify(AudioData.create_from_array(block, f.samplerate)))\n"
    "print(frames)\n"
)

# yamview's decoding alone (decode, downmix, resample to the model's rate): its CPU time is the
# part of a run that stays on one thread whatever --jobs is.
_DECODE = (
    "import sys\n"
    "from yamview.core.audio import AudioFile\n"
    "n = sum(len(b) for b in AudioFile(sys.argv[1]).blocks(int(sys.argv[2])))\n"
    "print(n)\n"
)


def make_wav(flac: Path, rate: int) -> Path:
    """The FLAC as a mono 16-bit WAV at the model's ``rate``, cached beside it: a file whose
    decoding costs almost nothing, to show what the pool gives when inference is the work."""
    path = flac.with_name(f"{flac.stem}-{rate // 1000}k-mono.wav")
    source = AudioFile(flac)
    if path.exists() and sf.info(str(path)).frames == round(source.duration() * rate):
        print(f"test file: {path} (cached, {path.stat().st_size / 1e6:.0f} MB)")
        return path
    tmp = path.with_name(path.name + ".part")
    with sf.SoundFile(str(tmp), "w", rate, 1, format="WAV", subtype="PCM_16") as f:
        for block in source.blocks(rate):
            f.write(block)
    os.replace(tmp, path)
    print(f"test file: {path} (made from the FLAC, {path.stat().st_size / 1e6:.0f} MB)")
    return path


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


class Run:
    """One whole-process measurement."""

    def __init__(self, label: str, argv: list[str], frames_from_output: bool = False,
                 unit: str = "frames") -> None:
        self.label, self.argv, self.frames_from_output, self.unit = label, argv, frames_from_output, unit
        self.walls: list[float] = []
        self.fps: list[float] = []
        self.rss: list[float] = []
        self.others: list[float] = []  # cores busy with other processes during the run
        self.cores: list[float] = []  # cores this process kept busy (CPU time / wall)
        self.cpus: list[float] = []  # CPU seconds (user + system) of the whole process
        self.loads: list[float] = []
        self.frames = 0

    def once(self, expected_frames: int) -> None:
        self.loads.append(loadavg())
        busy0, total0 = cpu_jiffies()
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, *self.argv], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        busy1, total1 = cpu_jiffies()
        head, _, out = proc.stdout.partition("\n")
        try:
            kib, wall, cpu, rc = head.split()
        except ValueError:
            raise SystemExit(f"{self.label}: launcher failed: {proc.stderr[-800:]}") from None
        if int(rc):
            raise SystemExit(f"{self.label}: exit {rc}; run it by hand: {' '.join(self.argv)}")
        wall_s, cpu_s = float(wall), float(cpu)
        self.frames = int(out.split()[-1]) if self.frames_from_output else expected_frames
        cores = os.cpu_count() or 1
        busy_cores = cores * (busy1 - busy0) / max(1, total1 - total0)
        self.others.append(max(0.0, busy_cores - cpu_s / wall_s))
        self.cores.append(cpu_s / wall_s)
        self.cpus.append(cpu_s)
        self.walls.append(wall_s)
        self.fps.append(self.frames / wall_s)
        self.rss.append(int(kib) / 1024)


def pool_fps(model: Model, frames: np.ndarray, jobs: int) -> float:
    """Frames/s of inference alone on frames decoded beforehand: one interpreter, or a pool."""
    t = time.perf_counter()
    if jobs == 1:
        for f in frames:
            model.classify(f)
    else:
        with InterpreterPool(model, jobs) as pool:
            for _ in pool.map(iter(frames)):
                pass
    return len(frames) / (time.perf_counter() - t)


def decoded_frames(path: Path, model: Model, seconds: float, hop_seconds: float) -> np.ndarray:
    audio = AudioFile(path)
    need = int(seconds * model.sample_rate)
    parts, n = [], 0
    blocks = audio.blocks(model.sample_rate)
    for block in blocks:
        parts.append(block)
        n += len(block)
        if n >= need:
            break
    blocks.close()
    samples = np.concatenate(parts)[:need]
    framing = Framing.create(model.window, model.sample_rate, hop_seconds=hop_seconds)
    return np.lib.stride_tricks.sliding_window_view(samples, model.window)[:: framing.hop]


def gil_check(model: Model, seconds: float = 1.0) -> tuple[int, int]:
    """Iterations of a pure-Python loop in ``seconds``: alone, then beside a thread that invokes
    the model non-stop. Nearly equal counts mean invoke() releases the GIL (threads can scale)."""
    import threading

    def count() -> int:
        n, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds:
            n += 1
        return n

    alone = count()
    stop = threading.Event()
    x = np.zeros(model.window, np.float32)

    def invoke() -> None:
        while not stop.is_set():
            model.classify(x)

    t = threading.Thread(target=invoke)
    t.start()
    beside = count()
    stop.set()
    t.join()
    return alone, beside


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "yamview-bench",
                   help="where the test FLAC is generated and cached (default: %(default)s)")
    p.add_argument("--duration", type=int, default=3600, help="test file length, seconds (default 3600)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3); medians shown")
    p.add_argument("--jobs", type=int, default=usable_cores(),
                   help="'all jobs' for the MediaPipe comparison (default: usable cores, %(default)s)")
    p.add_argument("--no-mediapipe", action="store_true", help="skip MediaPipe")
    p.add_argument("--files", type=Path, default=ROOT.parent / "shared" / "corpus" / "esc10",
                   help="a folder of short clips for the many-files rows (default: %(default)s)")
    args = p.parse_args(argv)

    la = os.getloadavg()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores ({usable_cores()} usable), "
          f"Python {platform.python_version()}, load avg {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} at start")
    model_path = assets.ensure("yamnet")
    flac = make_flac(args.workdir, args.duration)
    model = Model(model_path)
    n16k = round(AudioFile(flac).duration() * model.sample_rate)

    def frames_at(hop):
        return Framing.create(model.window, model.sample_rate, hop_seconds=hop).count(n16k)

    yv = [sys.executable, "-m", "yamview", "classify", str(flac)]

    def yamview_run(jobs: int, hop: float | None) -> tuple[Run, int]:
        extra = ["--hop", str(hop)] if hop else []
        return Run(f"yamview --jobs {jobs}, hop {hop or 0.4875}", [*yv, "--jobs", str(jobs), *extra]), frames_at(hop)

    runs = [yamview_run(1, None), yamview_run(2, None), yamview_run(1, 0.975), yamview_run(2, 0.975)]
    if args.jobs > 2:
        runs.append(yamview_run(args.jobs, 0.975))
    by_label = {run.label: run for run, _ in runs}
    all_jobs = by_label[f"yamview --jobs {args.jobs}, hop 0.975"]
    mp = None
    if not args.no_mediapipe:
        mp = Run("MediaPipe AudioClassifier", [sys.executable, "-c", _MEDIAPIPE, str(model_path), str(flac)],
                 frames_from_output=True)
        runs.append((mp, 0))
    if args.files.is_dir():
        n_files = len(audio_files([args.files]))
        for jobs in (1, 2):
            runs.append((Run(f"{n_files} files --jobs {jobs}", [*yv[:-1], str(args.files), "--jobs", str(jobs)],
                             unit="files"), n_files))
    # The same audio as a 16 kHz mono WAV: decoding is nearly free, inference is the work.
    wav = make_wav(flac, model.sample_rate)
    wav_runs = {jobs: Run(f"yamview --jobs {jobs}, 16 kHz WAV", [*yv[:-1], str(wav), "--jobs", str(jobs),
                                                                  "--hop", "0.975"])
                for jobs in sorted({1, 2, args.jobs})}
    runs += [(run, frames_at(0.975)) for run in wav_runs.values()]
    mp_wav = None
    if not args.no_mediapipe:
        mp_wav = Run("MediaPipe, 16 kHz WAV", [sys.executable, "-c", _MEDIAPIPE, str(model_path), str(wav)],
                     frames_from_output=True)
        runs.append((mp_wav, 0))
    decode = Run("decoding alone (1 thread)", [sys.executable, "-c", _DECODE, str(flac), str(model.sample_rate)])
    runs.append((decode, 0))
    by_label = {run.label: run for run, _ in runs}

    inproc = {("fast", 1): [], ("fast", 2): [], ("reference", 1): [], ("reference", 2): []}
    fast_frames = decoded_frames(flac, model, 600, 0.4875)
    ref_model = model.reconfigured(kernels="reference")
    ref_frames = fast_frames[:400]

    alone, beside = gil_check(model.reconfigured(kernels="reference"))
    print(f"GIL: a Python loop ran {alone} iterations in 1 s alone, {beside} beside a thread invoking "
          f"YAMNet non-stop ({beside / alone:.0%}): invoke() releases the GIL")
    print(f"{args.rounds} interleaved rounds; order rotated each round\n", flush=True)
    for r in range(args.rounds):
        order = runs[r % len(runs):] + runs[: r % len(runs)]
        for run, expected in order:
            run.once(expected)
            fps = f"{run.fps[-1]:6.0f} {run.unit}/s" if run.frames else " " * 15
            print(f"  round {r + 1}: {run.label:<30} {run.walls[-1]:6.2f} s {fps}  "
                  f"CPU {run.cpus[-1]:5.2f} s = {run.cores[-1]:.2f} cores  RSS {run.rss[-1]:4.0f} MiB  load {run.loads[-1]:5.2f}  "
                  f"others {run.others[-1]:.2f} cores", flush=True)
        for (kernels, jobs), values in inproc.items():
            m, frames = (model, fast_frames) if kernels == "fast" else (ref_model, ref_frames)
            values.append(pool_fps(m, frames, jobs))
            print(f"  round {r + 1}: inference alone, {kernels:<9} --jobs {jobs}: {values[-1]:7.0f} frames/s "
                  f"({len(frames)} frames decoded beforehand)", flush=True)

    print("\n== medians over rounds (whole processes on the 1 h FLAC; CPU = the process's user + system "
          "time, cores = CPU / wall; others = cores busy with other processes meanwhile, from /proc/stat)")
    for run, _ in runs:
        fps = f"{median(run.fps):6.0f} {run.unit}/s ({run.frames} {run.unit})" if run.frames else " " * 29
        print(f"  {run.label:<30} {median(run.walls):6.2f} s {fps}  "
              f"CPU {median(run.cpus):5.2f} s = {median(run.cores):.2f} cores  RSS {median(run.rss):4.0f} MiB  load {median(run.loads):5.2f}  "
              f"others {median(run.others):.2f} cores")

    def ratio(a: Run, b: Run) -> tuple[float, list[float]]:
        per_round = [x / y for x, y in zip(a.fps, b.fps)]
        return median(per_round), per_round

    s_default, s_default_rounds = ratio(by_label["yamview --jobs 2, hop 0.4875"], by_label["yamview --jobs 1, hop 0.4875"])
    s_975, s_975_rounds = ratio(by_label["yamview --jobs 2, hop 0.975"], by_label["yamview --jobs 1, hop 0.975"])
    print("\n== scaling, 2 jobs / 1 job (median of per-round ratios; per round in brackets)")
    print(f"  whole process, hop 0.4875: {s_default:.2f}x  [{', '.join(f'{x:.2f}' for x in s_default_rounds)}]")
    print(f"  whole process, hop 0.975:  {s_975:.2f}x  [{', '.join(f'{x:.2f}' for x in s_975_rounds)}]")
    for kernels in ("fast", "reference"):
        per_round = [a / b for a, b in zip(inproc[(kernels, 2)], inproc[(kernels, 1)])]
        print(f"  inference alone, {kernels:<9}: {median(per_round):.2f}x  "
              f"({median(inproc[(kernels, 1)]):.0f} -> {median(inproc[(kernels, 2)]):.0f} frames/s)  "
              f"[{', '.join(f'{x:.2f}' for x in per_round)}]")

    # What the same work would take on 2 idle cores, from CPU times (which load changes little):
    # one job overlaps decoding (one thread) with inference (one thread); two jobs can at best
    # share all the CPU time over both cores, and never beat the decoding alone (a stream's
    # blocks are decoded one after another, by whichever worker pulls them).
    dec = median(decode.cpus)
    if args.files.is_dir():
        per_round = [a / b for a, b in zip(by_label[f"{n_files} files --jobs 2"].fps,
                                           by_label[f"{n_files} files --jobs 1"].fps)]
        print(f"  many files ({n_files} short clips, whole process): {median(per_round):.2f}x  "
              f"[{', '.join(f'{x:.2f}' for x in per_round)}]")

    print("\n== on 2 idle cores, from the CPU times above (decoding alone "
          f"{dec:.2f} CPU s: one block after another)")
    for hop in ("0.4875", "0.975"):
        one, two = by_label[f"yamview --jobs 1, hop {hop}"], by_label[f"yamview --jobs 2, hop {hop}"]
        ideal1 = max(dec, median(one.cpus) - dec)
        ideal2 = max(dec, median(two.cpus) / 2)
        print(f"  hop {hop}: 1 job >= {ideal1:.2f} s (decode {dec:.2f} | inference and the rest "
              f"{median(one.cpus) - dec:.2f}), 2 jobs >= {ideal2:.2f} s (all CPU {median(two.cpus):.2f} / 2): "
              f"at most {ideal1 / ideal2:.2f}x")

    vs_mp = None
    if mp is not None:
        vs_mp, vs_rounds = ratio(all_jobs, mp)
        one, one_rounds = ratio(by_label["yamview --jobs 1, hop 0.975"], mp)
        print("\n== yamview vs MediaPipe AudioClassifier, same file, same hop (0.975 s), frames/s")
        print(f"  yamview --jobs 1 / MediaPipe:  {one:.2f}x  [{', '.join(f'{x:.2f}' for x in one_rounds)}]")
        print(f"  yamview --jobs {args.jobs} / MediaPipe:  {vs_mp:.2f}x  [{', '.join(f'{x:.2f}' for x in vs_rounds)}]")
        best = max(dec, median(all_jobs.cpus) / min(args.jobs, usable_cores()))
        print(f"  CPU time for the same audio: MediaPipe {median(mp.cpus):.2f} s, yamview --jobs {args.jobs} "
              f"{median(all_jobs.cpus):.2f} s ({median(mp.cpus) / median(all_jobs.cpus):.2f}x less); on "
              f"{min(args.jobs, usable_cores())} idle cores yamview needs >= {best:.2f} s wall (decoding "
              f"alone {dec:.2f} s): at most {median(mp.cpus) / best:.2f}x MediaPipe if MediaPipe keeps one "
              "core busy")

    print("\n== the same audio as a 16 kHz mono WAV (decoding nearly free), hop 0.975 s, frames/s")
    wav_scaling, wav_rounds = ratio(wav_runs[2], wav_runs[1])
    print(f"  yamview 2 jobs / 1 job:  {wav_scaling:.2f}x  [{', '.join(f'{x:.2f}' for x in wav_rounds)}]")
    if mp_wav is not None:
        for jobs, run in wav_runs.items():
            x, per_round = ratio(run, mp_wav)
            print(f"  yamview --jobs {jobs} / MediaPipe:  {x:.2f}x  [{', '.join(f'{v:.2f}' for v in per_round)}]")

    rss2 = max(by_label["yamview --jobs 2, hop 0.4875"].rss + by_label["yamview --jobs 2, hop 0.975"].rss)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    la = os.getloadavg()
    print(f"\n== targets (load avg at the end {la[0]:.2f} {la[1]:.2f} {la[2]:.2f})")
    print(f"  >= {TARGET_SCALING}x with 2 jobs on 2 cores (whole process, hop 0.4875): {s_default:.2f}x "
          f"{verdict(s_default >= TARGET_SCALING)}")
    if vs_mp is not None:
        print(f"  >= {TARGET_VS_MP:.0f}x MediaPipe with all ({args.jobs}) jobs: {vs_mp:.2f}x {verdict(vs_mp >= TARGET_VS_MP)}")
    print(f"  peak RSS with 2 jobs <= {TARGET_RSS_MB:.0f} MB: {rss2:.0f} MiB {verdict(rss2 <= TARGET_RSS_MB)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

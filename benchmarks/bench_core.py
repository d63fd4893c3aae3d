"""Core engine benchmark (issue 2): inference, whole-file classify, memory, MediaPipe comparison.

Run from the project root:

    .venv/bin/python benchmarks/bench_core.py [--workdir DIR] [--repeat N] [--duration S]

It prints figures only (nothing is written to the project). The 1-hour test FLAC is generated
in blocks (memory stays flat) into the work folder and reused by later runs. Every timing is the
best of ``--repeat`` runs, because other processes share this machine.

Targets (issue 2): >= 400x real time on a 1-hour file, the pipeline <= 1.1x the sum of its parts
measured alone, peak RSS <= 300 MB whatever the file length, per-frame throughput >= 2x
MediaPipe's AudioClassifier running the same yamnet.tflite.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

# Quiet the TFLite / MediaPipe (glog) info lines on stderr; the figures go to stdout.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yamview.core import audio as core_audio  # noqa: E402
from yamview.core import assets  # noqa: E402
from yamview.core.analysis import analyze  # noqa: E402
from yamview.core.audio import DEFAULT_BLOCK, AudioFile, downmix  # noqa: E402
from yamview.core.framing import Framing  # noqa: E402
from yamview.core.model import Model  # noqa: E402

RATE = 44100
CHANNELS = 2
GEN_BLOCK = 1 << 18  # frames per generated block (~6 s): memory stays flat while writing
DEFAULT_HOP = 0.4875
MP_CLIP = ROOT.parent / "shared/corpus/librosa/Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg"

TARGET_RTF = 400.0
TARGET_RATIO = 1.1
TARGET_RSS_MB = 300.0
TARGET_VS_MP = 2.0


# -- helpers -------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def best_of(n: int, fn):
    """Run ``fn`` n times; return (best seconds, value returned by the best run)."""
    best, value = float("inf"), None
    for _ in range(max(1, n)):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        if dt < best:
            best, value = dt, out
    return best, value


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


# -- 1. the test file ----------------------------------------------------------------------------
def make_flac(workdir: Path, seconds: int) -> Path:
    """A ``seconds``-long 44.1 kHz stereo FLAC of noise plus tones, cached in ``workdir``."""
    path = workdir / f"bench-{seconds}s-44k1-stereo.flac"
    total = seconds * RATE
    if path.exists():
        try:
            info = sf.info(str(path))
            if info.frames == total and info.samplerate == RATE and info.channels == CHANNELS:
                print(f"test file: {path} (cached, {path.stat().st_size / 1e6:.0f} MB)")
                return path
        except RuntimeError:
            pass
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    rng = np.random.default_rng(20240602)
    # A tone pair changes every 7 s (so the classifier sees varying content), over pinkish noise.
    freqs = np.array([220.0, 330.0, 440.0, 880.0, 1000.0, 1760.0, 2500.0, 3520.0, 5000.0])
    t_start = time.perf_counter()
    with sf.SoundFile(str(tmp), "w", RATE, CHANNELS, format="FLAC", subtype="PCM_16") as f:
        for start in range(0, total, GEN_BLOCK):
            n = min(GEN_BLOCK, total - start)
            t = (start + np.arange(n)) / RATE
            seg = (t // 7.0).astype(np.int64)
            f1 = freqs[seg % len(freqs)]
            f2 = freqs[(seg * 5 + 3) % len(freqs)]
            tone = 0.20 * np.sin(2 * np.pi * f1 * t) + 0.08 * np.sin(2 * np.pi * f2 * t)
            env = 0.5 + 0.5 * np.sin(2 * np.pi * t / 13.0)  # tones swell and fade
            noise = rng.standard_normal((n, CHANNELS))
            noise = 0.04 * noise + 0.03 * noise[:, :1]  # partly correlated channels
            block = noise + (env * tone)[:, None] * np.array([1.0, 0.8])
            f.write(block.astype(np.float32))
    os.replace(tmp, path)
    took = time.perf_counter() - t_start
    print(f"test file: {path} (generated in {took:.1f} s, {path.stat().st_size / 1e6:.0f} MB)")
    return path


# -- 2. inference --------------------------------------------------------------------------------
def bench_invoke(model_path: Path, frames: int, repeat: int) -> dict:
    x = np.random.default_rng(0).uniform(-0.5, 0.5, 15600).astype(np.float32)
    out = {}
    for kernels in ("fast", "reference"):
        for threads in (1, 2):
            try:
                m = Model(model_path, kernels=kernels, threads=threads)
            except Exception as exc:  # noqa: BLE001 - e.g. fewer cores than threads
                print(f"  {kernels:<9} threads={threads}: cannot load ({exc})")
                continue
            for _ in range(20):
                m.classify(x)

            def loop():
                for _ in range(frames):
                    m.classify(x)

            best, _ = best_of(repeat, loop)
            ms = 1000 * best / frames
            out[(kernels, threads)] = ms
            print(f"  {kernels:<9} threads={threads}: {ms:6.3f} ms/frame  ({1000 / ms:6.0f} frames/s)",
                  flush=True)
            del m
    return out


# -- 3. whole-file classify ----------------------------------------------------------------------
class _ResampleClock:
    """Wraps core_audio.Resampler so a pipeline run can tell resampling apart from decoding."""

    seconds = 0.0

    def __init__(self):
        self.original = core_audio.Resampler
        clock = self

        class TimedResampler(self.original):
            def push(self, block, last=False):
                t = time.perf_counter()
                try:
                    return super().push(block, last)
                finally:
                    clock.seconds += time.perf_counter() - t

        self.timed = TimedResampler

    def __enter__(self):
        self.seconds = 0.0
        core_audio.Resampler = self.timed
        return self

    def __exit__(self, *exc):
        core_audio.Resampler = self.original


def bench_pipeline(path: Path, model: Model, repeat: int) -> dict:
    clock = _ResampleClock()
    runs = []
    for _ in range(repeat):
        with clock:
            t0 = time.perf_counter()
            a = analyze(AudioFile(path), model, hop_seconds=DEFAULT_HOP).result()
            wall = time.perf_counter() - t0
        runs.append((wall, a.timings.decode, clock.seconds, a.timings.inference, a.n_frames, a.duration))
        del a
    wall, source, resample, inference, n_frames, duration = min(runs)
    return dict(wall=wall, decode=source - resample, resample=resample, inference=inference,
                frames=n_frames, duration=duration, walls=[r[0] for r in runs])


def bench_parts(path: Path, model: Model, repeat: int) -> dict:
    """Decode, resample and inference, each alone, on buffers allocated (and touched) beforehand."""
    info = sf.info(str(path))
    mono = np.zeros(info.frames, np.float32)  # zeros touches the pages: no page faults timed
    mono.fill(0.0)
    buf = np.empty((DEFAULT_BLOCK, info.channels), np.float32)

    def decode():
        pos = 0
        with sf.SoundFile(str(path)) as f:
            while True:
                n = len(f.read(DEFAULT_BLOCK, dtype="float32", always_2d=True, out=buf))
                if n == 0:
                    break
                mono[pos:pos + n] = downmix(buf[:n])
                pos += n
                if n < DEFAULT_BLOCK:
                    break
        return pos

    t_decode, _ = best_of(repeat, decode)

    rate = model.sample_rate
    n_out = int(np.ceil(info.frames * rate / info.samplerate)) + 4096
    resampled = np.zeros(n_out, np.float32)
    resampled.fill(0.0)

    def resample():
        stream = soxr.ResampleStream(info.samplerate, rate, 1, dtype="float32", quality="HQ")
        pos = 0
        for i in range(0, len(mono), DEFAULT_BLOCK):
            y = stream.resample_chunk(mono[i:i + DEFAULT_BLOCK])
            resampled[pos:pos + len(y)] = y
            pos += len(y)
        y = stream.resample_chunk(np.zeros(0, np.float32), last=True)
        resampled[pos:pos + len(y)] = y
        return pos + len(y)

    t_resample, n_res = best_of(repeat, resample)
    del mono

    framing = Framing.create(model.window, rate, hop_seconds=DEFAULT_HOP)
    count = framing.count(n_res)
    padded = np.zeros((count - 1) * framing.hop + framing.window, np.float32)
    m = min(n_res, len(padded))
    padded[:m] = resampled[:m]
    del resampled
    frames = np.lib.stride_tricks.sliding_window_view(padded, framing.window)[:: framing.hop]
    assert len(frames) == count
    scores = np.zeros((count, model.n_classes), np.float32)

    def infer():
        for i, fr in enumerate(frames):
            scores[i] = model.classify(fr)

    t_infer, _ = best_of(repeat, infer)
    return dict(decode=t_decode, resample=t_resample, inference=t_infer, frames=count)


# Run by a fresh, small interpreter: it starts ``python -m yamview ...`` and reports that child's
# peak RSS. The benchmark cannot start the child itself: Linux carries the parent's memory
# high-water mark over fork+exec into the child's ru_maxrss, and this process holds ~1 GB of
# buffers by then (every child would read ~900 MB whatever it did).
_LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "wall = time.perf_counter() - t\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, wall, rc)\n"
)


def child_peak_rss(args: list[str]) -> tuple[float, float, int]:
    """(peak RSS MB, wall s, exit code) of ``python -m yamview ARGS`` run as a child."""
    proc = subprocess.run([sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "yamview", *args],
                          cwd=ROOT, capture_output=True, text=True)
    try:
        kib, wall, rc = proc.stdout.split()
    except ValueError:
        print(f"  launcher failed: {proc.stderr[-500:]}")
        return float("nan"), float("nan"), 1
    if int(rc):
        print(f"  child failed ({rc}): {proc.stderr.strip()[-500:]}")
    return int(kib) / 1024.0, float(wall), int(rc)  # ru_maxrss is KiB on Linux


# -- 4. MediaPipe --------------------------------------------------------------------------------
def bench_mediapipe(model_path: Path, model: Model, clip: Path, repeat: int) -> dict | None:
    try:
        from mediapipe.tasks.python import audio as mp_audio
        from mediapipe.tasks.python.components.containers.audio_data import AudioData
        from mediapipe.tasks.python.core import base_options as mp_base
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        print(f"  MediaPipe not available ({type(exc).__name__}: {exc}); skipped")
        return None
    if not clip.is_file():
        print(f"  {clip} not found; skipped")
        return None
    samples, sr = sf.read(str(clip), dtype="float32", always_2d=True)
    duration = len(samples) / sr
    print(f"  clip: {clip.name} ({duration:.1f} s, {sr} Hz, {samples.shape[1]} ch)")
    options = mp_audio.AudioClassifierOptions(
        base_options=mp_base.BaseOptions(model_asset_path=str(model_path)),
        running_mode=mp_audio.RunningMode.AUDIO_CLIPS,
    )
    with mp_audio.AudioClassifier.create_from_options(options) as classifier:
        data = AudioData.create_from_array(samples, sr)
        classifier.classify(data)  # warm-up
        t_mp, results = best_of(repeat, lambda: classifier.classify(AudioData.create_from_array(samples, sr)))
    mp_frames = len(results)
    mp_hop = (results[1].timestamp_ms - results[0].timestamp_ms) / 1000 if mp_frames > 1 else float("nan")

    analyze(AudioFile(clip), model, hop_seconds=DEFAULT_HOP).result()  # warm-up (page cache)
    t_yv, a = best_of(repeat, lambda: analyze(AudioFile(clip), model, hop_seconds=DEFAULT_HOP).result())
    return dict(mp_time=t_mp, mp_frames=mp_frames, mp_hop=mp_hop, yv_time=t_yv, yv_frames=a.n_frames,
                duration=duration)


# -- main ----------------------------------------------------------------------------------------
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "yamview-bench",
                   help="where the test FLAC is generated and cached (default: %(default)s)")
    p.add_argument("--duration", type=int, default=3600, help="test file length, seconds (default 3600)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is shown")
    p.add_argument("--invoke-frames", type=int, default=500, help="frames per invoke measurement")
    p.add_argument("--no-mediapipe", action="store_true", help="skip the MediaPipe comparison")
    args = p.parse_args(argv)

    load = os.getloadavg()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load avg {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"each figure is the best of {args.repeat} runs")
    model_path = assets.ensure("yamnet")
    flac = make_flac(args.workdir, args.duration)

    heading("YAMNet invoke (one 0.975 s frame)")
    bench_invoke(model_path, args.invoke_frames, args.repeat)

    model = Model(model_path, kernels="fast", threads=1)
    heading(f"whole-file classify: {flac.name} ({args.duration} s), hop {DEFAULT_HOP} s, fast kernels, 1 thread")
    pipe = bench_pipeline(flac, model, args.repeat)
    rtf = pipe["duration"] / pipe["wall"]
    print(f"  wall            {pipe['wall']:7.2f} s   (runs: {', '.join(f'{w:.2f}' for w in pipe['walls'])})")
    print(f"  real-time factor {rtf:6.0f}x  ({pipe['frames']} frames, "
          f"{1000 * pipe['wall'] / pipe['frames']:.3f} ms/frame)")
    print(f"  split: decode+downmix {pipe['decode']:.2f} s, resample {pipe['resample']:.2f} s "
          f"(decode thread), inference {pipe['inference']:.2f} s (main thread)")

    parts = bench_parts(flac, model, args.repeat)
    total = parts["decode"] + parts["resample"] + parts["inference"]
    ratio = pipe["wall"] / total
    print(f"  alone: decode+downmix {parts['decode']:.2f} s, resample {parts['resample']:.2f} s, "
          f"inference {parts['inference']:.2f} s ({parts['frames']} frames); sum {total:.2f} s")
    print(f"  pipeline / sum of parts {ratio:.2f}x")

    heading("peak RSS of `python -m yamview classify` (child process)")
    rss = {}
    long_label = f"{args.duration / 3600:g} h FLAC" if args.duration >= 3600 else f"{args.duration} s FLAC"
    for label, target in ((long_label, flac), ("133 s Ogg", MP_CLIP), ("4 s WAV", ROOT.parent / "shared/audio/speech.wav")):
        if not target.is_file():
            continue
        runs = [child_peak_rss(["classify", str(target)]) for _ in range(max(1, min(args.repeat, 2)))]
        mb = min(r[0] for r in runs)
        rss[label] = mb
        print(f"  {label:<10} peak RSS {mb:6.0f} MiB  (child wall {min(r[1] for r in runs):.2f} s incl. start-up)")

    if long_label in rss and "4 s WAV" in rss:
        # classify keeps a running mean and max per class, not every frame's scores: any growth
        # with length would be a leak, not data.
        print(f"  {long_label} minus 4 s WAV: {rss[long_label] - rss['4 s WAV']:+.0f} MiB "
              "(classify keeps running mean/max per class only: memory does not grow with length)")

    mp = None
    if not args.no_mediapipe:
        heading("MediaPipe AudioClassifier vs yamview, same yamnet.tflite")
        mp = bench_mediapipe(model_path, model, MP_CLIP, max(5, args.repeat))  # short runs: more of them
        if mp:
            mp_fps = mp["mp_frames"] / mp["mp_time"]
            yv_fps = mp["yv_frames"] / mp["yv_time"]
            print(f"  MediaPipe: {mp['mp_frames']} frames (hop {mp['mp_hop']:.3f} s) in {mp['mp_time']:.3f} s "
                  f"= {mp_fps:.0f} frames/s (resample + inference, samples already decoded)")
            print(f"  yamview:   {mp['yv_frames']} frames (hop {DEFAULT_HOP} s) in {mp['yv_time']:.3f} s "
                  f"= {yv_fps:.0f} frames/s (decode + resample + inference)")
            print(f"  per-frame throughput yamview / MediaPipe {yv_fps / mp_fps:.2f}x")
            mp["ratio"] = yv_fps / mp_fps

    heading("targets")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"  >= {TARGET_RTF:.0f}x real time: {rtf:.0f}x ({pipe['wall']:.2f} s for {pipe['duration']:.0f} s) "
          f"{verdict(rtf >= TARGET_RTF)}")
    print(f"  pipeline <= {TARGET_RATIO}x sum of parts: {ratio:.2f}x {verdict(ratio <= TARGET_RATIO)}")
    if rss:
        worst = max(rss.values())
        print(f"  peak RSS <= {TARGET_RSS_MB:.0f} MB: {worst:.0f} MiB max "
              f"({', '.join(f'{k} {v:.0f}' for k, v in rss.items())}) {verdict(worst <= TARGET_RSS_MB)}")
    if mp:
        print(f"  per-frame throughput >= {TARGET_VS_MP:.0f}x MediaPipe: {mp['ratio']:.2f}x "
              f"{verdict(mp['ratio'] >= TARGET_VS_MP)}")
    else:
        print("  per-frame throughput vs MediaPipe: not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())

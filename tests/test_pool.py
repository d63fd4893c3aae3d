"""The interpreter pool: same scores as one interpreter, frame order, bounded, cancel stops it."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.model import FrameOutput
from yamview.core.pool import InterpreterPool, default_jobs, scores_only, usable_cores

LONG_CLIP = ("librosa", "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg")  # 133 s, 44.1 kHz stereo


def clips(corpus_dir, audio_dir):
    return [
        corpus_dir.joinpath(*LONG_CLIP),
        min((corpus_dir / "esc10").glob("*.ogg")),
        audio_dir / "speech.wav",
    ]


def pool_threads():
    return [t for t in threading.enumerate() if t.name.startswith("yamview-pool")]


@pytest.mark.parametrize("kernels", ["fast", "reference"])
def test_pooled_scores_equal_serial_bit_for_bit(model, kernels, corpus_dir, audio_dir):
    m = model if kernels == "fast" else model.reconfigured(kernels="reference")
    for path in clips(corpus_dir, audio_dir):
        serial = analyze(AudioFile(path), m, hop_seconds=0.25, jobs=1).result()
        assert serial.jobs == 1 and serial.n_frames > 3
        for jobs in (2, 3):
            run = analyze(AudioFile(path), m, hop_seconds=0.25, jobs=jobs)
            streamed = [(f.index, f.scores) for f in run]
            pooled = run.result()
            assert pooled.jobs == jobs
            # Frames arrive in order, each with exactly the serial path's scores.
            assert [i for i, _ in streamed] == list(range(serial.n_frames))
            assert np.array_equal(np.stack([s for _, s in streamed]), serial.scores)
            assert np.array_equal(pooled.scores, serial.scores), (path.name, jobs)
            assert np.array_equal(pooled.starts, serial.starts) and pooled.duration == serial.duration
    assert not pool_threads()  # every run's pool ended with the run


def test_running_mean_and_max_equal_serial(model, corpus_dir):
    path = corpus_dir.joinpath(*LONG_CLIP)
    serial = analyze(AudioFile(path), model, jobs=1, keep_scores=False).result()
    pooled = analyze(AudioFile(path), model, jobs=2, keep_scores=False).result()
    assert np.array_equal(pooled.mean(), serial.mean()) and np.array_equal(pooled.max(), serial.max())
    assert pooled.scores.shape == (0, model.n_classes)


def test_embeddings_come_back_from_the_pool(model, audio_dir):
    path = audio_dir / "meow_16k.wav"
    serial = analyze(AudioFile(path), model, hop_seconds=0.25, embeddings=True, jobs=1).result()
    run = analyze(AudioFile(path), model, hop_seconds=0.25, embeddings=True, jobs=2)
    patches = [f.log_mel for f in run]
    pooled = run.result()
    assert pooled.embeddings.shape == (serial.n_frames, 1024)
    assert np.array_equal(pooled.embeddings, serial.embeddings)
    assert np.array_equal(pooled.scores, serial.scores)
    assert all(p is not None and p.shape == (96, 64) for p in patches)


def test_frames_are_shared_by_all_workers_and_returned_in_order(model, audio_dir):
    """A custom per-frame function (the extension point) sees every worker's interpreter."""
    samples = AudioFile(audio_dir / "speech.wav").read(model.sample_rate)
    frames = [samples[i:i + model.window] for i in range(0, len(samples) - model.window, 400)]
    who: list[str] = []

    def infer(m, x):
        who.append(threading.current_thread().name)
        time.sleep(0.002)  # long enough that one worker cannot take every frame
        return FrameOutput(m.classify(x), embedding=np.array([float(x[0])]))

    with InterpreterPool(model, 2) as pool:
        out = [o for o, _ in pool.map(frames, infer)]
    assert [o.embedding[0] for o in out] == [float(f[0]) for f in frames]
    assert np.array_equal(np.stack([o.scores for o in out]), np.stack([model.classify(f) for f in frames]))
    assert set(who) == {"yamview-pool-0", "yamview-pool-1"}


def test_frames_in_flight_stay_bounded(model):
    """A long stream never has more than the window of frames pulled but not yet returned."""
    rng = np.random.default_rng(1)
    pulled = 0

    def frames():
        nonlocal pulled
        for _ in range(200):
            pulled += 1
            yield rng.uniform(-0.5, 0.5, model.window).astype(np.float32)

    ahead = []
    with InterpreterPool(model, 2) as pool:
        for done, _ in enumerate(pool.map(frames(), window=4), 1):
            ahead.append(pulled - done)
    assert len(ahead) == 200 and max(ahead) <= 4


def test_a_failing_frame_raises_in_the_caller_and_the_pool_goes_on(model):
    good = np.zeros(model.window, np.float32)
    with InterpreterPool(model, 2) as pool:
        with pytest.raises(ValueError, match="samples"):
            list(pool.map([good, good[:100], good]))
        assert len(list(pool.map([good] * 5, scores_only))) == 5


def test_two_runs_share_one_pool(model, corpus_dir, audio_dir):
    paths = clips(corpus_dir, audio_dir)
    serial = {p: analyze(AudioFile(p), model, jobs=1).result().scores for p in paths}
    results = {}
    with InterpreterPool(model, 2) as pool:
        threads = [threading.Thread(target=lambda p=p: results.__setitem__(
            p, analyze(AudioFile(p), model, pool=pool).result().scores)) for p in paths]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert all(np.array_equal(results[p], serial[p]) for p in paths)


def _started_run(model, path, jobs):
    run = analyze(AudioFile(path), model, hop_seconds=0.05, jobs=jobs)  # ~2600 frames
    frames = iter(run)
    for _ in range(20):
        next(frames)
    return run, frames


def _seconds_until_stopped(threads, limit=10.0):
    t0 = time.perf_counter()
    while any(t.is_alive() for t in threads) and time.perf_counter() - t0 < limit:
        time.sleep(0.005)
    return time.perf_counter() - t0


def test_cancel_mid_file_stops_all_workers_quickly(reference_model, corpus_dir):
    """cancel() from another thread while the run is being iterated: everything stops."""
    run = analyze(AudioFile(corpus_dir.joinpath(*LONG_CLIP)), reference_model, hop_seconds=0.05, jobs=2)
    seen = []
    twenty = threading.Event()

    def consume():
        for f in run:
            seen.append(f.index)
            if f.index == 20:
                twenty.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    assert twenty.wait(60)
    workers = pool_threads()
    assert len(workers) == 2
    # The workers decode as they pull frames: no decoding thread competes with them for cores.
    assert not [t for t in threading.enumerate() if t.name == "yamview-decode"]
    run.cancel()
    took = _seconds_until_stopped(workers + [consumer])
    assert took <= 0.5, f"workers still running {took:.2f} s after cancel"
    assert run.cancelled and 20 <= len(seen) < run.expected_frames
    assert seen == list(range(len(seen)))
    with pytest.raises(RuntimeError, match="cancelled"):
        run.result()


def test_cancel_stops_workers_even_while_nobody_iterates(reference_model, corpus_dir):
    run, frames = _started_run(reference_model, corpus_dir.joinpath(*LONG_CLIP), jobs=2)
    workers = pool_threads()
    assert len(workers) == 2
    run.cancel()  # the iterating code is elsewhere (e.g. busy drawing): the pool stops anyway
    took = _seconds_until_stopped(workers)
    assert took <= 0.5, f"pool workers still running {took:.2f} s after cancel"
    assert next(frames, None) is None  # and the run ends at its next step
    assert not [t for t in threading.enumerate() if t.name == "yamview-decode"]


def test_jobs_default_to_usable_cores(model, audio_dir):
    assert 1 <= usable_cores() and default_jobs() == usable_cores()
    assert default_jobs(threads=usable_cores()) == 1
    assert analyze(AudioFile(audio_dir / "speech.wav"), model).jobs == default_jobs(model.threads)
    with pytest.raises(ValueError, match="jobs"):
        analyze(AudioFile(audio_dir / "speech.wav"), model, jobs=0)


def test_map_in_order_keeps_order_reports_errors_and_stays_bounded():
    import random

    from yamview.core.pool import map_in_order

    started = []
    handed = 0

    def work(i):
        started.append(i)
        assert len(started) - handed <= 2 * 3  # never more than the window ahead of the caller
        time.sleep(random.Random(i).uniform(0, 0.01))
        if i % 7 == 3:
            raise ValueError(f"item {i}")
        return i * i

    seen = []
    for item, result, error in map_in_order(work, range(40), workers=3):
        seen.append(item)
        handed += 1
        if item % 7 == 3:
            assert result is None and str(error) == f"item {item}"
        else:
            assert error is None and result == item * item
    assert seen == list(range(40)) and sorted(started) == list(range(40))


def test_frames_before_a_source_error_still_come_back(model):
    """As with one interpreter: every frame before a decoding error is scored and handed out."""
    rng = np.random.default_rng(2)
    frames = [rng.uniform(-0.5, 0.5, model.window).astype(np.float32) for _ in range(7)]

    def source():
        yield from frames
        raise OSError("the disk went away")

    got = []
    with InterpreterPool(model, 2) as pool, pytest.raises(OSError, match="disk"):
        for out, _ in pool.map(source()):
            got.append(out.scores)
    assert len(got) == 7 and all(np.array_equal(g, model.classify(f)) for g, f in zip(got, frames))


class _RecordingSource:
    """A real file's blocks, noting which thread decoded each one."""

    def __init__(self, path):
        self.file = AudioFile(path)
        self.name, self.report, self.rate = self.file.name, self.file.report, self.file.rate
        self.decoders: list[str] = []

    def duration(self):
        return self.file.duration()

    def blocks(self, rate):
        for block in self.file.blocks(rate, blocksize=4096):
            self.decoders.append(threading.current_thread().name)
            yield block


def test_pool_workers_decode_one_interpreter_has_a_decode_thread(model, corpus_dir):
    path = corpus_dir.joinpath(*LONG_CLIP)
    serial_source, pooled_source = _RecordingSource(path), _RecordingSource(path)
    serial = analyze(serial_source, model, jobs=1).result()
    pooled = analyze(pooled_source, model, jobs=2).result()
    assert np.array_equal(pooled.scores, serial.scores)
    assert set(serial_source.decoders) == {"yamview-decode"}
    # Two workers and no third thread: the workers read ahead (decoding) between scoring frames.
    assert pooled_source.decoders and set(pooled_source.decoders) <= {"yamview-pool-0", "yamview-pool-1"}
    assert pooled.timings.decode > 0 and serial.timings.decode > 0

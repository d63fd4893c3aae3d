"""Whole-source analysis: YAMNet's own checks, equality with raw interpreter calls, invariance."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf
import soxr

from yamview.core.analysis import analyze
from yamview.core.audio import ArraySource, AudioFile
from yamview.core.framing import Framing
from yamview.core.model import _runtime

RATE = 16000


def top(analysis, n, by="mean"):
    return [name for name, _ in analysis.top(n, by)]


def test_sine_440_is_sine_wave(model):
    t = np.arange(3 * RATE) / RATE
    a = analyze(ArraySource(0.5 * np.sin(2 * np.pi * 440 * t), RATE, "sine"), model).result()
    assert top(a, 1) == ["Sine wave"]


def test_uniform_noise_is_white_noise_in_top10(model):
    noise = np.random.default_rng(0).uniform(-1, 1, 3 * RATE).astype(np.float32)
    a = analyze(ArraySource(noise, RATE, "noise"), model).result()
    assert "White noise" in top(a, 10)


def test_speech_file_result(model, audio_dir):
    a = analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    assert a.n_frames == Framing.create(15600, RATE, overlap=0.5).count(68360) == 8
    assert a.scores.shape == (8, 521) and a.scores.dtype == np.float32
    assert top(a, 1) == ["Speech"] and top(a, 1, "max") == ["Speech"]
    np.testing.assert_allclose(a.mean(), a.scores.mean(axis=0))
    np.testing.assert_allclose(a.centres - a.starts, 0.4875)
    assert a.duration == pytest.approx(68360 / RATE)
    assert a.model_sha256 == model.sha256 and a.params()["hop_seconds"] == pytest.approx(0.4875)


def test_threshold_filters_top(model, audio_dir):
    a = analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    assert [n for n, s in a.top(10, threshold=0.5)] == ["Speech"]


def test_frames_stream_before_result(model, audio_dir):
    run = analyze(AudioFile(audio_dir / "meow_16k.wav"), model, hop_seconds=0.25)
    seen = [f.index for f in run]
    a = run.result()
    assert seen == list(range(a.n_frames)) and run.expected_frames == a.n_frames


def test_cancel_stops_early(model, corpus_dir):
    run = analyze(AudioFile(corpus_dir / "librosa" / "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg"), model)
    for frame in run:
        if frame.index == 3:
            run.cancel()
    assert run.cancelled
    with pytest.raises(RuntimeError, match="cancelled"):
        run.result()


def reference_scores(model_path, samples, window, hop):
    """Frame by hand and call the interpreter directly: what analysis must reproduce."""
    interp = _runtime().Interpreter(model_path=str(model_path), num_threads=1)
    interp.allocate_tensors()
    i, o = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    n = 1 + int(np.ceil(max(0, len(samples) - window) / hop))
    padded = np.zeros((n - 1) * hop + window, np.float32)
    padded[: len(samples)] = samples
    rows = []
    for k in range(n):
        interp.set_tensor(i, padded[k * hop : k * hop + window])
        interp.invoke()
        rows.append(interp.get_tensor(o)[0].copy())
    return np.array(rows)


def corpus_clips(corpus_dir, n_per_label=1):
    with open(corpus_dir / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    seen, picked = {}, []
    for row in rows:
        label = row[next(k for k in row if "label" in k.lower())]
        if seen.get(label, 0) < n_per_label:
            seen[label] = seen.get(label, 0) + 1
            picked.append(row)
    return picked


def test_corpus_analysis_equals_raw_interpreter(model, model_path, corpus_dir):
    clips = corpus_clips(corpus_dir)
    assert len(clips) >= 10
    for row in clips:
        path = corpus_dir / row["file"]
        if path.stat().st_size > 3_000_000:  # keep the suite fast: long music clips elsewhere
            continue
        f = AudioFile(path)
        samples = f.read(RATE)
        a = analyze(AudioFile(path), model).result()
        want = reference_scores(model_path, samples, 15600, 7800)
        assert a.scores.shape == want.shape, path.name
        np.testing.assert_array_equal(a.scores, want, err_msg=path.name)


def test_rate_and_channel_invariance(model, audio_dir, tmp_path):
    x, _ = sf.read(audio_dir / "speech.wav", dtype="float32")
    stereo44 = soxr.resample(x, RATE, 44100)
    stereo44 = np.stack([stereo44, stereo44], axis=1)
    sf.write(tmp_path / "s44.wav", stereo44, 44100, subtype="FLOAT")
    sf.write(tmp_path / "s48.flac", soxr.resample(x, RATE, 48000), 48000)
    base = analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    for name in ("s44.wav", "s48.flac"):
        other = analyze(AudioFile(tmp_path / name), model).result()
        assert top(other, 3) == top(base, 3), name
        assert other.n_frames == base.n_frames
        assert np.abs(other.scores - base.scores).max() < 0.05, name


def test_short_clip_is_one_padded_frame(model, tmp_path):
    t = np.arange(RATE // 2) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    a = analyze(ArraySource(tone, RATE), model).result()
    assert a.n_frames == 1
    padded = np.zeros(15600, np.float32)
    padded[: len(tone)] = tone
    np.testing.assert_array_equal(a.scores[0], model.classify(padded))
    assert "Sine wave" in top(a, 5)  # half a second of tone, then silence ("Busy signal" leads)


def test_unusual_rates_work(model, tmp_path):
    for rate in (8000, 96000):
        t = np.arange(2 * rate) / rate
        p = tmp_path / f"tone{rate}.wav"
        sf.write(p, 0.5 * np.sin(2 * np.pi * 440 * t), rate)
        a = analyze(AudioFile(p), model).result()
        assert top(a, 1) == ["Sine wave"], rate
        assert a.duration == pytest.approx(2.0, abs=1e-3)


def test_summary_only_run_matches_full_run(model, corpus_dir):
    path = corpus_dir / "esc10" / "009_Rooster__1-26806-A.ogg"
    full = analyze(AudioFile(path), model).result()
    lean = analyze(AudioFile(path), model, keep_scores=False).result()
    assert lean.scores.shape == (0, 521) and lean.n_frames == full.n_frames
    np.testing.assert_allclose(lean.mean(), full.mean(), atol=1e-6)
    np.testing.assert_array_equal(lean.max(), full.max())
    assert [n for n, _ in lean.top(5)] == [n for n, _ in full.top(5)]


def test_embeddings_per_frame_are_the_models_and_cost_nothing_in_scores(model, corpus_dir, tmp_path):
    from yamview.core import cache

    clip = AudioFile(corpus_dir / "esc10/001_Dog_bark__2-114280-A.ogg")
    plain = analyze(clip, model).result()
    a = analyze(clip, model, embeddings=True).result()
    assert a.embeddings.shape == (a.n_frames, 1024) and a.embeddings.dtype == np.float32
    assert np.array_equal(a.scores, plain.scores)
    assert plain.embeddings is None
    # Frame 3's embedding is what the model computes for frame 3's samples.
    samples = clip.read(model.sample_rate)
    f = a.framing
    frame = samples[3 * f.hop : 3 * f.hop + f.window]
    assert np.array_equal(model.with_embeddings().classify_frame(frame).embedding, a.embeddings[3])
    assert a.source_rate == 44100
    # Cached with the analysis.
    key = cache.key_for(clip.path, model, a.framing)
    cache.store(key, a, tmp_path)
    back = cache.load(key, tmp_path)
    assert np.array_equal(back.embeddings, a.embeddings) and back.source_rate == 44100

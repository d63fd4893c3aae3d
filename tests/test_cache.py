"""Results cache: keys, exact round trip, misses, damaged entries, and no partial entries."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from yamview.core import cache
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.framing import Framing


@pytest.fixture
def cdir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(d))
    return d


def framing(model, hop=None):
    return Framing.create(model.window, model.sample_rate, hop_seconds=hop)


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    assert "yamview" in str(cache.cache_dir())
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "env"))
    assert cache.cache_dir() == tmp_path / "env"
    assert cache.cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_file_hash_is_content_only(tmp_path, audio_dir):
    src = audio_dir / "speech.wav"
    copy = tmp_path / "renamed.wav"
    shutil.copy(src, copy)
    h = cache.file_hash(src)
    assert h == hashlib.blake2b(src.read_bytes(), digest_size=20).hexdigest()
    assert cache.file_hash(copy) == h
    with open(copy, "r+b") as f:
        f.seek(1000)
        f.write(b"\x01")
    assert cache.file_hash(copy) != h


def test_key_depends_on_content_model_hop_kernels(audio_dir, model):
    base = cache.key_for(audio_dir / "speech.wav", model, framing(model))
    assert base == cache.key_for(audio_dir / "speech.wav", model, framing(model))
    others = {
        cache.key_for(audio_dir / "meow_16k.wav", model, framing(model)),
        cache.key_for(audio_dir / "speech.wav", model, framing(model, 0.25)),
        cache.key_for(audio_dir / "speech.wav", model.reconfigured(kernels="reference"), framing(model)),
        cache.make_key(cache.file_hash(audio_dir / "speech.wav"), "0" * 64, framing(model).hop, "fast"),
    }
    assert base not in others and len(others) == 4


def test_store_load_round_trip(cdir, audio_dir, model):
    a = analyze(AudioFile(audio_dir / "meow_16k.wav"), model, hop_seconds=0.25).result()
    key = cache.key_for(audio_dir / "meow_16k.wav", model, a.framing)
    assert cache.load(key) is None  # a miss
    path = cache.store(key, a)
    assert path.parent == cdir and sorted(p.name for p in cdir.iterdir()) == [f"{key}.npz"]
    b = cache.load(key, name="elsewhere/cat.wav")
    assert b.name == "elsewhere/cat.wav"
    assert np.array_equal(b.scores, a.scores) and b.scores.dtype == np.float32
    assert np.array_equal(b.starts, a.starts) and np.array_equal(b.centres, a.centres)
    assert b.framing == a.framing and b.labels == a.labels and b.duration == a.duration
    assert (b.model_sha256, b.kernels, b.threads) == (a.model_sha256, a.kernels, a.threads)
    assert b.top(5) == a.top(5)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "wrong_shape"])
def test_damaged_entry_is_a_miss_and_removed(cdir, audio_dir, model, damage):
    a = analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    path = cache.store("k", a)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip at all" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        import dataclasses

        cache.store("k", dataclasses.replace(a, scores=a.scores[:, :10]))
    assert cache.load("k") is None
    assert not path.exists()


def test_cancelled_analysis_leaves_no_entry(cdir, corpus_dir, model):
    # A long clip (133 s of speech at hop 0.1 s: ~1300 frames); cancel after a few frames.
    f = next((corpus_dir / "librosa").glob("198-209-0000*.ogg"))
    source = AudioFile(f)
    run = analyze(source, model, hop_seconds=0.1)
    key = cache.key_for(f, model, run.framing)
    for frame in run:
        if frame.index == 5:
            run.cancel()
    assert run.cancelled
    assert cache.store_run(key, run) is None
    assert not cdir.exists() or list(cdir.iterdir()) == []
    assert cache.load(key) is None
    with pytest.raises(RuntimeError, match="cancelled"):
        run.result()


def test_finished_run_is_stored(cdir, audio_dir, model):
    run = analyze(AudioFile(audio_dir / "speech.wav"), model)
    key = cache.key_for(audio_dir / "speech.wav", model, run.framing)
    for _ in run:
        pass
    assert cache.store_run(key, run) == cdir / f"{key}.npz"
    assert np.array_equal(cache.load(key).scores, run.result().scores)


def test_failed_write_leaves_nothing(cdir, audio_dir, model, monkeypatch):
    a = analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    real = np.savez

    def half(f, **arrays):  # write part of the entry, then fail like a full disk
        real(f, scores=arrays["scores"])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.np, "savez", half)
    with pytest.raises(OSError):
        cache.store("k", a)
    assert list(cdir.iterdir()) == []
    assert cache.load("k") is None

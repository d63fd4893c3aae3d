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
    assert b.framing == a.framing and b.classes == a.classes and b.duration == a.duration
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


def _entry_with(path, **replace):
    """Rewrite the arrays of an entry, replacing some (as a hostile or buggy writer would)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(replace)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _huge_header(path, member="scores.npy"):
    """A valid zip whose ``member`` header asks numpy for ~19 GiB (the file stays small)."""
    import io
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10_000_000, 521)})
    members[member] = header.getvalue() + b"\0" * 64
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, data in members.items():
            z.writestr(n, data)


@pytest.mark.parametrize("damage", ["string_starts", "nan_scores", "huge_npy_header", "zero_frames",
                                    "decreasing_centres", "classes_not_text", "compressed_member"])
def test_wrong_but_loadable_entry_is_removed_and_recomputed(cdir, audio_dir, model, damage, capsys):
    """Entries that pass a naive load check but are wrong: each is a miss, is deleted, and the
    next `analyze` recomputes it (and --export-json then works: NaN never reaches the JSON)."""
    import json
    import zipfile

    from yamview.cli import main

    wav = audio_dir / "speech.wav"
    a = analyze(AudioFile(wav), model).result()
    key = cache.key_for(wav, model, a.framing)
    path = cache.store(key, a)
    if damage == "string_starts":
        _entry_with(path, starts=np.array([str(x) for x in a.starts]))
    elif damage == "nan_scores":
        bad = a.scores.copy()
        bad[1, 3] = np.nan
        _entry_with(path, scores=bad)
    elif damage == "huge_npy_header":
        _huge_header(path)
        assert path.stat().st_size < 200_000
    elif damage == "zero_frames":
        _entry_with(path, scores=a.scores[:0], starts=a.starts[:0], centres=a.centres[:0])
    elif damage == "decreasing_centres":
        _entry_with(path, centres=a.centres[::-1].copy())
    elif damage == "classes_not_text":
        meta = json.loads(str(np.load(path)["meta"]))
        meta["classes"] = list(range(len(meta["classes"])))
        _entry_with(path, meta=np.array(json.dumps(meta)))
    else:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:  # a zip bomb's trick
            for k, v in arrays.items():
                import io

                b = io.BytesIO()
                np.save(b, v)
                z.writestr(f"{k}.npy", b.getvalue())
    assert cache.load(key) is None
    assert not path.exists()
    cache.store(key, a)
    _huge_header(path) if damage == "huge_npy_header" else None
    out_json = cdir.parent / "out.json"
    assert main(["analyze", str(wav), "--export-json", str(out_json)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    doc = json.loads(out_json.read_text())
    assert len(doc["frames"]) == a.n_frames
    assert cache.load(key) is not None  # healed: recomputed and stored again


def test_entry_of_the_previous_format_is_recomputed_not_misread(cdir, audio_dir, model, monkeypatch, capsys):
    """Format 1 kept the class names under "labels": such an entry, under its own key or under
    today's, is never read as an analysis; the next run recomputes and stores today's format."""
    import json
    import shutil

    from yamview.cli import main

    wav = audio_dir / "speech.wav"
    a = analyze(AudioFile(wav), model).result()
    key = cache.key_for(wav, model, a.framing)
    today = cache._VERSION
    monkeypatch.setattr(cache, "_VERSION", 1)
    old_key = cache.key_for(wav, model, a.framing)
    monkeypatch.setattr(cache, "_VERSION", today)
    assert today > 1 and old_key != key  # the version is part of the key: old entries simply miss

    old = cache.store(old_key, a)
    meta = json.loads(str(np.load(old)["meta"]))
    meta["version"], meta["labels"] = 1, meta.pop("classes")
    _entry_with(old, meta=np.array(json.dumps(meta)))
    shutil.copy(old, cache.entry_path(key))  # even under today's key it is not misread
    assert cache.load(key) is None and not cache.entry_path(key).exists()

    assert main(["analyze", str(wav), "--export-json", str(cdir.parent / "out.json")]) == 0
    assert "Traceback" not in capsys.readouterr().err
    healed = cache.load(key)
    assert healed is not None and healed.classes == model.classes
    assert json.loads(str(np.load(cache.entry_path(key))["meta"]))["version"] == today


def test_cache_stays_within_its_size_by_removing_least_recently_used(cdir, audio_dir, model, monkeypatch):
    import os
    import time

    a = analyze(AudioFile(audio_dir / "speech.wav"), model).result()
    one = cache.store("first", a).stat().st_size
    monkeypatch.setenv(cache.MAX_ENV_VAR, str(2.5 * one / 2**20))  # room for two entries
    cache.store("second", a)
    past = time.time() - 100
    os.utime(cdir / "first.npz", (past, past))
    os.utime(cdir / "second.npz", (past + 10, past + 10))
    assert cache.load("first") is not None  # used now: "second" is the least recently used
    stale = cdir / ".dead.npz.abc.tmp"  # a write killed an hour ago
    stale.write_bytes(b"x" * 100)
    os.utime(stale, (past - 4000, past - 4000))
    fresh = cdir / ".live.npz.def.tmp"  # a write in progress right now
    fresh.write_bytes(b"x")
    cache.store("third", a)
    assert sorted(p.name for p in cdir.glob("*.npz")) == ["first.npz", "third.npz"]
    assert not stale.exists() and fresh.exists()
    u = cache.usage()
    assert u.files == 2 and u.bytes <= u.limit
    assert "least recently used are removed" in u.describe() and cache.MAX_ENV_VAR in u.describe()


def test_overview_sidecar_damage_is_a_miss(tmp_path):
    from yamview.core import overview as ov

    o = ov.Overview(16000, 16000 * 3)
    o.push(np.sin(np.arange(16000 * 3) / 5).astype(np.float32))
    o.finish()
    path = tmp_path / "x-overview.npz"
    ov.save(o, path)
    assert ov.load(path) is not None
    path.write_bytes(path.read_bytes()[:-300])  # truncated: BadZipFile
    assert ov.load(path) is None and not path.exists()
    ov.save(o, path)
    _huge_header(path, "power.npy")
    assert ov.load(path) is None and not path.exists()

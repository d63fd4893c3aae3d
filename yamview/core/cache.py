"""Analysis results cached on disk, so reopening a file is instant.

An entry is keyed by (file content hash, model scores id, hop, kernels): renaming or moving a file
keeps its entry, editing it (or changing model, hop or kernels) misses. One entry is one ``.npz``
holding the arrays plus a JSON string of the rest, written to a temporary file and renamed into
place, so a crash, an error or a cancelled analysis never leaves a partial entry. Anything
unreadable or inconsistent counts as a miss (and is removed, so the next run recomputes it)
rather than an error: a cache is only a shortcut.

Bounded: an entry's arrays are checked against their file size before numpy allocates them,
and the folder is kept under ``max_bytes()`` (default 1 GiB, ``$YAMVIEW_CACHE_MAX_MB``) by
removing the least recently used files; loading an entry marks it used. Temporaries of killed
writes are removed after an hour.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from yamview.core.analysis import Analysis, AnalysisRun, Timings, analyze
from yamview.core.audio import AudioFile, Source
from yamview.core.files import clean_stale_temps, write_atomic
from yamview.core.framing import Framing
from yamview.core.pool import InterpreterPool

log = logging.getLogger(__name__)

ENV_VAR = "YAMVIEW_CACHE_DIR"
MAX_ENV_VAR = "YAMVIEW_CACHE_MAX_MB"
DEFAULT_MAX_MB = 1024
_BLOCK = 1 << 20  # 1 MiB: big enough that hashing runs at disk speed
_VERSION = 2  # bump when the entry layout changes: old entries then simply miss (2: "classes")


def cache_dir(directory: str | os.PathLike | None = None) -> Path:
    """The argument, else ``$YAMVIEW_CACHE_DIR``, else the user cache folder + ``/analyses``."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("yamview", appauthor=False)) / "analyses"


def file_hash(path: str | os.PathLike) -> str:
    """blake2b of the file's bytes (hex); ~1 GB/s, so even long recordings hash quickly."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def make_key(content_hash: str, model_sha256: str, hop: int, kernels: str) -> str:
    """The entry name for one (content, model, hop in samples, kernels) combination."""
    text = json.dumps([_VERSION, content_hash, model_sha256, int(hop), str(kernels)])
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def key_for(path: str | os.PathLike, model, framing: Framing) -> str:
    """The key of ``path`` analysed by ``model`` (the scores it gives, its kernels) with ``framing``."""
    kernels = getattr(model.kernels, "value", model.kernels)
    return make_key(file_hash(path), model.scores_id, framing.hop, kernels)


def entry_path(key: str, directory: str | os.PathLike | None = None) -> Path:
    return cache_dir(directory) / f"{key}.npz"


def max_bytes() -> int:
    """The cache folder's size limit: ``$YAMVIEW_CACHE_MAX_MB`` (0: no caching beyond the
    entry just written), else DEFAULT_MAX_MB."""
    text = os.environ.get(MAX_ENV_VAR, "")
    try:
        mb = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        log.warning("%s=%r is not a number of MB; using %d", MAX_ENV_VAR, text[:40], DEFAULT_MAX_MB)
        mb = DEFAULT_MAX_MB
    if not math.isfinite(mb) or mb < 0:
        mb = DEFAULT_MAX_MB
    return int(mb * (1 << 20))


@dataclass(frozen=True)
class Usage:
    """What the cache folder holds, for the UI."""

    folder: Path
    files: int
    bytes: int
    limit: int

    def describe(self) -> str:
        return (f"results cache {self.folder}: {self.files} files, {self.bytes / 2**20:.1f} MB of "
                f"{self.limit / 2**20:.0f} MB; beyond that the least recently used are removed "
                f"(set {MAX_ENV_VAR} to change the limit)")


def _entries(folder: Path) -> list[tuple[float, int, Path]]:
    out: list[tuple[float, int, Path]] = []
    try:
        paths = list(folder.glob("*.npz"))
    except OSError:
        return out
    for p in paths:
        try:
            st = p.lstat()
        except OSError:
            continue
        out.append((st.st_mtime, st.st_size, p))
    return out


def usage(directory: str | os.PathLike | None = None) -> Usage:
    folder = cache_dir(directory)
    entries = _entries(folder)
    return Usage(folder, len(entries), sum(size for _, size, _ in entries), max_bytes())


def evict(directory: str | os.PathLike | None = None, keep: Path | None = None,
          limit: int | None = None) -> list[Path]:
    """Remove least recently used files until the folder fits ``limit``; ``keep`` stays.

    Also removes stale temporaries of writes that were killed. Returns what was removed.
    """
    folder = cache_dir(directory)
    limit = max_bytes() if limit is None else limit
    removed = clean_stale_temps(folder)
    entries = sorted(_entries(folder))  # oldest use first
    total = sum(size for _, size, _ in entries)
    for _, size, p in entries:
        if total <= limit:
            break
        if keep is not None and p == keep:
            continue
        try:
            p.unlink()
        except OSError:
            continue
        total -= size
        removed.append(p)
    if removed:
        log.info("cache: removed %d files (limit %d MB)", len(removed), limit >> 20)
    return removed


def save_arrays(path: Path, arrays: dict) -> list[Path]:
    """Write one ``.npz`` into the cache folder atomically, then keep the folder in its bound.

    Returns the files evicted to make room.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: np.savez(f, **arrays), binary=True)
    return evict(path.parent, keep=path)


def _array_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The bytes numpy would allocate for one member, from its header; ValueError if it lies."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    if dtype.hasobject:
        raise ValueError(f"{info.filename} holds Python objects")
    n = dtype.itemsize * math.prod(shape)
    if n > info.file_size:
        raise ValueError(f"{info.filename} claims {n} bytes in {info.file_size}")
    return n


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of a cache ``.npz``, after checking each header against the real file size
    (a 34 KB file must not make numpy allocate 19 GiB). ValueError/OSError when damaged."""
    size = path.stat().st_size
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > max(size, 1) * 2 or any(
                i.compress_type != zipfile.ZIP_STORED for i in infos):
            raise ValueError("member sizes do not fit the file (np.savez stores, never compresses)")
        for info in infos:
            _array_bytes(archive, info)
    with np.load(path, allow_pickle=False) as z:  # never unpickle what sits on disk
        return {name: z[name] for name in z.files}


def store(key: str, analysis: Analysis, directory: str | os.PathLike | None = None) -> Path:
    """Write ``analysis`` under ``key`` atomically; returns the entry's path."""
    fr = analysis.framing
    meta = {
        "version": _VERSION, "name": analysis.name, "classes": list(analysis.classes),
        "duration": analysis.duration, "model_name": analysis.model_name,
        "model_sha256": analysis.model_sha256, "kernels": analysis.kernels, "threads": analysis.threads,
        "window": fr.window, "hop": fr.hop, "rate": fr.rate, "warnings": list(analysis.warnings),
        "source_rate": analysis.source_rate, "inference_s": analysis.timings.inference,
    }
    arrays = {"scores": analysis.scores, "starts": analysis.starts, "centres": analysis.centres,
              "meta": np.array(json.dumps(meta))}
    if analysis.embeddings is not None:
        arrays["embeddings"] = analysis.embeddings
    path = entry_path(key, directory)
    save_arrays(path, arrays)
    return path


def store_run(key: str, run: AnalysisRun, directory: str | os.PathLike | None = None) -> Path | None:
    """Store a run's result only if it finished; a cancelled run stores nothing (returns None)."""
    if run.cancelled:
        return None
    try:
        analysis = run.result()
    except RuntimeError:  # cancelled between the check and here
        return None
    return store(key, analysis, directory)


def load(key: str, directory: str | os.PathLike | None = None, name: str | None = None) -> Analysis | None:
    """The cached Analysis for ``key`` (renamed to ``name`` if given), or None on a miss or a
    damaged entry."""
    path = entry_path(key, directory)
    if not path.is_file():
        return None
    try:
        z = load_arrays(path)
        meta = json.loads(str(z["meta"]))
        analysis = _checked(meta, z, name)
    except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError, OverflowError,
            zipfile.BadZipFile) as exc:
        log.warning("cache entry %s unusable (%s); it will be recomputed", path.name, exc)
        path.unlink(missing_ok=True)
        return None
    try:
        os.utime(path)  # used now: eviction removes the least recently used first
    except OSError:
        pass
    return analysis


def _checked(meta, z: dict, name: str | None) -> Analysis:
    """The Analysis in an entry, or ValueError: every field is checked, as if hostile."""
    if not isinstance(meta, dict):
        raise TypeError("metadata is not an object")
    if meta.get("version") != _VERSION:
        raise ValueError(f"entry version {meta.get('version')}")
    classes = meta["classes"]
    if not isinstance(classes, list) or not classes or not all(isinstance(x, str) for x in classes):
        raise ValueError("classes are not a list of names")
    for field in ("name", "model_name", "model_sha256", "kernels"):
        if not isinstance(meta[field], str):
            raise ValueError(f"{field} is not text")
    scores, starts, centres = z["scores"], z["starts"], z["centres"]
    n = len(starts)
    if n == 0:
        raise ValueError("no frames")
    if scores.dtype != np.float32 or scores.shape != (n, len(classes)):
        raise ValueError("inconsistent array shapes")
    for what, times in (("starts", starts), ("centres", centres)):
        if times.dtype != np.float64 or times.shape != (n,):
            raise ValueError(f"{what} are not {n} float64 times")
        if not np.isfinite(times).all() or (n > 1 and not (np.diff(times) > 0).all()):
            raise ValueError(f"{what} are not increasing finite times")
    if not np.isfinite(scores).all():
        raise ValueError("non-finite scores")
    framing = Framing(window=int(meta["window"]), hop=int(meta["hop"]), rate=int(meta["rate"]))
    duration = float(meta["duration"])
    if not math.isfinite(duration) or duration < 0:
        raise ValueError("impossible duration")
    embeddings = z.get("embeddings")
    if embeddings is not None and (embeddings.ndim != 2 or len(embeddings) != n
                                   or not np.isfinite(embeddings).all()):
        raise ValueError("inconsistent embeddings")
    warnings = meta.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ValueError("warnings are not a list of text")
    source_rate = meta.get("source_rate")
    if source_rate is not None and (not isinstance(source_rate, int) or source_rate <= 0):
        raise ValueError("impossible source rate")
    inference = float(meta.get("inference_s", 0.0))
    if not math.isfinite(inference):
        raise ValueError("impossible timing")
    return Analysis(
        name=name if name is not None else meta["name"], classes=classes, scores=scores,
        starts=starts, centres=centres, duration=duration,
        model_name=meta["model_name"], model_sha256=meta["model_sha256"], kernels=meta["kernels"],
        threads=int(meta["threads"]), framing=framing, embeddings=embeddings, warnings=warnings,
        source_rate=source_rate, timings=Timings(inference=inference),
    )


class CachedAnalysis:
    """One file's analysis through the cache, the one flow the CLI and the inspector share.

    Creating it hashes the file and looks the result up (``cached``: an Analysis or None);
    on a miss, ``run()`` starts the analysis (optionally on a ``source`` that taps the decoded
    blocks) and ``store()`` files its result. With ``use_cache`` False nothing is read or written.
    ``embeddings`` asks for per-frame embeddings too: an entry stored without them is a miss.
    """

    def __init__(self, audio: AudioFile, model, hop_seconds: float | None = None, use_cache: bool = True,
                 name: str | None = None, directory: str | os.PathLike | None = None,
                 embeddings: bool = False, jobs: int | None = None,
                 pool: InterpreterPool | None = None) -> None:
        self.audio, self.model, self.hop_seconds, self.directory = audio, model, hop_seconds, directory
        self.embeddings = embeddings
        # Interpreters in parallel (None: one per core), or a pool shared with other files: the
        # scores do not depend on either.
        self.jobs, self.pool = jobs, pool
        self.framing = Framing.create(model.window, model.sample_rate, hop_seconds=hop_seconds)
        self.content: str | None = file_hash(audio.path) if use_cache else None
        self.key: str | None = None
        self.cached: Analysis | None = None
        if self.content is not None:
            kernels = getattr(model.kernels, "value", model.kernels)
            self.key = make_key(self.content, model.scores_id, self.framing.hop, kernels)
            self.cached = load(self.key, directory, name=name)
            if embeddings and self.cached is not None and self.cached.embeddings is None:
                self.cached = None

    def run(self, source: Source | None = None) -> AnalysisRun:
        return analyze(source or self.audio, self.model, hop_seconds=self.hop_seconds,
                       embeddings=self.embeddings, jobs=self.jobs, pool=self.pool)

    def store(self, analysis: Analysis) -> Path | None:
        """File ``analysis`` (raises OSError if the cache cannot be written); None if not caching."""
        return store(self.key, analysis, self.directory) if self.key is not None else None

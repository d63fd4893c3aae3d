"""Analysis results cached on disk, so reopening a file is instant.

An entry is keyed by (file content hash, model scores id, hop, kernels): renaming or moving a file
keeps its entry, editing it (or changing model, hop or kernels) misses. One entry is one ``.npz``
holding the arrays plus a JSON string of the rest, written to a temporary file and renamed into
place, so a crash, an error or a cancelled analysis never leaves a partial entry. Anything
unreadable counts as a miss (and is removed) rather than an error: a cache is only a shortcut.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np
import platformdirs

from yamview.core.analysis import Analysis, AnalysisRun, Timings, analyze
from yamview.core.audio import AudioFile, Source
from yamview.core.files import write_atomic
from yamview.core.framing import Framing

log = logging.getLogger(__name__)

ENV_VAR = "YAMVIEW_CACHE_DIR"
_BLOCK = 1 << 20  # 1 MiB: big enough that hashing runs at disk speed
_VERSION = 1  # bump when the entry layout changes: old entries then simply miss


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


def store(key: str, analysis: Analysis, directory: str | os.PathLike | None = None) -> Path:
    """Write ``analysis`` under ``key`` atomically; returns the entry's path."""
    fr = analysis.framing
    meta = {
        "version": _VERSION, "name": analysis.name, "labels": list(analysis.labels),
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
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: np.savez(f, **arrays), binary=True)
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
        with np.load(path, allow_pickle=False) as z:  # never unpickle what sits on disk
            meta = json.loads(str(z["meta"]))
            scores, starts, centres = z["scores"], z["starts"], z["centres"]
            embeddings = z["embeddings"] if "embeddings" in z.files else None
        if meta.get("version") != _VERSION:
            raise ValueError(f"entry version {meta.get('version')}")
        n = len(starts)
        if scores.dtype != np.float32 or scores.shape != (n, len(meta["labels"])) or centres.shape != (n,):
            raise ValueError("inconsistent array shapes")
        return Analysis(
            name=name if name is not None else meta["name"], labels=meta["labels"], scores=scores,
            starts=starts, centres=centres, duration=float(meta["duration"]),
            model_name=meta["model_name"], model_sha256=meta["model_sha256"], kernels=meta["kernels"],
            threads=int(meta["threads"]),
            framing=Framing(window=int(meta["window"]), hop=int(meta["hop"]), rate=int(meta["rate"])),
            embeddings=embeddings, warnings=list(meta.get("warnings", [])),
            source_rate=meta.get("source_rate"), timings=Timings(inference=float(meta.get("inference_s", 0.0))),
        )
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("cache entry %s unusable (%s); it will be recomputed", path.name, exc)
        path.unlink(missing_ok=True)
        return None


class CachedAnalysis:
    """One file's analysis through the cache, the one flow the CLI and the inspector share.

    Creating it hashes the file and looks the result up (``cached``: an Analysis or None);
    on a miss, ``run()`` starts the analysis (optionally on a ``source`` that taps the decoded
    blocks) and ``store()`` files its result. With ``use_cache`` False nothing is read or written.
    ``embeddings`` asks for per-frame embeddings too: an entry stored without them is a miss.
    """

    def __init__(self, audio: AudioFile, model, hop_seconds: float | None = None, use_cache: bool = True,
                 name: str | None = None, directory: str | os.PathLike | None = None,
                 embeddings: bool = False, jobs: int | None = None) -> None:
        self.audio, self.model, self.hop_seconds, self.directory = audio, model, hop_seconds, directory
        self.embeddings = embeddings
        self.jobs = jobs  # interpreters in parallel (None: one per core); the scores do not depend on it
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
                       embeddings=self.embeddings, jobs=self.jobs)

    def store(self, analysis: Analysis) -> Path | None:
        """File ``analysis`` (raises OSError if the cache cannot be written); None if not caching."""
        return store(self.key, analysis, self.directory) if self.key is not None else None

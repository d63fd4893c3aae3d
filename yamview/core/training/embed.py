"""Every frame's embedding for every recording of a training set, through the analysis cache.

The embeddings come from the one cached-analysis flow (``CachedAnalysis(..., embeddings=True)``)
and are filed with the analysis in the cache, so training again (another hop aside) decodes nothing and runs
no model: only new or edited files cost time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from yamview.core.audio import AudioError, AudioFile
from yamview.core.cache import CachedAnalysis
from yamview.core.framing import Framing
from yamview.core.model import Model

from .dataset import DatasetError, TrainingSet

log = logging.getLogger(__name__)

# progress(frames done, frames expected in all, name of the recording being embedded)
Progress = Callable[[int, int, str], None]


class Cancelled(Exception):
    """The caller cancelled the embedding run."""


@dataclass
class Embeddings:
    """Frames of a training set: ``x[i]`` is a frame of recording ``groups[i]``, class ``y[i]``."""

    x: np.ndarray  # float32 [frames, embedding size]
    y: np.ndarray  # int [frames], index into classes
    groups: np.ndarray  # int [frames], index into recordings
    classes: list[str]
    recordings: list[str]  # paths as text
    recording_labels: np.ndarray  # int [recordings]
    hop_seconds: float
    from_cache: int = 0  # recordings whose embeddings came from the cache


def embed_training_set(
    training_set: TrainingSet,
    model: Model,
    hop_seconds: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    use_cache: bool = True,
) -> Embeddings:
    """Embeddings of every frame of every recording; raises DatasetError for a model without an
    embedding, Cancelled when ``cancel`` is set."""
    from yamview.core.model import ModelError

    try:
        model = model.with_embeddings()
    except ModelError as exc:
        raise DatasetError(f"cannot train on this model: {exc}; training needs YAMNet (or a "
                           "model with its embedding tensor)") from None
    framing = Framing.create(model.window, model.sample_rate, hop_seconds=hop_seconds)
    total = sum(framing.count(int(r.duration * framing.rate)) for r in training_set.recordings)
    done = 0
    xs, ys, gs = [], [], []
    hits = 0
    for g, rec in enumerate(training_set.recordings):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if progress is not None:
            progress(done, total, rec.path.name)
        try:
            job = CachedAnalysis(AudioFile(rec.path), model, hop_seconds, use_cache=use_cache,
                                 name=str(rec.path), embeddings=True)
            analysis = job.cached
            if analysis is not None:
                hits += 1
            else:
                run = job.run()
                for frame in run:
                    if cancel is not None and cancel.is_set():
                        run.cancel()
                        raise Cancelled()
                    if progress is not None:
                        progress(done + frame.index + 1, total, rec.path.name)
                analysis = run.result()
                try:
                    job.store(analysis)  # scores and embeddings: a superset of a plain entry
                except OSError as exc:  # a cache is a shortcut: failing to fill it is fine
                    log.warning("cannot write the analysis cache: %s", exc)
        except AudioError as exc:
            raise DatasetError(f"{rec.path}: cannot be read: {exc}") from None
        emb = analysis.embeddings
        assert emb is not None
        done += len(emb)
        xs.append(emb)
        ys.append(np.full(len(emb), training_set.classes.index(rec.label)))
        gs.append(np.full(len(emb), g))
    if progress is not None:
        progress(done, max(done, total), "")
    return Embeddings(
        x=np.concatenate(xs).astype(np.float32, copy=False),
        y=np.concatenate(ys),
        groups=np.concatenate(gs),
        classes=list(training_set.classes),
        recordings=[str(r.path) for r in training_set.recordings],
        recording_labels=np.array([training_set.classes.index(r.label) for r in training_set.recordings]),
        hop_seconds=framing.hop_seconds,
        from_cache=hits,
    )

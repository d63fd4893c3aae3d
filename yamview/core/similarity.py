"""Find more like this: rank frames by cosine similarity of the model's embeddings.

The query is a frame or a time range (the mean of its frames' embeddings); the candidates are
every frame of one or more analyses (this recording, others analysed in the session or a
folder). Pure numpy: an hour of YAMNet frames (7,400 x 1024) ranks in a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Match:
    """Frame ``frame`` of recording ``source`` (an index into the searched analyses)."""

    source: int
    frame: int
    start: float  # the frame's start, seconds
    centre: float
    score: float  # cosine similarity in [-1, 1]


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (all-zero rows stay zero: they match nothing)."""
    e = np.asarray(embeddings, np.float32)
    norm = np.linalg.norm(e, axis=1, keepdims=True)
    return np.divide(e, norm, out=np.zeros_like(e), where=norm > 0)


def query_vector(embeddings: np.ndarray, frames: Sequence[int] | np.ndarray) -> np.ndarray:
    """The unit-length mean direction of the chosen frames' embeddings."""
    rows = unit_rows(np.asarray(embeddings)[np.asarray(frames, np.intp)])
    q = rows.mean(axis=0)
    n = float(np.linalg.norm(q))
    return q / n if n > 0 else q


def frames_in(centres: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Frames whose centre lies in [t0, t1]; the nearest one when none does (a click, not a drag)."""
    centres = np.asarray(centres)
    lo, hi = min(t0, t1), max(t0, t1)
    idx = np.flatnonzero((centres >= lo) & (centres <= hi))
    if len(idx) == 0 and len(centres):
        idx = np.array([int(np.argmin(np.abs(centres - (lo + hi) / 2)))])
    return idx


def rank(
    query: np.ndarray,
    analyses: Sequence,
    limit: int = 50,
    exclude: tuple[int, Sequence[int]] | None = None,
) -> list[Match]:
    """The ``limit`` frames most like ``query`` over every analysis with embeddings, best first.

    ``exclude`` = (analysis index, frames) leaves out the query's own frames.
    """
    found: list[Match] = []
    for k, a in enumerate(analyses):
        if a.embeddings is None or not len(a.embeddings):
            continue
        sims = unit_rows(a.embeddings) @ query.astype(np.float32)
        if exclude is not None and exclude[0] == k:
            sims[np.asarray(exclude[1], np.intp)] = -np.inf
        top = np.argsort(-sims, kind="stable")[:limit]
        found += [Match(k, int(i), float(a.starts[i]), float(a.centres[i]), float(sims[i]))
                  for i in top if np.isfinite(sims[i])]
    found.sort(key=lambda m: (-m.score, m.source, m.frame))
    return found[:limit]

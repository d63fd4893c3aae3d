"""Min/max decimation: draw a long signal with one point pair per pixel, peaks intact."""

from __future__ import annotations

import numpy as np


def peak_decimate(samples: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """(column index, y) tracing min then max of ``columns`` equal chunks of the newest samples.

    Samples that do not fill a whole chunk are dropped from the oldest end, so the newest sample
    is always drawn at the right edge.
    """
    n = len(samples) // columns * columns
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    chunks = samples[len(samples) - n :].reshape(columns, -1)
    y = np.empty(2 * columns, np.float32)
    y[0::2] = chunks.min(axis=1)
    y[1::2] = chunks.max(axis=1)
    return np.repeat(np.arange(columns), 2), y

"""Whole-file display data for the inspector, built while the file is decoded once.

Nothing keeps the samples: each block updates a min/max waveform envelope (at most ``max_bins``
bins for the whole file) and an averaged power spectrogram (at most ``max_columns`` columns),
so an hour of audio costs a few MB whatever its length. A column averages the power of several
FFT frames spread over it, so a long column shows what happened in it rather than one snapshot.
The same builder, given a time range, makes the detail spectrogram of a zoomed view.
"""

from __future__ import annotations

import logging
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from yamview.core import cache
from yamview.core.audio import AudioFile
from yamview.core.spectrum import Stft

log = logging.getLogger(__name__)
NFFT = 512
_VERSION = 1
MIN_DB = -140.0


class Overview:
    """Min/max envelope and averaged power spectrogram of a stream at ``rate``.

    ``start`` is the time (s) of the first sample pushed. Written by one thread (``push``), read
    by another: arrays are preallocated and the ``*_done`` counters move only after the data is
    in place, so a reader sees complete columns only.
    """

    def __init__(self, rate: int, total_samples: int, max_columns: int = 4000, max_bins: int = 20000,
                 min_column_seconds: float = 0.010, nfft: int = NFFT, start: float = 0.0) -> None:
        self.rate, self.nfft, self.start = int(rate), int(nfft), float(start)
        total = max(1, int(total_samples))
        self.col = max(1, int(round(min_column_seconds * rate)), math.ceil(total / max_columns))
        self.per_col = math.ceil(self.col / nfft)  # FFT frames averaged into one column
        self.fh = self.col / self.per_col  # their spacing (samples, may be fractional)
        self.wbin = max(1, math.ceil(total / max_bins))
        self.n_bins = nfft // 2 + 1
        self.power = np.zeros((self.n_bins, math.ceil(total / self.col) + 2), np.float32)
        self.wmin = np.zeros(math.ceil(total / self.wbin) + 2, np.float32)
        self.wmax = np.zeros_like(self.wmin)
        self.cols_done = 0
        self.bins_done = 0
        self.samples = 0
        self.finished = False
        self._stft = Stft(nfft)  # the same STFT (window, scaling) as the live spectrogram
        half = nfft // 2
        self._buf = np.zeros(half, np.float32)  # virtual zeros before the first sample
        self._base = -half  # absolute sample index of _buf[0]
        self._wcarry = np.zeros(0, np.float32)
        self._offsets = np.round((np.arange(self.per_col) + 0.5) * self.fh - half).astype(np.int64)

    # -- geometry --------------------------------------------------------------------------
    @property
    def column_seconds(self) -> float:
        return self.col / self.rate

    @property
    def bin_seconds(self) -> float:
        return self.wbin / self.rate

    @property
    def seconds(self) -> float:
        return self.samples / self.rate

    # -- building ----------------------------------------------------------------------------
    def push(self, block: np.ndarray) -> None:
        block = np.asarray(block, np.float32)
        if not len(block):
            return
        self._push_wave(block)
        self._buf = np.concatenate((self._buf, block))
        self.samples += len(block)
        self._columns(self._base + len(self._buf))

    def finish(self) -> None:
        """Flush the partial last bin and column (zero-padded)."""
        if self.finished:
            return
        if len(self._wcarry):
            self._store_wave(self._wcarry.min(keepdims=True), self._wcarry.max(keepdims=True))
            self._wcarry = np.zeros(0, np.float32)
        last = math.ceil(self.samples / self.col)  # columns that hold at least one sample
        if last > self.cols_done:
            need = last * self.col + self.nfft
            pad = max(0, need - (self._base + len(self._buf)))
            self._buf = np.concatenate((self._buf, np.zeros(pad, np.float32)))
            self._columns(self._base + len(self._buf), limit=last)
        self.finished = True

    def _push_wave(self, block: np.ndarray) -> None:
        data = np.concatenate((self._wcarry, block)) if len(self._wcarry) else block
        k = len(data) // self.wbin
        if k:
            chunks = data[: k * self.wbin].reshape(k, self.wbin)
            self._store_wave(chunks.min(axis=1), chunks.max(axis=1))
        self._wcarry = data[k * self.wbin :].copy()

    def _store_wave(self, lo: np.ndarray, hi: np.ndarray) -> None:
        n = self.bins_done + len(lo)
        if n > len(self.wmin):  # the duration was an estimate: grow (rare, small)
            grow = max(n, 2 * len(self.wmin))
            self.wmin = np.concatenate((self.wmin, np.zeros(grow - len(self.wmin), np.float32)))
            self.wmax = np.concatenate((self.wmax, np.zeros(grow - len(self.wmax), np.float32)))
        self.wmin[self.bins_done : n] = lo
        self.wmax[self.bins_done : n] = hi
        self.bins_done = n

    def _columns(self, available: int, limit: int | None = None) -> None:
        """Compute every column whose frames all lie before absolute sample ``available``."""
        c0 = self.cols_done
        # Column c needs samples up to c * col + offsets[-1] + nfft.
        c1 = (available - self.nfft - int(self._offsets[-1])) // self.col + 1
        if limit is not None:
            c1 = min(c1, limit)
        if c1 <= c0:
            return
        if c1 > self.power.shape[1]:
            grow = max(c1, 2 * self.power.shape[1])
            self.power = np.concatenate(
                (self.power, np.zeros((self.n_bins, grow - self.power.shape[1]), np.float32)), axis=1)
        starts = (np.arange(c0, c1, dtype=np.int64)[:, None] * self.col + self._offsets[None, :]).ravel()
        idx = (starts - self._base)[:, None] + np.arange(self.nfft)
        power = self._stft.power(self._buf[idx])
        power = power.reshape(c1 - c0, self.per_col, self.n_bins).mean(axis=1)
        self.power[:, c0:c1] = power.T
        self.cols_done = c1
        keep_from = c1 * self.col + int(self._offsets[0])  # first sample the next column needs
        drop = max(0, keep_from - self._base)
        if drop:
            self._buf = self._buf[drop:]
            self._base += drop

    # -- reading ------------------------------------------------------------------------------
    def envelope(self) -> tuple[np.ndarray, np.ndarray]:
        """(x seconds, y) tracing min then max of every finished bin (one curve, peaks intact)."""
        n = self.bins_done
        x = self.start + (np.repeat(np.arange(n), 2) + 0.5) * self.bin_seconds
        y = np.empty(2 * n, np.float32)
        y[0::2] = self.wmin[:n]
        y[1::2] = self.wmax[:n]
        return x, y

    def db(self, first: int = 0, last: int | None = None, matrix: np.ndarray | None = None) -> np.ndarray:
        """Columns ``first:last`` in dB, optionally mapped to display rows by ``matrix`` [rows, bins]."""
        last = self.cols_done if last is None else last
        p = self.power[:, first:last]
        if matrix is not None:
            p = matrix @ p
        return (10.0 * np.log10(np.maximum(p, 1e-14))).astype(np.float32)

    # -- storing (a sidecar of the analysis cache) ----------------------------------------------
    def arrays(self) -> dict:
        return {
            "power": self.power[:, : self.cols_done], "wmin": self.wmin[: self.bins_done],
            "wmax": self.wmax[: self.bins_done],
            "meta": np.array([_VERSION, self.rate, self.col, self.per_col, self.wbin, self.samples, self.nfft],
                             np.int64),
            "start": np.array(self.start),
        }

    @classmethod
    def from_arrays(cls, z) -> "Overview":
        version, rate, col, per_col, wbin, samples, nfft = (int(v) for v in z["meta"])
        if version != _VERSION:
            raise ValueError(f"overview version {version}")
        self = cls.__new__(cls)
        self.rate, self.nfft, self.start = rate, nfft, float(z["start"])
        self.col, self.per_col, self.fh, self.wbin = col, per_col, col / per_col, wbin
        self.n_bins = nfft // 2 + 1
        self.power = np.ascontiguousarray(z["power"], np.float32)
        self.wmin = np.asarray(z["wmin"], np.float32)
        self.wmax = np.asarray(z["wmax"], np.float32)
        if (self.power.ndim != 2 or self.power.shape[0] != self.n_bins or self.wmin.ndim != 1
                or self.wmin.shape != self.wmax.shape or min(rate, col, per_col, wbin, nfft) < 1
                or samples < 0):
            raise ValueError("inconsistent overview arrays")
        if not (np.isfinite(self.power).all() and np.isfinite(self.wmin).all() and np.isfinite(self.wmax).all()):
            raise ValueError("non-finite overview values")
        self.cols_done, self.bins_done, self.samples = self.power.shape[1], len(self.wmin), samples
        self.finished = True
        return self


def sidecar_path(directory: Path, content_hash: str, rate: int) -> Path:
    return Path(directory) / f"{content_hash}-overview-{rate}-v{_VERSION}.npz"


def save(overview: Overview, path: Path) -> list[Path]:
    """Atomically, like the analysis cache entry it accompanies (and within the cache's bound)."""
    return cache.save_arrays(path, overview.arrays())


def load(path: Path) -> Overview | None:
    """The stored overview, or None (missing or damaged: it is only a shortcut, and a damaged
    one is removed so the next open rebuilds it)."""
    if not path.is_file():
        return None
    try:
        overview = Overview.from_arrays(cache.load_arrays(path))
        try:
            os.utime(path)  # used now (least recently used files are evicted first)
        except OSError:
            pass
        return overview
    except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError, zipfile.BadZipFile) as exc:
        log.warning("overview %s unusable (%s); recomputing", path.name, exc)
        path.unlink(missing_ok=True)
        return None


@dataclass
class Detail:
    """A finer spectrogram and envelope of a time range (for a zoomed view)."""

    t0: float
    t1: float
    overview: Overview


def compute_detail(path: str | os.PathLike, rate: int, t0: float, t1: float, columns: int,
                   stale: Callable[[], bool] = lambda: False) -> Detail | None:
    """Decode ``[t0, t1]`` only and build its display data at about ``columns`` columns.

    Memory is bounded whatever the range (the builder keeps no samples). Returns None when
    ``stale()`` turns true mid-way (the view moved on).
    """
    audio = AudioFile(path)
    native = audio.rate
    first = int(round(max(0.0, t0) * native))
    start = first / native
    span = max(1, int((t1 - start) * rate))
    ov = Overview(rate, span, max_columns=max(16, columns), max_bins=max(32, 2 * columns),
                  min_column_seconds=0.004, start=start)
    need = span + NFFT
    for block in audio.blocks(rate, start=start):
        if stale():
            return None
        take = block[: need - ov.samples]
        ov.push(take)
        if ov.samples >= need:
            break
    ov.finish()
    return Detail(start, start + ov.samples / rate, ov)


def frame_samples(path: str | os.PathLike, rate: int, start_sample: int, window: int) -> np.ndarray:
    """The ``window`` model-rate samples from ``start_sample``, as the whole-file decode made them.

    The file is decoded from a point a second or so earlier at which both rates fall on a whole
    sample, so the streaming resampler is in the same state as in the full pass (measured:
    within 3e-7 of the full decode); past the end of the file, zeros (as the last frame is padded).
    """
    audio = AudioFile(path)
    native = audio.rate
    g = math.gcd(native, rate)
    unit, native_unit = rate // g, native // g  # model samples / file frames per aligned step
    preroll = 0 if native == rate else rate  # 1 s lets the resampler settle
    s0 = max(0, start_sample - preroll) // unit * unit
    first = s0 // unit * native_unit
    out = np.zeros(window, np.float32)
    got = 0
    skip = start_sample - s0
    for block in audio.blocks(rate, start=first / native):
        if skip >= len(block):
            skip -= len(block)
            continue
        part = block[skip : skip + window - got]
        skip = 0
        out[got : got + len(part)] = part
        got += len(part)
        if got >= window:
            break
    return out


def blocks_into(overview: Overview, blocks: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    """Pass ``blocks`` through, feeding each to ``overview`` on the way."""
    for block in blocks:
        overview.push(block)
        yield block

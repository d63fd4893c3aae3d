"""Short-time spectra for the scrolling spectrogram, and frequency scales (linear, log, mel).

Columns are computed incrementally: the view asks only for the columns that new audio made
complete, so the cost per display frame is a handful of FFTs, whatever the history length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALES = ("linear", "log", "mel")


class Stft:
    """Hann-windowed power spectra of ``nfft``-sample frames, scaled so that a full-scale sine
    reads about 0 dB: the one short-time Fourier transform behind every spectrogram (the live
    view, the inspector's overview and detail)."""

    def __init__(self, nfft: int) -> None:
        self.nfft = int(nfft)
        self.n_bins = self.nfft // 2 + 1
        self.window = np.hanning(self.nfft).astype(np.float32)
        self._norm2 = np.float32((2.0 / self.window.sum()) ** 2)

    def power(self, frames: np.ndarray) -> np.ndarray:
        """float32 [n, n_bins] power of each row of ``frames`` [n, nfft]."""
        spec = np.fft.rfft(frames * self.window, axis=1)
        return (spec.real**2 + spec.imag**2).astype(np.float32) * self._norm2


def hz_to_mel(f):
    """HTK mel (the scale YAMNet's own log-mel front end uses)."""
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * np.expm1(np.asarray(m, dtype=np.float64) / 1127.0)


@dataclass(frozen=True)
class FrequencyScale:
    """Maps Hz to a display axis value and back; ``rows`` display rows from ``fmin`` to ``fmax``."""

    kind: str
    fmin: float
    fmax: float

    def __post_init__(self) -> None:
        if self.kind not in SCALES:
            raise ValueError(f"unknown frequency scale {self.kind!r}; use one of {SCALES}")

    @classmethod
    def create(cls, kind: str, rate: int) -> "FrequencyScale":
        nyquist = rate / 2
        # A log axis needs a floor; 50 Hz keeps mains hum visible without wasting rows.
        return cls(kind, 50.0 if kind == "log" else 0.0, nyquist)

    def to_axis(self, hz):
        hz = np.asarray(hz, dtype=np.float64)
        if self.kind == "linear":
            return hz
        if self.kind == "log":
            return np.log10(np.maximum(hz, 1e-3))
        return hz_to_mel(hz)

    def from_axis(self, value):
        value = np.asarray(value, dtype=np.float64)
        if self.kind == "linear":
            return value
        if self.kind == "log":
            return 10.0**value
        return mel_to_hz(value)

    @property
    def axis_range(self) -> tuple[float, float]:
        return float(self.to_axis(self.fmin)), float(self.to_axis(self.fmax))

    def row_matrix(self, n_bins: int, rate: int, rows: int) -> np.ndarray | None:
        """[rows, n_bins] interpolation from FFT bins to evenly spaced axis rows (None: identity)."""
        if self.kind == "linear":
            return None
        lo, hi = self.axis_range
        centres = self.from_axis(np.linspace(lo, hi, rows))
        bin_hz = np.arange(n_bins) * rate / (2 * (n_bins - 1))
        m = np.zeros((rows, n_bins), np.float32)
        pos = np.interp(centres, bin_hz, np.arange(n_bins))
        left = np.floor(pos).astype(int).clip(0, n_bins - 1)
        right = (left + 1).clip(0, n_bins - 1)
        frac = (pos - left).astype(np.float32)
        m[np.arange(rows), left] += 1 - frac
        m[np.arange(rows), right] += frac
        return m


class Spectrogram:
    """Magnitude spectra in dB of ``nfft``-sample Hann windows every ``hop`` samples."""

    def __init__(self, rate: int, nfft: int = 512, hop: int | None = None, scale: str = "linear",
                 rows: int = 160) -> None:
        self.rate, self.nfft = int(rate), int(nfft)
        self.hop = int(hop or rate // 100)  # 10 ms columns by default
        self.stft = Stft(self.nfft)
        self.set_scale(scale, rows)

    def set_scale(self, kind: str, rows: int = 160) -> None:
        self.scale = FrequencyScale.create(kind, self.rate)
        self.n_bins = self.nfft // 2 + 1
        self._matrix = self.scale.row_matrix(self.n_bins, self.rate, rows)
        self.rows = self.n_bins if self._matrix is None else rows

    def columns(self, samples: np.ndarray) -> np.ndarray:
        """dB columns [rows, n] for every full window in ``samples`` stepping by ``hop``."""
        n = 1 + (len(samples) - self.nfft) // self.hop if len(samples) >= self.nfft else 0
        if n <= 0:
            return np.zeros((self.rows, 0), np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(samples, self.nfft)[:: self.hop][:n]
        mag = np.sqrt(self.stft.power(frames))
        if self._matrix is not None:
            mag = mag @ self._matrix.T
        return (20.0 * np.log10(np.maximum(mag, 1e-7))).T.astype(np.float32)

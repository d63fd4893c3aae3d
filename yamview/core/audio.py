"""Audio input: decode any file libsndfile reads, in blocks, as mono float32 at the model's rate.

Nothing holds a whole file: blocks are decoded, downmixed by channel mean, and pushed through a
streaming soxr resampler, so a block edge leaves no seam and memory does not grow with length.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf
import soxr

from yamview.core.files import UnreadableFile, open_regular
from yamview.core.limits import MAX_AUDIO_RATE, MIN_AUDIO_RATE, is_special_path

# ~1.5 s at 44.1 kHz: large enough that per-block Python overhead is noise, small enough to
# keep memory flat and progress smooth.
DEFAULT_BLOCK = 1 << 16


# File name endings yamview offers and looks for when it scans a folder (libsndfile reads them).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".caf", ".w64",
                    ".opus")


def audio_files(paths: Iterable[str | os.PathLike]) -> list[str]:
    """The given paths, with each folder replaced by the audio files under it (sorted by path).

    A folder without audio files, or a path that does not exist (a typo), is kept as it is:
    opening it then says what is wrong.
    """
    out: list[str] = []
    for path in map(Path, paths):
        found = []
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*")
                           if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
        out += found or [str(path)]
    return out


def open_audio(path: str | os.PathLike) -> AudioFile:
    """``AudioFile(path)``, saying so when ``path`` is a folder with no audio files in it."""
    if Path(path).is_dir():
        raise AudioError(f"a folder with no audio files ({', '.join(AUDIO_EXTENSIONS)}) in it")
    return AudioFile(path)


class AudioError(Exception):
    """A file cannot be used as audio; the message is the reason, for a person."""


class TooShort(AudioError):
    """The audio resamples to no samples at all: there is nothing to score."""

    def __init__(self, rate: int) -> None:
        super().__init__(f"too short: no audio samples at the model's {rate} Hz")


# libsndfile's log line for a chunk whose size field is larger than what the file holds.
_TRUNCATED = re.compile(r"^(data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


@dataclass
class InputReport:
    """What had to be repaired in the samples, so the caller can tell the user."""

    nonfinite: int = 0  # NaN / Inf samples, replaced by 0
    clipped: int = 0  # samples beyond [-1, 1] (float files), clipped
    damaged: str = ""  # why decoding stopped before the end (a truncated or corrupt file)
    header: list[str] = field(default_factory=list)  # what the file's header got wrong

    def warnings(self) -> list[str]:
        out = list(self.header) + ([self.damaged] if self.damaged else [])
        if self.nonfinite:
            out.append(f"{self.nonfinite} NaN/Inf samples replaced by silence")
        if self.clipped:
            out.append(f"{self.clipped} samples beyond [-1, 1] clipped")
        return out


class Source(Protocol):
    """Anything that yields mono float32 blocks at a requested rate."""

    name: str

    def blocks(self, rate: int) -> Iterator[np.ndarray]: ...

    def duration(self) -> float | None: ...


def sanitize(block: np.ndarray, report: InputReport) -> np.ndarray:
    """Make samples safe for the model in place: NaN/Inf to 0, clip to [-1, 1]; count both."""
    finite = np.isfinite(block)
    if not finite.all():
        report.nonfinite += int(block.size - np.count_nonzero(finite))
        block[~finite] = 0.0
    peak = np.abs(block).max(initial=0.0)
    if peak > 1.0:
        report.clipped += int(np.count_nonzero(np.abs(block) > 1.0))
        np.clip(block, -1.0, 1.0, out=block)
    return block


def downmix(block: np.ndarray) -> np.ndarray:
    """[frames, channels] -> [frames] by channel mean (what YAMNet's own tooling does)."""
    if block.ndim == 1:
        return block
    if block.shape[1] == 1:
        return block[:, 0]
    channels = block.shape[1]
    if channels >= 8:
        return block.mean(axis=1, dtype=np.float32)
    # Column by column, not block.mean(axis=1): a reduction over a 2-wide inner axis is ~20x
    # slower (for a stereo FLAC it cost as much as decoding). Same float32 result: numpy sums
    # fewer than 8 values sequentially in float32, then divides by the count.
    out = block[:, 0].astype(np.float32, copy=True)
    for c in range(1, channels):
        np.add(out, block[:, c], out=out, dtype=np.float32)
    out /= np.float32(channels)
    return out


class Resampler:
    """Streaming resampler for one mono stream; a pass-through when the rates agree."""

    def __init__(self, in_rate: int, out_rate: int, quality: str = "HQ") -> None:
        self.in_rate, self.out_rate = int(in_rate), int(out_rate)
        self._stream = (
            None
            if self.in_rate == self.out_rate
            else soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32", quality=quality)
        )

    def push(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        if self._stream is None:
            return block
        return self._stream.resample_chunk(np.ascontiguousarray(block, dtype=np.float32), last=last)


class AudioFile:
    """An audio file on disk, checked on open, decoded lazily in blocks."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.report = InputReport()
        self._check_file()
        try:
            with sf.SoundFile(self.path) as f:
                self.rate, self.channels, self.frames = f.samplerate, f.channels, f.frames
                self.format, self.subtype = f.format, f.subtype
                log_text = f.extra_info
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
            raise AudioError(_friendly(exc)) from None
        except OSError as exc:
            raise AudioError(exc.strerror or str(exc)) from None
        if not MIN_AUDIO_RATE <= self.rate <= MAX_AUDIO_RATE:
            # A 32 KB file whose header says 1 Hz would be resampled into gigabytes.
            raise AudioError(f"its header gives a sample rate of {self.rate} Hz, outside "
                             f"{MIN_AUDIO_RATE}–{MAX_AUDIO_RATE} Hz (a damaged header?)")
        if self.frames == 0:
            raise AudioError("the file holds no audio samples")
        cut = _TRUNCATED.search(log_text or "")
        if cut and int(cut.group(3)) < int(cut.group(2)):
            self.report.header.append(
                f"the file is truncated: its header announces {int(cut.group(2))} bytes of audio, "
                f"{int(cut.group(3))} are there (analysing those)")

    def _check_file(self) -> None:
        """The reasons libsndfile would give badly ("System error.") or never (a FIFO hangs)."""
        try:
            fd = open_regular(self.path)
        except UnreadableFile as exc:
            raise AudioError(str(exc)) from None
        try:
            if os.fstat(fd).st_size == 0:
                if os.read(fd, 1) or is_special_path(self.path):
                    raise AudioError("it has no fixed size (a /proc or /sys file?), not an audio file")
                raise AudioError("the file is empty (0 bytes)")
        finally:
            os.close(fd)

    def duration(self) -> float:
        return self.frames / self.rate

    def describe(self) -> str:
        return (
            f"{self.path.name}: {self.format} {self.subtype}, {self.rate} Hz, "
            f"{self.channels} ch, {self.duration():.2f} s"
        )

    def blocks(self, rate: int, blocksize: int = DEFAULT_BLOCK, start: float = 0.0) -> Iterator[np.ndarray]:
        """Mono float32 blocks at ``rate``, from ``start`` seconds to the end of the file."""
        resampler = Resampler(self.rate, rate)
        out = np.empty((blocksize, self.channels), dtype=np.float32)
        decoded = 0
        try:
            with sf.SoundFile(self.path) as f:
                if start > 0:
                    f.seek(min(self.frames, int(round(start * self.rate))))
                while True:
                    n = f.read(blocksize, dtype="float32", always_2d=True, out=out)
                    n = len(n)
                    if n == 0:
                        break
                    decoded += n
                    # Mono is a view of ``out``, reused by the next read: copy it.
                    mono = out[:n, 0].copy() if self.channels == 1 else downmix(out[:n])
                    sanitize(mono, self.report)
                    block = resampler.push(mono)
                    if block.size:
                        yield block
                    if n < blocksize:
                        break
        except (sf.LibsndfileError, RuntimeError) as exc:
            at = decoded / self.rate
            if decoded == 0:
                raise AudioError(f"decoding failed at the start: {_friendly(exc)}") from None
            # A truncated or damaged file: what decoded is real audio, so analyse it and say so.
            self.report.damaged = (
                f"the file is damaged: decoding stopped at {start + at:.2f} s of {self.duration():.2f} s "
                f"({_friendly(exc)}); only the first {start + at:.2f} s were analysed")
        tail = resampler.push(np.zeros(0, np.float32), last=True)
        if tail.size:
            yield tail

    def read(self, rate: int) -> np.ndarray:
        """The whole file as one mono array at ``rate`` (for short clips, tests and playback)."""
        parts = list(self.blocks(rate))
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


class ArraySource:
    """Samples already in memory (tests, generated signals, recordings)."""

    def __init__(self, samples: np.ndarray, rate: int, name: str = "<array>") -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if samples.ndim == 2:
            samples = downmix(samples)
        self.samples = samples
        self.rate = int(rate)
        self.name = name
        self.report = InputReport()

    def duration(self) -> float:
        return len(self.samples) / self.rate

    def blocks(self, rate: int, blocksize: int = DEFAULT_BLOCK) -> Iterator[np.ndarray]:
        resampler = Resampler(self.rate, rate)
        for i in range(0, len(self.samples), blocksize):
            block = sanitize(self.samples[i : i + blocksize].copy(), self.report)
            out = resampler.push(block)
            if out.size:
                yield out
        tail = resampler.push(np.zeros(0, np.float32), last=True)
        if tail.size:
            yield tail


def _friendly(exc: Exception) -> str:
    """libsndfile's messages, minus the noise (it prefixes 'Error opening ...: ')."""
    text = str(exc).strip()
    if ": " in text and text.lower().startswith("error opening"):
        text = text.split(": ", 1)[1]
    low = text.lower()
    if "format not recognised" in low or "unknown format" in low:
        return "not a supported audio format (libsndfile cannot recognise it)"
    if "sf_info struct incomplete" in low or "channel count is zero" in low:
        return f"corrupt header ({text.rstrip('.')})"
    return text or type(exc).__name__

"""Fuzzing what yamview reads from files it did not write: label tracks, mappings, thresholds,
and WAV/FLAC headers. Whatever the bytes, the reader returns a result or raises its one error
type with a short message; never another exception, never a message that echoes the input."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yamview.core import labels_io, metrics
from yamview.core.audio import AudioError, AudioFile
from yamview.core.limits import MAX_AUDIO_RATE, MIN_AUDIO_RATE

CLASSES = ["Speech", "Dog", "Bark", "Music", "Chicken, rooster"]
MAX_MESSAGE = 600  # characters: a file name, a line number and a shortened quote
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that looks like label files: numbers, separators, quotes, names, BOMs and junk.
cell = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str),
                 st.sampled_from(CLASSES + ["", " ", '"', "\\", "=cmd", "Begin Time (s)", "End Time (s)",
                                            "Annotation", "start", "end", "label", "\ufeff", "é"]),
                 st.text(max_size=30))
line = st.lists(cell, max_size=10).flatmap(
    lambda cells: st.sampled_from(["\t", ",", " ", ";"]).map(lambda sep: sep.join(cells)))
label_text = st.lists(line, max_size=12).map("\n".join)


def _check_message(exc: Exception, data: str | bytes) -> None:
    text = str(exc)
    assert text and len(text) < MAX_MESSAGE, text[:200]
    assert "\n" not in text


@FUZZ
@given(text=label_text, fmt=st.sampled_from([None, "audacity", "raven", "csv"]))
def test_label_readers_fail_only_with_label_errors(tmp_path, text, fmt):
    path = tmp_path / "labels.txt"
    path.write_text(text, encoding="utf-8")
    try:
        labels = labels_io.read_labels(path, fmt)
    except labels_io.LabelError as exc:
        _check_message(exc, text)
        return
    assert labels
    for lab in labels:
        assert 0 <= lab.start <= lab.end and np.isfinite(lab.end)
    try:
        labels_io.map_labels(labels, CLASSES)
    except labels_io.LabelError as exc:
        _check_message(exc, text)


@FUZZ
@given(data=st.binary(max_size=400))
def test_label_readers_on_raw_bytes(tmp_path, data):
    path = tmp_path / "labels.txt"
    path.write_bytes(data)
    for read in (labels_io.read_audacity, labels_io.read_raven, labels_io.read_csv_labels):
        try:
            read(path)
        except labels_io.LabelError as exc:
            _check_message(exc, data)


@FUZZ
@given(text=label_text)
def test_mapping_and_thresholds_fail_only_with_their_errors(tmp_path, text):
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    try:
        mapping = labels_io.read_mapping(path, CLASSES)
        assert all(0 <= i < len(CLASSES) for targets in mapping.values() for i in targets)
    except labels_io.LabelError as exc:
        _check_message(exc, text)
    try:
        thr = metrics.load_thresholds(path, CLASSES)
        assert thr.shape == (len(CLASSES),) and ((thr >= 0) & (thr <= 1)).all()
    except metrics.ThresholdError as exc:
        _check_message(exc, text)


def _wav(rate: int, channels: int, bits: int, data_len: int, payload: bytes, fmt_tag: int = 1) -> bytes:
    block = max(1, channels * bits // 8)
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, (rate * block) & 0xFFFFFFFF, block & 0xFFFF, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", data_len) + payload
    return b"RIFF" + struct.pack("<I", len(body) & 0xFFFFFFFF) + body


@FUZZ
@given(rate=st.integers(0, 2**32 - 1), channels=st.integers(0, 70), bits=st.sampled_from([0, 8, 16, 24, 32, 64, 7]),
       data_len=st.integers(0, 2**32 - 1), payload=st.binary(max_size=2000),
       fmt_tag=st.sampled_from([1, 3, 0, 0xFFFE, 2, 17]))
def test_wav_headers(tmp_path, rate, channels, bits, data_len, payload, fmt_tag):
    path = tmp_path / "fuzz.wav"
    path.write_bytes(_wav(rate, channels, bits, data_len, payload, fmt_tag))
    try:
        audio = AudioFile(path)
    except AudioError as exc:
        _check_message(exc, b"")
        return
    # Opened: the header is sane, and decoding stays bounded by the bytes that are there.
    assert MIN_AUDIO_RATE <= audio.rate <= MAX_AUDIO_RATE and audio.channels >= 1
    total = 0
    try:
        for block in audio.blocks(16000):
            total += len(block)
            assert np.isfinite(block).all() and np.abs(block).max(initial=0) <= 1.0
    except AudioError as exc:
        _check_message(exc, b"")
    assert total <= 16000 * (len(payload) + 16) / MIN_AUDIO_RATE + 16000


@pytest.fixture(scope="module")
def flac_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("flac") / "tone.flac"
    t = np.arange(8000) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    return path.read_bytes()


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(4, 4000)))
def test_flac_headers(tmp_path, flac_bytes, edits, cut):
    """Bytes of a real FLAC's STREAMINFO and first frames changed, and the file cut anywhere."""
    data = bytearray(flac_bytes)
    for at, value in edits:
        data[at] = value
    if cut is not None:
        data = data[:cut]
    path = tmp_path / "fuzz.flac"
    path.write_bytes(bytes(data))
    try:
        audio = AudioFile(path)
        for block in audio.blocks(16000):
            assert np.isfinite(block).all()
    except AudioError as exc:
        _check_message(exc, b"")

"""Decoding, downmix and streaming resampling of real files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soxr

from yamview.core.audio import ArraySource, AudioError, AudioFile


def test_wav_at_model_rate_is_untouched(audio_dir):
    x, rate = sf.read(audio_dir / "speech.wav", dtype="float32")
    y = AudioFile(audio_dir / "speech.wav").read(16000)
    np.testing.assert_array_equal(x, y)


def test_streaming_resample_equals_one_shot(corpus_dir):
    path = corpus_dir / "esc10" / "001_Dog_bark__1-100032-A.ogg"
    raw, rate = sf.read(path, dtype="float32", always_2d=True)
    assert rate == 44100
    mono = raw.mean(axis=1, dtype=np.float32)
    whole = soxr.resample(mono, rate, 16000, quality="HQ")
    f = AudioFile(path)
    streamed = np.concatenate(list(f.blocks(16000, blocksize=4096)))  # many block edges
    assert abs(len(streamed) - len(whole)) <= 1
    n = min(len(whole), len(streamed))
    np.testing.assert_allclose(streamed[:n], whole[:n], atol=2e-4)


def test_long_file_decodes_in_blocks_equal_to_whole(corpus_dir):
    path = corpus_dir / "librosa" / "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg"  # 133 s stereo
    f = AudioFile(path)
    assert f.channels == 2 and f.duration() > 120
    sizes = [len(b) for b in f.blocks(f.rate)]
    assert max(sizes) <= 1 << 16 and len(sizes) > 50  # never the whole file at once
    small = np.concatenate(list(f.blocks(f.rate, blocksize=10_000)))
    whole, _ = sf.read(path, dtype="float32", always_2d=True)
    np.testing.assert_allclose(small, whole.mean(axis=1), atol=1e-6)


def test_six_channels_are_averaged(tmp_path):
    t = np.arange(16000) / 16000
    data = np.stack([np.sin(2 * np.pi * 440 * t) * (c + 1) / 10 for c in range(6)], axis=1).astype(np.float32)
    p = tmp_path / "six.wav"
    sf.write(p, data, 16000, subtype="FLOAT")
    y = AudioFile(p).read(16000)
    np.testing.assert_allclose(y, data.mean(axis=1), atol=1e-6)


def test_nan_inf_and_overrange_are_repaired_and_reported(tmp_path):
    data = np.zeros(16000, np.float32)
    data[10], data[11], data[12] = np.nan, np.inf, -np.inf
    data[100:110] = 3.0
    p = tmp_path / "weird.wav"
    sf.write(p, data, 16000, subtype="FLOAT")
    f = AudioFile(p)
    y = f.read(16000)
    assert np.isfinite(y).all() and np.abs(y).max() <= 1.0
    assert f.report.nonfinite == 3 and f.report.clipped == 10
    assert any("NaN/Inf" in w for w in f.report.warnings())


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "folder"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("just some text, renamed\n" * 20), "not a supported audio format"),
    ],
)
def test_bad_files(tmp_path, make, message):
    p = tmp_path / "x.wav"
    make(p)
    with pytest.raises(AudioError, match=message):
        AudioFile(p)


def test_zero_sample_wav(tmp_path):
    p = tmp_path / "zero.wav"
    sf.write(p, np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioError, match="no audio samples"):
        AudioFile(p)


def test_truncated_header(tmp_path, audio_dir):
    p = tmp_path / "trunc.wav"
    p.write_bytes((audio_dir / "speech.wav").read_bytes()[:30])
    with pytest.raises(AudioError):
        AudioFile(p)


def test_array_source_resamples(tmp_path):
    t = np.arange(48000) / 48000
    src = ArraySource(np.sin(2 * np.pi * 1000 * t).astype(np.float32), 48000)
    y = np.concatenate(list(src.blocks(16000)))
    assert abs(len(y) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(y[:16000]))
    assert abs(np.argmax(spectrum) - 1000) <= 1  # 1 Hz bins: the tone stays at 1 kHz


def test_truncated_flac_is_analysed_as_far_as_it_decodes(scape, model, tmp_path):
    from yamview.core.analysis import analyze

    full = tmp_path / "full.flac"
    sf.write(full, sf.read(scape.wav, dtype="float32")[0], 16000, format="FLAC")
    data = full.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) * 6 // 10])
    whole = analyze(AudioFile(full), model).result()
    part = analyze(AudioFile(cut), model).result()
    assert not whole.warnings
    assert len(part.warnings) == 1 and "damaged" in part.warnings[0] and "only the first" in part.warnings[0]
    assert 0.4 * whole.duration < part.duration < 0.7 * whole.duration
    # Every frame inside the decoded part scores exactly as in the whole file.
    inside = int(np.searchsorted(part.starts + part.framing.window_seconds, part.duration, side="right"))
    assert inside > 10
    assert np.array_equal(part.scores[:inside], whole.scores[:inside])

"""core/spectrum.py (the live spectrogram's columns and frequency scales) and core/decimate.py."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core.decimate import peak_decimate
from yamview.core.spectrum import FrequencyScale, Spectrogram, hz_to_mel, mel_to_hz

RATE = 16000


def tone(hz: float, seconds: float = 1.0, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_full_scale_sine_reads_about_0_db_in_its_bin():
    spec = Spectrogram(RATE, nfft=512, hop=160, scale="linear")
    cols = spec.columns(tone(1000.0))
    assert cols.shape == (257, 1 + (RATE - 512) // 160)
    peak_bin = int(np.argmax(cols[:, 10]))
    assert peak_bin == round(1000 / (RATE / 512))
    assert cols[peak_bin, 10] == pytest.approx(0.0, abs=1.5)  # Hann scalloping stays under 1.5 dB
    assert np.median(cols[:, 10]) < -60  # far from the tone: near the floor


def test_columns_need_a_whole_window_and_step_by_the_hop():
    spec = Spectrogram(RATE, nfft=512, hop=100, scale="linear")
    assert spec.columns(np.zeros(511, np.float32)).shape == (257, 0)
    assert spec.columns(np.zeros(512, np.float32)).shape[1] == 1
    assert spec.columns(np.zeros(512 + 99, np.float32)).shape[1] == 1
    assert spec.columns(np.zeros(512 + 100, np.float32)).shape[1] == 2
    silent = spec.columns(np.zeros(2048, np.float32))
    assert np.all(silent == pytest.approx(-140.0))  # the floor, never -inf


@pytest.mark.parametrize("kind", ["log", "mel"])
def test_log_and_mel_rows_put_the_tone_where_the_axis_says(kind):
    spec = Spectrogram(RATE, nfft=512, hop=160, scale=kind, rows=120)
    cols = spec.columns(tone(2000.0))
    assert cols.shape[0] == 120
    lo, hi = spec.scale.axis_range
    row = int(np.argmax(cols[:, 5]))
    hz = float(spec.scale.from_axis(lo + (row / 119) * (hi - lo)))
    assert hz == pytest.approx(2000.0, rel=0.08)


def test_scales_round_trip_and_reject_unknown_kinds():
    f = np.array([50.0, 440.0, 1000.0, 7999.0])
    assert np.allclose(mel_to_hz(hz_to_mel(f)), f)
    assert hz_to_mel(1000.0) == pytest.approx(1000.0, rel=0.01)  # HTK mel: ~1000 mel at 1 kHz
    for kind in ("linear", "log", "mel"):
        s = FrequencyScale.create(kind, RATE)
        assert s.fmax == RATE / 2 and np.allclose(s.from_axis(s.to_axis(f)), f)
    assert FrequencyScale.create("log", RATE).fmin == 50.0
    assert FrequencyScale.create("linear", RATE).row_matrix(257, RATE, 100) is None
    with pytest.raises(ValueError, match="unknown frequency scale"):
        FrequencyScale("bark", 0.0, 8000.0)


def test_peak_decimate_keeps_peaks_and_the_newest_sample_at_the_right_edge():
    x = np.zeros(1003, np.float32)
    x[500] = 1.0  # one-sample click: must survive decimation
    x[-1] = -0.75  # the newest sample
    cols, y = peak_decimate(x, 10)
    assert len(cols) == len(y) == 20 and list(cols[:4]) == [0, 0, 1, 1]
    assert y.max() == 1.0 and y[-2:].tolist() == [-0.75, 0.0]  # min then max of the last column
    # 1003 samples in 10 columns of 100: the 3 oldest are dropped, not the newest.
    x2 = x.copy()
    x2[:3] = 5.0
    assert peak_decimate(x2, 10)[1].max() == 1.0
    assert [len(a) for a in peak_decimate(np.zeros(5, np.float32), 10)] == [0, 0]


def test_inspector_overview_and_live_view_share_one_stft():
    """The same tone reads the same level in the whole-file overview and the live spectrogram."""
    from yamview.core.overview import NFFT, Overview

    x = tone(1000.0, seconds=2.0, amplitude=0.5)
    ov = Overview(RATE, len(x), nfft=NFFT)
    ov.push(x)
    ov.finish()
    live = Spectrogram(RATE, nfft=NFFT, hop=160, scale="linear").columns(x)
    peak = round(1000 / (RATE / NFFT))
    mid = ov.cols_done // 2
    assert ov.db()[peak, mid] == pytest.approx(float(live[peak, 50]), abs=0.05)
    assert ov.db()[peak, mid] == pytest.approx(20 * np.log10(0.5), abs=1.5)

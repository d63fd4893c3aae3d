"""The inspector's Qt-free parts: the overview builder, frame decoding, the session's arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from yamview.core.analysis import analyze
from yamview.core.audio import ArraySource, AudioFile
from yamview.core.framing import Framing
from yamview.core.labels_io import Label
from yamview.core.metrics import FALSE_ALARM, HIT, MISS
from yamview.core import overview as ov
from yamview.gui.inspector.session import Session, column_max, error_display

RATE = 16000


def test_overview_envelope_and_spectrum_in_blocks():
    t = np.arange(RATE * 30) / RATE
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    x[RATE * 10] = -0.9  # one sample: the envelope must keep it
    o = ov.Overview(RATE, len(x), max_columns=300, max_bins=1000)
    for i in range(0, len(x), 12345):  # block edges anywhere
        o.push(x[i : i + 12345])
    o.finish()
    assert o.samples == len(x) and o.bins_done == 1000 and o.cols_done == 300
    assert o.column_seconds == pytest.approx(0.1) and o.per_col == 4
    _, y = o.envelope()
    assert y.min() == pytest.approx(-0.9) and y.max() == pytest.approx(0.5, abs=1e-3)
    db = o.db()
    peak_bin = int(np.argmax(db[:, 150]))
    assert peak_bin * RATE / ov.NFFT == pytest.approx(1000, abs=RATE / ov.NFFT)
    # Calibrated: a 0.5 amplitude sine reads about -6 dB, the same in every column.
    assert db[peak_bin, 10:-10].max() == pytest.approx(-6.0, abs=1.5)
    assert db[peak_bin, 10:-10].std() < 0.5


def test_overview_is_bounded_for_long_streams():
    o = ov.Overview(RATE, RATE * 3600)  # an hour, announced
    assert o.power.nbytes < 5e6 and o.wmin.nbytes < 1e5
    assert o.column_seconds == pytest.approx(0.9)


def test_overview_round_trips_through_the_sidecar(tmp_path):
    x = np.random.default_rng(0).standard_normal(RATE * 5).astype(np.float32) * 0.1
    o = ov.Overview(RATE, len(x))
    o.push(x)
    o.finish()
    path = ov.sidecar_path(tmp_path, "abc", RATE)
    ov.save(o, path)
    back = ov.load(path)
    np.testing.assert_array_equal(back.db(), o.db())
    np.testing.assert_array_equal(back.envelope()[1], o.envelope()[1])
    path.write_bytes(b"garbage")
    assert ov.load(path) is None and not path.exists()


def test_detail_covers_its_range_finer(tmp_path):
    x = np.random.default_rng(1).standard_normal(RATE * 20).astype(np.float32) * 0.1
    path = tmp_path / "n.wav"
    sf.write(path, x, RATE)
    d = ov.compute_detail(path, RATE, 5.0, 7.0, 800)
    assert d.t0 == pytest.approx(5.0) and d.t1 >= 7.0
    # As fine as asked, down to 4 ms columns (finer than that a 512-point FFT shows nothing new).
    assert d.overview.column_seconds == pytest.approx(0.004) and d.overview.cols_done >= 500
    wide = ov.compute_detail(path, RATE, 0.0, 16.0, 800)
    assert wide.overview.column_seconds == pytest.approx(16.0 / 800, rel=0.01)
    assert ov.compute_detail(path, RATE, 5.0, 7.0, 800, stale=lambda: True) is None


@pytest.mark.parametrize("clip", ["../audio/speech.wav", "esc10/002_Rain__1-17367-A.ogg"])
def test_frame_samples_are_the_samples_the_analysis_scored(corpus_dir, model, clip):
    path = corpus_dir / clip
    audio = AudioFile(path)
    full = audio.read(RATE)
    fr = Framing.create(model.window, RATE, hop_seconds=0.4875)
    n = fr.count(len(full))
    for i in (0, 3, n - 1):
        got = ov.frame_samples(path, RATE, i * fr.hop, fr.window)
        want = np.zeros(fr.window, np.float32)
        part = full[i * fr.hop : i * fr.hop + fr.window]
        want[: len(part)] = part
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_session_frame_at_uses_frame_centres(model):
    ref = analyze(ArraySource(np.zeros(RATE * 3, np.float32), RATE), model).result()
    s = Session(ref.classes, ref.framing, ref.duration)
    s.update_scores(ref.scores, ref.n_frames)
    for i, c in enumerate(ref.centres):
        assert s.frame_at(c) == i and s.frame_at(c + 0.2) == i and s.frame_at(c - 0.2) == i
    assert s.frame_at(-5) == 0 and s.frame_at(1e6) == ref.n_frames - 1


def test_session_scores_in_batches_rank_like_the_whole():
    rng = np.random.default_rng(2)
    scores = rng.random((50, 6), dtype=np.float32)
    fr = Framing(window=15600, hop=7800, rate=RATE)
    s = Session([f"c{i}" for i in range(6)], fr, 50 * 0.4875)
    for n in (7, 20, 50):
        s.update_scores(scores, n)
    assert s.ranked(3, "max") == list(np.argsort(-scores.max(0), kind="stable")[:3])
    assert s.ranked(3, "mean") == list(np.argsort(-scores.mean(0), kind="stable")[:3])


def test_session_thresholds_labels_and_async_events():
    fr = Framing(window=15600, hop=7800, rate=RATE)
    scores = np.zeros((20, 3), np.float32)
    scores[4:8, 1] = 0.9
    scores[12, 2] = 0.5
    s = Session(["a", "b", "c"], fr, 20 * 0.4875)
    s.update_scores(scores, 20)
    s.set_labels([Label(2.0, 4.0, "b")], [(1,)])
    codes = s.outcomes()
    assert (codes[4:8, 1] == HIT).all() and codes[12, 2] == FALSE_ALARM
    assert s.next_error(-1, 1) is not None
    s.set_threshold(2, 0.6)  # c's own threshold: its false alarm goes away
    assert s.outcomes()[12, 2] != FALSE_ALARM and s.thresholds()[2] == pytest.approx(0.6)
    version, compute = s.events_job()
    v, found = compute()
    assert v == version and [e.class_name for e in found] == ["b"]
    assert s.cached_events() is None and s.store_events(v, found) and s.cached_events() == found
    s.set_default_threshold(0.95)  # a change: older results are not kept
    assert not s.store_events(v, found) and s.cached_events() is None
    assert s.events() == []
    assert error_display(np.array([0, 1, 2, 3], np.int8)).tolist() == [0, 3, 2, 1]
    assert error_display(np.array([MISS], np.int8))[0] == 2


def test_column_max_keeps_single_frame_peaks():
    img = np.zeros((2, 10_000), np.float32)
    img[1, 5_001] = 1.0
    img2, left, width = column_max(img, 0.0, 0.5, 0.0, 5_000.0, 500)
    assert img2.shape[1] <= 520 and img2[1].max() == 1.0 and img2[0].max() == 0.0
    assert left <= 0.0 and left + width >= 5_000.0
    sub, left, width = column_max(img, 0.0, 0.5, 2_500.0, 2_510.0, 500)  # zoomed in: no reduction
    assert sub.shape[1] <= 24 and sub[1].max() == 1.0 and left <= 2_500.0
    assert column_max(img, 0.0, 0.5, -100.0, -50.0, 500) is None

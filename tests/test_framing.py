"""Window/hop arithmetic and the streaming framer."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core.framing import Framer, Framing

W, RATE = 15600, 16000


def yamnet(hop=None, overlap=None):
    return Framing.create(W, RATE, hop_seconds=hop, overlap=overlap)


def frames_of(framing, signal, block):
    framer = Framer(framing)
    out = []
    for i in range(0, len(signal), block):
        out += list(framer.push(signal[i : i + block]))
    return out + list(framer.finish())


def test_default_is_half_overlap():
    f = yamnet()
    assert f.hop == 7800 and f.hop_seconds == pytest.approx(0.4875)


@pytest.mark.parametrize("overlap, hop", [(0.0, 15600), (0.25, 11700), (0.5, 7800), (0.75, 3900)])
def test_android_overlaps_map_to_hops(overlap, hop):
    assert yamnet(overlap=overlap).hop == hop


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, 0),
        (8000, 1),  # 0.5 s: one padded frame
        (W, 1),  # exactly one window
        (W + 1, 2),  # one sample more needs a second (padded) frame
        (W + 7800, 2),
        (W + 7801, 3),
        (16000 * 3600, 1 + int(np.ceil((16000 * 3600 - W) / 7800))),
    ],
)
def test_frame_count(n, expected):
    assert yamnet().count(n) == expected


def test_times_are_starts_and_centres():
    f = yamnet(hop=0.1)
    np.testing.assert_allclose(f.starts(3), [0.0, 0.1, 0.2])
    np.testing.assert_allclose(f.centres(3), [0.4875, 0.5875, 0.6875])


@pytest.mark.parametrize("bad", [dict(hop=0.005), dict(hop=0.0), dict(overlap=1.0), dict(overlap=-0.1)])
def test_bad_hops(bad):
    with pytest.raises(ValueError):
        yamnet(**bad)


@pytest.mark.parametrize("n", [8000, W, W + 1, 5 * W + 123])
@pytest.mark.parametrize("block", [1000, 7800, 40000])
def test_framer_covers_every_sample_with_zero_padding(n, block):
    f = yamnet()
    signal = np.arange(1, n + 1, dtype=np.float32)  # no zeros: padding is visible
    frames = frames_of(f, signal, block)
    assert len(frames) == f.count(n)
    for i, frame in enumerate(frames):
        start = i * f.hop
        want = np.zeros(W, np.float32)
        part = signal[start : start + W]
        want[: len(part)] = part
        np.testing.assert_array_equal(frame, want)
    last_start = (len(frames) - 1) * f.hop
    assert last_start + W >= n  # every sample covered


def test_block_size_does_not_change_frames():
    rng = np.random.default_rng(1)
    signal = rng.uniform(-1, 1, 100_000).astype(np.float32)
    f = yamnet(hop=0.1)
    a = frames_of(f, signal, 333)
    b = frames_of(f, signal, 65536)
    assert len(a) == len(b) == f.count(len(signal))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n", [1, 15599, 15600, 15601, 40000, 16000 * 60])
@pytest.mark.parametrize("hop_s", [0.5, 0.975, 2.0, 61.0, 1e9])
def test_no_frame_starts_past_the_end(n, hop_s):
    """A hop longer than the window must not add a padding frame past the end (--hop 1e9 once
    added one starting at 1e9 s)."""
    f = Framing.create(15600, 16000, hop_seconds=hop_s)
    count = f.count(n)
    assert count >= 1
    assert (f.starts(count) * 16000 < n).all()
    covered = min(n, (count - 1) * f.hop + f.window)
    if f.hop <= f.window:
        assert covered == n  # every sample still in some frame
    framer = Framer(f)
    frames = list(framer.push(np.ones(n, np.float32))) + list(framer.finish())
    assert len(frames) == count


# -- the live worker's choice of frame (NewestFrame) ---------------------------------------------
def test_newest_frame_waits_for_a_whole_window_then_takes_each_frame_once():
    from yamview.core.framing import NewestFrame

    nf = NewestFrame()
    assert nf.take(10**6) is None  # no framing yet: nothing to score
    nf.reframe(Framing(window=15600, hop=7800, rate=16000))
    nf.restart(origin=1000)  # the ring already held 1000 samples when the source started
    assert nf.take(1000 + 15599) is None  # one sample short of the first window
    assert nf.take(1000 + 15600) == (0, 1000)
    assert nf.take(1000 + 15600 + 7799) is None  # frame 1 not complete, frame 0 taken already
    assert nf.take(1000 + 15600 + 7800) == (1, 1000 + 7800)
    assert nf.skipped == 0


def test_newest_frame_jumps_ahead_when_late_and_counts_what_it_skipped():
    from yamview.core.framing import NewestFrame

    nf = NewestFrame()
    nf.reframe(Framing(window=100, hop=10, rate=1000))
    assert nf.take(100) == (0, 0)
    # The scorer was busy while 5 more frames completed: only the newest is scored.
    assert nf.take(150) == (5, 50) and nf.skipped == 4
    assert nf.take(155) is None
    nf.drop()  # frame 6 failed to score: never retried
    assert nf.take(160) is None and nf.take(170) == (7, 70) and nf.skipped == 4
    nf.restart(origin=500)  # a new source: counts start again
    assert nf.skipped == 0 and nf.take(599) is None and nf.take(600) == (0, 500)


def test_new_hop_restarts_the_grid_at_the_newest_complete_window():
    from yamview.core.framing import NewestFrame

    nf = NewestFrame()
    nf.reframe(Framing(window=100, hop=50, rate=1000))
    assert nf.take(300) == (4, 200)
    nf.reframe(Framing(window=100, hop=25, rate=1000), total=330)  # hop changed mid-stream
    assert nf.origin == 230 and nf.take(330) == (0, 230) and nf.take(355) == (1, 255)
    nf.reframe(Framing(window=100, hop=25, rate=1000), total=400)  # the same framing: no restart
    assert nf.origin == 230

"""Events: smoothing, thresholds, merge gap, minimum duration; against a plain-loop reference."""

from __future__ import annotations

import numpy as np
import pytest

import soundscape
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile
from yamview.core.events import Event, events_from_analysis, find_events, smooth

HOP, WIN = 0.5, 1.0


def starts(n):
    return np.arange(n) * HOP


def as_tuples(events):
    return [(e.class_index, round(e.start, 9), round(e.end, 9), round(e.peak, 6)) for e in events]


def hand_cells(st, window, duration=None):
    """Each frame's cell by hand: halfway between neighbouring centres, ends at the file's ends."""
    n = len(st)
    hop = float(st[1] - st[0]) if n > 1 else window
    half = min(hop, window) / 2
    cells = []
    for i in range(n):
        lo, hi = float(st[i]) + window / 2 - half, float(st[i]) + window / 2 + half
        if hop <= window and i == 0:
            lo = float(st[0])
        if hop <= window and i == n - 1:
            hi = float(st[i]) + window
        if duration is not None:
            lo, hi = min(lo, duration), min(hi, duration)
        cells.append((lo, hi))
    return cells


def reference_events(scores, st, window, thr, k=1, min_duration=0.0, merge_gap=0.0):
    """The same definition written with loops over frames, as a person would."""
    n, c = len(scores), len(scores[0])
    cells = hand_cells(st, window)
    out = []
    for j in range(c):
        sm = []
        for i in range(n):
            lo, hi = max(0, i - (k - 1) // 2), min(n, i + k // 2 + 1)
            sm.append(sum(float(scores[x][j]) for x in range(lo, hi)) / (hi - lo))
        runs, i = [], 0
        while i < n:
            if sm[i] >= thr[j]:
                b = i
                while i < n and sm[i] >= thr[j]:
                    i += 1
                runs.append([cells[b][0], cells[i - 1][1], max(float(scores[x][j]) for x in range(b, i))])
            else:
                i += 1
        merged = []
        for r in runs:
            if merged and r[0] - merged[-1][1] < merge_gap - 1e-9:
                merged[-1][1] = max(merged[-1][1], r[1])
                merged[-1][2] = max(merged[-1][2], r[2])
            else:
                merged.append(r)
        out += [(j, a, b, p) for a, b, p in merged if b - a >= min_duration - 1e-9]
    out.sort(key=lambda e: (e[1], e[0]))
    return [(j, round(a, 9), round(b, 9), round(p, 6)) for j, a, b, p in out]


def test_smooth_is_a_centred_moving_average_without_edge_loss():
    x = np.array([[0.0], [0.0], [0.9], [0.0], [0.3], [0.6]], np.float32)
    assert np.array_equal(smooth(x, 1), x)
    s3 = smooth(x, 3)[:, 0]
    assert s3 == pytest.approx([0.0, 0.3, 0.3, 0.4, 0.3, 0.45])  # edges average what exists
    s4 = smooth(x, 4)[:, 0]  # even k: one more frame after than before
    assert s4 == pytest.approx([0.3, 0.225, 0.3, 0.45, 0.3, 0.45])
    assert smooth(x, 3).dtype == np.float32


def test_runs_span_their_frames_cells_with_peak_frames():
    s = np.zeros((12, 2), np.float32)
    s[1:4, 0] = [0.6, 0.9, 0.7]  # frames 1-3: cells [0.75, 1.25] .. [1.75, 2.25]
    s[5, 0] = 0.8  # frame 5, one inactive frame later: a separate event
    s[8, 1] = 0.55
    ev = find_events(s, starts(12), WIN, 0.5, class_names=["A", "B"])
    assert ev == [Event(0, "A", 0.75, 2.25, pytest.approx(0.9)), Event(0, "A", 2.75, 3.25, pytest.approx(0.8)),
                  Event(1, "B", 4.25, 4.75, pytest.approx(0.55))]
    assert [(e.first, e.last, e.peak_frame) for e in ev] == [(1, 3, 2), (5, 5, 5), (8, 8, 8)]
    # Hop 0.25: cells are 0.25 s wide, still one event per run of active frames.
    ev = find_events(s, np.arange(12) * 0.25, WIN, 0.5)
    assert [(e.class_index, e.start, e.end) for e in ev] == [(0, 0.625, 1.375), (0, 1.625, 1.875),
                                                             (1, 2.375, 2.625)]


def test_events_at_the_file_edges_start_at_zero_and_are_clipped_to_the_end():
    s = np.zeros((6, 1), np.float32)
    s[0, 0] = s[5, 0] = 0.9  # the last frame's window [2.5, 3.5] runs past a 2.9 s file
    ev = find_events(s, starts(6), WIN, 0.5, duration=2.9)
    assert [(e.start, e.end) for e in ev] == [(0.0, 0.75), (2.75, 2.9)]
    assert find_events(s, starts(6), WIN, 0.5)[-1].end == 3.5  # no duration: the window's end


def test_merge_gap_min_duration_per_class_thresholds_and_subset():
    s = np.zeros((20, 3), np.float32)
    s[0, 0] = s[4, 0] = 0.9  # cells [0, 0.75] and [2.25, 2.75]: gap 1.5 s
    s[10:14, 1] = 0.4  # 4 frames: [5.25, 7.25]
    s[15, 2] = 0.2
    st = starts(20)
    assert len(find_events(s, st, WIN, 0.5, merge_gap=1.5)) == 2  # gap must be shorter than merge_gap
    merged = find_events(s, st, WIN, 0.5, merge_gap=1.51)
    assert [(e.start, e.end, e.first, e.last, e.peak_frame) for e in merged] == [(0.0, 2.75, 0, 4, 0)]
    thr = np.array([0.5, 0.3, 0.1], np.float32)
    assert [e.class_index for e in find_events(s, st, WIN, thr)] == [0, 0, 1, 2]
    assert [e.class_index for e in find_events(s, st, WIN, thr, min_duration=1.5)] == [1]
    assert [e.class_index for e in find_events(s, st, WIN, thr, classes=[2, 0])] == [0, 0, 2]
    with pytest.raises(ValueError, match="one threshold per class"):
        find_events(s, st, WIN, [0.5, 0.5])
    assert find_events(np.zeros((0, 3), np.float32), starts(0), WIN, 0.5) == []


@pytest.mark.parametrize("seed", range(6))
def test_matches_loop_reference_on_random_scores(seed):
    rng = np.random.default_rng(seed)
    scores = rng.random((60, 7), dtype=np.float32)
    thr = rng.uniform(0.3, 0.8, 7).astype(np.float32)
    k, gap, dur = int(rng.integers(1, 5)), float(rng.choice([0, 0.5, 1.2])), float(rng.choice([0, 1.0, 2.0]))
    st = np.arange(60) * 0.4875
    got = find_events(scores, st, 0.975, thr, smoothing=k, merge_gap=gap, min_duration=dur)
    want = reference_events(scores, st, 0.975, thr.tolist(), k, dur, gap)
    assert as_tuples(got) == want


def test_soundscape_events(corpus_dir, tmp_path, model):
    scape = soundscape.build(corpus_dir, tmp_path)
    a = analyze(AudioFile(scape.wav), model).result()
    ev = events_from_analysis(a, 0.5, smoothing=3, min_duration=1.0, merge_gap=1.0)
    speech = [e for e in ev if e.class_name == "Speech"]
    seg_a, seg_b, _ = scape.segments[2]
    assert len(speech) == 1 and speech[0].peak > 0.9
    assert abs(speech[0].start - seg_a) < 1.0 and abs(speech[0].end - seg_b) < 1.0
    for name, (a0, b0, _) in [("Dog", scape.segments[0]), ("Crying, sobbing", scape.segments[4])]:
        found = [e for e in ev if e.class_name == name]
        assert found and all(a0 - 1.0 <= e.start and e.end <= b0 + 1.0 for e in found), name

"""The presenter's Board as plain data (no Qt): motion, focus/hide lists, detections, roll-up."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core.ontology import Ontology
from yamview.gui.presenter.board import GLIDE_SECONDS, Board, BoardConfig, Focus, rollup_categories

LABELS = ["a", "b", "c", "d", "e", "f"]
DT = 1 / 60


def scores(**values) -> np.ndarray:
    s = np.zeros(len(LABELS), np.float32)
    for k, v in values.items():
        s[LABELS.index(k)] = v
    return s


def run(board: Board, raw: np.ndarray, t: float, seconds: float) -> float:
    board.feed(raw, t)
    for _ in range(round(seconds / DT)):
        t += DT
        board.tick(t)
    return t


@pytest.fixture(scope="module")
def lo(model, ontology_path):
    return Ontology.load(ontology_path).for_classes(model.classes)


def assert_stacked(rows) -> None:
    """No two rows overlap, and every row is a whole row (name, score) squeezed to its height."""
    rows = sorted(rows, key=lambda r: r.y)
    for upper, lower in zip(rows, rows[1:]):
        assert upper.y + upper.h <= lower.y + 1e-9, (upper, lower)
    for r in rows:
        assert r.name and 0.0 <= r.h <= 1.0 and r.alpha == 1.0


def test_resort_glides_without_overlap_over_250_ms():
    board = Board(LABELS, config=BoardConfig(top_n=3, attack=0.0, release=0.0, hysteresis=0.05))
    t = run(board, scores(a=0.9, b=0.6, c=0.3), 0.0, 1.0)
    assert board.shown() == ["a", "b", "c"]
    board.feed(scores(a=0.2, b=0.6, c=0.3), t)  # a falls from the top to the bottom row
    ys, t0, mid = {}, t, None
    for _ in range(40):
        t += DT
        board.tick(t)
        assert_stacked(board.rows)
        if mid is None and t - t0 >= GLIDE_SECONDS / 2:
            mid = [(r.name, r.leaving) for r in board.rows]
        for r in board.rows:
            if not r.leaving:
                ys.setdefault(r.name, []).append((t - t0, r.y, r.h))
    assert board.shown() == ["b", "c", "a"]
    # Midway, "a" folds at the top while it opens at the bottom: both are whole, named rows.
    assert mid == [("a", True), ("b", False), ("c", False), ("a", False)]
    b = [y for _, y, _ in ys["b"]]
    assert np.all(np.diff(b) <= 1e-9) and 0 < b[len(b) // 4] < 1 and b[-1] == 0  # slides up, no jitter
    a = ys["a"]
    assert np.all(np.diff([h for _, _, h in a]) >= -1e-9)  # opens steadily
    assert all((y, h) == (2, 1) for s, y, h in a if s >= GLIDE_SECONDS + DT)  # in place after ~250 ms
    assert [(r.name, r.y, r.h) for r in board.rows] == [("b", 0, 1), ("c", 1, 1), ("a", 2, 1)]


def test_rows_never_overlap_while_a_real_stream_reorders(model, corpus_dir):
    """ESC-10 clips one after the other: every display frame is checked."""
    from yamview.core.analysis import analyze
    from yamview.core.audio import AudioFile

    clips = [sorted((corpus_dir / "esc10").glob(f"{k}_*.ogg"))[0] for k in ("001", "009", "004", "002")]
    board = Board(list(model.classes), config=BoardConfig(top_n=5, threshold=0.1))
    t, frames = 0.0, 0
    for clip in clips:
        for frame in analyze(AudioFile(clip), model, hop_seconds=0.1):
            board.feed(frame.scores, t)
            for _ in range(6):  # 0.1 s hop at 60 fps
                t += DT
                board.tick(t)
                assert_stacked(board.rows)
                frames += 1
                shown = [r for r in board.rows if not r.leaving and not r.focus]
                assert all(r.value >= 0.1 for r in shown)  # the user's threshold
    assert frames > 300


def test_free_rows_follow_the_users_threshold():
    board = Board(LABELS, config=BoardConfig(top_n=5, attack=0.0, release=0.0, threshold=0.3))
    run(board, scores(a=0.9, b=0.35, c=0.29, d=0.08), 0.0, 0.5)
    assert board.shown() == ["a", "b"]
    board.set_threshold(0.05)
    run(board, scores(a=0.9, b=0.35, c=0.29, d=0.08), 0.5, 0.5)
    assert board.shown() == ["a", "b", "c", "d"]


def test_free_rows_use_a_calibrated_models_per_class_thresholds():
    """With per-class thresholds (a calibrated model's) each class is listed from its own."""
    board = Board(LABELS, config=BoardConfig(top_n=5, attack=0.0, release=0.0, threshold=0.3))
    board.class_thresholds = {"b": 0.5, "c": 0.1}
    run(board, scores(a=0.9, b=0.35, c=0.2, d=0.2), 0.0, 0.5)
    assert board.shown() == ["a", "c"]  # b under its 0.5, c over its 0.1, d under the global 0.3


def test_a_small_lead_swaps_after_the_hold_not_never():
    """Hysteresis delays a swap by a small lead; it never leaves the wrong order for long."""
    board = Board(LABELS, config=BoardConfig(top_n=3, attack=0.0, release=0.0, hysteresis=0.05, hold=1.0))
    t = run(board, scores(a=0.90, b=0.88, c=0.5), 0.0, 0.5)
    assert board.shown() == ["a", "b", "c"]
    t = run(board, scores(a=0.88, b=0.93, c=0.5), t, 0.5)  # b leads by 0.05: not clearly
    assert board.shown() == ["a", "b", "c"]  # held (hysteresis)
    run(board, scores(a=0.88, b=0.93, c=0.5), t, 0.6)  # ... but not for more than a second
    assert board.shown() == ["b", "a", "c"]


def test_close_scores_do_not_swap_every_frame():
    board = Board(LABELS, config=BoardConfig(top_n=2, attack=0.0, release=0.0, hysteresis=0.05))
    t, orders = 0.0, []
    for i in range(120):  # two classes alternating 0.50 / 0.52 every frame
        board.feed(scores(a=0.50 + 0.02 * (i % 2), b=0.52 - 0.02 * (i % 2)), t)
        t += DT
        board.tick(t)
        orders.append(tuple(board.shown()))
    assert len(set(orders)) == 1


def test_focus_is_pinned_at_zero_and_hidden_never_shown():
    cfg = BoardConfig(top_n=2, focus=(Focus("f", 0.5),), hidden=("a",), attack=0.0, release=0.0)
    board = Board(LABELS, config=cfg)
    board.tick(0.0)
    assert board.shown() == ["f"]  # before any audio: only the focus classes
    run(board, scores(a=0.99, b=0.4, c=0.3, d=0.2), 0.0, 0.5)
    assert board.shown() == ["b", "c", "f"] and board.row("f").value == 0
    assert board.slots == 3


def test_detections_count_rising_edges_with_rearm():
    board = Board(LABELS, config=BoardConfig(focus=(Focus("f", 0.5),)))
    t = 0.0
    for v in [0.1, 0.6, 0.7, 0.45, 0.6, 0.3, 0.55, 0.1]:  # 0.45 is above 0.8 x 0.5: no re-arm
        board.feed(scores(f=v), t)
        t += 0.1
    assert board.counts() == {"f": 2}
    board.feed(scores(f=0.1), t, count=True)
    board.feed(scores(f=0.9), t + 0.1, count=False)  # replays flash but are not counted
    assert board.counts() == {"f": 2}
    board.tick(t + 0.1)
    assert board.row("f").over and board.row("f").flash > 0.5


def test_hiding_a_class_hides_the_classes_below_it(lo, model):
    raw = np.zeros(len(model.classes), np.float32)
    raw[model.classes.index("Conversation")] = 0.9
    raw[model.classes.index("Bark")] = 0.4
    board = Board(model.classes, lo, BoardConfig(top_n=3, hidden=("Speech",), attack=0.0))
    assert "Conversation" in board.hidden_names and "Male speech, man speaking" in board.hidden_names
    board.feed(raw, 0.0)
    board.tick(0.1)
    assert "Conversation" not in board.shown() and board.shown()[0] == "Bark"


def test_rollup_categories_score_the_max_below_them(lo, model):
    cats = rollup_categories(lo, 1)
    assert set(cats) == set(lo.ontology.roots()) & set(lo.rollup_names)
    board = Board(model.classes, lo, BoardConfig(rollup=True, rollup_depth=3, focus=(Focus("Bark"),), attack=0.0))
    assert "Dog" in board.names and "Bark" in board.names  # Bark as a focus class
    rng = np.random.default_rng(1)
    raw = rng.random(len(model.classes)).astype(np.float32)
    uni = board.universe_scores(raw)
    names, rolled = lo.rollup(raw)
    for name in ("Dog", "Animal", "Bark"):
        assert uni[board.index[name]] == rolled[names.index(name)]
    board.feed(raw, 0.0)
    board.tick(0.1)
    assert board.crumb(board.index["Dog"]) == "Animal › Domestic animals, pets"

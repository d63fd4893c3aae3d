"""The presenter's Board as plain data (no Qt): motion, focus/hide lists, detections, roll-up."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core import assets
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
def lo(model):
    return Ontology.load(assets.ensure("ontology", allow_download=False)).for_labels(model.labels)


def test_resort_glides_monotonically_over_250_ms_without_jitter():
    board = Board(LABELS, config=BoardConfig(top_n=3, attack=0.0, release=0.0, hysteresis=0.05))
    t = run(board, scores(a=0.9, b=0.6, c=0.3), 0.0, 1.0)
    assert board.shown() == ["a", "b", "c"]
    board.feed(scores(a=0.2, b=0.6, c=0.3), t)  # a falls from the top to the bottom row
    ys = {}
    t0 = t
    for _ in range(40):
        t += DT
        board.tick(t)
        for r in board.rows:
            ys.setdefault(r.name, []).append((t - t0, r.y))
    assert board.shown() == ["b", "c", "a"]
    a = ys["a"]
    assert np.all(np.diff([y for _, y in a]) >= -1e-9)  # only ever moves down: no jitter
    assert all(y == 2 for s, y in a if s >= GLIDE_SECONDS + DT)  # arrived after ~250 ms
    assert 0 < [y for s, y in a if s >= GLIDE_SECONDS / 2][0] < 2  # and was on its way midway
    b = [y for _, y in ys["b"]]
    assert np.all(np.diff(b) <= 1e-9) and b[-1] == 0


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
    raw = np.zeros(len(model.labels), np.float32)
    raw[model.labels.index("Conversation")] = 0.9
    raw[model.labels.index("Bark")] = 0.4
    board = Board(model.labels, lo, BoardConfig(top_n=3, hidden=("Speech",), attack=0.0))
    assert "Conversation" in board.hidden_names and "Male speech, man speaking" in board.hidden_names
    board.feed(raw, 0.0)
    board.tick(0.1)
    assert "Conversation" not in board.shown() and board.shown()[0] == "Bark"


def test_rollup_categories_score_the_max_below_them(lo, model):
    cats = rollup_categories(lo, 1)
    assert set(cats) == set(lo.ontology.roots()) & set(lo.rollup_names)
    board = Board(model.labels, lo, BoardConfig(rollup=True, rollup_depth=3, focus=(Focus("Bark"),), attack=0.0))
    assert "Dog" in board.names and "Bark" in board.names  # Bark as a focus class
    rng = np.random.default_rng(1)
    raw = rng.random(len(model.labels)).astype(np.float32)
    uni = board.universe_scores(raw)
    names, rolled = lo.rollup(raw)
    for name in ("Dog", "Animal", "Bark"):
        assert uni[board.index[name]] == rolled[names.index(name)]
    board.feed(raw, 0.0)
    board.tick(0.1)
    assert board.crumb(board.index["Dog"]) == "Animal › Domestic animals, pets"

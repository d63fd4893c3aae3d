"""Find more like this: cosine similarity of YAMNet embeddings on real corpus clips."""

from __future__ import annotations

import numpy as np
import pytest

from yamview.core import similarity
from yamview.core.analysis import analyze
from yamview.core.audio import AudioFile


@pytest.fixture(scope="module")
def scape_emb(scape, model):
    return analyze(AudioFile(scape.wav), model, embeddings=True).result()


def segment_of(scape, t):
    return next(text for a, b, text in scape.segments if a <= t < b)


def test_frames_like_a_dog_bark_are_dog_barks(scape, scape_emb, corpus_dir, model):
    a0, _, text = scape.segments[0]
    assert text == "dog bark"
    query_frames = similarity.frames_in(scape_emb.centres, a0, a0 + 1.5)
    assert len(query_frames) >= 2
    q = similarity.query_vector(scape_emb.embeddings, query_frames)
    found = similarity.rank(q, [scape_emb], limit=5, exclude=(0, query_frames))
    assert len(found) == 5 and not {m.frame for m in found} & set(query_frames.tolist())
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert all(segment_of(scape, m.centre) == "dog bark" for m in found[:3])
    # Another recording of a dog outranks a recording of rain.
    other_dog = analyze(AudioFile(corpus_dir / "esc10/001_Dog_bark__1-100032-A.ogg"), model, embeddings=True).result()
    rain = analyze(AudioFile(corpus_dir / "esc10/002_Rain__3-132852-A.ogg"), model, embeddings=True).result()
    found = similarity.rank(q, [scape_emb, other_dog, rain], limit=200, exclude=(0, query_frames))
    best_dog = max(m.score for m in found if m.source == 1)
    best_rain = max(m.score for m in found if m.source == 2)
    assert best_dog > best_rain


def test_cosine_scores_match_a_hand_computation(scape_emb):
    e = scape_emb.embeddings
    q = similarity.query_vector(e, [10])
    found = similarity.rank(q, [scape_emb], limit=3)
    assert found[0].frame == 10 and found[0].score == pytest.approx(1.0, abs=1e-5)
    for m in found:
        hand = float(np.dot(e[m.frame], e[10]) / (np.linalg.norm(e[m.frame]) * np.linalg.norm(e[10])))
        assert m.score == pytest.approx(hand, abs=1e-5)
    assert similarity.frames_in(scape_emb.centres, 5.0, 5.0).tolist() == [int(np.argmin(abs(scape_emb.centres - 5.0)))]

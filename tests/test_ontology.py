"""AudioSet ontology: parents, breadcrumbs, roll-up, search, and clear errors for bad files."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from yamview.core.ontology import Ontology, OntologyError, load_default, unmatched_message


@pytest.fixture(scope="module")
def onto(ontology_path) -> Ontology:
    return Ontology.load(ontology_path)


@pytest.fixture(scope="module")
def lo(onto, model):
    return onto.for_classes(model.classes)


def test_loads_all_nodes(onto):
    assert len(onto) == 632
    assert set(onto.roots()) >= {"Animal", "Music", "Human sounds", "Sounds of things"}


def test_every_model_label_is_found(lo, model):
    assert len(model.classes) == 521
    assert lo.unmatched == [] and all(lo.matched)
    assert unmatched_message(lo) is None


def test_parents_and_path_of_bark(lo):
    assert lo.parents("Bark") == ["Dog"]
    assert lo.path("Bark") == ["Animal", "Domestic animals, pets", "Dog", "Bark"]
    assert lo.path("Bark")[-2:] == ["Dog", "Bark"]
    assert lo.path("Animal") == ["Animal"]
    assert "Bark" in lo.descendants("Dog") and "Dog" in lo.ancestors("Bark")
    assert lo.description("Bark").startswith("Principal communication sound")


def test_dag_node_has_several_parents_and_one_deterministic_path(onto):
    # Growling sits under Dog, Cat, Roaring cats and Canidae.
    assert len(onto.parents("Growling")) >= 2
    paths = {tuple(onto.path("Growling")) for _ in range(3)}
    assert len(paths) == 1
    path = onto.path("Growling")
    assert path[-1] == "Growling" and path[-2] in onto.parents("Growling")
    # Every path step is a real parent/child edge, starting at a root.
    assert path[0] in onto.roots()
    for parent, child in zip(path, path[1:]):
        assert child in onto.children(parent)
    # Ancestors cover every parent, not only the primary path.
    assert set(onto.parents("Growling")) <= set(onto.ancestors("Growling"))


def _rolled_by_recursion(onto, lo, scores):
    """Plain-Python reference: max over a node and everything below it, recursively."""
    memo = {}

    def best(name):
        if name not in memo:
            own = [float(scores[lo.index(name)])] if name in lo.classes else []
            below = [b for b in (best(c) for c in onto.children(name)) if b is not None]
            memo[name] = max(own + below) if own or below else None
        return memo[name]

    return {n.name: best(n.name) for n in onto.nodes}


def test_rollup_is_max_of_descendants(onto, lo):
    rng = np.random.default_rng(5)
    scores = rng.random(len(lo.classes), dtype=np.float32)
    names, rolled = lo.rollup(scores)
    expected = _rolled_by_recursion(onto, lo, scores)
    assert set(names) == {n for n, v in expected.items() if v is not None}
    assert len(names) >= 521 and rolled.dtype == np.float32
    for name, value in zip(names, rolled):
        assert value == pytest.approx(expected[name])
    # Bark -> Dog -> Domestic animals, pets -> Animal: a loud bark lifts all of them.
    scores[:] = 0
    scores[lo.index("Bark")] = 0.9
    by_name = dict(zip(*lo.rollup(scores)))
    for cat in ("Bark", "Dog", "Domestic animals, pets", "Animal"):
        assert by_name[cat] == pytest.approx(0.9)
    assert by_name["Music"] == 0


def test_rollup_of_a_history(lo):
    history = np.random.default_rng(1).random((7, len(lo.classes))).astype(np.float32)
    names, rolled = lo.rollup(history)
    assert rolled.shape == (7, len(names))
    np.testing.assert_array_equal(rolled[3], lo.rollup(history[3])[1])
    with pytest.raises(ValueError, match="521"):
        lo.rollup(np.zeros(10))


def test_custom_model_labels_are_reported_not_fatal(onto):
    lo = onto.for_classes(["class 0", "Bark", "class 2"])
    assert lo.unmatched == ["class 0", "class 2"]
    assert "2 of 3" in unmatched_message(lo)
    assert lo.description("class 0") == "" and lo.parents("class 0") == []
    assert lo.path("class 0") == ["class 0"]
    names, rolled = lo.rollup(np.array([0.5, 0.25, 0.75], dtype=np.float32))
    assert dict(zip(names, rolled))["Animal"] == 0.25
    with pytest.raises(KeyError):
        lo.description("no such thing")
    none = onto.for_classes(["class 0"])
    assert none.rollup(np.zeros(1, np.float32))[0] == []


def test_search_ranks_prefix_then_name_then_description(lo):
    hits = [lo.classes[i] for i in lo.search("dog")]
    assert hits[0] == "Dog"  # name prefix first
    assert hits[1:3] == ["Canidae, dogs, wolves", "Whimper (dog)"]  # then name substrings, a-z
    # "Bark" matches only through its description ("...dogs"), so it comes after name matches.
    assert "Bark" in hits[3:]
    name_hits = [h for h in hits if "dog" in h.lower()]
    assert hits[: len(name_hits)] == name_hits
    assert lo.search("BARK")[0] == lo.index("Bark")  # case-insensitive
    assert lo.search("") == list(range(len(lo.classes)))
    assert lo.search("zzzqqq") == []


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(OntologyError, match="ontology file not found"):
        Ontology.load(tmp_path / "ontology.json")


def test_truncated_json_is_a_clear_error(tmp_path, ontology_path):
    broken = tmp_path / "ontology.json"
    broken.write_bytes(ontology_path.read_bytes()[:5000])
    with pytest.raises(OntologyError, match="damaged.*invalid JSON"):
        Ontology.load(broken)


@pytest.mark.parametrize(
    "data, why",
    [
        ({"nodes": []}, "expected a non-empty JSON list"),
        ([], "expected a non-empty JSON list"),
        ([1, 2], "node 0 is a int"),
        ([{"id": "/m/1"}], "no 'name'"),
        ([{"id": "/m/1", "name": "A", "child_ids": "/m/2"}], "child_ids"),
        ([{"id": "/m/1", "name": "A", "child_ids": ["/m/9"]}], "unknown child id /m/9"),
        ([{"id": "/m/1", "name": "A"}, {"id": "/m/1", "name": "B"}], "appears twice"),
        (
            [{"id": "/m/1", "name": "A", "child_ids": ["/m/2"]},
             {"id": "/m/2", "name": "B", "child_ids": ["/m/1"]}],
            "cycle",
        ),
    ],
)
def test_wrong_shape_is_a_clear_error(tmp_path, data, why):
    path = tmp_path / "ontology.json"
    path.write_text(json.dumps(data))
    with pytest.raises(OntologyError, match=why) as info:
        Ontology.load(path)
    assert str(path) in str(info.value)


def test_load_default_turns_the_feature_off_with_a_message(tmp_path, caplog, ontology_path):
    messages = []
    assert load_default(tmp_path / "missing.json", report=messages.append) is None
    assert len(messages) == 1 and messages[0].startswith("Ontology off")
    assert "not found" in messages[0]
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with caplog.at_level(logging.WARNING, logger="yamview.core.ontology"):
        assert load_default(bad) is None
    assert "Ontology off" in caplog.text and "damaged" in caplog.text
    assert len(load_default(ontology_path)) == 632
    assert len(load_default()) == 632  # found via assets (models/ or ../shared), no download

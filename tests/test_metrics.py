"""Metrics on a real soundscape, checked against counts made by hand with plain loops."""

from __future__ import annotations

import time

import numpy as np
import pytest

from yamview.core import metrics
from yamview.core.labels_io import map_labels, read_audacity, read_mapping



@pytest.fixture(scope="module")
def analysis(scape_analysis):
    return scape_analysis


@pytest.fixture(scope="module")
def truth(scape, analysis, model):
    labels = read_audacity(scape.labels_txt)
    classes = map_labels(labels, model.classes, read_mapping(scape.mapping_csv, model.classes), scape.labels_txt)
    return metrics.truth_matrix(labels, classes, analysis.starts, analysis.framing.window_seconds, model.n_classes,
                                analysis.duration)


# -- the hand computation: plain Python, written from the rule, sharing no code with metrics.py --
def hand_cell(i, analysis):
    """Frame i's cell: halfway to the neighbouring centres; the first and last reach the ends."""
    hop, window = analysis.framing.hop_seconds, analysis.framing.window_seconds
    centre = i * hop + window / 2
    lo = 0.0 if i == 0 else centre - hop / 2
    hi = min(analysis.duration, i * hop + window if i == analysis.n_frames - 1 else centre + hop / 2)
    return lo, hi


def hand_labelled(seg_start, seg_end, cell):
    overlap = min(seg_end, cell[1]) - max(seg_start, cell[0])
    return overlap >= 0.5 * min(seg_end - seg_start, cell[1] - cell[0]) - 1e-9


def hand_counts(scape, analysis, thresholds):
    classes = analysis.classes
    counts = {}
    for c, name in enumerate(classes):
        hits = misses = fas = 0
        for i in range(analysis.n_frames):
            cell = hand_cell(i, analysis)
            is_labelled = False
            for a, b, text in scape.segments:
                if name in scape.mapping[text] and hand_labelled(a, b, cell):
                    is_labelled = True
            predicted = float(analysis.scores[i][c]) >= thresholds[c]
            if is_labelled and predicted:
                hits += 1
            elif is_labelled:
                misses += 1
            elif predicted:
                fas += 1
        counts[name] = (hits, misses, fas)
    return counts


def test_segment_best_class_matches_hand_and_corpus_labels(scape, analysis, model):
    labels = read_audacity(scape.labels_txt)
    assert [(l.start, l.end, l.text) for l in labels] == scape.segments  # frequency row skipped
    best = metrics.label_best(analysis.scores, labels, analysis.starts, analysis.framing.window_seconds,
                              analysis.duration)
    for k, (a, b, text) in enumerate(scape.segments):
        frames = [i for i in range(analysis.n_frames) if hand_labelled(a, b, hand_cell(i, analysis))]
        assert len(frames) >= 8  # 4.3 to 5 s segments at hop 0.4875 s
        means = [sum(float(analysis.scores[i][c]) for i in frames) / len(frames) for c in range(model.n_classes)]
        hand_best = max(range(model.n_classes), key=lambda c: (means[c], -c))
        assert best[k][0] == hand_best, text
        assert best[k][1] == pytest.approx(means[hand_best], abs=1e-6)
        # And it is what a person would call right: a target class or its generic parent.
        assert model.classes[hand_best] in scape.lenient[k], (text, model.classes[hand_best])


@pytest.mark.parametrize("kind", ["global", "per-class"])
def test_counts_precision_recall_equal_hand_values(scape, analysis, truth, model, kind):
    if kind == "global":
        thr = [0.3] * model.n_classes
    else:  # per-class thresholds, including some that turn hits into misses
        thr = [0.3] * model.n_classes
        for name, value in [("Dog", 0.95), ("Rain", 0.6), ("Speech", 0.99), ("Animal", 0.9)]:
            thr[model.classes.index(name)] = value
    m = metrics.evaluate(analysis.scores, truth, np.array(thr, np.float32), model.classes)
    hand = hand_counts(scape, analysis, np.array(thr, np.float32).tolist())
    for c, name in enumerate(model.classes):
        hits, misses, fas = hand[name]
        assert (m.hits[c], m.misses[c], m.false_alarms[c]) == (hits, misses, fas), name
        assert m.true_negatives[c] == analysis.n_frames - hits - misses - fas
        if hits + fas:
            assert m.precision[c] == pytest.approx(hits / (hits + fas))
        else:
            assert np.isnan(m.precision[c])
        if hits + misses:
            assert m.recall[c] == pytest.approx(hits / (hits + misses))
        else:
            assert np.isnan(m.recall[c])
    # The soundscape is labelled for all ten mapped classes and the model finds every one.
    mapped = {c for classes in scape.mapping.values() for c in classes}
    for name in mapped:
        c = model.classes.index(name)
        assert m.hits[c] + m.misses[c] >= 8
        assert m.hits[c] > 0, name
    tp = sum(h for h, _, _ in hand.values())
    fn = sum(x for _, x, _ in hand.values())
    fp = sum(x for _, _, x in hand.values())
    micro = m.micro()
    assert (micro["hits"], micro["misses"], micro["false_alarms"]) == (tp, fn, fp)
    assert micro["precision"] == pytest.approx(tp / (tp + fp)) and micro["recall"] == pytest.approx(tp / (tp + fn))


def test_outcome_lane_and_next_previous_error(analysis, truth, model):
    codes = metrics.outcomes(analysis.scores, truth, 0.3)
    assert codes.shape == analysis.scores.shape and codes.dtype == np.int8
    pred = analysis.scores >= 0.3
    assert np.array_equal(codes == metrics.HIT, pred & truth)
    assert np.array_equal(codes == metrics.MISS, ~pred & truth)
    assert np.array_equal(codes == metrics.FALSE_ALARM, pred & ~truth)
    errors = [i for i in range(len(codes)) if any(v in (metrics.MISS, metrics.FALSE_ALARM) for v in codes[i])]
    assert errors, "the model makes mistakes on this soundscape (parent classes fire unlabelled)"
    assert metrics.next_error(codes, -1) == errors[0]
    assert metrics.next_error(codes, errors[0]) == errors[1]
    assert metrics.next_error(codes, errors[-1]) is None
    assert metrics.next_error(codes, errors[1], step=-1) == errors[0]
    assert metrics.next_error(codes, errors[0], step=-1) is None
    dog = model.classes.index("Dog")
    dog_errors = [i for i in range(len(codes)) if codes[i, dog] in (metrics.MISS, metrics.FALSE_ALARM)]
    assert metrics.next_error(codes, -1, classes=[dog]) == (dog_errors[0] if dog_errors else None)


def test_labelled_rule_point_and_short_labels():
    starts = np.arange(10) * 0.5  # window 1.0: cells [0, 0.75], [0.75, 1.25], ..., [4.75, 5.5]
    from yamview.core.labels_io import Label

    point = metrics.label_frames(Label(2.2, 2.2, "x"), starts, 1.0)
    assert np.flatnonzero(point).tolist() == [3]  # cell [1.75, 2.25]
    short = metrics.label_frames(Label(2.1, 2.3, "x"), starts, 1.0)  # 0.2 s call: 0.15 s in cell 3
    assert np.flatnonzero(short).tolist() == [3]
    split = metrics.label_frames(Label(2.15, 2.35, "x"), starts, 1.0)  # half in each of two cells
    assert np.flatnonzero(split).tolist() == [3, 4]
    long = metrics.label_frames(Label(0.0, 2.2, "x"), starts, 1.0)  # needs half a cell inside
    assert np.flatnonzero(long).tolist() == [0, 1, 2, 3]
    past = metrics.label_frames(Label(4.6, 6.0, "x"), starts, 1.0, duration=5.0)  # last cell [4.75, 5]
    assert np.flatnonzero(past).tolist() == [9]


def test_evaluate_is_vectorised_for_live_sliders():
    rng = np.random.default_rng(0)
    scores = rng.random((7400, 521), dtype=np.float32)  # one hour at hop 0.4875 s
    truth = rng.random((7400, 521)) < 0.01
    classes = [f"c{i}" for i in range(521)]
    metrics.evaluate(scores, truth, 0.5, classes)
    t = time.perf_counter()
    for thr in (0.2, 0.4, 0.6):
        metrics.evaluate(scores, truth, thr, classes)
    assert (time.perf_counter() - t) / 3 < 0.25  # ~10 ms here; a per-frame loop takes seconds


def test_thresholds_csv_round_trip_and_errors(tmp_path, model):
    thr = np.full(model.n_classes, 0.3, np.float32)
    thr[model.classes.index("Crying, sobbing")] = 0.75
    thr[model.classes.index("Speech")] = 0.125
    path = tmp_path / "thr.csv"
    metrics.save_thresholds(path, thr, model.classes)
    assert path.read_text().splitlines()[0] == "class,threshold"
    assert np.array_equal(metrics.load_thresholds(path, model.classes), thr)
    # A partial file: listed classes take their value, the rest the default; names any case.
    part = tmp_path / "part.csv"
    part.write_text('"crying, SOBBING",0.8\n')
    got = metrics.load_thresholds(part, model.classes, default=0.2)
    assert got[model.classes.index("Crying, sobbing")] == np.float32(0.8)
    assert np.count_nonzero(got == np.float32(0.2)) == model.n_classes - 1
    for text, needle in [("class,threshold\nNot a class,0.5\n", "line 2: 'Not a class' is not a model class"),
                         ("Speech,high\n", "line 1: threshold 'high' is not a number"),
                         ("Speech,1.5\n", "line 1: threshold 1.5 is outside [0, 1]"),
                         ("Speech,0.5,extra\n", "line 1: expected class,threshold"),
                         ("", "empty")]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(metrics.ThresholdError) as e:
            metrics.load_thresholds(bad, model.classes)
        assert needle in str(e.value) and "bad.csv" in str(e.value)


def test_thresholds_as_dict(model):
    thr = metrics.thresholds_from({"speech": 0.9, "Dog": 0.25}, model.classes, default=0.4)
    assert thr[model.classes.index("Speech")] == np.float32(0.9) and thr[model.classes.index("Dog")] == np.float32(0.25)
    assert metrics.thresholds_dict(thr, model.classes, default=0.4) == {"Speech": pytest.approx(0.9), "Dog": 0.25}
    assert len(metrics.thresholds_dict(thr, model.classes)) == model.n_classes
    with pytest.raises(metrics.ThresholdError, match="'Wolf' is not a model class"):
        metrics.thresholds_from({"Wolf": 0.5}, model.classes)


# -- labelled-class averages, ontology-aware scoring, any-of mappings, error regions --------------
@pytest.fixture(scope="module")
def label_ontology(model):
    from yamview.core.ontology import load_default

    onto = load_default()
    assert onto is not None
    return onto.for_classes(model.classes)


def test_labelled_class_micro_and_macro_averages(analysis, truth, model):
    m = metrics.evaluate(analysis.scores, truth, 0.3, model.classes)
    mapped = sorted(model.classes.index(c) for c in
                    ["Dog", "Bark", "Rain", "Rain on surface", "Speech", "Chicken, rooster",
                     "Crowing, cock-a-doodle-doo", "Baby cry, infant cry", "Crying, sobbing"])
    assert m.labelled() == mapped
    hits = sum(int(m.hits[c]) for c in mapped)
    fas = sum(int(m.false_alarms[c]) for c in mapped)
    misses = sum(int(m.misses[c]) for c in mapped)
    micro = m.micro(mapped)
    assert (micro["hits"], micro["misses"], micro["false_alarms"]) == (hits, misses, fas)
    assert micro["precision"] == pytest.approx(hits / (hits + fas))
    macro = m.macro(mapped)
    assert macro["recall"] == pytest.approx(sum(hits_c / (hits_c + miss_c) for hits_c, miss_c in
                                                ((int(m.hits[c]), int(m.misses[c])) for c in mapped)) / len(mapped))
    # The point of the labelled scope: unlabelled parents (Animal, Silence...) drag the
    # all-class precision down, the labelled classes' own precision is much higher.
    assert micro["precision"] > m.micro()["precision"] + 0.1


def test_lenient_hits_and_explained_false_alarms_equal_hand_counts(analysis, truth, model, label_ontology):
    related = metrics.relatives(label_ontology, model.n_classes)
    m = metrics.evaluate(analysis.scores, truth, 0.3, model.classes, related=related)
    exact = metrics.evaluate(analysis.scores, truth, 0.3, model.classes)
    assert np.array_equal(m.hits, exact.hits) and np.array_equal(m.false_alarms, exact.false_alarms)
    names = model.classes
    family = {c: set(label_ontology.ancestors(names[c])) | set(label_ontology.descendants(names[c]))
              for c in range(model.n_classes)}
    labelled = [c for c in range(model.n_classes) if truth[:, c].any()]
    for c in labelled:
        hand = 0
        for i in range(analysis.n_frames):
            near = any(analysis.scores[i, names.index(n)] >= 0.3 for n in family[c] if n in names)
            if truth[i, c] and analysis.scores[i, c] < 0.3 and near:
                hand += 1
        assert m.lenient_hits[c] == hand, names[c]
    animal = names.index("Animal")
    hand_ex = sum(1 for i in range(analysis.n_frames)
                  if analysis.scores[i, animal] >= 0.3 and not truth[i, animal]
                  and any(truth[i, c] and "Animal" in family[c] for c in labelled))
    assert m.explained[animal] == hand_ex > 0  # Animal fires on the dog and the rooster
    lenient = m.micro(m.labelled())
    assert lenient["lenient_precision"] >= lenient["precision"]


def test_any_of_mapping_is_right_when_one_class_fires(scape, analysis, model, tmp_path):
    mapping_csv = tmp_path / "any.csv"
    mapping_csv.write_text('label,class\ndog bark,Dog | Howl\nrain,Rain\nrooster,"Chicken, rooster"\n'
                           'baby cry,"Baby cry, infant cry"\n', encoding="utf-8")
    mapping = read_mapping(mapping_csv, model.classes)
    labels = read_audacity(scape.labels_txt)
    classes = map_labels(labels, model.classes, mapping, scape.labels_txt)
    args = (analysis.starts, analysis.framing.window_seconds)
    truth = metrics.truth_matrix(labels, classes, *args, model.n_classes, analysis.duration)
    groups = metrics.any_of_groups(labels, classes, *args, analysis.duration)
    assert len(groups) == 1
    m = metrics.evaluate(analysis.scores, truth, 0.3, model.classes, any_of=groups)
    dog, bark = model.classes.index("Dog"), model.classes.index("Howl")  # Howl hardly fires here
    hand = {"Dog": [0, 0], "Bark": [0, 0]}  # [hits, misses]
    rows = groups[0][0]
    for i in np.flatnonzero(rows):
        d, b = analysis.scores[i, dog] >= 0.3, analysis.scores[i, bark] >= 0.3
        hand["Dog"][0] += d
        hand["Bark"][0] += b
        hand["Dog"][1] += not (d or b)
    assert (m.hits[dog], m.misses[dog]) == tuple(hand["Dog"])
    assert (m.hits[bark], m.misses[bark]) == (hand["Bark"][0], 0)
    all_of = metrics.evaluate(analysis.scores, truth | _both(rows, dog, bark, truth.shape), 0.3, model.classes)
    assert all_of.misses[bark] == np.count_nonzero(rows) - m.hits[bark] > 0 and m.misses[bark] == 0


def _both(rows, a, b, shape):
    t = np.zeros(shape, bool)
    t[rows, a] = t[rows, b] = True
    return t


def test_error_regions_are_runs_of_one_kind_and_class(analysis, truth, model):
    codes = metrics.outcomes(analysis.scores, truth, 0.3)
    regions = metrics.error_regions(codes)
    cells = sum(r.frames for r in regions)
    assert cells == int(np.count_nonzero((codes == metrics.MISS) | (codes == metrics.FALSE_ALARM)))
    for r in regions:
        run = codes[r.first : r.last + 1, r.class_index]
        assert (run == r.kind).all()
        assert r.first == 0 or codes[r.first - 1, r.class_index] != r.kind
        assert r.last == len(codes) - 1 or codes[r.last + 1, r.class_index] != r.kind
    assert [(r.first, r.class_index) for r in regions] == sorted((r.first, r.class_index) for r in regions)
    # Far fewer steps than frames: crossing a long miss is one step.
    assert len(regions) < cells
    first = metrics.next_region(regions, -1)
    assert first == regions[0]
    later = metrics.next_region(regions, first.first)
    assert later is not None and later.first > first.first
    assert metrics.next_region(regions, later.first, step=-1).first < later.first
    assert metrics.next_region(regions, regions[-1].first) is None
    dog = model.classes.index("Dog")
    only_dog = metrics.error_regions(codes, [dog])
    assert only_dog == [r for r in regions if r.class_index == dog]

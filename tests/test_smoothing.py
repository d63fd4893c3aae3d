"""Presenter smoothing and ranking: step responses, frame-rate independence, no swap storms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from yamview.core.smoothing import AttackRelease, StableRanking


def _run(smoother, values, dt, seconds):
    out = []
    for _ in range(round(seconds / dt)):
        out.append(smoother.step(values, dt).copy())
    return out


def test_step_up_follows_attack_and_down_follows_release():
    ar = AttackRelease(attack_s=0.2, release_s=1.0)
    one = np.ones(3, dtype=np.float32)
    y = _run(ar, one, 0.05, 0.2)[-1]
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, 1 - math.exp(-1), rtol=1e-5)  # 63 % after attack_s
    _run(ar, one, 0.05, 2.0)  # settle at 1
    y = _run(ar, np.zeros(3, np.float32), 0.05, 1.0)[-1]
    np.testing.assert_allclose(y, math.exp(-1), rtol=1e-4)  # 37 % left after release_s


def test_attack_and_release_apply_per_class():
    ar = AttackRelease(attack_s=0.1, release_s=1.0)
    ar.reset(np.array([0.0, 1.0], np.float32))
    y = ar.step(np.array([1.0, 0.0], np.float32), 0.1)
    np.testing.assert_allclose(y, [1 - math.exp(-1), math.exp(-0.1)], rtol=1e-5)


def test_frame_rate_independent():
    x = np.array([0.9, 0.1, 0.5], np.float32)
    fast, slow = AttackRelease(0.15, 0.6), AttackRelease(0.15, 0.6)
    fast.reset(np.array([0.0, 0.8, 0.5], np.float32))
    slow.reset(np.array([0.0, 0.8, 0.5], np.float32))
    for t in range(10):  # compare at 0.1 s, 0.2 s, ... 1.0 s
        fast.step(x, 0.05)
        a = fast.step(x, 0.05)
        b = slow.step(x, 0.1)
        np.testing.assert_allclose(a, b, atol=1e-6, err_msg=f"at {0.1 * (t + 1):.1f} s")


def test_zero_times_and_held_clock():
    ar = AttackRelease(0.0, 0.0)
    x = np.array([0.3, 0.7], np.float32)
    np.testing.assert_array_equal(ar.step(x, 0.1), x)  # no smoothing: follows at once
    held = ar.step(np.array([1.0, 1.0], np.float32), 0.0)  # dt 0: no change
    np.testing.assert_array_equal(held, x)
    held[:] = 5  # the result is a copy: changing it leaves the state alone
    np.testing.assert_array_equal(ar.value, x)
    with pytest.raises(ValueError):
        AttackRelease(-1, 0.5)


def _scores(n, **values):
    s = np.zeros(n, np.float32)
    for k, v in values.items():
        s[int(k[1:])] = v
    return s


def _order_changes(rank, frames=100):
    changes, last = 0, None
    for frame in range(frames):
        lead = 0.01 if frame % 2 else 0.0  # classes 1 and 2 trade a 0.01 lead every frame
        order = rank.update(_scores(10, c0=0.9, c1=0.5 + lead, c2=0.51 - lead, c3=0.1))
        if last is not None and order != last:
            changes += 1
        last = order
    return changes, last


def test_near_equal_classes_do_not_swap_every_frame():
    changes, last = _order_changes(StableRanking(n=3, hysteresis=0.05))
    assert changes <= 1
    assert last[0] == 0 and set(last) == {0, 1, 2}
    # Without the margin this input is a swap storm: the test does measure something.
    assert _order_changes(StableRanking(n=3, hysteresis=0.0))[0] == 99


def test_real_lead_change_swaps_at_once():
    rank = StableRanking(n=3, hysteresis=0.05)
    assert rank.update(_scores(10, c0=0.8, c1=0.5, c2=0.4)) == [0, 1, 2]
    # Class 2 jumps 0.3 clear of everyone: it must reach the top in this very update.
    assert rank.update(_scores(10, c0=0.8, c1=0.5, c2=1.0)) == [2, 0, 1]


def test_newcomer_needs_the_margin_to_enter():
    rank = StableRanking(n=2, hysteresis=0.05)
    assert rank.update(_scores(5, c0=0.9, c1=0.5)) == [0, 1]
    assert rank.update(_scores(5, c0=0.9, c1=0.5, c3=0.53)) == [0, 1]  # within the margin
    assert rank.update(_scores(5, c0=0.9, c1=0.5, c3=0.6)) == [0, 3]  # clear of it
    assert rank.update(_scores(5, c0=0.9, c1=0.62, c3=0.6)) == [0, 3]  # incumbent stays


def test_pinned_always_shown_and_hidden_never():
    rank = StableRanking(n=3, hysteresis=0.05, pinned={7}, hidden={0})
    s = _scores(10, c0=1.0, c1=0.8, c2=0.6, c3=0.4)  # class 7 scores 0; class 0 is top
    order = rank.update(s)
    assert 7 in order and 0 not in order and len(order) == 3
    assert order == [1, 2, 7]
    for _ in range(20):
        order = rank.update(s * np.float32(0.5))
        assert 7 in order and 0 not in order
    # Hidden wins over pinned; more pins than bars shows every pin.
    rank.pinned, rank.hidden = {4, 5, 6, 8}, {8}
    order = rank.update(s)
    assert set(order) == {4, 5, 6} and 8 not in order


def test_changing_n_and_class_count():
    rank = StableRanking(n=4)
    assert rank.update(_scores(6, c0=0.9, c1=0.8, c2=0.7, c3=0.6)) == [0, 1, 2, 3]
    rank.n = 2
    assert rank.update(_scores(6, c0=0.9, c1=0.8, c2=0.7, c3=0.6)) == [0, 1]
    rank.n = 3
    assert rank.update(_scores(6, c0=0.9, c1=0.8, c2=0.7, c3=0.6)) == [0, 1, 2]  # fills at once
    # A smaller model: stale indices drop out; a clear lead still reorders.
    assert rank.update(_scores(2, c0=0.1, c1=0.2)) == [1, 0]

"""RingBuffer: contiguous windows, absolute indexing, no allocation when writing."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from yamview.core.ring import RingBuffer


def data_address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_latest_is_contiguous_across_the_wrap():
    ring = RingBuffer(10)
    ring.write(np.arange(8, dtype=np.float32))
    ring.write(np.arange(8, 14, dtype=np.float32))  # wraps: slots 8, 9, 0, 1, 2, 3
    out = ring.latest(10)
    assert out.flags.c_contiguous
    assert np.shares_memory(out, ring._buf)  # a view, not a concatenated copy
    np.testing.assert_array_equal(out, np.arange(4, 14))
    for n in range(11):
        np.testing.assert_array_equal(ring.latest(n), np.arange(14 - n, 14))
    assert ring.total == 14 and ring.capacity == 10


def test_latest_pads_the_start_with_zeros_before_enough_was_written():
    ring = RingBuffer(8)
    assert ring.latest(5).tolist() == [0] * 5
    ring.write(np.array([1, 2, 3], np.float32))
    assert ring.latest(5).tolist() == [0, 0, 1, 2, 3]


def test_window_by_absolute_index():
    ring = RingBuffer(10)
    ring.write(np.arange(25, dtype=np.float32))  # holds 15..24
    np.testing.assert_array_equal(ring.window(25, 10), np.arange(15, 25))
    np.testing.assert_array_equal(ring.window(20, 3), [17, 18, 19])
    assert ring.window(26, 3) is None  # sample 25 not written yet
    assert ring.window(24, 10) is None  # sample 14 already overwritten
    assert ring.window(15, 0).size == 0

    fresh = RingBuffer(10)
    fresh.write(np.arange(1, 5, dtype=np.float32))  # samples 0..3 hold 1..4
    np.testing.assert_array_equal(fresh.window(2, 5), [0, 0, 0, 1, 2])  # indexes -3..1
    assert fresh.window(5, 2) is None
    with pytest.raises(ValueError):
        fresh.window(5, 11)


def test_oversize_write_keeps_the_tail_and_counts_everything():
    ring = RingBuffer(10)
    ring.write(np.arange(3, dtype=np.float32))
    ring.write(np.arange(100, 137, dtype=np.float32))
    assert ring.total == 40
    np.testing.assert_array_equal(ring.latest(10), np.arange(127, 137))
    np.testing.assert_array_equal(ring.window(40, 10), np.arange(127, 137))
    assert ring.window(39, 10) is None


def test_random_blocks_match_a_reference_concatenation():
    rng = np.random.default_rng(7)
    cap = 1000
    ring = RingBuffer(cap)
    parts = []
    for _ in range(400):
        block = rng.standard_normal(int(rng.integers(0, 1500))).astype(np.float32)
        ring.write(block)
        parts.append(block)
        ref = np.concatenate(parts)
        assert ring.total == len(ref)
        n = int(rng.integers(0, cap + 1))
        expect = np.concatenate([np.zeros(max(0, n - len(ref)), np.float32), ref[max(0, len(ref) - n):]])
        np.testing.assert_array_equal(ring.latest(n), expect)
        end = int(rng.integers(max(0, len(ref) - cap), len(ref) + 1))
        m = int(rng.integers(0, end - max(0, len(ref) - cap) + 1))
        np.testing.assert_array_equal(ring.window(end, m), ref[end - m : end])


def test_write_does_not_allocate():
    ring = RingBuffer(16000 * 60)
    buffer_before = data_address(ring._buf)
    block = np.ones(160, np.float32)
    for _ in range(100):  # warm up
        ring.write(block)
    tracemalloc.start()
    try:
        for _ in range(20000):  # > 3 wraps of the 60 s ring in 10 ms blocks
            ring.write(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data_address(ring._buf) == buffer_before
    assert peak < 4 * block.nbytes  # numpy views only, no sample buffers


def test_dtype_and_clear():
    ring = RingBuffer(4, dtype=np.float64)
    ring.write([1.5, 2.5])
    assert ring.latest(2).dtype == np.float64
    ring.clear()
    assert ring.total == 0 and ring.latest(4).tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        RingBuffer(0)

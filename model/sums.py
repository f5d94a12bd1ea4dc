"""numpy's order of summation, for the modules' numba kernels.

The fused quarterly steps add the same numbers numpy added before them, in
numpy's order, so the model's results stay the numpy version's to the last
bit: ``np.sum`` is pairwise (a run of 8-128 values goes to eight running sums
added pairwise, then the rest in order; a longer run is halved, the first half
a multiple of 8, and the halves' sums added), ``np.add.reduceat`` adds a
segment's first value to the sum of the rest.  Tested bit for bit against
numpy in ``tests/test_sums.py``.

numba caches a kernel's machine code keyed on the kernel's own file: when this
file (or ``designations.py``) changes, ``model/numba_cache.py`` drops the cached
kernels, so callers in other files are recompiled with the new code.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def pairwise_sum(x, lo, n):
    """``x[lo:lo + n].sum()`` as numpy computes it (iteratively: numba's cache cannot load recursion)."""
    if n <= 128:
        return _block_sum(x, lo, n)
    starts, sizes, values = np.empty(128, np.int64), np.empty(128, np.int64), np.empty(64)
    starts[0], sizes[0] = lo, n
    todo, done = 1, 0
    while todo:
        todo -= 1
        at, k = starts[todo], sizes[todo]
        if k < 0:                                  # both halves done: add them
            done -= 1
            values[done - 1] += values[done]
        elif k <= 128:
            values[done] = _block_sum(x, at, k)
            done += 1
        else:                                      # halve: first half, then second, then their sum
            half = k // 2 - (k // 2) % 8
            starts[todo], sizes[todo] = 0, -1
            starts[todo + 1], sizes[todo + 1] = at + half, k - half
            starts[todo + 2], sizes[todo + 2] = at, half
            todo += 3
    return values[0]


@numba.njit(cache=True, error_model="numpy")
def np_sum(a):
    """``a.sum()`` of a 1-D array, bit for bit."""
    return pairwise_sum(a, 0, a.shape[0])


@numba.njit(cache=True, error_model="numpy")
def reduceat_sum(x, lo, hi):
    """``np.add.reduceat``'s sum of ``x[lo:hi]``: the first value plus numpy's sum of the rest (0 if empty)."""
    return x[lo] + pairwise_sum(x, lo + 1, hi - lo - 1) if hi > lo else 0.0


@numba.njit(cache=True, error_model="numpy")
def reduceat_sums(x, starts, out):
    """``np.add.reduceat(x, starts)`` into ``out`` (segments from each start to the next, the last to the end)."""
    n = x.shape[0]
    for p in range(starts.shape[0]):
        out[p] = reduceat_sum(x, starts[p], starts[p + 1] if p + 1 < starts.shape[0] else n)


@numba.njit(cache=True, error_model="numpy")
def _block_sum(x, lo, n):
    """numpy's sum of at most 128 values: eight running sums (fewer than 8 values: in order)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += x[i]
        return res
    r0, r1, r2, r3 = x[lo], x[lo + 1], x[lo + 2], x[lo + 3]
    r4, r5, r6, r7 = x[lo + 4], x[lo + 5], x[lo + 6], x[lo + 7]
    i = lo + 8
    while i < lo + n - n % 8:
        r0, r1, r2, r3 = r0 + x[i], r1 + x[i + 1], r2 + x[i + 2], r3 + x[i + 3]
        r4, r5, r6, r7 = r4 + x[i + 4], r5 + x[i + 5], r6 + x[i + 6], r7 + x[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += x[i]
        i += 1
    return res

"""Loops over the villages ranked by rollout cost (numba): one call per step instead of ~20 numpy calls.

Each sums in ranked-position order, as the ``np.bincount`` it replaces did,
so results are the same to the last bit.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def cohort_sums(k_old, k_new, head, pref_sorted, share_sorted, poverty_sorted, n_pref):
    """Household share, villages and poor villages per (run, prefecture) at ranked positions [k_old, k_new).

    Accumulated in position order, as ``np.bincount`` would: the same sums to the last bit.
    """
    R = len(k_old)
    share, count, poor = np.zeros((R, n_pref)), np.zeros((R, n_pref)), np.zeros((R, n_pref))
    for r in range(R):
        for k in range(k_old[r], k_new[r]):
            j = k - head
            p = pref_sorted[r, j]
            share[r, p] += share_sorted[r, j]
            count[r, p] += 1.0
            if poverty_sorted[r, j]:
                poor[r, p] += 1.0
    return share, count, poor


@numba.njit(cache=True)
def operators_reach(k_old, head, per_hh, theta, capacity):
    """Operators' new rank ``k`` per run: the next ``capacity`` ranked villages at or below ``theta`` counted."""
    k_op = k_old.copy()
    for r in range(len(k_old)):
        for j in range(capacity[r]):
            pos = k_old[r] - head + j
            if pos >= per_hh.shape[1]:
                break
            if per_hh[r, pos] <= theta[r]:
                k_op[r] += 1
    return k_op


@numba.njit(cache=True)
def tail_gaps(start, offsets, limit, scale, theta, money, eligible, n, head, share_sorted, pref_sorted,
              rural_now, per_hh):
    """Villages at ranks ``start + offsets`` (below ``limit``) funded in order while the running gap fits ``money``.

    The gap of a village is ``scale x households x max(cost per household - theta, 0)``;
    stops at the first village the money cannot pay.  Returns (villages funded, 万元 spent)
    per run; the running sum is the ``np.cumsum`` it replaces, to the last bit.
    """
    R = len(start)
    funded, spent = np.zeros(R, np.int64), np.zeros(R)
    for r in range(R):
        if not eligible[r]:
            continue
        total = 0.0
        for off in offsets:
            pos = start[r] + off
            if pos >= n or pos >= limit[r]:
                break
            j = pos - head
            households = share_sorted[r, j] * rural_now[r, pref_sorted[r, j]]
            total += scale[r] * households * max(per_hh[r, j] - theta[r], 0.0)
            if total > money[r]:
                break
            funded[r] += 1
            spent[r] = total
    return funded, spent

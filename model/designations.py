"""Designations: integer, cumulative, capacity-limited selection from an eligible pool.

Demonstration factories, bases, counties and parks are awarded in rounds:
each round a number of places (per run) goes to the best-scoring eligible
candidates not yet designated.  Scores carry the candidates' readiness plus
whatever noise the caller draws, so the selection itself is deterministic.
Vectorised over runs: ``score`` is (runs, candidates).
"""
from __future__ import annotations

import numba
import numpy as np

from .sums import np_sum

NEVER = np.iinfo(np.int64).max        # "ready at step": not funded (yet)


def fund_in_order(waiting: np.ndarray, cost: np.ndarray, budget: float,
                  capacity: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Which waiting candidates one budget pays for, taken in the given priority order (the
    array form of ``fund_row``, which the modules' kernels call; tests hold one to the other).

    ``waiting`` (runs x candidates, already in priority order) and ``cost``
    (broadcastable to it); candidates are funded in order while the running
    cost fits ``budget`` and the running count ``capacity``.  Returns the
    funded mask and the money paid per run.
    """
    c = np.where(waiting, cost, 0.0)
    take = waiting & (np.cumsum(c, axis=1) <= budget) & (np.cumsum(waiting, axis=1) <= capacity)
    return take, np.where(take, c, 0.0).sum(1)


def award(score: np.ndarray, designated: np.ndarray, places: np.ndarray,
          eligible: np.ndarray | None = None) -> np.ndarray:
    """Designate up to ``places[r]`` new candidates per run, best score first (checked entry to
    ``_award``, which the modules' kernels call directly).

    ``designated`` (bool, runs x candidates) is updated in place and returned;
    candidates already designated, not eligible, or with a non-finite score
    are never chosen, so the count never falls and never exceeds the pool.
    Ties go to the lower index.  Returns the number newly designated per run.
    """
    places = np.asarray(places)
    if np.any(places < 0) or not np.issubdtype(places.dtype, np.integer):
        raise ValueError("places must be non-negative integers")
    score = np.asarray(score, dtype=float)
    ok = np.ones((1, 1), np.bool_) if eligible is None else np.atleast_2d(np.asarray(eligible, np.bool_))
    new = np.zeros(len(score), np.int64)
    _award(score, designated, np.broadcast_to(places, (len(score),)).astype(np.int64), ok, new)
    return new


@numba.njit(cache=True, error_model="numpy")
def _award(score, designated, places, eligible, new):
    """Per run: gather the open candidates, rank them (stable sort: ties keep index order), take the best."""
    runs, n = score.shape
    rows_e, cols_e = eligible.shape            # (1, 1), (1, n) or (runs, n): broadcast by hand
    open_ = np.empty(n, np.int64)
    for r in range(runs):
        if places[r] <= 0:               # kernels skip award()'s check: a negative count gives no place
            continue
        m = 0
        for c in range(n):
            if not designated[r, c] and np.isfinite(score[r, c]) \
                    and eligible[r if rows_e > 1 else 0, c if cols_e > 1 else 0]:
                open_[m] = c
                m += 1
        if m == 0:
            continue
        found = open_[:m]
        order = np.argsort(-score[r, found], kind="mergesort")
        take = min(places[r], m)
        for j in range(take):
            designated[r, found[order[j]]] = True
        new[r] = take


@numba.njit(cache=True, error_model="numpy")
def fund_row(waiting, cost, budget, capacity, take):
    """``fund_in_order`` for one run, callable from a module's numba step.

    ``waiting``, ``cost`` and ``take`` are 1-D over candidates in priority
    order; funded candidates are set in ``take``; returns the money paid.
    """
    running, count = 0.0, 0
    paid = np.zeros(waiting.shape[0])              # summed as numpy sums the array form's row
    for j in range(waiting.shape[0]):
        if waiting[j]:
            running += cost[j]
            count += 1
            if running <= budget and count <= capacity:
                take[j] = True
                paid[j] = cost[j]
    return np_sum(paid)

"""Designations: integer, cumulative, capacity-limited selection from an eligible pool.

Demonstration factories, bases, counties and parks are awarded in rounds:
each round a number of places (per run) goes to the best-scoring eligible
candidates not yet designated.  Scores carry the candidates' readiness plus
whatever noise the caller draws, so the selection itself is deterministic.
Vectorised over runs: ``score`` is (runs, candidates).
"""
from __future__ import annotations

import numpy as np


NEVER = np.iinfo(np.int64).max        # "ready at step": not funded (yet)


def fund_in_order(waiting: np.ndarray, cost: np.ndarray, budget: float,
                  capacity: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Which waiting candidates one budget pays for, taken in the given priority order.

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
    """Designate up to ``places[r]`` new candidates per run, best score first.

    ``designated`` (bool, runs x candidates) is updated in place and returned;
    candidates already designated, not eligible, or with a non-finite score
    are never chosen, so the count never falls and never exceeds the pool.
    Returns the number newly designated per run.
    """
    places = np.asarray(places)
    if np.any(places < 0) or not np.issubdtype(places.dtype, np.integer):
        raise ValueError("places must be non-negative integers")
    open_ = ~designated & np.isfinite(score)
    if eligible is not None:
        open_ &= eligible
    # only the open candidates are ranked (often a few among many firms); ties: lower index first
    rr, cc = np.nonzero(open_)
    order = np.lexsort((-score[rr, cc], rr))
    rr, cc = rr[order], cc[order]
    rank = np.arange(len(rr)) - np.searchsorted(rr, np.arange(len(score)))[rr]
    pick = rank < np.broadcast_to(places, (len(score),))[rr]
    designated[rr[pick], cc[pick]] = True
    return np.bincount(rr[pick], minlength=len(score))

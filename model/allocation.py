"""Splits of a budget across areas within bounds, and the search for the best split of any objective.

``allocate`` maps a point of the unit box onto the allocations that sum to a
budget within per-area bounds ("water filling": the money above the lower
bounds shared by weight, what an area cannot hold shared again); every point
gives a valid allocation and every valid allocation is reached
(``weights_for`` is the inverse).  ``maximise`` runs scipy's
``differential_evolution`` over that box for an objective of allocations.
Model-free: ``optimise`` gives it the model's objective, tests analytic ones.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import differential_evolution


def allocate(z, budget: float, low, high) -> np.ndarray:
    """Map weights ``z`` in [0, 1]^k (or rows of them) to allocations summing to ``budget`` within bounds.

    The money above the lower bounds is shared in proportion to ``z``; an
    area's share beyond its upper bound is shared again among the others
    (in proportion to their weights) until all is placed; if every weighted
    area is full, the rest fills the unweighted ones by their room.  Raises
    ValueError when the budget lies outside [sum(low), sum(high)].
    """
    low, high = np.asarray(low, float), np.asarray(high, float)
    z = np.clip(np.asarray(z, float), 0.0, 1.0)
    cap = high - low
    spare = float(budget) - low.sum()
    scale = max(abs(float(budget)), 1.0)
    if spare < -1e-12 * scale or spare > cap.sum() + 1e-12 * scale:
        raise ValueError(f"budget {budget:g} is outside [{low.sum():g}, {high.sum():g}] (sum of the bounds)")
    if z.ndim == 2:
        return np.stack([allocate(row, budget, low, high) for row in z])
    w = np.where(cap > 0, z, 0.0)
    w = w / w.max() if w.max() > 0 else (cap > 0).astype(float)      # scaled: no denormal arithmetic
    y, left = np.zeros_like(cap), max(spare, 0.0)
    while left > 1e-15 * scale:
        open_ = (w > 0) & (y < cap)
        if not open_.any():
            break
        share = left * (w[open_] / w[open_].sum())
        take = np.minimum(share, cap[open_] - y[open_])
        y[open_] += take
        left -= take.sum()
        if np.all(share <= take):
            break
    room = cap - y
    rest = max(spare, 0.0) - y.sum()       # every weighted area full, or rounding: the rest by room
    if rest > 0 and room.sum() > 0:
        y += rest * room / room.sum()
    return np.clip(low + y, low, high)


def weights_for(x, low, high) -> np.ndarray:
    """A point of the box that ``allocate`` maps to ``x`` (x within bounds): the money above low, scaled."""
    y = np.asarray(x, float) - np.asarray(low, float)
    return y / y.max() if y.max() > 0 else np.ones_like(y)


# -- the optimiser wrapper (any objective of allocations) -----------------------------------------
def maximise(objective: Callable[[np.ndarray], np.ndarray], budget: float, low, high, *, popsize: int = 5,
             maxiter: int = 15, tol: float = 0.0, seed: int = 0, x0=None) -> dict:
    """Maximise ``objective`` (rows of allocations (S, k) -> values (S,)) over {sum = budget, bounds}.

    scipy ``differential_evolution`` on the box of ``allocate``'s weights,
    vectorised (a whole population per objective call), no polishing.
    ``x0``: an allocation placed in the first population.  Returns the best
    allocation, its value, the candidates evaluated (``nfev``), scipy's
    convergence information and the best value after each generation.
    ``tol=0`` runs all ``maxiter`` generations unless the whole population
    scores the same (a step-function objective makes scipy's relative
    tolerance stop too early).
    """
    low, high = np.asarray(low, float), np.asarray(high, float)
    allocate(np.ones(len(low)), budget, low, high)                  # checks the budget is feasible
    history, count = [], [0]

    def energy(z):                                               # z: (k, S) in vectorised mode
        rows = allocate(np.atleast_2d(z.T), budget, low, high)
        count[0] += len(rows)
        return -np.asarray(objective(rows), float)

    def callback(intermediate_result):
        history.append(-float(intermediate_result.fun))

    k = len(low)
    if k == 1 or np.all(high - low <= 0):
        x = allocate(np.ones(k), budget, low, high)
        value = float(np.asarray(objective(x[None]))[0])
        return {"x": x, "value": value, "nfev": 1, "nit": 0, "success": True,
                "message": "one feasible allocation (no area free to vary)", "history": [value]}
    res = differential_evolution(energy, [(0.0, 1.0)] * k, popsize=popsize, maxiter=maxiter, tol=tol,
                                 polish=False, vectorized=True, updating="deferred", rng=seed,
                                 x0=None if x0 is None else weights_for(x0, low, high), callback=callback)
    return {"x": allocate(res.x, budget, low, high), "value": -float(res.fun), "nfev": count[0],
            "nit": int(res.nit), "success": bool(res.success), "message": str(res.message), "history": history}

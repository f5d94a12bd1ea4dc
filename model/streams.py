"""Random streams: one generator per (run, module), and per-run draws into one array.

``SeedSequence(seed, spawn_key=(run, module))`` makes run *i*'s numbers the
same in every scenario, whatever the ensemble size or batch split (common
random numbers).
"""
from __future__ import annotations

import numpy as np

# stream keys: fixed forever (changing one changes every run's numbers); new modules append
MODULES = {"uncertainty": 0, "macro": 1, "connectivity": 2, "manufacturing": 3, "ecommerce": 4,
           "logistics": 5, "agriculture": 6, "public_services": 7, "finance": 8, "tourism": 9,
           "provinces": 10, "designations": 11}


def streams(seed: int, runs: np.ndarray, module: str) -> list[np.random.Generator]:
    """One generator per run for a module."""
    key = MODULES[module]
    return [np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(r), key))) for r in runs]


def per_run(gens: list[np.random.Generator], method: str, shape: tuple, dtype=np.float64) -> np.ndarray:
    """Fill a (runs, *shape) array, row i from generator i (e.g. ``"standard_normal"``)."""
    out = np.empty((len(gens), *shape), dtype=dtype)
    for row, g in zip(out, gens):
        getattr(g, method)(out=row, dtype=dtype)
    return out

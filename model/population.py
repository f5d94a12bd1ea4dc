"""The synthetic agent populations, identical in every run.

Villages and firms are built once from the prefecture structure
(``prefectures.py``) with a fixed seed: which villages lie in poverty counties
or mountains, how households and firm sizes spread.  Per-run randomness
(costs, clocks, scores) is drawn by the mechanism modules, not here.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtri

from .prefectures import prefectures

STRUCTURE_SEED = 20151225   # fixed seed of the synthetic populations (the plan's date)
N_PREF = 17


def lognormal_quantiles(n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` evenly spaced quantiles of a mean-1 lognormal, in a random order."""
    q = (np.arange(n) + 0.5) / n
    return rng.permutation(np.exp(sigma * ndtri(q) - sigma**2 / 2))


@lru_cache(maxsize=None)
def county_prefecture() -> np.ndarray:
    """Prefecture index of each of the 103 county-level units, in model order."""
    counts = prefectures().counties.to_numpy().astype(int)
    return np.repeat(np.arange(N_PREF), counts)


def largest_remainder(exact: np.ndarray, total: int) -> np.ndarray:
    """Whole counts summing to ``total`` from fractional ``exact`` ones: the largest remainders round up."""
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts))[: total - counts.sum()]] += 1
    return counts


@lru_cache(maxsize=None)
def prefecture_arrays() -> dict[str, np.ndarray]:
    """Prefecture attributes as arrays in model order (population 万人, urbanisation %,
    GDP per capita relative to the province's population-weighted mean)."""
    pref = prefectures()
    gdppc = pref.gdp_per_capita.to_numpy()
    pop = pref.population.to_numpy()
    return {"population": pop, "urbanisation": pref.urbanisation.to_numpy(),
            "rel_income": gdppc / ((gdppc * pop).sum() / pop.sum()),
            "names": list(zip(pref.name_zh, pref.name_en))}


@lru_cache(maxsize=None)
def village_structure(spread: float = 0.4) -> dict[str, np.ndarray]:
    """Villages: prefecture, poverty county, mountain, share of the prefecture's rural households.

    Within each prefecture the first villages (by index) lie in poverty
    counties, and mountain villages are assigned to poverty-county villages
    first.
    """
    pref = prefectures()
    rng = np.random.default_rng(STRUCTURE_SEED)
    pref_idx, poverty, mountain, share = [], [], [], []
    for i, row in pref.iterrows():
        n = int(row.villages)
        idx = np.arange(n)
        pref_idx.append(np.full(n, i, dtype=np.int16))
        poverty.append(idx < round(row.poverty_share * n))
        mountain.append(idx < round(row.mountain_share / 100 * n))
        w = lognormal_quantiles(n, spread, rng)
        share.append(w / w.sum())
    return {"pref": np.concatenate(pref_idx), "poverty": np.concatenate(poverty),
            "mountain": np.concatenate(mountain), "share": np.concatenate(share)}


@lru_cache(maxsize=None)
def firm_structure(n_firms: int = 16000, sigma: float = 1.0) -> dict[str, np.ndarray]:
    """Firms: prefecture (shared by GDP = population x GDP per capita) and size (mean 1)."""
    pref = prefectures()
    gdp = (pref.population * pref.gdp_per_capita).to_numpy()
    counts = largest_remainder(n_firms * gdp / gdp.sum(), n_firms)
    size = lognormal_quantiles(n_firms, sigma, np.random.default_rng(STRUCTURE_SEED + 1))
    return {"pref": np.repeat(np.arange(N_PREF), counts).astype(np.int64), "size": size,
            "per_pref": counts}

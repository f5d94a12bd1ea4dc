"""Macro drivers: GDP, population, urbanisation, household size, income.

History comes from the vendored observations (one GDP vintage: the latest
NBS one); years after the data are projected with per-run uncertainty
(nominal growth and urbanisation pace drawn from the parameter table, plus
year-to-year noise).  Values are year-end; a quarter interpolates
geometrically between year-ends.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .observations import best_value
from .parameters import scalar
from .streams import per_run

GDP_VINTAGE = "RenJiyi163"          # latest NBS vintage (reliability A)
LAST_DATA_YEAR = 2017


@lru_cache(maxsize=None)
def _gdp_history() -> dict[int, float]:
    return {y: best_value("gdp", y, source_contains=GDP_VINTAGE) for y in range(2009, LAST_DATA_YEAR + 1)}


@lru_cache(maxsize=None)
def _population_history() -> dict[int, float]:
    years = [2009, 2010, 2015, 2016, 2017]
    return {y: best_value("population", y) for y in years}


@lru_cache(maxsize=None)
def _urbanisation_history() -> dict[int, float]:
    return {y: best_value("urbanization_rate", y) for y in (2015, 2016, 2017)}


def _interp(history: dict[int, float], years: np.ndarray) -> np.ndarray:
    known = np.array(sorted(history))
    return np.interp(years, known, [history[y] for y in known])


class Macro:
    """Annual macro paths for a batch of runs, shape (runs, years) or (years,)."""

    def __init__(self, years: np.ndarray, params: dict[str, np.ndarray], rng: list[np.random.Generator]):
        self.years = years                      # year-ends, first one is the initial state
        runs = len(rng)
        future = years > LAST_DATA_YEAR
        # GDP, 亿元 current prices
        hist = _gdp_history()
        gdp = np.empty((runs, len(years)))
        noise = per_run(rng, "standard_normal", (len(years),))
        growth = params["gdp_growth_nominal"][:, None] + params["gdp_growth_noise_sd"][:, None] * noise
        for i, y in enumerate(years):
            gdp[:, i] = hist[y] if y in hist else gdp[:, i - 1] * (1 + growth[:, i])
        self.gdp = gdp
        # population, 万人: interpolate the data, extrapolate at the 2015-2017 pace
        pop_hist = _population_history()
        rate = (pop_hist[2017] / pop_hist[2015]) ** 0.5 - 1
        self.population = np.where(future, pop_hist[LAST_DATA_YEAR] * (1 + rate) ** (years - LAST_DATA_YEAR),
                                   _interp(pop_hist, np.minimum(years, LAST_DATA_YEAR)))
        # urbanisation, %: 2010 from the census report, 2015-2017 data, then a per-run pace
        urb_hist = {2010: scalar(params, "urbanisation_2010"), **_urbanisation_history()}
        base = _interp(urb_hist, np.minimum(years, LAST_DATA_YEAR))
        self.urbanisation = np.minimum(
            base[None, :] + params["urbanisation_pace"][:, None] * np.maximum(years - LAST_DATA_YEAR, 0), 95.0)
        # persons per household
        self.household_size = (scalar(params, "household_size_2010")
                               + scalar(params, "household_size_trend") * (years - 2010))
        # income index: GDP per capita relative to 2015
        gdppc = self.gdp / self.population[None, :]
        i2015 = int(np.nonzero(years == 2015)[0][0])
        self.income_index = gdppc / gdppc[:, [i2015]]
        self.gdp_index_2015 = self.gdp / self.gdp[:, [i2015]]

    def households(self) -> tuple[np.ndarray, np.ndarray]:
        """Urban and rural households of the province, 万户, shape (runs, years)."""
        total = self.population[None, :] / self.household_size[None, :]
        urban = total * self.urbanisation / 100
        return urban, total - urban

    @staticmethod
    def quarterly(annual: np.ndarray, year_index: int, quarter: int) -> np.ndarray:
        """Geometric interpolation between the year-ends before and at ``year_index``."""
        frac = (quarter + 1) / 4
        prev = annual[..., year_index - 1]
        return prev * (annual[..., year_index] / prev) ** frac

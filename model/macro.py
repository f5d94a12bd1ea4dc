"""Macro drivers: GDP, population, urbanisation, household size, income.

History comes from the vendored observations (one GDP vintage: the latest
NBS one) up to ``macro_data_until`` (2017, the data vintage; the forecast
command lowers it for as-of forecasts).  Later years are statsmodels
forecasts whose uncertainty feeds the ensemble, one path per run from the
``macro`` stream (common random numbers):

GDP
    ``ETSModel`` with an additive damped trend (additive error) fitted to
    nominal GDP levels (the M4 damped benchmark).  Each run follows the
    fitted point path shifted in log growth by ``gdp_growth_nominal`` minus
    its median (triangular with mode the fitted 2018 growth); the shift
    persists, damped by ``phi`` like the trend.  Yearly innovations carry
    the rest of the one-step variance and accumulate in the level, so the
    one-year-ahead spread equals the fitted ETS one and the spread widens
    with the horizon.  Chosen
    by the rolling-origin backtest (docs/CALIBRATION.md): the former local
    level on log growth lost to damped ETS on levels.
Population
    OLS of log population on the year (statsmodels) over the observed years;
    each run shifts the trend by one normal draw times the standard error of
    the mean prediction.
Income
    GDP per capita relative to 2015 (the observed disposable-income points,
    urban 2009/2014/2017 and rural 2014/2017, are too sparse to fit on their own).

The fits are cached per process and per cut-off year.  Values are year-end;
a quarter interpolates geometrically between year-ends.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from .observations import best_value, series
from .parameters import scalar, table
from .streams import per_run

GDP_VINTAGE = "RenJiyi163"          # latest NBS vintage (reliability A)
LAST_DATA_YEAR = 2017
HORIZON = 40                        # years of GDP forecast kept per cut-off


@lru_cache(maxsize=None)
def _gdp_history(until: int = LAST_DATA_YEAR) -> dict[int, float]:
    rows = series("gdp", kinds=("level",))
    rows = rows[rows.source.str.contains(GDP_VINTAGE, regex=False) & (rows.year <= until)]
    return {int(y): float(v) for y, v in zip(rows.year, rows.value)}


@lru_cache(maxsize=None)
def gdp_growth_model(until: int = LAST_DATA_YEAR) -> dict:
    """Damped-trend ETS on nominal GDP levels: point ``path`` (years after the data), damping
    ``phi``, relative one-step ``sigma`` and the first year's log ``drift``."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    hist = _gdp_history(until)
    years = np.array(sorted(hist))
    if len(years) < 5 or not np.all(np.diff(years) == 1):
        raise ValueError(f"macro: GDP vintage {GDP_VINTAGE} needs 5+ consecutive years to {until}")
    last = float(hist[years[-1]])
    s = pd.Series([hist[y] for y in years], index=pd.period_range(str(years[0]), periods=len(years), freq="Y"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(s, error="add", trend="add", damped_trend=True).fit(disp=False)
    phi = float(res.damping_trend)
    path = np.asarray(res.forecast(HORIZON), dtype=float)
    return {"phi": phi, "sigma": float(np.sqrt(res.mse)) / last, "path": path, "last_year": int(years[-1])}


@lru_cache(maxsize=None)
def population_model(until: int = LAST_DATA_YEAR) -> dict[str, float]:
    """Log-linear trend of population (OLS): intercept, slope, and the data years."""
    from statsmodels.regression.linear_model import OLS     # not statsmodels.api: ~1 s to import
    rows = series("population", kinds=("level",))
    years = sorted({int(y) for y in rows.year if y <= until})
    pop = np.array([best_value("population", y) for y in years])
    X = np.column_stack([np.ones(len(years)), np.array(years, dtype=float) - 2015])
    res = OLS(np.log(pop), X).fit()
    # two points leave no residual degrees of freedom: central trend only
    cov = res.cov_params() if res.df_resid > 0 else np.zeros((2, 2))
    return {"params": res.params, "cov": cov, "history": dict(zip(years, pop))}


@lru_cache(maxsize=None)
def _urbanisation_history(until: int = LAST_DATA_YEAR) -> dict[int, float]:
    return {y: best_value("urbanization_rate", y) for y in (2015, 2016, 2017) if y <= until}


def _level_variance() -> float:
    """Variance of the per-run level draw (``gdp_growth_nominal``'s distribution)."""
    p = table()["gdp_growth_nominal"]
    if p.dist == "fixed":
        return 0.0
    if p.dist == "uniform":
        return (p.high - p.low) ** 2 / 12
    a, b, c = p.low, p.high, p.value
    return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


def _drift_centre() -> float:
    """Median of ``gdp_growth_nominal``'s distribution: the median run follows the fitted path."""
    p = table()["gdp_growth_nominal"]
    return float(p.quantile(np.array([0.5]))[0])


def _interp(history: dict[int, float], years: np.ndarray) -> np.ndarray:
    known = np.array(sorted(history))
    return np.interp(years, known, [history[y] for y in known])


class Macro:
    """Annual macro paths for a batch of runs, shape (runs, years) or (years,)."""

    def __init__(self, years: np.ndarray, params: dict[str, np.ndarray], rng: list[np.random.Generator]):
        self.years = years                      # year-ends, first one is the initial state
        runs = len(rng)
        until = int(scalar(params, "macro_data_until"))
        z = per_run(rng, "standard_normal", (len(years) + 1,))   # GDP innovations, population shift
        # GDP, 亿元 current prices: history, then the damped-trend ETS on GDP levels, per run
        hist = _gdp_history(until)
        ets = gdp_growth_model(until)
        sd = np.sqrt(max(ets["sigma"] ** 2 - _level_variance(), 0.0))
        gdp = np.empty((runs, len(years)))
        shift = params["gdp_growth_nominal"] - _drift_centre()        # this run's drift, relative to the fit
        persist, noise = np.zeros(runs), np.zeros(runs)
        for i, y in enumerate(years):
            if y in hist:
                gdp[:, i] = hist[y]
                continue
            h = int(y) - ets["last_year"]
            persist = persist + ets["phi"] ** (h - 1)               # the drift shift, damped like the trend
            noise = noise + sd * z[:, i]                            # innovations accumulate in the level
            gdp[:, i] = ets["path"][h - 1] * np.exp(shift * persist + noise)
        self.gdp = gdp
        # population, 万人: the data where observed (interpolated between), the fitted trend after
        pop = population_model(until)
        pop_hist = pop["history"]
        x = years - 2015.0
        mean = pop["params"][0] + pop["params"][1] * x
        se = np.sqrt(pop["cov"][0, 0] + 2 * x * pop["cov"][0, 1] + x ** 2 * pop["cov"][1, 1])
        trend = np.exp(mean[None, :] + z[:, [-1]] * se[None, :])
        last = max(pop_hist)
        # continue from the last observation: the trend's growth, not its level
        ahead = pop_hist[last] * trend / trend[:, [int(np.nonzero(years == last)[0][0])]] \
            if last in years else trend
        observed = _interp(pop_hist, np.minimum(years, last))
        # per run (feeds income per capita); the central path keeps the (years,) shape modules read
        self.population_runs = np.where(years > last, ahead, observed[None, :])
        self.population = np.where(years > last, pop_hist[last] * np.exp(mean - mean[years == last]),
                                   observed) if last in years else np.exp(mean)
        # urbanisation, %: 2010 from the census report, data to the cut-off, then a per-run pace
        urb_hist = {2010: scalar(params, "urbanisation_2010"), **_urbanisation_history(until)}
        last_urb = max(urb_hist)
        base = _interp(urb_hist, np.minimum(years, last_urb))
        self.urbanisation = np.minimum(
            base[None, :] + params["urbanisation_pace"][:, None] * np.maximum(years - last_urb, 0), 95.0)
        # persons per household
        self.household_size = (scalar(params, "household_size_2010")
                               + scalar(params, "household_size_trend") * (years - 2010))
        # income index: GDP per capita relative to 2015
        gdppc = self.gdp / self.population_runs
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

"""Forecasts of every Hubei series and every modelled indicator, with an as-of cut.

``forecast_table(scenario, as_of)`` returns one row per (indicator, year) for
2016-2021 with the median and the 80% and 95% intervals, and a second table
saying where each indicator's numbers come from:

``model``
    the agent model's ensemble (catalogue indicators) or its macro drivers
    (``gdp``, ``population``: statsmodels fits inside ``model/macro.py``,
    cut at ``as_of`` through ``macro_data_until``);
``statistical``
    where the model does not cover a series, the time-series layer
    (:mod:`model.baselines`, method ``auto``) fitted to the observations
    dated ``<= as_of``; observed years up to ``as_of`` are reported as
    observed (median = bounds = the observation).

The agent model's modules are anchored to data up to 2017 (e-commerce to
2015, subscribers to 2015-2017): for ``as_of`` before ``MODEL_DATA_YEAR`` a
modelled indicator that also has an observed series falls back to the
statistical forecast, so the as-of cut is honoured; model-only indicators
keep the model and the source table says the cut is not honoured for them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import catalogue
from .baselines import ForecastError, forecast
from .macro import GDP_VINTAGE
from .observations import PROVINCE, hubei_observations

YEARS = range(2016, 2022)
COLUMNS = ["indicator", "year", "median", "lo80", "hi80", "lo95", "hi95"]
MODEL_DATA_YEAR = 2017
MIN_POINTS = 3
SERIES_KINDS = ("level", "count")


def annual_series(indicator: str, frame: pd.DataFrame | None = None, as_of: int = 9999) -> pd.Series:
    """One value per year for a Hubei series, years <= ``as_of``.

    Levels and counts only (lower bounds, growth rates and partial years are
    not annual levels).  Where sources conflict, the latest GDP vintage for
    ``gdp``, else the most reliable row, first in file order.
    """
    frame = hubei_observations() if frame is None else frame
    rows = frame[(frame.indicator == indicator) & (frame.region == PROVINCE)
                 & frame.kind.isin(SERIES_KINDS) & (frame.year <= as_of) & (frame.year > 0)]
    if indicator == "gdp" and rows.source.str.contains(GDP_VINTAGE, regex=False).any():
        rows = rows[rows.source.str.contains(GDP_VINTAGE, regex=False)]
    rows = rows.sort_values(["year", "reliability", "line"]).drop_duplicates("year")
    return pd.Series(rows.value.to_numpy(float), index=rows.year.to_numpy(int), name=indicator)


def hubei_series(frame: pd.DataFrame | None = None, as_of: int = 9999, min_points: int = 1) -> dict[str, pd.Series]:
    """Every Hubei annual series with at least ``min_points`` years (forecasts excluded)."""
    frame = hubei_observations() if frame is None else frame
    ids = sorted(set(frame.indicator[(frame.region == PROVINCE) & frame.kind.isin(SERIES_KINDS)]))
    out = {}
    for ind in ids:
        if ind.endswith("_forecast"):
            continue
        s = annual_series(ind, frame, as_of)
        if len(s) >= min_points:
            out[ind] = s
    return out


def consecutive(s: pd.Series) -> pd.Series:
    """Fill gaps between observed years by log-linear (or linear) interpolation."""
    years = np.arange(s.index.min(), s.index.max() + 1)
    if len(years) == len(s):
        return s
    if (s > 0).all():
        filled = np.exp(np.interp(years, s.index, np.log(s.to_numpy())))
    else:
        filled = np.interp(years, s.index, s.to_numpy())
    return pd.Series(filled, index=years, name=s.name)


def statistical(s: pd.Series, years=YEARS, method: str = "auto") -> tuple[pd.DataFrame, str]:
    """Observed years as observed (gaps interpolated), later years forecast; rows and method used."""
    full = consecutive(s)
    last = int(full.index.max())
    ahead = max(years[-1] - last, 0)
    rows = []
    for y in years:
        if y in full.index:                # observed, or interpolated inside the observed range
            v = float(full.loc[y])
            rows.append((y, v, v, v, v, v))
    used = "observed"
    if ahead:
        fc = forecast(full.to_numpy(), full.index.to_numpy(), ahead, method)
        used = fc.attrs["method"] + (" (gaps interpolated)" if len(full) > len(s) else "")
        if (s >= 0).all():       # counts, shares, money: bands stop at zero
            fc[["median", "lo80", "hi80", "lo95", "hi95"]] = fc[["median", "lo80", "hi80", "lo95", "hi95"]].clip(lower=0)
        rows += [tuple(r) for r in fc[fc.year.isin(list(years))].itertuples(index=False)]
    out = pd.DataFrame(rows, columns=["year", "median", "lo80", "hi80", "lo95", "hi95"])
    return out.sort_values("year"), used


def quantile_table(values: np.ndarray, years: np.ndarray, keep) -> pd.DataFrame:
    """Median and 80/95% bands over runs, values shaped (runs, years)."""
    q = np.quantile(values, [0.5, 0.1, 0.9, 0.025, 0.975], axis=0)
    frame = pd.DataFrame(q.T, columns=["median", "lo80", "hi80", "lo95", "hi95"])
    frame.insert(0, "year", years)
    return frame[frame.year.isin(list(keep))]


def model_paths(scenario, as_of: int, runs: int, seed: int, params: dict | None = None,
                **backend) -> dict[str, pd.DataFrame]:
    """Quantiles of the modelled indicators and macro drivers for 2016-2021 (``backend``: see ``simulate``)."""
    from . import parameters
    from .engine import resolve, simulate
    from .macro import Macro
    from .streams import streams

    over = {**(params or {}), "macro_data_until": min(as_of, MODEL_DATA_YEAR)}
    ds = simulate(resolve(scenario), runs=runs, seed=seed, params=over, end_year=YEARS[-1], **backend)
    if ds.chunks:
        ds = ds.load()
    out = {ind: quantile_table(ds[ind].values, ds.year.values, YEARS)
           for ind in catalogue.indicators().index if ind in ds}
    ids = np.arange(runs)
    drawn = parameters.draw(streams(seed, ids, "uncertainty"), resolve(scenario).uncertainties,
                            parameters.check_overrides(over, "params"))
    macro = Macro(ds.year.values, drawn, streams(seed, ids, "macro"))
    out["gdp"] = quantile_table(macro.gdp, ds.year.values, YEARS)
    out["population"] = quantile_table(macro.population_runs, ds.year.values, YEARS)
    out["_attrs"] = ds.attrs
    return out


def forecast_table(scenario, as_of: int = MODEL_DATA_YEAR, runs: int = 200, seed: int = 1,
                   frame: pd.DataFrame | None = None, params: dict | None = None, **backend
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast rows (``COLUMNS``) and one source row per indicator."""
    modelled = model_paths(scenario, as_of, runs, seed, params, **backend)
    attrs = modelled.pop("_attrs")
    observed = hubei_series(frame, as_of=as_of, min_points=1)
    rows, sources = [], []
    for ind in sorted(set(modelled) | {k for k, s in observed.items() if len(s) >= MIN_POINTS}):
        has_data = ind in observed and len(observed[ind]) >= MIN_POINTS
        use_model = ind in modelled and (as_of >= MODEL_DATA_YEAR or not has_data or ind in ("gdp", "population"))
        if use_model:
            part, source = modelled[ind], "model"
            note = "" if as_of >= MODEL_DATA_YEAR or ind in ("gdp", "population") else \
                f"model anchored to data up to {MODEL_DATA_YEAR}: as-of cut not honoured"
            n = len(observed.get(ind, []))
        else:
            s = observed[ind]
            try:
                part, method = statistical(s)
            except ForecastError as exc:
                sources.append((ind, "none", "", len(s), int(s.index.max()), f"not forecast: {exc}"))
                continue
            source, note, n = "statistical", method, len(s)
            if ind in modelled:
                note += f"; stands in for the model (as-of {as_of} < {MODEL_DATA_YEAR})"
        part = part.assign(indicator=ind)[COLUMNS]
        rows.append(part)
        last = int(observed[ind].index.max()) if ind in observed and len(observed[ind]) else ""
        sources.append((ind, source, attrs.get("scenario_id", "") if source == "model" else "", n, last, note))
    table = pd.concat(rows, ignore_index=True)
    src = pd.DataFrame(sources, columns=["indicator", "source", "scenario", "points_used", "last_observed", "note"])
    return table, src

"""Summaries of an ensemble: bands, P(target met), the scoreboard of all 29 targets."""
from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from . import catalogue

QUANTILES = {"lo95": 0.025, "lo80": 0.1, "median": 0.5, "hi80": 0.9, "hi95": 0.975}
LIKELY, UNLIKELY = 0.8, 0.2          # traffic-light thresholds on P(target met)


def bands(da: xr.DataArray) -> xr.Dataset:
    """Median and 80 %/95 % bands over runs."""
    q = da.quantile(list(QUANTILES.values()), dim="run")
    return xr.Dataset({name: q.sel(quantile=p, drop=True) for name, p in QUANTILES.items()})


def p_met(ds: xr.Dataset, target_id: str, year: int | None = None) -> float:
    """Share of runs meeting a target in its year (or another year)."""
    var = target_variable(target_id)
    row = catalogue.targets().loc[target_id]
    values = ds[var].sel(year=year or int(row.target_year)).values
    return float(np.mean(catalogue.met(values, target_id)))


def target_variable(target_id: str) -> str:
    ind = catalogue.indicators()
    match = ind.index[ind.target == target_id]
    if len(match) == 0:
        raise KeyError(f"target {target_id} is not modelled yet")
    return match[0]


def light(p: float) -> str:
    """Traffic light for a probability: green, amber or red."""
    return "green" if p >= LIKELY else "red" if p < UNLIKELY else "amber"


def scoreboard(ds: xr.Dataset) -> pd.DataFrame:
    """One row per target: median, 80 % band and P(met) in the target year.

    Targets not modelled yet are kept with status 'not modelled yet'.  For a
    2018 target the column ``p_holds_2020`` says how likely it still holds in
    2020 (when the ensemble reaches 2020).
    """
    rows = []
    last = int(ds.year.max())
    modelled = set(catalogue.modelled_targets())
    ind = catalogue.indicators()
    for tid, t in catalogue.targets().iterrows():
        row = {"target": tid, "name_zh": t.name_zh, "name_en": t.name_en, "area": t.area,
               "year": int(t.target_year), "comparator": t.comparator, "value": float(t.target_value),
               "unit": t.unit, "modelled": tid in modelled}
        if tid in modelled:
            var = target_variable(tid)
            b = bands(ds[var].sel(year=int(t.target_year)))
            row.update({k: float(b[k]) for k in ("median", "lo80", "hi80")})
            row["p_met"] = p_met(ds, tid)
            row["light"] = light(row["p_met"])
            row["p_holds_2020"] = p_met(ds, tid, 2020) if t.target_year < 2020 <= last else np.nan
            row["calibration"] = ind.loc[var, "calibration"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def compare(base: xr.Dataset, other: xr.Dataset) -> pd.DataFrame:
    """Two scoreboards side by side with the difference (other - base).

    ``met_by_trend`` flags targets likely met (P >= 0.8) when ``base`` spends
    no extra money, i.e. met without the plan's funding.
    """
    a, b = scoreboard(base), scoreboard(other)
    out = a[["name_zh", "name_en", "year", "comparator", "value", "unit", "modelled"]].copy()
    for col in ("median", "p_met"):
        if col in a:
            out[f"{col}_base"], out[f"{col}_other"] = a[col], b[col]
            out[f"{col}_diff"] = b[col] - a[col]
    # "met by trend": likely met without any extra money (only when the base spends nothing)
    no_money = float(base.spending_allocated.sum()) == 0
    out["met_by_trend"] = no_money & (out["p_met_base"] >= LIKELY)
    return out


def spending_summary(ds: xr.Dataset) -> pd.DataFrame:
    """Money allocated and actually paid out per area over the run (亿元, median over runs)."""
    alloc = ds.spending_allocated.sum("year").to_series()
    used = ds.spending_used.sum("year").median("run").to_series()
    frame = pd.DataFrame({"allocated": alloc, "used": used})
    return frame[frame.allocated > 0]

"""Summaries of an ensemble: bands, P(target met), the scoreboard of all 29 targets.

``scoreboard(ds)`` is one scenario's board; ``compare_many(base, {name: ds}, reach)``
puts the baseline and up to three scenarios side by side with what each adds
over the trend, the flags "met without extra money" and "out of reach within
the lever bounds" (``reach`` is the ensemble of :func:`max_scenario`), and
cost-effectiveness (亿元 of the target's own area per unit gained over baseline).
Everything is driven by the catalogue: an indicator with a ``target`` appears.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from . import catalogue
from .scenario import LEVER_YEARS, Scenario, spending

QUANTILES = {"lo95": 0.025, "lo80": 0.1, "median": 0.5, "hi80": 0.9, "hi95": 0.975}
LIKELY, UNLIKELY = 0.8, 0.2          # traffic-light thresholds on P(target met)
MAX_SCENARIOS = 3                    # scenarios shown beside the baseline
INFO = ["name_zh", "name_en", "area", "year", "comparator", "value", "unit", "modelled"]
PER_SCENARIO = ["median", "lo80", "hi80", "p_met", "light", "p_holds_2020", "p_gain", "median_gain",
                "money", "cost_per_unit"]


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
    """The indicator that answers a target (KeyError when none does yet)."""
    found = _variables().get(target_id)
    if found is None:
        raise KeyError(f"target {target_id} is not modelled yet")
    return found


@lru_cache(maxsize=None)
def _variables() -> dict[str, str]:
    ind = catalogue.indicators()
    out: dict[str, str] = {}
    for var, target in zip(ind.index, ind.target):
        if target:
            out.setdefault(target, var)
    return out


@lru_cache(maxsize=None)
def _target_rows() -> tuple[dict, ...]:
    return tuple({"target": tid, **row} for tid, row in catalogue.targets().to_dict("index").items())


def light(p: float) -> str:
    """Traffic light for a probability: green, amber or red."""
    return "green" if p >= LIKELY else "red" if p < UNLIKELY else "amber"


def modelled(ds: xr.Dataset) -> list[str]:
    """Targets the catalogue marks as modelled and whose variable this ensemble holds."""
    years = set(int(y) for y in ds.year.values)
    return [t["target"] for t in _target_rows() if t["target"] in _variables() and
            _variables()[t["target"]] in ds and int(t["target_year"]) in years]


def scoreboard(ds: xr.Dataset) -> pd.DataFrame:
    """One row per target: median, 80 % band and P(met) in the target year.

    Targets not modelled yet are kept with status 'not modelled yet'.  For a
    2018 target the column ``p_holds_2020`` says how likely it still holds in
    2020 (when the ensemble reaches 2020).
    """
    rows = []
    last = int(ds.year.max())
    done = set(modelled(ds))
    ind = catalogue.indicators()
    years = list(ds.year.values)
    calibration = dict(zip(ind.index, ind.calibration))
    for t in _target_rows():
        tid, year = t["target"], int(t["target_year"])
        row = {"target": tid, "name_zh": t["name_zh"], "name_en": t["name_en"], "area": t["area"],
               "year": year, "comparator": t["comparator"], "value": float(t["target_value"]),
               "unit": t["unit"], "modelled": tid in done}
        if tid in done:
            var = target_variable(tid)
            values = np.asarray(ds[var].values)          # (run, year): numpy, not xarray, for speed
            at = values[:, years.index(year)]
            row.update(dict(zip(("lo80", "median", "hi80"), np.quantile(at, [0.1, 0.5, 0.9]).tolist())))
            meets = catalogue.COMPARATORS[t["comparator"]]     # as catalogue.met, without a .loc per call
            row["p_met"] = float(np.mean(meets(at, t["target_value"])))
            row["light"] = light(row["p_met"])
            holds = year < 2020 <= last
            row["p_holds_2020"] = float(np.mean(meets(values[:, years.index(2020)], t["target_value"]))) if holds else np.nan
            row["indicator"] = var
            row["calibration"] = calibration[var]
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def max_scenario() -> Scenario:
    """Every lever at its upper bound in every year 2016-2020: the most any funding can do.

    One scenario for all targets (not one per area): it includes what other
    areas add through the couplings, so "out of reach" is the stricter claim.
    """
    return spending(catalogue.areas()["max"].astype(float).to_dict(), sid="max-levers",
                    name_zh="全部杠杆取上限", name_en="Every lever at its maximum", where="max_scenario")


def area_money(ds: xr.Dataset, area: str, year: int) -> float:
    """Extra money allocated to an area from 2016 to ``year`` inclusive, 亿元."""
    return _money_table(ds).get((area, int(year)), 0.0)


def _money_table(ds: xr.Dataset) -> dict[tuple[str, int], float]:
    """(area, year) -> money allocated from 2016 to that year, 亿元 (numpy, once per ensemble)."""
    alloc = ds.spending_allocated
    years = np.asarray(alloc.year.values)
    arr = np.asarray(alloc.transpose("year", "area").values, dtype=float)
    cum = np.cumsum(np.where((years >= LEVER_YEARS[0])[:, None], arr, 0.0), axis=0)
    return {(str(a), int(y)): float(cum[i, j]) for j, a in enumerate(alloc.area.values)
            for i, y in enumerate(years)}


def _gain(median: float, base_median: float, comparator: str) -> float:
    """Improvement over baseline in the target's direction (a '<=' target gains by falling)."""
    diff = median - base_median
    return -diff if comparator in ("<=", "<") else diff


def compare_many(base: xr.Dataset, others: dict[str, xr.Dataset], reach: xr.Dataset | None = None, *,
                 base_board: pd.DataFrame | None = None,
                 reach_board: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline and up to ``MAX_SCENARIOS`` scenarios side by side, modelled targets only.

    Returns ``(targets, values)``: ``targets`` has one row per modelled target
    (catalogue fields, ``indicator``, ``calibration``, ``met_without_money`` =
    baseline P >= 0.8, ``p_reach`` and ``out_of_reach`` = P < 0.2 in ``reach``,
    NaN/False when ``reach`` is None); ``values`` is indexed by (target,
    scenario) with ``baseline`` first and holds median, 80 % band, P(met),
    light, P(holds in 2020), ``p_gain`` and ``median_gain`` over baseline,
    ``money`` (亿元 of the target's area to its year, over baseline) and
    ``cost_per_unit`` (money / median_gain; NaN when either is not positive).
    ``base_board`` and ``reach_board``, when given, are ``scoreboard(base)`` and
    ``scoreboard(reach)`` computed once by the caller (the app caches them).
    """
    if len(others) > MAX_SCENARIOS:
        raise ValueError(f"at most {MAX_SCENARIOS} scenarios beside the baseline (got {len(others)})")
    if "baseline" in others:
        raise ValueError("'baseline' is reserved for the base ensemble")
    first = scoreboard(base) if base_board is None else base_board
    boards = {"baseline": first} | {name: scoreboard(ds) for name, ds in others.items()}
    data = {"baseline": base} | dict(others)
    ids = [t for t in first.index[first.modelled] if all(b.loc[t, "modelled"] for b in boards.values())]
    targets = first.loc[ids, INFO + ["indicator", "calibration"]].copy()
    targets["met_without_money"] = first.loc[ids, "p_met"] >= LIKELY
    if reach is not None:
        rb = scoreboard(reach) if reach_board is None else reach_board
        targets["p_reach"] = rb.loc[ids, "p_met"].astype(float)
        targets["out_of_reach"] = targets.p_reach < UNLIKELY
    else:
        targets["p_reach"], targets["out_of_reach"] = np.nan, False
    rows = []
    money = {name: _money_table(ds) for name, ds in data.items()}
    records = {name: board.to_dict("index") for name, board in boards.items()}
    for tid, t in targets[["area", "year", "comparator"]].to_dict("index").items():
        b = records["baseline"][tid]
        key = (t["area"], int(t["year"]))
        for name, board in records.items():
            r = board[tid]
            gain = _gain(r["median"], b["median"], t["comparator"])
            spent = money[name].get(key, 0.0) - money["baseline"].get(key, 0.0)
            cost = spent / gain if spent > 0 and gain > 0 else np.nan
            rows.append({"target": tid, "scenario": name, "median": r["median"], "lo80": r["lo80"],
                         "hi80": r["hi80"], "p_met": r["p_met"], "light": r["light"],
                         "p_holds_2020": r["p_holds_2020"], "p_gain": r["p_met"] - b["p_met"],
                         "median_gain": gain, "money": spent, "cost_per_unit": cost})
    values = pd.DataFrame(rows, columns=["target", "scenario", *PER_SCENARIO]).set_index(["target", "scenario"])
    return targets, values


def compare(base: xr.Dataset, other: xr.Dataset, reach: xr.Dataset | None = None) -> pd.DataFrame:
    """Two scoreboards side by side with the difference (other - base).

    ``met_by_trend`` flags targets likely met (P >= 0.8) when ``base`` spends
    no extra money, i.e. met without the plan's funding; ``out_of_reach``
    flags targets with P < 0.2 in ``reach`` (the :func:`max_scenario`
    ensemble, when given); ``cost_per_unit`` is 亿元 of the target's area per
    unit gained over ``base``.
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
    out["out_of_reach"] = False
    out["cost_per_unit"] = np.nan
    if out.modelled.any():
        targets, values = compare_many(base, {"other": other}, reach)
        out.loc[targets.index, "out_of_reach"] = targets.out_of_reach
        out.loc[targets.index, "cost_per_unit"] = values.xs("other", level="scenario").cost_per_unit
    return out


def spending_summary(ds: xr.Dataset) -> pd.DataFrame:
    """Money allocated and actually paid out per area over the run (亿元, median over runs)."""
    alloc = ds.spending_allocated.sum("year").to_series()
    used = ds.spending_used.sum("year").median("run").to_series()
    frame = pd.DataFrame({"allocated": alloc, "used": used})
    return frame[frame.allocated > 0]

"""Experiments: the model as a function of levers and uncertainties (for issue #7's analyses).

EMA Workbench's framing: *levers* are each wired action area's extra money
(亿元/yr, the same every year 2016-2020, bounds from ``levers.csv``);
*uncertainties* are the behavioural parameters drawn per run (their prior
ranges from the parameter table); *outcomes* are every modelled target's
indicator in its target year and whether it is met.

``evaluate(design, runs, seed)`` runs one small ensemble per row of a design
(a DataFrame whose columns are factor names) and returns an
``xarray.Dataset`` (sample, run, target).  Every sample uses the same seed,
so candidates are compared on common random numbers; an uncertainty that is
a column of the design is pinned to that value in every run of the sample,
the others are drawn per run as usual.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

from . import catalogue, parameters, scoreboard
from .scenario import spending

LEVER, UNCERTAINTY = "lever", "uncertainty"
HOLDS_YEAR = 2020          # the year a 2018 target should still hold in


def factors(levers: bool = True, uncertainties: bool = True) -> pd.DataFrame:
    """The factor space: one row per lever or uncertainty with its bounds, unit and names.

    Columns: kind (lever / uncertainty), module, low, high, unit, name_zh,
    name_en, status (for uncertainties: source / derived / assumption / ...).
    Levers are the wired areas only: a lever-only area changes no outcome.
    """
    rows = []
    if levers:
        areas = catalogue.areas()
        for area in catalogue.wired_areas():
            a = areas.loc[area]
            rows.append({"factor": area, "kind": LEVER, "module": a.module, "low": float(a["min"]),
                         "high": float(a["max"]), "unit": "亿元/年", "name_zh": a.name_zh,
                         "name_en": a.name_en, "status": "policy"})
    if uncertainties:
        table = parameters.table()
        for name in parameters.uncertain():
            p = table[name]
            rows.append({"factor": name, "kind": UNCERTAINTY, "module": p.module, "low": p.low,
                         "high": p.high, "unit": p.unit, "name_zh": name, "name_en": name,
                         "status": p.status})
    return pd.DataFrame(rows).set_index("factor")


def check_design(design: pd.DataFrame) -> pd.DataFrame:
    """Validate a design: known factors, finite values within their bounds (ValueError otherwise)."""
    space = factors()
    if not isinstance(design, pd.DataFrame) or design.empty:
        raise ValueError("design must be a non-empty DataFrame with one column per factor")
    unknown = [c for c in design.columns if c not in space.index]
    if unknown:
        raise ValueError(f"design: unknown factors {unknown} (levers are wired areas, uncertainties "
                         "are parameters drawn per run)")
    values = design.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("design: values must be finite")
    low, high = space.loc[design.columns, "low"].to_numpy(), space.loc[design.columns, "high"].to_numpy()
    outside = (values < low - 1e-9 * np.abs(low)) | (values > high + 1e-9 * np.abs(high))
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise ValueError(f"design: {design.columns[j]} = {values[i, j]:g} in sample {i} is outside "
                         f"[{low[j]:g}, {high[j]:g}]")
    return design.astype(float)


def targets(end_year: int = 2020) -> list[str]:
    """Modelled targets whose year the ensemble reaches."""
    t = catalogue.targets()
    return [tid for tid in catalogue.modelled_targets() if int(t.loc[tid, "target_year"]) <= end_year]


def outcomes(ds: xr.Dataset, ids: list[str] | None = None,
             year: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per run, each target's indicator in its target year (or in ``year``) and whether it meets
    the target then: (run, target) arrays."""
    ids = ids or targets(int(ds.year.max()))
    t = catalogue.targets()
    years = [int(y) for y in ds.year.values]
    value = np.empty((ds.sizes["run"], len(ids)))
    for j, tid in enumerate(ids):
        at = years.index(year or int(t.loc[tid, "target_year"]))
        value[:, j] = np.asarray(ds[scoreboard.target_variable(tid)].values)[:, at]
    met = np.column_stack([catalogue.met(value[:, j], tid) for j, tid in enumerate(ids)])
    return value, met


def scenario_for(levers: dict[str, float], base: dict[str, float] | None = None):
    """A scenario with these levers (亿元/yr, every year 2016-2020) over a base allocation."""
    return spending({**(base or {}), **levers}, sid="experiment", name_zh="试验方案", name_en="Experiment",
                    where="experiment")


def _sample(levers: dict[str, float], pinned: dict[str, float], base: dict[str, float] | None,
            runs: int, seed: int, end_year: int, ids: list[str], holds: bool) -> tuple[np.ndarray, ...]:
    from .engine import simulate      # engine imports nothing from here; import late to keep it so
    ds = simulate(scenario_for(levers, base), runs, seed, pinned or None, end_year=end_year, batch_size=runs)
    return outcomes(ds, ids) + (outcomes(ds, ids, HOLDS_YEAR) if holds else ())


def _task(index: int, *args) -> tuple:
    return (index, *_sample(*args))


def evaluate(design: pd.DataFrame, runs: int = 8, seed: int = 0, *, base: dict[str, float] | None = None,
             end_year: int = 2020, holds: bool = False, progress: Callable[[int, int], None] | None = None,
             scheduler: str | None = None, workers: int | None = None) -> xr.Dataset:
    """Run ``runs`` runs of the model for every row of ``design``; outcomes per (sample, run, target).

    Lever columns set an area's money (亿元/yr, 2016-2020) over ``base``
    (other areas; default no extra money); uncertainty columns pin a
    parameter in every run of the sample.  All samples share ``seed``
    (common random numbers).  With ``workers`` or ``scheduler`` the samples
    run as tasks on a Dask cluster; results are the same either way.
    Returns variables ``value`` and ``met`` (sample, run, target) and
    ``design`` (sample, factor), with provenance attributes; with ``holds``
    also ``value_2020`` and ``met_2020``: every target's indicator in 2020
    and whether the target is met then (does a 2018 target still hold?).
    """
    design = check_design(design)
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"runs must be a positive integer (got {runs!r})")
    space = factors()
    kinds = space.loc[design.columns, "kind"]
    lever_cols = [c for c in design.columns if kinds[c] == LEVER]
    pin_cols = [c for c in design.columns if kinds[c] == UNCERTAINTY]
    ids = targets(end_year)
    if holds and end_year < HOLDS_YEAR:
        raise ValueError(f"holds needs end_year >= {HOLDS_YEAR}")
    tasks = [(i, {c: row[c] for c in lever_cols}, {c: row[c] for c in pin_cols}, base, int(runs), int(seed),
              end_year, ids, holds) for i, row in enumerate(design.to_dict("records"))]
    names = ["value", "met"] + ([f"value_{HOLDS_YEAR}", f"met_{HOLDS_YEAR}"] if holds else [])
    arrays = {k: np.empty((len(tasks), runs, len(ids)), dtype=bool if k.startswith("met") else float) for k in names}
    if scheduler is None and workers is None:
        done_tasks = (_task(*task) for task in tasks)
    else:
        from . import distributed
        done_tasks = distributed.run_tasks(_task, tasks, scheduler, workers)
    for done, (i, *found) in enumerate(done_tasks, start=1):
        for k, v in zip(names, found):
            arrays[k][i] = v
        if progress:
            progress(done, len(tasks))
    return _dataset(design, arrays, ids, runs, seed, base, space)


def _dataset(design, arrays, ids, runs, seed, base, space) -> xr.Dataset:
    from .results import provenance
    t = catalogue.targets()
    ds = xr.Dataset(
        {**{k: (("sample", "run", "target"), v) for k, v in arrays.items()},
         "design": (("sample", "factor"), design.to_numpy(dtype=float))},
        coords={"sample": np.arange(len(design)), "run": np.arange(runs), "target": ids,
                "factor": list(design.columns),
                "kind": ("factor", space.loc[design.columns, "kind"].tolist()),
                "target_year": ("target", [int(t.loc[i, "target_year"]) for i in ids]),
                "target_unit": ("target", [str(t.loc[i, "unit"]) for i in ids])})
    ds.attrs.update(provenance(seed))
    ds.attrs["runs_per_sample"] = int(runs)
    ds.attrs["base_levers"] = repr(dict(sorted((base or {}).items())))
    return ds

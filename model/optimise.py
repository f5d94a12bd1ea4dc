"""How should a fixed budget be spent?  Robust allocation of a total across the wired areas (#7, q. 2).

``optimise(total, objective, ...)`` finds the split of ``total`` (亿元 over
2016-2020; each area's lever is spent every year, so the yearly levers sum to
``total / 5``) across the 11 wired action areas, within per-area bounds
(``levers.csv``, or narrower), that maximises

- ``expected_met``: the mean over runs of the number of targets met, or
- ``p_all_priority``: the share of runs in which every priority target is met.

Robust over the uncertainties: every candidate is scored on the same ``runs``
runs (``experiments.evaluate`` with one seed: common random numbers, each run
with its own drawn behavioural parameters), so candidates differ by their
money, not by luck.  The optimiser is scipy's ``differential_evolution``
(vectorised: one whole population per ``evaluate`` call, which runs the
candidates as Dask tasks with ``workers``/``scheduler``); no polishing (the
objective is a step function of the money, gradients are zero).

The budget equality is handled by a parametrisation (``allocate``): a point
``z`` of the unit box [0, 1]^k weights the free areas, and the money above the
lower bounds is shared in proportion to ``z`` and poured again over the areas
not yet at their upper bound ("water filling") until all of it is placed.
Every point of the box maps to an allocation that sums to the budget and
respects the bounds, and every such allocation is reached (``z`` proportional
to the money above the lower bounds).  The plan's own proportions, scaled to
the total, are put into the first population (``x0``), so the optimiser
starts from the plan.

The plan (``scenarios/plan.toml``, every amount an ASSUMPTION) gives the
reference: its total (65.5亿元 over 2016-2020), its allocation evaluated on
the same runs (with infrastructure's year-by-year profile), the money per
area by which the best allocation differs, and which targets each gains.
The trade-off curve re-optimises at several totals: the money of the fixed
areas plus ``multiples`` (0.25, 0.5, 1, 2) of the plan's money in the free
areas (with every area free: 0.25-2× the plan's total).  Because the best
allocation is chosen on the optimisation runs, its score there is optimistic;
the best allocations and the plan are evaluated again on ``check_runs`` fresh
runs (seed + 1) to show the out-of-sample difference.

Default design (``DEFAULT``): every wired area free, 4 totals, ``runs`` = 16
per candidate, population 5 × 11 = 55 candidates, at most 15 generations
after the first population: at most 55 × 16 = 880 candidates (× 16 runs =
14,080 model runs) per total, 3,520
candidates (56,320 runs) in all, plus the check (4 × 64 runs + the plan).
Measured here, serial: 1,772 s wall with the 2 cores shared by three other
jobs (load 5-7), 14.3 CPU minutes (about 15 min on an idle core).
``QUICK``: two areas free (infrastructure, advanced manufacturing; the rest
fixed at the plan's yearly amounts), 3 totals, 4 runs, population 5 × 2,
3 generations, 8 check runs: 35 s for the whole command under the same load.
"""
from __future__ import annotations

import contextlib
import json
import time
from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

from . import catalogue, experiments
from .allocation import allocate, maximise, weights_for
from .scenario import LEVER_YEARS, presets

YEARS = len(LEVER_YEARS)                     # the levers are spent every year 2016-2020
OBJECTIVES = ("expected_met", "p_all_priority")
DEFAULT = {"runs": 16, "popsize": 5, "maxiter": 15, "tol": 0.0, "check_runs": 64,
           "multiples": (0.25, 0.5, 1.0, 2.0), "areas": None}
QUICK = {"runs": 4, "popsize": 5, "maxiter": 3, "tol": 0.0, "check_runs": 8,
         "multiples": (0.5, 1.0, 2.0), "areas": ("infrastructure", "advanced_manufacturing")}


# -- the plan (scenarios/plan.toml: assumed money) --------------------------------------------------
def plan_levers() -> dict[str, list[float]]:
    """The plan's assumed money per wired area, 亿元 for each year 2016-2020 (an ASSUMPTION)."""
    plan = presets()["plan"]
    return {a: [plan.levers.get(a, {}).get(str(y), 0.0) for y in LEVER_YEARS] for a in _areas()}


def plan_allocation() -> pd.Series:
    """The plan's yearly money per wired area, 亿元/yr (its 2016-2020 total / 5)."""
    return pd.Series({a: sum(v) / YEARS for a, v in plan_levers().items()}, name="plan")


def _areas() -> list[str]:
    return list(experiments.factors(uncertainties=False).index)


# -- the model's objective ------------------------------------------------------------------------
def _score(met: np.ndarray, objective: str, columns: list[int]) -> np.ndarray:
    """(sample, run, target) met -> (sample,) objective values."""
    if objective == "expected_met":
        return met.sum(-1).mean(-1)
    return met[..., columns].all(-1).mean(-1)


def _plan_met(runs: int, seed: int, ids: list[str]) -> np.ndarray:
    """The plan itself (year-by-year money) on the same runs as ``evaluate``: (run, target) met."""
    from .engine import simulate
    ds = simulate(presets()["plan"], runs, seed, end_year=2020, batch_size=runs)
    return experiments.outcomes(ds, ids)[1]


def _check(objective, priority, bounds, areas, total, multiples, runs, check_runs, seed, popsize, maxiter):
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    ids = experiments.targets()
    priority = list(priority or [])
    if objective == "p_all_priority" and not priority:
        raise ValueError("objective p_all_priority needs a list of priority targets (--priority t1,t2)")
    unknown = [t for t in priority if t not in ids]
    if unknown:
        raise ValueError(f"priority: unknown targets {unknown}; modelled targets are {', '.join(ids)}")
    wired, plan = _areas(), plan_allocation()
    space = experiments.factors(uncertainties=False)
    for name in list(bounds or {}) + list(areas or []):
        if name not in wired:
            raise ValueError(f"unknown area {name!r}; wired areas are {', '.join(wired)}")
    low, high = space.low.copy(), space.high.copy()
    for a, (lo, hi) in (bounds or {}).items():
        lo, hi = float(lo), float(hi)
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi or lo < space.low[a] or hi > space.high[a]:
            raise ValueError(f"bounds of {a}: [{lo:g}, {hi:g}] must be an interval within levers.csv's "
                             f"[{space.low[a]:g}, {space.high[a]:g}] 亿元/yr")
        low[a], high[a] = lo, hi
    if areas:                                         # the other areas are fixed at the plan's yearly money
        for a in wired:
            if a not in areas:
                low[a] = high[a] = float(np.clip(plan[a], low[a], high[a]))
    if not (high > low).any():
        raise ValueError("no area is free to vary: widen --bounds or free more --areas")
    for name, v in (("runs", runs), ("check_runs", check_runs), ("seed", seed), ("popsize", popsize),
                    ("maxiter", maxiter)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be a {'non-negative' if name == 'seed' else 'positive'} integer (got {v!r})")
    if any(not np.isfinite(m) or m <= 0 for m in multiples):
        raise ValueError(f"multiples must be positive (got {list(multiples)})")
    total = float(YEARS * plan.sum()) if total is None else float(total)
    if not np.isfinite(total) or total < 0:
        raise ValueError(f"total must be a non-negative number of 亿元 over 2016-2020 (got {total:g})")
    if total < YEARS * low.sum() - 1e-9 or total > YEARS * high.sum() + 1e-9:
        raise ValueError(f"total {total:g}亿元 over 2016-2020 is outside what the bounds allow: "
                         f"[{YEARS * low.sum():g}, {YEARS * high.sum():g}] (5 × the sum of the yearly bounds)")
    return ids, priority, low, high, total


def optimise(total: float | None = None, objective: str = "expected_met", priority=None, bounds=None,
             areas=None, runs: int = DEFAULT["runs"], seed: int = 1, *, multiples=DEFAULT["multiples"],
             popsize: int = DEFAULT["popsize"], maxiter: int = DEFAULT["maxiter"], tol: float = DEFAULT["tol"],
             check_runs: int = DEFAULT["check_runs"], progress: Callable[[int, int], None] | None = None,
             scheduler: str | None = None, workers: int | None = None) -> xr.Dataset:
    """The best split of ``total`` (亿元 over 2016-2020; default the plan's, an assumption) across the areas.

    ``bounds``: {area: (low, high)} 亿元/yr narrowing ``levers.csv``;
    ``areas``: the areas free to vary (the others keep the plan's yearly
    money); ``priority``: target ids for ``objective="p_all_priority"``.
    Optimises at ``total`` and, for the trade-off curve, at the fixed areas'
    money plus ``multiples`` of the plan's money in the free areas (totals
    the bounds cannot hold are left out).  Returns a Dataset over (total,
    area, target) with provenance; see the module docstring for the design.
    """
    ids, priority, low, high, total = _check(objective, priority, bounds, areas, total, multiples, runs,
                                             check_runs, seed, popsize, maxiter)
    wired, plan = list(low.index), plan_allocation()
    free = (high - low > 0).to_numpy()
    fixed = YEARS * low[~free].sum()
    curve = {round(fixed + m * YEARS * plan[free].sum(), 6) for m in multiples} | {round(total, 6)}
    totals = sorted(t for t in curve if YEARS * low.sum() - 1e-9 <= t <= YEARS * high.sum() + 1e-9)
    skipped = sorted(curve - set(totals))
    columns = [ids.index(t) for t in priority]
    k = int(free.sum())
    expected = len(totals) * (max(5, popsize * k) * (maxiter + 1) + 3)        # at most; + best, scaled, check
    done = [0]

    def run_design(allocs: np.ndarray, n_runs: int, s: int) -> np.ndarray:
        ds = experiments.evaluate(pd.DataFrame(allocs, columns=wired), runs=n_runs, seed=s,
                                  scheduler=scheduler, workers=workers)
        done[0] += len(allocs)
        if progress:
            progress(min(done[0], expected), expected)
        return ds.met.values

    def model_objective(rows: np.ndarray) -> np.ndarray:
        full = np.tile(low.to_numpy(), (len(rows), 1))
        full[:, free] = rows
        return _score(run_design(full, runs, seed), objective, columns)

    from . import distributed
    started = time.perf_counter()
    cluster = distributed.cluster(scheduler, workers) if (scheduler or workers) else contextlib.nullcontext()
    found = []
    with cluster:
        for t in totals:
            budget = t / YEARS - low[~free].sum()
            start = allocate(weights_for(plan[free].clip(low[free], high[free]), low[free], high[free]),
                             budget, low[free], high[free])
            r = maximise(model_objective, budget, low[free].to_numpy(), high[free].to_numpy(), popsize=popsize,
                         maxiter=maxiter, tol=tol, seed=seed, x0=start)
            x = low.to_numpy().copy()
            x[free] = r["x"]
            scaled = low.to_numpy().copy()
            scaled[free] = start
            found.append((x, scaled, r))
        best = np.stack([f[0] for f in found])
        scaled = np.stack([f[1] for f in found])
        met = run_design(np.vstack([best, scaled]), runs, seed)
        check = run_design(best, check_runs, seed + 1)
        plan_met, plan_check = _plan_met(runs, seed, ids), _plan_met(check_runs, seed + 1, ids)
    elapsed = time.perf_counter() - started
    return _dataset(locals())


def _dataset(v: dict) -> xr.Dataset:
    from .results import provenance
    ids, totals, wired, n = v["ids"], v["totals"], v["wired"], len(v["totals"])
    met, check, plan_met, plan_check = v["met"], v["check"], v["plan_met"], v["plan_check"]
    obj, cols = v["objective"], v["columns"]
    score = lambda m: _score(m, obj, cols)                                   # noqa: E731
    gens = max(len(f[2]["history"]) for f in v["found"])
    history = np.full((n, gens), np.nan)
    for i, f in enumerate(v["found"]):
        history[i, :len(f[2]["history"])] = f[2]["history"]
    plan_total = YEARS * float(v["plan"].sum())
    at_plan = [i for i, t in enumerate(totals) if abs(t - plan_total) < 1e-6]
    j = at_plan[0] if at_plan else None
    nan_area, nan_target = np.full(len(wired), np.nan), np.full(len(ids), np.nan)
    t = catalogue.targets()
    y, yt, ya = ("total",), ("total", "target"), ("total", "area")
    data = {
        "allocation": (ya, v["best"], {"units": "亿元/年", "long_name_en": "best allocation (every year 2016-2020)",
                                       "long_name_zh": "最优分配（2016-2020年每年）"}),
        "objective_value": (y, score(met[:n]), {"long_name_en": f"{obj} of the best allocation, optimisation runs"}),
        "expected_met": (y, met[:n].sum(-1).mean(-1), {"long_name_en": "expected number of targets met (best)",
                                                       "long_name_zh": "预期达成目标数（最优分配）"}),
        "p_met": (yt, met[:n].mean(1), {"long_name_en": "P(target met), best allocation"}),
        "plan_scaled_allocation": (ya, v["scaled"], {"units": "亿元/年",
                                                     "long_name_en": "the plan's proportions scaled to the total"}),
        "plan_scaled_expected_met": (y, met[n:].sum(-1).mean(-1), {"long_name_en": "expected targets met, plan scaled"}),
        "plan_scaled_objective": (y, score(met[n:]), {"long_name_en": f"{obj}, plan's proportions scaled"}),
        "check_expected_met": (y, check.sum(-1).mean(-1), {"long_name_en": "expected targets met (best), fresh runs"}),
        "check_objective": (y, score(check), {"long_name_en": f"{obj} (best), fresh runs"}),
        "plan_allocation": (("area",), v["plan"].to_numpy(), {"units": "亿元/年", "assumption": "scenarios/plan.toml",
                            "long_name_en": "the plan's money per year (2016-2020 mean; ASSUMPTION)"}),
        "plan_expected_met": ((), plan_met.sum(-1).mean(), {"long_name_en": "expected targets met, plan"}),
        "plan_objective": ((), float(score(plan_met[None])[0]), {"long_name_en": f"{obj}, plan"}),
        "plan_p_met": (("target",), plan_met.mean(0), {"long_name_en": "P(target met), plan"}),
        "plan_check_expected_met": ((), plan_check.sum(-1).mean(), {"long_name_en": "expected targets met, plan, fresh runs"}),
        "plan_check_p_met": (("target",), plan_check.mean(0), {"long_name_en": "P(target met), plan, fresh runs"}),
        "check_p_met": (yt, check.mean(1), {"long_name_en": "P(target met), best allocation, fresh runs"}),
        "plan_check_objective": ((), float(score(plan_check[None])[0]), {"long_name_en": f"{obj}, plan, fresh runs"}),
        "allocation_difference": (("area",), nan_area if j is None else v["best"][j] - v["plan"].to_numpy(),
                                  {"units": "亿元/年", "long_name_en": "best minus plan at the plan's total"}),
        "gain": (("target",), nan_target if j is None else met[j].mean(0) - plan_met.mean(0),
                 {"long_name_en": "P(met) best minus plan at the plan's total, optimisation runs"}),
        "check_gain": (("target",), nan_target if j is None else check[j].mean(0) - plan_check.mean(0),
                       {"long_name_en": "P(met) best minus plan at the plan's total, fresh runs"}),
        "low": (("area",), v["low"].to_numpy(), {"units": "亿元/年"}),
        "high": (("area",), v["high"].to_numpy(), {"units": "亿元/年"}),
        "free": (("area",), v["free"].astype(np.int8)),
        "nfev": (y, [f[2]["nfev"] for f in v["found"]]), "nit": (y, [f[2]["nit"] for f in v["found"]]),
        "success": (y, np.array([f[2]["success"] for f in v["found"]], dtype=np.int8)),
        "message": (y, np.array([f[2]["message"] for f in v["found"]], dtype=str)),
        "history": (("total", "generation"), history, {"long_name_en": "best objective after each generation"}),
    }
    areas = catalogue.areas()
    ds = xr.Dataset({k: xr.Variable(*d) for k, d in data.items()},
                    coords={"total": ("total", totals, {"units": "亿元 (2016-2020)"}), "area": wired,
                            "target": ids, "generation": np.arange(gens),
                            "area_name_zh": ("area", areas.loc[wired, "name_zh"].tolist()),
                            "area_name_en": ("area", areas.loc[wired, "name_en"].tolist()),
                            "target_name_zh": ("target", t.loc[ids, "name_zh"].tolist()),
                            "target_name_en": ("target", t.loc[ids, "name_en"].tolist()),
                            "target_year": ("target", t.loc[ids, "target_year"].astype(int).tolist())})
    ds.attrs.update(provenance(v["seed"]))
    ds.attrs.update({
        "analysis": "optimise", "objective": obj, "priority": json.dumps(v["priority"]),
        "total_requested": v["total"], "plan_total": plan_total,
        "plan_total_note": "ASSUMPTION: the plan's assumed money in scenarios/plan.toml (亿元 over 2016-2020)",
        "totals": json.dumps(totals), "totals_skipped": json.dumps(v["skipped"]),
        "multiples": json.dumps([float(m) for m in v["multiples"]]),
        "bounds": json.dumps({a: [float(v["low"][a]), float(v["high"][a])] for a in wired}),
        "free_areas": json.dumps([a for a, f in zip(wired, v["free"]) if f]),
        "runs_per_sample": int(v["runs"]), "check_runs": int(v["check_runs"]), "check_seed": int(v["seed"]) + 1,
        "method": "scipy.optimize.differential_evolution (vectorized, updating=deferred, polish=False, "
                  "latinhypercube init, plan's proportions as x0) over the unit box of weights mapped onto "
                  "{sum = total/5, low <= x <= high} by proportional water filling (optimise.allocate); "
                  "common random numbers: every candidate on the same runs (experiments.evaluate, one seed)",
        "optimiser": json.dumps({"popsize": int(v["popsize"]), "maxiter": int(v["maxiter"]), "tol": float(v["tol"]),
                                 "strategy": "best1bin", "mutation": [0.5, 1], "recombination": 0.7,
                                 "rng": int(v["seed"])}),
        "candidates_evaluated": int(v["done"][0]), "model_runs_search": int(sum(f[2]["nfev"] for f in v["found"]) * v["runs"]),
        "elapsed_seconds": round(v["elapsed"], 1),
    })
    return ds


def summary(ds: xr.Dataset, lang: str = "zh") -> list[str]:
    """A short readable summary of an optimisation result (Chinese or English)."""
    zh = lang == "zh"
    names = ds["area_name_zh" if zh else "area_name_en"].values
    tnames = ds["target_name_zh" if zh else "target_name_en"].values
    req = int(np.argmin(np.abs(ds.total.values - ds.attrs["total_requested"])))
    lines = [("目标：" if zh else "objective: ") + ds.attrs["objective"]
             + (f" {json.loads(ds.attrs['priority'])}" if ds.attrs["objective"] == "p_all_priority" else ""),
             (f"规划总投入（假设，scenarios/plan.toml）：{ds.attrs['plan_total']:.1f}亿元" if zh else
              f"plan's total (ASSUMPTION, scenarios/plan.toml): {ds.attrs['plan_total']:.1f}亿元"),
             ("最优分配（亿元/年，总额 " if zh else "best allocation (亿元/yr, total ")
             + f"{ds.total.values[req]:.1f}亿元 2016-2020):"]
    for a, name in enumerate(names):
        lines.append(f"  {name}: {ds.allocation.values[req, a]:.2f}"
                     + (f"  ({'规划' if zh else 'plan'} {ds.plan_allocation.values[a]:.2f})"))
    lines.append("预算与预期达成目标数（优化样本 / 新样本；规划比例按总额缩放）：" if zh else
                 "budget vs expected targets met (optimisation runs / fresh runs; plan's proportions scaled):")
    for i, t in enumerate(ds.total.values):
        lines.append(f"  {t:7.1f}亿元: {ds.expected_met.values[i]:.2f} / {ds.check_expected_met.values[i]:.2f}"
                     f"   ({'规划比例' if zh else 'plan scaled'} {ds.plan_scaled_expected_met.values[i]:.2f})")
    lines.append((f"规划本身：{float(ds.plan_expected_met):.2f} / {float(ds.plan_check_expected_met):.2f}" if zh else
                  f"the plan itself: {float(ds.plan_expected_met):.2f} / {float(ds.plan_check_expected_met):.2f}"))
    if ds.attrs["objective"] == "p_all_priority":
        lines.append("P(全部优先目标达成)（优化样本 / 新样本）：" if zh else
                     "P(all priority targets met) (optimisation runs / fresh runs):")
        lines += [f"  {t:7.1f}亿元: {ds.objective_value.values[i]:.2f} / {ds.check_objective.values[i]:.2f}"
                  for i, t in enumerate(ds.total.values)]
        lines.append(("  规划本身：" if zh else "  the plan itself: ")
                     + f"{float(ds.plan_objective):.2f} / {float(ds.plan_check_objective):.2f}")
    gain = ds.check_gain.values
    if np.isfinite(gain).any():
        order = [i for i in np.argsort(-np.abs(gain)) if abs(gain[i]) >= 0.05]
        lines.append("同样总额下最优分配相对规划的P(达成)变化（新样本，|Δ|≥0.05）：" if zh else
                     "P(met), best minus plan at the plan's total (fresh runs, |Δ| >= 0.05):")
        lines += [f"  {ds.target.values[i]} {tnames[i]}: {gain[i]:+.2f}" for i in order] or ["  -"]
    lines.append(("收敛：" if zh else "convergence: ") + "; ".join(
        f"{t:.1f}: nit {int(n)}, nfev {int(f)}, {'converged' if s else 'maxiter reached'}"
        for t, n, f, s in zip(ds.total.values, ds.nit.values, ds.nfev.values, ds.success.values)))
    return lines

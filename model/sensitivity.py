"""What matters? Global sensitivity analysis of the targets to levers and uncertainties (issue #7, 1).

``sensitivity(method, ...)`` screens factors with Morris's elementary effects
or apportions variance with Sobol' indices (SALib does the sampling and the
analysis) and returns an ``xarray.Dataset`` with provenance.

Factors are ``experiments.factors()``: the 11 wired levers (亿元/yr extra,
every year 2016-2020) and the 107 behavioural parameters drawn per run.
SALib samples the unit hypercube; a point is mapped to a factor value through
the factor's own distribution: a parameter's prior (uniform or triangular, from
the parameter table), a lever uniformly over its slider bounds in
``levers.csv`` (an assumption: the bounds are the modellers' choice, and every
allocation in them is weighted equally).  Levers outside the design get no
extra money; parameters outside the design are drawn per run as usual.

Outcomes: every modelled target in its target year and, for a 2018 target,
the same indicator in 2020 ("does it still hold?").  For each outcome two
measures per sample: ``value``, the indicator's mean over the sample's
``runs`` runs, and ``p_met``, the share of those runs meeting the target.
All samples share the seed (common random numbers), so a difference between
two samples is the factors' doing, not sampling noise.

Morris: mu_star (mean |elementary effect|: the outcome's change per move of
a factor across its whole range in quantile space, SALib scaling each step
of 2/3 of the range by it; outcome units), its bootstrap 95 % interval, mu and
sigma; ``mu_star_norm`` divides mu_star (and its interval) by the outcome's
standard deviation over the design, so targets with different units are
comparable (0 when the outcome does not vary at all).  Sobol: first-order
S1 and total ST with bootstrap 95 % intervals (Saltelli/Jansen estimators);
NaN where the outcome does not vary.  By default Sobol takes the ``k`` factors
ranked highest by the newest Morris result: the largest sum of ``mu_star_norm``
over the target-year values (the factors that matter for the most targets);
give ``targets`` to rank for those targets only.

Default designs, sized for <= 30 min on this 2-core machine (see
docs/analysis/sensitivity.md for the measured times):
- Morris: N = 30 trajectories over all 118 factors, 4 levels: 30 x 119 =
  3,570 samples x 8 runs = 28,560 model runs.
- Sobol: k = 8 factors, N = 256 base samples (no second order):
  256 x (8 + 2) = 2,560 samples x 8 runs = 20,480 model runs.
Measured serially on this machine while shared (load average 4-7): Morris
21.8 min wall (9.4 min CPU), Sobol 7.4 min wall (5.9 min CPU); ``workers=2``
runs the samples on two Dask workers.
``quick``: Morris N = 2, 2 runs (476 model runs, 34 s for the whole command);
Sobol k = 3, N = 16, 2 runs (160 model runs, 16 s).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

from . import catalogue, experiments, parameters, results, scoreboard

METHODS = ("morris", "sobol")
MEASURES = ("value", "p_met")
DEFAULTS = {"morris": {"n": 30, "runs": 8}, "sobol": {"n": 256, "runs": 8, "k": 8}}
QUICK = {"morris": {"n": 2, "runs": 2}, "sobol": {"n": 16, "runs": 2, "k": 3}}
NUM_LEVELS = 4              # Morris grid levels (SALib's default; step 2/3 of the range)
RESAMPLES = 1000            # bootstrap resamples for the confidence intervals
CONF_LEVEL = 0.95
CHECK_YEAR = experiments.HOLDS_YEAR    # a 2018 target is also judged in this year
MEASURED_MINUTES = {"morris": 22, "sobol": 8}   # default designs, serial wall time measured here (shared, load 4-7)
PRINTED = {     # the CLI summary's words (the page's are in ui/labels/sensitivity.toml)
    "zh": {"target": "目标", "year": "年份", "sd": "设计中的标准差", "holds": "（是否仍达标）",
           "morris": "最重要的因素：μ*÷标准差（95%置信区间半宽）",
           "sobol": "最重要的因素：ST（95%置信区间半宽）",
           "sobol_note": "ST 是设计中这几个因素所引起方差的份额（其他参数在各次运行中取平均）；"
                         "对照 Morris 结果的标准差看它们是否真正重要",
           "design": "结果指标 = 每个样本各次运行的平均值；参数按先验分布取值，资金杠杆在滑块上下限内均匀取值"
                     "（假设），设计外的领域不追加资金，设计外的参数逐次抽取"},
    "en": {"target": "target", "year": "year", "sd": "sd over design", "holds": " (holds?)",
           "morris": "top factors: mu_star / sd (95% CI half-width)", "sobol": "top factors: ST (95% CI half-width)",
           "sobol_note": "ST = share of the variance the design's factors cause (the others averaged over runs): "
                         "compare the sd with the Morris design's to see whether they matter at all",
           "design": "outcome = mean indicator over each sample's runs; parameters follow their priors, levers are "
                     "uniform over the slider bounds (assumption), areas not in the design get no extra money, "
                     "parameters not in the design are drawn per run"},
}
MORRIS_STATS = ("mu_star", "mu_star_conf", "mu", "sigma")
SOBOL_STATS = ("S1", "S1_conf", "ST", "ST_conf")


def outcomes(targets: list[str] | None = None) -> pd.DataFrame:
    """The outcomes, indexed ``<target>@<year>``: each target in its year, a 2018 one also in 2020."""
    table = catalogue.targets()
    ids = experiments.targets(CHECK_YEAR)
    if targets is not None:
        unknown = [t for t in targets if t not in ids]
        if unknown or not targets:
            raise ValueError(f"targets: unknown or not modelled {unknown or targets} (modelled: {', '.join(ids)})")
        ids = [t for t in ids if t in set(targets)]
    rows = []
    for tid in ids:
        t = table.loc[tid]
        for year in sorted({int(t.target_year), CHECK_YEAR}):
            rows.append({"outcome": f"{tid}@{year}", "target": tid, "year": year,
                         "target_year": int(t.target_year), "variable": scoreboard.target_variable(tid),
                         "unit": str(t.unit), "comparator": t.comparator, "goal": float(t.target_value),
                         "name_zh": t.name_zh, "name_en": t.name_en})
    return pd.DataFrame(rows).set_index("outcome")


def to_values(unit: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Map unit-hypercube points to factor values through each factor's distribution (see module doc)."""
    space = experiments.factors().loc[names]
    table = parameters.table()
    cols = {}
    for j, name in enumerate(names):
        u = np.clip(np.asarray(unit[:, j], dtype=float), 0.0, 1.0)
        lo, hi = space.loc[name, "low"], space.loc[name, "high"]
        x = table[name].quantile(u) if space.loc[name, "kind"] == experiments.UNCERTAINTY else lo + (hi - lo) * u
        cols[name] = np.clip(x, lo, hi)
    return pd.DataFrame(cols)


def _problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sample(method: str, names: list[str], n: int, seed: int) -> np.ndarray:
    """SALib's design in the unit hypercube: Morris trajectories or a scrambled Sobol' sequence."""
    if method == "morris":
        from SALib.sample import morris
        return morris.sample(_problem(names), n, num_levels=NUM_LEVELS, seed=seed)
    from SALib.sample import sobol
    return sobol.sample(_problem(names), n, calc_second_order=False, scramble=True, seed=seed)


def spread(y: np.ndarray) -> np.ndarray:
    """Standard deviation over the samples (axis 0); 0 where it is float round-off (<= 1e-9 of the level)."""
    y = np.asarray(y, dtype=float)
    std = y.std(axis=0)
    return np.where(std > 1e-9 * np.maximum(np.abs(y).max(axis=0), 1.0), std, 0.0)


def analyse(method: str, names: list[str], unit: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """SALib's analysis of outputs ``y`` (samples, outcomes) of the design ``unit``: stat -> (outcome, factor).

    Pure: no model.  Morris adds ``mu_star_norm`` / ``mu_star_conf_norm``
    (divided by the output's standard deviation over the design; 0 for a
    constant output); Sobol' gives NaN for a constant output.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float).T).T
    keys = MORRIS_STATS if method == "morris" else SOBOL_STATS
    out = {key: np.full((y.shape[1], len(names)), np.nan) for key in keys}
    std = spread(y)
    for j in range(y.shape[1]):
        if method == "sobol" and not std[j] > 0:
            continue
        if method == "morris":
            from SALib.analyze import morris
            res = morris.analyze(_problem(names), unit, y[:, j], num_resamples=RESAMPLES, conf_level=CONF_LEVEL,
                                 num_levels=NUM_LEVELS, seed=seed)
        else:
            from SALib.analyze import sobol
            res = sobol.analyze(_problem(names), y[:, j], calc_second_order=False, num_resamples=RESAMPLES,
                                conf_level=CONF_LEVEL, seed=seed)
        for key in keys:
            out[key][j] = np.asarray(res[key], dtype=float)
    if method == "morris":
        scale = np.where(std > 0, std, np.inf)[:, None]
        out["mu_star_norm"] = out["mu_star"] / scale
        out["mu_star_conf_norm"] = out["mu_star_conf"] / scale
    return out


def evaluate(design: pd.DataFrame, outcome_table: pd.DataFrame, runs: int, seed: int, *,
             progress: Callable[[int, int], None] | None = None, scheduler: str | None = None,
             workers: int | None = None) -> np.ndarray:
    """The model over a design: (sample, measure, outcome) array of mean values and P(met).

    ``experiments.evaluate`` with each 2018 target's 2020 value as well
    (same scenario, pins and common random numbers).
    """
    ds = experiments.evaluate(design, runs, seed, holds=True, progress=progress, scheduler=scheduler,
                              workers=workers)
    ids = list(ds.target.values)
    y = np.empty((ds.sizes["sample"], len(MEASURES), len(outcome_table)))
    for j, r in enumerate(outcome_table.itertuples()):
        late = "" if r.year == r.target_year else f"_{r.year}"
        k = ids.index(r.target)
        y[:, 0, j] = ds[f"value{late}"].values[:, :, k].mean(axis=1)
        y[:, 1, j] = ds[f"met{late}"].values[:, :, k].mean(axis=1)
    return y


def result_files(method: str | None = None, folder: Path | None = None) -> list[Path]:
    """Sensitivity results in ``results/`` (of one method if given), newest first."""
    folder = results.results_dir() if folder is None else folder
    found = []
    for path in Path(folder).glob("sensitivity*.nc"):
        try:
            with xr.open_dataset(path) as ds:
                kind = ds.attrs.get("method")
        except (OSError, ValueError):
            continue
        if kind in METHODS and (method is None or kind == method):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def default_path(method: str, quick: bool = False) -> Path:
    return results.results_dir() / f"sensitivity_{method}{'_quick' if quick else ''}.nc"


def ranking(ds: xr.Dataset, outcome: str, measure: str = "value") -> pd.DataFrame:
    """Factors ranked for one outcome: Morris by mu_star_norm, Sobol by ST (NaN last)."""
    sel = ds.sel(outcome=outcome, measure=measure)
    keys = ["mu_star_norm", "mu_star_conf_norm", "mu_star", "mu_star_conf", "sigma"] \
        if ds.attrs["method"] == "morris" else list(SOBOL_STATS)
    frame = pd.DataFrame({k: sel[k].values for k in keys}, index=pd.Index(ds.factor.values, name="factor"))
    for c in ("kind", "module", "name_zh", "name_en"):
        frame[c] = ds[c].values
    return frame.sort_values(keys[0] if ds.attrs["method"] == "morris" else "ST", ascending=False,
                             na_position="last")


def factor_label(factor: str, kind: str, module: str, name_zh: str, name_en: str, lang: str = "zh") -> str:
    """A factor's name: a lever's area name in the language, a parameter's name with its module."""
    if kind == experiments.LEVER:
        return name_zh if lang == "zh" else name_en
    return f"{factor} ({module})"


def summary(ds: xr.Dataset, lang: str = "zh", count: int = 3, measure: str = "value") -> pd.DataFrame:
    """Per outcome: the target's name, year and its ``count`` top factors with index ± half-interval."""
    rows = []
    for outcome in ds.outcome.values:
        rank = ranking(ds, outcome, measure)
        key, conf = ("mu_star_norm", "mu_star_conf_norm") if ds.attrs["method"] == "morris" else ("ST", "ST_conf")
        sd = float(ds.outcome_std.sel(measure=measure, outcome=outcome))
        top = "; ".join(f"{factor_label(f, r.kind, r.module, r.name_zh, r.name_en, lang)} "
                        f"{r[key]:.2f}±{r[conf]:.2f}" for f, r in rank[rank[key] > 0].head(count).iterrows())
        if not sd > 0:
            top = "不随设计中的因素变化" if lang == "zh" else "constant over the design"
        o = ds.sel(outcome=outcome)
        rows.append({"outcome": outcome, "target": str(o.target.values),
                     "name": str(o[f"outcome_name_{lang}"].values), "year": int(o.year),
                     "target_year": int(o.target_year), "sd": sd, "unit": str(o.outcome_unit.values), "top": top})
    return pd.DataFrame(rows).set_index("outcome")


def screened(k: int, targets: list[str] | None = None, path: Path | None = None) -> tuple[list[str], str]:
    """The ``k`` factors a Morris result ranks highest: largest sum of ``mu_star_norm`` over the
    target-year values (of ``targets`` if given), i.e. the factors that matter for the most targets."""
    if path is None:
        found = result_files("morris")
        if not found:
            raise ValueError("sobol: no Morris result in results/ to pick factors from; run "
                             "`python -m model sensitivity --method morris` first or give --factors")
        full = []
        for f in found:
            with xr.open_dataset(f) as ds:
                if not ds.attrs.get("quick"):
                    full.append(f)
        path = (full or found)[0]          # a quick design's ranking is mostly noise: only if nothing else
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    rows = ds.outcome[(ds.year == ds.target_year).values]
    if targets is not None:
        rows = rows[np.isin(ds.target.sel(outcome=rows).values, targets)]
    if rows.size == 0:
        raise ValueError(f"{path}: none of the targets {targets} is in this Morris result")
    score = ds.mu_star_norm.sel(measure="value", outcome=rows).sum("outcome").to_series()
    return list(score.sort_values(ascending=False).index[:k]), str(path)


def _factor_list(method, factors, k, targets) -> tuple[list[str], str]:
    space = experiments.factors()
    if factors is None and method == "morris":
        return list(space.index), "all levers and uncertainties (experiments.factors())"
    if factors is None:
        return screened(k, targets)
    factors = list(factors)
    unknown = [f for f in factors if f not in space.index]
    if unknown:
        raise ValueError(f"factors: unknown {unknown} (levers are wired areas: {', '.join(catalogue.wired_areas())}; "
                         "uncertainties are parameters drawn per run)")
    if len(set(factors)) != len(factors) or len(factors) < 2:
        raise ValueError(f"factors: give at least two distinct factors (got {factors})")
    return factors, "given"


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low} (got {value!r})")
    return int(value)


def sensitivity(method: str = "morris", factors: list[str] | None = None, n: int | None = None,
                runs: int | None = None, seed: int = 1, targets: list[str] | None = None, k: int | None = None,
                quick: bool = False, progress: Callable[[int, int], None] | None = None,
                scheduler: str | None = None, workers: int | None = None) -> xr.Dataset:
    """Global sensitivity of every target's 2018/2020 outcomes (value and P(met)) to the factors.

    ``method``: ``"morris"`` (screening; default all 118 factors) or
    ``"sobol"`` (default: the ``k`` top factors of the newest Morris result
    in ``results/``, or ``factors``).  ``n``: Morris trajectories or Sobol'
    base samples (a power of two); ``runs``: model runs per sample;
    ``quick``: the small design (``QUICK``) for demos and tests.
    ``targets``: restrict the outcomes (and the Morris ranking Sobol uses).
    Same seed (design and common random numbers), same numbers, serial or on
    Dask (``workers`` / ``scheduler``).  See the module doc for the defaults.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (got {method!r})")
    sizes = {**DEFAULTS[method], **(QUICK[method] if quick else {})}
    n = _check_int("n", sizes["n"] if n is None else n, 2)
    runs = _check_int("runs", sizes["runs"] if runs is None else runs, 1)
    seed = _check_int("seed", seed, 0)
    k = _check_int("k", sizes.get("k", 2) if k is None else k, 2)
    if method == "sobol" and n & (n - 1):
        raise ValueError(f"n must be a power of two for Sobol' sampling (got {n})")
    table = outcomes(targets)
    names, source = _factor_list(method, factors, k, targets)
    unit = sample(method, names, n, seed)
    design = to_values(unit, names)
    start = time.perf_counter()
    y = evaluate(design, table, runs, seed, progress=progress, scheduler=scheduler, workers=workers)
    elapsed = time.perf_counter() - start
    stats = {m: analyse(method, names, unit, y[:, i], seed) for i, m in enumerate(MEASURES)}
    return _dataset(method, names, source, unit, design, y, stats, table, n, runs, seed, elapsed, quick)


def _dataset(method, names, source, unit, design, y, stats, table, n, runs, seed, elapsed, quick) -> xr.Dataset:
    space = experiments.factors().loc[names]
    dims = ("measure", "outcome", "factor")
    data = {key: (dims, np.stack([stats[m][key] for m in MEASURES])) for key in stats[MEASURES[0]]}
    data.update({
        "design": (("sample", "factor"), design.to_numpy(float), {"long_name_en": "factor values of each sample"}),
        "design_unit": (("sample", "factor"), unit, {"long_name_en": "the design in the unit hypercube (SALib)"}),
        "y": (("sample", "measure", "outcome"), y,
              {"long_name_en": "per sample: mean indicator value over its runs (value), "
                               "share of runs meeting the target (p_met)"}),
        "outcome_std": (("measure", "outcome"), spread(y),
                        {"long_name_en": "standard deviation over the design (0: constant)"}),
    })
    coords = {"measure": list(MEASURES), "outcome": table.index.tolist(), "factor": names,
              "sample": np.arange(len(design))}
    for c in ("kind", "module", "name_zh", "name_en", "unit", "low", "high", "status"):
        coords[c] = ("factor", space[c].tolist())
    for c in ("target", "year", "target_year", "comparator", "goal"):
        coords[c] = ("outcome", table[c].tolist())
    coords["outcome_unit"] = ("outcome", table.unit.tolist())
    coords["outcome_name_zh"] = ("outcome", table.name_zh.tolist())
    coords["outcome_name_en"] = ("outcome", table.name_en.tolist())
    ds = xr.Dataset(data, coords=coords)
    size = len(design) * runs
    ds.attrs.update(results.provenance(seed))
    ds.attrs.update({
        "title": f"Hubei Internet+ model: global sensitivity ({method})", "analysis": "sensitivity",
        "method": method, "N": int(n), "runs_per_sample": int(runs), "samples": int(len(design)),
        "model_runs": int(size), "factors": json.dumps(names), "factors_from": source, "quick": int(quick),
        "design": (f"SALib morris.sample, {NUM_LEVELS} levels, N trajectories x (factors + 1)" if method == "morris"
                   else "SALib sobol.sample (scrambled Sobol' sequence, no second order), N x (factors + 2)"),
        "factor_distributions": "parameters: their prior (uniform/triangular, parameter table); levers: uniform over "
                                "the slider bounds in levers.csv (assumption); levers not in the design: 0 extra; "
                                "parameters not in the design: drawn per run",
        "normalisation": "mu_star_norm = mu_star / standard deviation of the outcome over the design (0 if constant)",
        "confidence": f"{CONF_LEVEL:.0%} bootstrap intervals, {RESAMPLES} resamples",
        "base_levers": "none (0 亿元/yr extra in every area not in the design)",
        "elapsed_seconds": round(float(elapsed), 1),
    })
    return ds

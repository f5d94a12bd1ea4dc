"""Scenario discovery: under which conditions is a target missed? (issue #7, question 3)

``discover(...)`` samples an ensemble over levers and uncertainties (Latin
hypercube, uniform over each factor's bounds from ``experiments.factors()``),
evaluates it with ``experiments.evaluate`` (a few runs per sample, common
random numbers), and runs PRIM (EMA Workbench's ``Prim``) for every target
that is missed in a meaningful share of the samples.

Case of interest (our choice, an assumption): a sample *misses* a target when
the share of its runs that meet it is below ``MISS_BELOW`` = 0.5, i.e. under
those lever and parameter values the target is more likely missed than met.
Per-sample labels rather than per-run labels, because the factors cannot
explain the run-to-run noise that is left inside a sample (random draws of the
agents and of the parameters not in the design): PRIM should describe the
conditions, not the dice.  An odd number of runs per sample avoids ties.

Box choice (an assumption): ema_workbench is given a density threshold just
above zero so that it always keeps the whole peeling-and-pasting trajectory;
on it we take the densest box whose coverage is at least ``MIN_COVERAGE`` =
0.5 (ties: fewer restricted dimensions, then higher coverage), i.e. a box that
explains at least half of the misses, as pure as possible.  Restrictions that
are not significant (quasi-p value of Bryant & Lempert 2010 above
``QP_ALPHA`` = 0.05 on every restricted side) are then dropped with
ema_workbench's ``drop_restriction``, one at a time, until all are.
Targets missed in fewer than ``MIN_SHARE`` = 5 % or more than 95 % of the
samples get no box (PRIM has too few cases on one side); their share is
reported.

Default design (sized for about 30 minutes on this 2-core machine):
``DEFAULT_N`` = 5000 samples x ``DEFAULT_RUNS`` = 3 runs = 15,000 model runs
over all 118 factors (11 levers, 107 uncertainties): measured 534 s CPU (8.9 min;
~31 ms a run; PRIM 54 s for 15 boxes), 22 min wall while the two cores were shared
with other work (docs/analysis/discover.md).  ``--quick``: 100
samples x 3 runs over the 11 levers and three uncertainties (``QUICK_UNCERTAINTIES``).
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

from . import catalogue, experiments
from .results import provenance

DEFAULT_N, DEFAULT_RUNS = 5000, 3
QUICK_N = 100          # --quick: 100 samples x DEFAULT_RUNS runs
# the quick design's uncertainties: the three most often restricted in the boxes of a 1,000-sample
# run over all 118 factors (seed 1, docs/analysis/discover.md): nominal GDP growth (3 boxes), online
# spending growth and the parcels' B2C elasticity (2 each); every other factor was in at most one box
QUICK_UNCERTAINTIES = ("gdp_growth_nominal", "online_spending_growth", "parcels_b2c_elasticity")
MISS_BELOW = 0.5        # assumption: a sample misses a target when P(met) over its runs < 0.5
MIN_COVERAGE = 0.5      # assumption: the chosen box explains at least half of the misses
MIN_SHARE = 0.05        # assumption: no box when < 5 % or > 95 % of the samples miss the target
QP_ALPHA = 0.05         # Bryant & Lempert (2010): restrictions with quasi-p above this are dropped
PEEL_ALPHA, MASS_MIN = 0.05, 0.05   # ema_workbench's defaults
STATUS = ("box", "never_missed", "rarely_missed", "mostly_missed", "always_missed")
METHOD = ("Latin hypercube (scipy.stats.qmc) over factor bounds; experiments.evaluate; "
          "PRIM (ema_workbench.analysis.prim.Prim, lenient1 objective)")


@contextlib.contextmanager
def _quiet():
    """Silence ema_workbench's import warnings (ipyparallel, altair) and its INFO logging."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            logger.setLevel(level)


def quick_factors() -> list[str]:
    """The quick design's factors: every lever and ``QUICK_UNCERTAINTIES``."""
    return experiments.factors(uncertainties=False).index.tolist() + list(QUICK_UNCERTAINTIES)


def sample(space: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A Latin hypercube of ``n`` points, uniform within each factor's [low, high]."""
    from scipy.stats import qmc
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))   # 7: this analysis's stream
    unit = qmc.LatinHypercube(d=len(space), seed=rng).random(n)
    values = qmc.scale(unit, space["low"].to_numpy(float), space["high"].to_numpy(float))
    return pd.DataFrame(values, columns=space.index)


def prim_box(x: pd.DataFrame, missed: np.ndarray, min_coverage: float = MIN_COVERAGE,
             qp_alpha: float = QP_ALPHA) -> dict:
    """PRIM on factor values ``x`` and boolean ``missed``; the chosen box and the trajectory.

    Returns ``index`` (chosen step of the trajectory), ``low``/``high`` (Series over the
    columns of ``x``: the box), ``restricted`` (list of restricted columns), ``qp`` (Series:
    smallest quasi-p value of each restricted column), ``coverage``, ``density``, ``mass``,
    ``trajectory`` (DataFrame: coverage, density, mass, res_dim per peeling/pasting step).
    """
    missed = np.asarray(missed, dtype=bool)
    if missed.all() or not missed.any():
        raise ValueError("PRIM needs both missed and met cases")
    with _quiet():
        from ema_workbench.analysis.prim import Prim
        prim = Prim(x.reset_index(drop=True).astype(float), missed.astype(int), threshold=1e-9,
                    peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)
        box = prim.find_box()
        trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float).copy()
        ok = trajectory[trajectory.coverage >= min_coverage - 1e-12]
        index = int(ok.sort_values(["density", "res_dim", "coverage"], ascending=[False, True, False],
                                   kind="stable").index[0])
        box.select(index)
        current = index
        for _ in range(len(x.columns)):
            weak = [dim for dim, qps in box.qp[current].items()
                    if min(q for q in qps if q >= 0) > qp_alpha] if box.qp[current] else []
            if not weak:
                break
            box.drop_restriction(max(weak, key=lambda d: min(q for q in box.qp[current][d] if q >= 0)), current)
            current = len(box.box_lims) - 1
        # the chosen box after weak restrictions were dropped: its row is appended to the trajectory
        trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float).copy()
        stats = box.peeling_trajectory.iloc[current]
        lims = box.box_lims[current]
        qp = {dim: min(q for q in qps if q >= 0) for dim, qps in box.qp[current].items()}
    init = prim.box_init
    restricted = [c for c in x.columns if lims.loc[0, c] > init.loc[0, c] or lims.loc[1, c] < init.loc[1, c]]
    return {"index": current, "low": lims.loc[0].astype(float), "high": lims.loc[1].astype(float),
            "data_low": init.loc[0].astype(float), "data_high": init.loc[1].astype(float),
            "restricted": restricted, "qp": pd.Series({d: qp.get(d, np.nan) for d in restricted}, dtype=float),
            "coverage": float(stats.coverage), "density": float(stats.density), "mass": float(stats.mass),
            "trajectory": trajectory.reset_index(drop=True)}


def boxes(design: pd.DataFrame, p_met: pd.DataFrame, miss_below: float = MISS_BELOW,
          min_coverage: float = MIN_COVERAGE, min_share: float = MIN_SHARE) -> xr.Dataset:
    """PRIM per target on an evaluated design: ``p_met`` (sample x target) -> boxes as a Dataset.

    Separated from the model so it can be checked on synthetic data.  Variables:
    ``p_met``, ``missed`` (sample, target); ``design`` (sample, factor); ``status``,
    ``missed_share``, ``coverage``, ``density``, ``mass``, ``res_dim``, ``box_index``
    (target); ``box_low``, ``box_high``, ``restricted``, ``qp`` (target, factor);
    ``trajectory_coverage``, ``trajectory_density``, ``trajectory_mass``,
    ``trajectory_res_dim`` (target, step; NaN beyond a target's trajectory).
    """
    missed = p_met.to_numpy(float) < miss_below
    ids, factors = list(p_met.columns), list(design.columns)
    nt, nf = len(ids), len(factors)
    share = missed.mean(axis=0)
    out = {k: np.full(nt, np.nan) for k in ("coverage", "density", "mass", "res_dim", "box_index")}
    low, high, qp = (np.full((nt, nf), np.nan) for _ in range(3))
    restricted = np.zeros((nt, nf), dtype=bool)
    status, trajectories = [], []
    for j, tid in enumerate(ids):
        s = share[j]
        status.append("never_missed" if s == 0 else "always_missed" if s == 1 else
                      "rarely_missed" if s < min_share else "mostly_missed" if s > 1 - min_share else "box")
        if status[-1] != "box":
            trajectories.append(None)
            continue
        found = prim_box(design, missed[:, j], min_coverage)
        for k in ("coverage", "density", "mass"):
            out[k][j] = found[k]
        out["res_dim"][j], out["box_index"][j] = len(found["restricted"]), found["index"]
        low[j], high[j] = found["low"][factors], found["high"][factors]
        for d in found["restricted"]:
            restricted[j, factors.index(d)] = True
            qp[j, factors.index(d)] = found["qp"][d]
        trajectories.append(found["trajectory"])
    steps = max([len(t) for t in trajectories if t is not None], default=0)
    traj = {k: np.full((nt, steps), np.nan) for k in ("coverage", "density", "mass", "res_dim")}
    for j, t in enumerate(trajectories):
        if t is not None:
            for k in traj:
                traj[k][j, :len(t)] = t[k].to_numpy()
    tf, ts = ("target", "factor"), ("target", "step")
    return xr.Dataset(
        {"p_met": (("sample", "target"), p_met.to_numpy(float)),
         "missed": (("sample", "target"), missed),
         "design": (("sample", "factor"), design.to_numpy(float)),
         "status": ("target", np.array(status, dtype=str)), "missed_share": ("target", share),
         **{k: ("target", v) for k, v in out.items()},
         "box_low": (tf, low), "box_high": (tf, high), "restricted": (tf, restricted), "qp": (tf, qp),
         **{f"trajectory_{k}": (ts, v) for k, v in traj.items()}},
        coords={"sample": np.arange(len(design)), "target": ids, "factor": factors, "step": np.arange(steps)},
        attrs={"miss_below": float(miss_below), "min_coverage": float(min_coverage),
               "min_share": float(min_share), "qp_alpha": QP_ALPHA, "peel_alpha": PEEL_ALPHA,
               "mass_min": MASS_MIN,
               "case_of_interest": f"sample misses the target: share of its runs meeting it < {miss_below:g}",
               "box_choice": (f"densest box on the PRIM trajectory with coverage >= {min_coverage:g} "
                              f"(ties: fewer restricted dimensions, then coverage); restrictions with "
                              f"quasi-p > {QP_ALPHA:g} then dropped")})


def _check(targets, n, runs, factors, miss_below, min_coverage) -> tuple[list[str], pd.DataFrame]:
    known = experiments.targets()
    ids = known if targets is None else list(targets)
    unknown = [t for t in ids if t not in known]
    if unknown or not ids:
        raise ValueError(f"targets: unknown {unknown or 'none given'} (modelled targets: {', '.join(known)})")
    space = experiments.factors()
    names = space.index.tolist() if factors is None else list(factors)
    bad = [f for f in names if f not in space.index]
    if bad or not names or len(set(names)) != len(names):
        raise ValueError(f"factors: unknown or repeated {bad or names} (levers: the wired areas, "
                         "uncertainties: parameters with a range; see experiments.factors())")
    for label, value, lo in (("n", n, 20), ("runs", runs, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
            raise ValueError(f"{label} must be an integer >= {lo} (got {value!r})")
    for label, value in (("miss_below", miss_below), ("min_coverage", min_coverage)):
        if not 0 < value <= 1:
            raise ValueError(f"{label} must be in (0, 1] (got {value!r})")
    return ids, space.loc[names]


def discover(targets: list[str] | None = None, n: int = DEFAULT_N, runs: int = DEFAULT_RUNS, seed: int = 1,
             factors: list[str] | None = None, miss_below: float = MISS_BELOW,
             min_coverage: float = MIN_COVERAGE, progress: Callable[[int, int], None] | None = None,
             scheduler: str | None = None, workers: int | None = None) -> xr.Dataset:
    """Where does each target fail?  PRIM boxes over a Latin hypercube of levers and uncertainties.

    ``targets``: target ids (default every modelled target); ``factors``: factor names
    (default all 118: 11 levers and 107 uncertainties); ``n`` samples, ``runs`` runs each
    (common random numbers, ``seed``); ``progress(done, total)`` per sample; ``workers`` /
    ``scheduler`` run the samples on Dask (same numbers).  Returns the Dataset of
    :func:`boxes` with factor metadata (kind, low, high, unit, names) and provenance.
    """
    ids, space = _check(targets, n, runs, factors, miss_below, min_coverage)
    design = sample(space, n, seed)
    ens = experiments.evaluate(design, runs=runs, seed=seed, progress=progress, scheduler=scheduler,
                               workers=workers)
    p_met = ens.met.sel(target=ids).mean("run").to_pandas()
    ds = boxes(design, p_met, miss_below, min_coverage)
    t = catalogue.targets()
    ds = ds.assign_coords(
        kind=("factor", space["kind"].tolist()), low=("factor", space["low"].to_numpy(float)),
        high=("factor", space["high"].to_numpy(float)), unit=("factor", space["unit"].astype(str).tolist()),
        name_zh=("factor", space["name_zh"].astype(str).tolist()),
        name_en=("factor", space["name_en"].astype(str).tolist()),
        target_year=("target", [int(t.loc[i, "target_year"]) for i in ids]))
    ds.attrs.update(provenance(seed))
    ds.attrs.update({"analysis": "discover", "method": METHOD, "n_samples": int(n), "runs_per_sample": int(runs),
                     "model_runs": int(n * runs), "n_factors": len(space),
                     "n_levers": int((space.kind == experiments.LEVER).sum()),
                     "n_uncertainties": int((space.kind == experiments.UNCERTAINTY).sum()),
                     "factors": ",".join(space.index), "sampling": "uniform within [low, high] per factor",
                     "other_levers": "0 (no extra money)", "ema_workbench": _ema_version()})
    return ds


def _ema_version() -> str:
    from importlib.metadata import version
    return version("ema_workbench")


def conditions(ds: xr.Dataset, target: str, lang: str = "zh", digits: int = 3) -> list[str]:
    """A target's box as readable conditions, e.g. ``ecommerce ≥ 3.2 亿元/年`` (empty: no box)."""
    box = ds.sel(target=target)
    out = []
    for f in ds.factor.values[box.restricted.values]:
        b, x = box.sel(factor=f), ds.design.sel(factor=f)
        name = str(b[f"name_{lang}"].values) if f"name_{lang}" in b.coords else str(f)
        unit = f" {b.unit.values}" if "unit" in b.coords and str(b.unit.values) else ""
        lo, hi = float(b.box_low), float(b.box_high)
        cut_low, cut_high = lo > float(x.min()), hi < float(x.max())
        if cut_low and cut_high:
            out.append(f"{lo:.{digits}g} ≤ {name} ≤ {hi:.{digits}g}{unit}")
        else:
            out.append(f"{name} {'≥' if cut_low else '≤'} {lo if cut_low else hi:.{digits}g}{unit}")
    return out

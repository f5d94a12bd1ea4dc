"""Fit behavioural parameters to the Hubei observations (simulated likelihood, CRN).

What is fitted is data: ``targets.csv`` (parameter, prior bounds, series),
``series.csv`` (model output <- observed indicator), ``noise.csv`` (log sd
per reliability grade).  The model runs the plan scenario to 2017: no extra
money in 2010-2015, the plan's assumed spending in 2016-2017.

Likelihood, per observation row (conflicting sources are separate rows):
with ``m`` and ``v`` the mean and variance of log output over an ensemble of
``runs`` runs (the other uncertain parameters drawn as usual, one fixed seed:
common random numbers, so the objective is a deterministic function of the
fitted parameters) and ``s² = noise(reliability)² + v``:

* level/count: ``-log N(log y; m, s)``;
* lower bound ("over 8000亿"): ``-log P(log Y >= log y) = -log Φ((m - log y)/s)``,
  which pulls the simulation up when the bound is above it and is flat
  (about 0) when the simulation is already above it.

Prior: uniform within the bounds, times a Gaussian from the 31-province
panel where ``panel_priors.csv`` has one (``calibration/panel.py``; the
optimum is the MAP).  Search: Powell
on the unit cube (derivative-free; the simulated objective is piecewise
smooth because adoption is discrete).  Uncertainty: inverse of a
finite-difference Hessian of the objective at the optimum (Laplace; cross
terms only between parameters that share a series, the others are
informed by disjoint data and taken as 0, which keeps the fit within its
time budget); a
parameter whose sd is not clearly below its prior sd (range/√12) is reported
as not identified (prior only) and the model keeps its prior.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .observations import HERE, fit_observations, noise
from .panel import priors as panel_priors

QUICK = {"runs": 8, "maxfev": 30, "hessian": "diagonal"}
FULL = {"runs": 24, "maxfev": 250, "hessian": "full"}
END_YEAR = 2017
SCENARIO = "plan"
IDENTIFIED_RATIO = 0.8        # posterior sd below 0.8 x prior sd counts as identified by data
H_STEP = 0.04                 # Hessian step on the unit cube


def targets(path: str | Path | None = None) -> pd.DataFrame:
    """``targets.csv`` validated against the parameter table."""
    from model import parameters
    frame = pd.read_csv(path or HERE / "targets.csv", keep_default_na=False)
    table = parameters.table()
    for line, r in enumerate(frame.itertuples(), start=2):
        if r.parameter not in table:
            raise ValueError(f"targets.csv:{line}: unknown parameter {r.parameter!r}")
        if not float(r.low) < float(r.high):
            raise ValueError(f"targets.csv:{line}: low must be below high")
    frame["low"], frame["high"] = frame.low.astype(float), frame.high.astype(float)
    return frame


def use_params_file(name: str | None) -> None:
    """Read parameters from this fitted file (``"none"``: the prior table; None: the newest)."""
    from model import parameters
    if name:
        os.environ[parameters.PARAMS_ENV] = name
    parameters.table.cache_clear()


def nll_terms(logsim: np.ndarray, obs: pd.DataFrame, sd: dict[str, float]) -> np.ndarray:
    """Negative log-likelihood per observation; ``logsim`` is (obs, runs) of log outputs."""
    m = logsim.mean(axis=1)
    v = logsim.var(axis=1)
    s = np.sqrt(np.array([sd[r] for r in obs.reliability]) ** 2 + v)
    y = np.log(obs.value.to_numpy(float))
    censored = (obs.kind == "lower_bound").to_numpy()
    return np.where(censored, -stats.norm.logsf((y - m) / s), -stats.norm.logpdf(y, m, s))


class Objective:
    """The simulated negative log-likelihood as a function of the unit cube."""

    def __init__(self, tg: pd.DataFrame, obs: pd.DataFrame, runs: int, seed: int, scenario=SCENARIO,
                 priors: dict[str, tuple[float, float]] | None = None, backend: dict | None = None):
        self.tg, self.obs, self.runs, self.seed, self.scenario = tg, obs, runs, seed, scenario
        self.backend = backend or {}
        self.priors = {p: v for p, v in (priors or {}).items() if p in set(tg.parameter)}
        self.sd = noise()
        self.evaluations = 0
        self.cache: dict[tuple, float] = {}

    def values(self, u: np.ndarray) -> dict[str, float]:
        u = np.clip(u, 0, 1)
        return {p: float(lo + x * (hi - lo)) for p, lo, hi, x in zip(self.tg.parameter, self.tg.low, self.tg.high, u)}

    def simulate(self, values: dict[str, float]) -> np.ndarray:
        """Log outputs at the observations, (obs, runs)."""
        from model.engine import simulate
        ds = simulate(self.scenario, runs=self.runs, seed=self.seed, params=values, end_year=END_YEAR, **self.backend)
        out = np.stack([ds[r.output].sel(year=r.year).values for r in self.obs.itertuples()])
        self.evaluations += 1
        return np.log(np.maximum(out, 1e-9))

    def terms(self, u: np.ndarray) -> np.ndarray:
        return nll_terms(self.simulate(self.values(u)), self.obs, self.sd)

    def __call__(self, u: np.ndarray) -> float:
        key = tuple(np.round(np.clip(u, 0, 1), 6))
        if key not in self.cache:
            self.cache[key] = float(self.terms(np.asarray(key)).sum()) + self.penalty(np.asarray(key))
        return self.cache[key]

    def penalty(self, u: np.ndarray) -> float:
        """Gaussian panel priors, -log density up to a constant."""
        v = self.values(u)
        return float(sum(0.5 * ((v[p] - m) / sd) ** 2 for p, (m, sd) in self.priors.items()))


def hessian(f, x: np.ndarray, step: float, full: bool, pairs: np.ndarray | None = None) -> np.ndarray:
    """Central finite-difference Hessian (diagonal only unless ``full``), steps kept inside [0, 1];
    with ``pairs`` (k x k booleans) only those cross terms are computed, the others are 0."""
    k = len(x)
    h = np.full(k, step)
    x = np.clip(x, step, 1 - step)          # so every probe stays in the cube
    f0 = f(x)
    H = np.zeros((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h[i]
        H[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h[i] ** 2
    if full:
        for i in range(k):
            for j in range(i + 1, k):
                if pairs is not None and not pairs[i, j]:
                    continue
                ei, ej = np.zeros(k), np.zeros(k)
                ei[i], ej[j] = h[i], h[j]
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H


def uncertainty(H: np.ndarray) -> np.ndarray:
    """Posterior sd on the unit cube from the Hessian; inf where the curvature is not positive."""
    k = len(H)
    sd = np.full(k, np.inf)
    pos = np.diag(H) > 0
    if pos.any():
        sub = H[np.ix_(pos, pos)]
        try:
            cov = np.linalg.inv(sub)
            ok = np.all(np.linalg.eigvalsh(sub) > 0)
        except np.linalg.LinAlgError:
            ok = False
        sd[pos] = np.sqrt(np.diag(cov)) if ok else 1 / np.sqrt(np.diag(sub))
    return sd


def fit(quick: bool = False, extra: pd.DataFrame | None = None, seed: int = 7, progress=None,
        tg: pd.DataFrame | None = None, obs: pd.DataFrame | None = None, runs: int | None = None,
        maxfev: int | None = None, priors: dict | None = None, backend: dict | None = None) -> dict:
    """Fit; returns estimates with uncertainty, the data used and diagnostics.

    ``backend``: ``simulate`` keywords (e.g. ``{"backend": "dask", "workers": 2}``); the
    numbers are the same whatever the backend (same seeds, same runs).
    """
    use_params_file("none")
    settings = dict(QUICK if quick else FULL)
    if runs:
        settings["runs"] = runs
    if maxfev:
        settings["maxfev"] = maxfev
    tg = targets() if tg is None else tg
    obs = fit_observations(extra) if obs is None else obs
    obs = obs[obs.output.isin({s for ss in tg.series for s in ss.split(";")})].reset_index(drop=True)
    if obs.empty:
        raise ValueError("no observations of the fitted series")
    priors = panel_priors() if priors is None else priors
    backend = dict(backend or {})
    if backend.get("workers"):          # one batch per worker, so a small ensemble still spreads out
        backend.setdefault("batch_size", -(-settings["runs"] // backend["workers"]))
    f = Objective(tg, obs, settings["runs"], seed, priors=priors, backend=backend)
    k = len(tg)
    pairs = shared_series(tg)
    n_hess = 2 * k + 1 + (4 * int(np.triu(pairs, 1).sum()) if settings["hessian"] == "full" else 0)
    total = settings["maxfev"] + n_hess

    def tick(*_):
        if progress:
            progress(min(f.evaluations, total), total)

    x0 = np.array([_prior_mode(p, lo, hi)
                   for p, lo, hi in zip(tg.parameter, tg.low, tg.high)])
    start = f(x0)
    res = optimize.minimize(lambda u: (tick(), f(u))[1], x0, method="Powell", bounds=[(0, 1)] * k,
                            options={"maxfev": settings["maxfev"], "xtol": 1e-2, "ftol": 1e-3})
    best = np.clip(res.x, 0, 1)
    H = hessian(lambda u: (tick(), f(u))[1], best, H_STEP, settings["hessian"] == "full", pairs)
    sd_u = uncertainty(H)
    values = f.values(best)
    terms = f.terms(best)
    params = {}
    for i, r in enumerate(tg.itertuples()):
        width = r.high - r.low
        sd = sd_u[i] * width
        identified = bool(np.isfinite(sd) and sd < IDENTIFIED_RATIO * width / np.sqrt(12))
        params[r.parameter] = {"value": values[r.parameter], "sd": float(sd if np.isfinite(sd) else width / np.sqrt(12)),
                               "low": r.low, "high": r.high, "identified": identified,
                               "series": r.series.split(";"), "prior_value": float(r.low + x0[i] * width),
                               "panel_prior": list(f.priors[r.parameter]) if r.parameter in f.priors else None}
    used = obs.assign(nll=terms)
    return {"parameters": params, "objective": float(terms.sum() + f.penalty(best)), "objective_start": float(start),
            "evaluations": f.evaluations, "converged": bool(res.success), "optimizer_message": str(res.message),
            "hessian_unit_cube": H.tolist(), "observations": used.to_dict("records"),
            "settings": {**settings, "seed": seed, "scenario": SCENARIO, "end_year": END_YEAR,
                         "quick": quick, "spending": "2010-2015 no extra money; 2016-2017 plan scenario"},
            "extra_data": None if extra is None else sorted(set(extra.source.str.extract(r"\[file ([^:]+):")[0].dropna()))}


def shared_series(tg: pd.DataFrame) -> np.ndarray:
    """k x k booleans: do two fitted parameters share an observed series?"""
    sets = [set(s.split(";")) for s in tg.series]
    return np.array([[bool(a & b) for b in sets] for a in sets])


def _prior_mode(name: str, low: float, high: float) -> float:
    """Start at the table value, on the unit cube of the fit bounds."""
    from model import parameters
    value = parameters.table()[name].value
    return float(np.clip((value - low) / (high - low), 0.02, 0.98))


def write(result: dict, path: Path | None = None) -> Path:
    """The versioned parameter file (JSON): values, uncertainty, data used, date, code version."""
    from model import parameters
    from model.results import MODEL_VERSION, atomic_write, data_vintage, git_commit
    now = datetime.now(timezone.utc)
    path = path or parameters.FITTED_DIR / f"params-{now:%Y%m%dT%H%M%S}.json"
    doc = {"format": "hubei-internet-plus fitted parameters v1", "created": now.isoformat(timespec="seconds"),
           "model_version": MODEL_VERSION, "code_version": git_commit(), "data_vintage": data_vintage(),
           **result}
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=_plain)
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _plain(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.bool_):
        return bool(x)
    raise TypeError(type(x))

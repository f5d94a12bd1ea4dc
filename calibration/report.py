"""The calibration report: observed vs simulated per data point, estimates, identification.

Used by ``python -m calibration report`` and the Streamlit page
``pages/calibration.py``.  The simulation is the plan scenario to 2017 (no
extra money before 2016) with the parameter file the model would use.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .fit import END_YEAR, SCENARIO, targets, use_params_file
from .observations import fit_observations, noise


def points(ds, obs: pd.DataFrame) -> pd.DataFrame:
    """One row per observation: observed, simulated median and 80% band, standardised residual."""
    sd = noise()
    rows = []
    for r in obs.itertuples():
        sim = ds[r.output].sel(year=r.year).values
        logsim = np.log(np.maximum(sim, 1e-9))
        s = np.sqrt(sd[r.reliability] ** 2 + logsim.var())
        z = (np.log(r.value) - logsim.mean()) / s
        rows.append((r.output, int(r.year), r.kind, r.reliability, float(r.value), float(np.median(sim)),
                     float(np.quantile(sim, 0.1)), float(np.quantile(sim, 0.9)), float(z), r.source))
    return pd.DataFrame(rows, columns=["series", "year", "kind", "reliability", "observed", "sim_median",
                                       "sim_lo80", "sim_hi80", "z", "source"])


def estimates(fitted: dict | None) -> pd.DataFrame:
    """Fitted parameters (or priors) with their uncertainty and status."""
    from model import parameters
    table = parameters.table()
    rows = []
    for r in targets().itertuples():
        p = table[r.parameter]
        est = (fitted or {}).get(r.parameter)
        if est:
            status = "identified by data" if est["identified"] else "prior only (data not informative)"
            if est.get("panel_prior") and est["identified"]:
                status = "identified by data + 31-province panel prior"
            if est["identified"] and min(est["value"] - r.low, r.high - est["value"]) < 1e-3 * (r.high - r.low):
                status += " (at a prior bound)"
            rows.append((r.parameter, status, f"[{r.low:g}, {r.high:g}]", f"{est['value']:.4g}",
                         f"{est['sd']:.2g}", r.series))
        else:
            rng = "fixed" if p.dist == "fixed" else f"{p.dist} [{p.low:g}, {p.high:g}]"
            rows.append((r.parameter, "prior (not fitted yet)", rng, f"{p.value:.4g}", "-", r.series))
    return pd.DataFrame(rows, columns=["parameter", "status", "prior", "estimate", "sd", "series"])


def indicators(fitted: dict | None, obs: pd.DataFrame) -> pd.DataFrame:
    """Catalogue indicators: identified by data or resting on priors."""
    from model import catalogue
    tg = targets()
    rows = []
    for ind, row in catalogue.indicators().iterrows():
        n = int((obs.output == ind).sum())
        params = tg[tg.series.str.split(";").apply(lambda s, i=ind: i in s)].parameter.tolist()
        ident = [p for p in params if (fitted or {}).get(p, {}).get("identified")]
        if ident:
            evidence = f"{n} observation(s); identified: {', '.join(ident)}"
        elif n:
            evidence = f"{n} observation(s) (check only); parameters rest on priors"
        else:
            evidence = "no observed history: priors only"
        rows.append((ind, row.calibration, evidence))
    return pd.DataFrame(rows, columns=["indicator", "calibration", "evidence"])


def build(params_file: str | None = None, runs: int = 100, seed: int = 7, extra: pd.DataFrame | None = None) -> dict:
    """Everything the report shows."""
    from model import parameters
    from model.engine import simulate
    use_params_file(params_file)
    path = parameters.fitted_file()
    fitted = json.loads(Path(path).read_text(encoding="utf-8"))["parameters"] if path else None
    ds = simulate(SCENARIO, runs=runs, seed=seed, end_year=END_YEAR)
    obs = fit_observations(extra)
    return {"params_file": parameters.fitted_label(), "points": points(ds, obs),
            "estimates": estimates(fitted), "indicators": indicators(fitted, obs), "dataset": ds}

"""Borrow strength from the 31-province panel: priors for diffusion parameters.

Hubei has two or three points per Internet+ series; the panel
(``model/data/observed/province_panel.csv``) has the same series for all 31
provinces.  For each diffusion rate the model uses, the panel gives one
observation per province and year-to-year transition, expressed in the
model's own parameterisation (the other parameters at their table values),
and a statsmodels ``MixedLM`` with a random intercept per province and a
fixed Hubei effect estimates the national mean and Hubei's deviation:

``finance_growth_rate``
    DFI logistic growth ``Δlog I / (1 - I_prev / K)`` (K = the table's
    ``finance_index_ceiling``), transitions 2015→2016 and 2016→2017 (the
    years the model simulates), divided by the model's mean multipliers that
    the panel rate already contains (the broadband factor A ≈ subscribers'
    growth ** elasticity and E[exp(noise)] = exp(sd² / 2)).
``bass_q_mobile``
    Mobile internet users per 100 residents, F = users / ceiling (the
    table's ``mobile_ceiling``): Bass ``ΔF / (1 - F) = p + q F`` with p at
    the table value, so ``q = (ΔF / (1 - F) - p) / F``; 2015→2016, 2016→2017.
Broadband subscribers per capita (check only)
    ``Δlog(subscribers / population)``; the household model's parameters
    are informed by Hubei's own three NBS points, so this estimate is
    reported (is Hubei faster or slower than the provinces?) but not used
    as a prior.

The prior for Hubei is the panel's predictive distribution for one province:
Gaussian with mean the national intercept and sd ``sqrt(se² + province_sd²)``
(between-province spread plus estimation error); Hubei's own points then
enter through the agent model's likelihood, so they are not counted twice.
The Hubei fixed effect (Hubei's own transitions against the rest) is
reported as a check: is Hubei different from the provinces?  It is written to ``panel_priors.csv`` (data:
the fit reads it, the model never does) by ``python -m calibration panel``.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from model.observations import PROVINCE
from model.provinces import panel

HERE = Path(__file__).parent
PRIORS = HERE / "panel_priors.csv"


def _wide(indicator: str) -> pd.DataFrame:
    f = panel()                # read and validated once, as the model reads it
    return f[f.indicator == indicator].pivot_table(index="region", columns="year", values="value")


def _long(values: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    rows = [(r, y, values.loc[r, y]) for r in values.index for y in years if np.isfinite(values.loc[r, y])]
    out = pd.DataFrame(rows, columns=["region", "year", "y"])
    out["hubei"] = (out.region == PROVINCE).astype(float)
    return out


def mixed(frame: pd.DataFrame) -> dict:
    """MixedLM ``y ~ 1 + hubei`` with a random intercept per province."""
    from statsmodels.regression.mixed_linear_model import MixedLM
    X = np.column_stack([np.ones(len(frame)), frame.hubei.to_numpy()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MixedLM(frame.y.to_numpy(), X, groups=frame.region.to_numpy()).fit(reml=True)
    cov = np.asarray(res.cov_params())[:2, :2]
    b = np.asarray(res.fe_params)
    return {"national": float(b[0]), "national_se": float(np.sqrt(cov[0, 0])),
            "hubei_effect": float(b[1]), "hubei_effect_se": float(np.sqrt(cov[1, 1])),
            "hubei": float(b[0] + b[1]), "hubei_se": float(np.sqrt(cov[0, 0] + cov[1, 1] + 2 * cov[0, 1])),
            "province_sd": float(np.sqrt(max(float(np.asarray(res.cov_re)[0, 0]), 0.0))),
            "residual_sd": float(np.sqrt(res.scale)), "n": int(len(frame)),
            "provinces": int(frame.region.nunique())}


def estimates() -> pd.DataFrame:
    """One row per estimated quantity, with the model parameter it informs (or none)."""
    from model import parameters
    t = parameters.table()
    rows = []
    # digital finance: logistic growth rate in the model's parameterisation
    dfi = _wide("digital_finance_index")
    K = t["finance_index_ceiling"].value
    rate = np.log(dfi[[2016, 2017]].to_numpy() / dfi[[2015, 2016]].to_numpy()) / (1 - dfi[[2015, 2016]].to_numpy() / K)
    subs = _wide("broadband_subscribers")
    a_factor = (subs[2017] / subs[2015]) ** (t["finance_internet_elasticity"].value / 2)   # mean over 2016-17
    noise_mean = np.exp(t["finance_growth_noise_sd"].value ** 2 / 2)
    scale = float(a_factor.loc[PROVINCE]) * noise_mean
    r = mixed(_long(pd.DataFrame(rate, index=dfi.index, columns=[2016, 2017]), [2016, 2017]))
    rows.append({"parameter": "finance_growth_rate", "quantity": "DFI logistic growth / (A x E[exp noise])",
                 **{k: (v / scale if k in ("national", "national_se", "hubei_effect", "hubei_effect_se",
                                          "hubei", "hubei_se", "province_sd", "residual_sd") else v)
                    for k, v in r.items()},
                 "note": f"K={K:g}; divided by {scale:.3f} (Hubei's broadband factor x exp(sd^2/2))"})
    # mobile internet: Bass imitation coefficient
    users, pop = _wide("mobile_internet_users"), _wide("population")
    M, p = t["mobile_ceiling"].value, t["bass_p_mobile"].value
    F = (users / pop * 100 / M)[[2015, 2016, 2017]]
    q = ((F[[2016, 2017]].to_numpy() - F[[2015, 2016]].to_numpy()) / (1 - F[[2015, 2016]].to_numpy()) - p) \
        / F[[2015, 2016]].to_numpy()
    r = mixed(_long(pd.DataFrame(q, index=F.index, columns=[2016, 2017]), [2016, 2017]))
    rows.append({"parameter": "bass_q_mobile", "quantity": "Bass q of mobile users per 100 residents",
                 **r, "note": f"ceiling {M:g} per 100, p={p:g} (table values)"})
    # broadband per capita growth: a check
    per = np.log(subs / _wide("population"))
    g = per[[2016, 2017]].to_numpy() - per[[2015, 2016]].to_numpy()
    r = mixed(_long(pd.DataFrame(g, index=per.index, columns=[2016, 2017]), [2016, 2017]))
    rows.append({"parameter": "", "quantity": "growth of log broadband subscribers per capita",
                 **r, "note": "check only (Hubei's own NBS points inform the household parameters)"})
    return pd.DataFrame(rows)


def write(frame: pd.DataFrame | None = None, path: Path = PRIORS) -> Path:
    """``panel_priors.csv``: Gaussian prior (mean, sd) per parameter: the panel's predictive for a province."""
    frame = estimates() if frame is None else frame
    used = frame[frame.parameter != ""]
    sd = np.sqrt(used.national_se ** 2 + used.province_sd ** 2)
    out = pd.DataFrame({"parameter": used.parameter, "mean": used.national.round(4), "sd": sd.round(4),
                        "national": used.national.round(4), "national_se": used.national_se.round(4),
                        "hubei_effect": used.hubei_effect.round(4), "hubei_effect_se": used.hubei_effect_se.round(4),
                        "n": used.n, "source": "province_panel.csv; statsmodels MixedLM, random intercept per "
                                               "province, Hubei fixed effect (calibration/panel.py)",
                        "note": used.note})
    out.to_csv(path, index=False)
    return path


def priors(path: Path = PRIORS) -> dict[str, tuple[float, float]]:
    """Gaussian priors the fit adds to the likelihood: {parameter: (mean, sd)}."""
    if not Path(path).exists():
        return {}
    f = pd.read_csv(path)
    return {r.parameter: (float(r.mean), float(r.sd)) for r in f.itertuples() if r.sd > 0}

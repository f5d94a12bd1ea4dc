"""The other provinces: two rank targets read as interpretations.

``digital_finance_central_rank``: Hubei's rank among 山西 安徽 江西 河南 湖北 湖南
on the PKU digital financial inclusion index (Hubei's value from ``finance``).
``infrastructure_national_rank``: Hubei's rank among the 31 provinces in
fixed-broadband subscribers per 100 residents (Hubei's value: the model's
``broadband_subscribers`` over ``macro`` population).

The other provinces come from ``province_panel.csv`` (vendored unchanged)
where observed (to 2017) and, after, from one pooled panel model per series,
fitted once per process with statsmodels OLS on all 31 provinces::

    d ln v[i,t] = a + b * ln v[i,t-1] + u[t] + e[i,t]

(``b`` < 0: growth slows as a province's level rises, across provinces and
over time; ``u``: the common shock of a year, ``e``: a province's own).  The
shocks' spreads are read from the residuals: the spread of their yearly
means (``u``) and the spread around those means (``e``).  Forecasts draw
per run, from the ``provinces`` stream, ``(a, b)`` from their estimate and
covariance, one ``u`` per year and one ``e`` per province and year, so ranks
carry the uncertainty of the fit.  For the index the common shock ``u`` is
the same standard normal that moves Hubei's growth in ``finance`` that year
(the index moves together across provinces), so only the provinces' own
shocks separate Hubei from the others.  Ranks are 1 plus the number of provinces
above Hubei; NaN in years without panel data.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .observations import OBSERVED_DIR, read_observations
from .parameters import scalar
from .streams import per_run

PANEL_FILE = OBSERVED_DIR / "province_panel.csv"
HUBEI = "湖北省"
CENTRAL = ("山西省", "安徽省", "江西省", "河南省", "湖北省", "湖南省")
HORIZON = 4               # forecast years drawn after the last data year (to 2021), always


@lru_cache(maxsize=None)
def panel():
    """The vendored 31-province panel, validated like every observation file."""
    return read_observations(PANEL_FILE)


@dataclass(frozen=True)
class PanelFit:
    """A series of the panel (levels, provinces x years) and its fitted growth model."""
    regions: tuple[str, ...]
    years: np.ndarray
    levels: np.ndarray
    coef: np.ndarray          # (a, b)
    coef_chol: np.ndarray     # Cholesky factor of their covariance
    year_sd: float            # spread of the common yearly shock u
    sigma: float              # spread of a province's own shock e


def _wide(indicator: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    rows = panel()
    rows = rows[(rows.indicator == indicator) & (rows.kind == "level")]
    table = rows.pivot_table(index="region", columns="year", values="value", aggfunc="first")
    if table.isna().any().any() or len(table) != 31:
        raise ValueError(f"{PANEL_FILE.name}: {indicator} must be complete for 31 provinces")
    return tuple(table.index), table.columns.to_numpy(), table.to_numpy(float)


@lru_cache(maxsize=None)
def fit(series: str, first_growth_year: int) -> PanelFit:
    """Fit the pooled growth model to one series (``broadband_per_100`` or a panel indicator)."""
    from statsmodels.regression.linear_model import OLS

    if series == "broadband_per_100":
        regions, years, subs = _wide("broadband_subscribers")
        r2, y2, pop = _wide("population")
        if r2 != regions or not np.array_equal(y2, years):
            raise ValueError(f"{PANEL_FILE.name}: broadband and population years or provinces differ")
        levels = 100 * subs / pop
    else:
        regions, years, levels = _wide(series)
    logs = np.log(levels)
    cols = [j for j in range(1, len(years)) if years[j] >= first_growth_year]
    growth = np.concatenate([logs[:, j] - logs[:, j - 1] for j in cols])
    prev = np.concatenate([logs[:, j - 1] for j in cols])
    res = OLS(growth, np.column_stack([np.ones_like(prev), prev])).fit()
    resid = res.resid.reshape(len(cols), len(regions))
    year_mean = resid.mean(1)
    year_sd = float(year_mean.std(ddof=1)) if len(cols) > 1 else 0.0
    within = resid - year_mean[:, None]
    sigma = float(np.sqrt((within**2).sum() / (within.size - len(cols))))
    chol = np.linalg.cholesky(np.asarray(res.cov_params()))
    return PanelFit(regions, years, levels, np.asarray(res.params), chol, year_sd, sigma)


@lru_cache(maxsize=None)
def others_layout(series: str, first_growth_year: int, first_year: int, last_year: int) -> tuple:
    """What the other provinces' paths need that depends on the fit and the model's years alone.

    Returns the 30 other provinces' names and rows in the panel, their observed levels per model year
    (NaN where the panel has none; read-only), every province's last observed log level (read-only)
    and the forecast steps as (horizon, model-year index) pairs up to ``last_year``.
    """
    f = fit(series, first_growth_year)
    keep = np.array([i for i, r in enumerate(f.regions) if r != HUBEI])
    years = np.arange(first_year, last_year + 1)
    observed = np.full((len(keep), len(years)), np.nan)
    for j, year in enumerate(years):
        if year in f.years:
            observed[:, j] = f.levels[keep, list(f.years).index(year)]
    log_last = np.log(f.levels)[:, -1]
    last = int(f.years[-1])          # forecasts start after the data, so after the model's first year
    horizon = tuple((h, last + 1 + h - first_year) for h in range(HORIZON) if last + 1 + h <= last_year)
    for a in (keep, observed, log_last):
        a.flags.writeable = False
    return tuple(f.regions[i] for i in keep), keep, observed, log_last, horizon


class Provinces:
    """Hubei's ranks against the other provinces (computed after the last step)."""

    levers = ()
    name = "provinces"
    outputs = {"digital_finance_central_rank": False, "infrastructure_national_rank": False,
               "broadband_per_100": False}
    SERIES = (("digital_finance_index", "digital_finance_central_rank", "provinces_dfii_fit_from"),  # k = 0
              ("broadband_per_100", "infrastructure_national_rank", "provinces_broadband_fit_from"))

    def __init__(self, model):
        self.m = model
        start, end = int(model.years[0]), int(model.years[-1])
        keys = [(series, int(scalar(model.params, key))) for series, _, key in self.SERIES]
        self.fits = [fit(*key) for key in keys]
        self.layouts = [others_layout(*key, start, end) for key in keys]
        self.scale = scalar(model.params, "provinces_shock_scale")
        n = max(len(f.regions) for f in self.fits)
        # per run and series: (a, b), then per forecast year the common shock and one per province
        rng = model.streams("provinces")
        self.coef_draws = per_run(rng, "standard_normal", (len(self.SERIES), 2))
        self.draws = per_run(rng, "standard_normal", (len(self.SERIES), HORIZON, n + 1))

    def step(self, s: int, y: int, quarter: int) -> None:
        pass

    def record(self, y: int, out: dict) -> None:
        pass

    def others(self, k: int) -> tuple[tuple[str, ...], np.ndarray]:
        """Levels of the 30 other provinces for the model's years, (runs, 30, years); NaN before the data."""
        m, f, scale = self.m, self.fits[k], self.scale
        regions, keep, observed, log_last, horizon = self.layouts[k]
        out = np.empty((m.runs, *observed.shape))
        out[:] = observed
        cur = np.broadcast_to(log_last, (m.runs, len(f.regions))).copy()       # all 31 provinces
        z, L = self.coef_draws[:, k], f.coef_chol                 # (a, b) = coef + L z, per run
        a = f.coef[0] + scale * L[0, 0] * z[:, 0]
        b = f.coef[1] + scale * (L[1, 0] * z[:, 0] + L[1, 1] * z[:, 1])
        for h, j in horizon:
            d = self.draws[:, k, h]
            # the index moves together across provinces: the other provinces' common shock
            # is the draw that moves Hubei's growth in ``finance`` that year
            common = m.finance.noise[:, j:j + 1] if k == 0 else d[:, :1]
            shock = scale * (f.year_sd * common + f.sigma * d[:, 1:1 + len(f.regions)])
            cur = cur + a[:, None] + b[:, None] * cur + shock
            out[:, :, j] = np.exp(cur[:, keep])
        return regions, out

    @staticmethod
    def rank(hubei: np.ndarray, others: np.ndarray) -> np.ndarray:
        """1 + number of provinces above Hubei, (runs, years); NaN where either is missing."""
        above = (others > hubei[:, None, :]).sum(1)
        missing = np.isnan(hubei) | np.isnan(others).any(1)
        return np.where(missing, np.nan, 1.0 + above)

    def finish(self, out: dict) -> None:
        m = self.m
        regions, dfii = self.others(0)
        central = [i for i, r in enumerate(regions) if r in CENTRAL]
        out["digital_finance_central_rank"][:] = self.rank(out["digital_finance_index"], dfii[:, central])
        per100 = 100 * out["broadband_subscribers"] / m.macro.population[None, :]
        out["broadband_per_100"][:] = per100
        _, bb = self.others(1)
        out["infrastructure_national_rank"][:] = self.rank(per100, bb)

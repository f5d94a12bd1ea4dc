"""Rolling-origin backtests of the model and the M4 benchmarks on the Hubei series.

For every Hubei annual series with ``MIN_SERIES`` or more consecutive years,
each origin ``T`` from ``first + MIN_TRAIN - 1`` to ``last - 1`` fits on the
years up to ``T`` and forecasts ``T+1 .. T+H``.  Methods: Naive2, Theta and
damped ETS (the M4 benchmarks, :mod:`model.baselines`) and, where it covers
the series, the model (GDP: the macro driver of ``model/macro.py`` with
``macro_data_until = T``).  Scores per series and method: sMAPE and MASE
(M4 definitions; the MASE scale is the in-sample mean absolute one-step
change of the training window) and the share of actuals inside the 80% and
95% intervals.  Scores are averaged over the forecasts every method made.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from model.baselines import ForecastError, forecast
from model.forecast import quantile_table, hubei_series

MIN_SERIES = 6
MIN_TRAIN = 5
H = 3
BENCHMARKS = ("naive2", "theta", "damped_ets")
M4_YEARLY = {"naive2": (16.3, 3.97), "theta": (14.6, 3.38), "winner": (13.2, 2.98)}
MODEL_SERIES = {"gdp"}          # series the model forecasts (macro driver)
MODEL_RUNS = 2000


def longest_run(s: pd.Series) -> pd.Series:
    """The longest stretch of consecutive years (the latest if tied)."""
    years = s.index.to_numpy()
    best, start = (0, 0), 0
    for i in range(1, len(years) + 1):
        if i == len(years) or years[i] != years[i - 1] + 1:
            if i - start >= best[1] - best[0]:
                best = (start, i)
            start = i
    return s.iloc[best[0]:best[1]]


def eligible(frame=None) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """Backtestable series and the others with the reason."""
    ok, skipped = {}, []
    for ind, s in hubei_series(frame).items():
        run = longest_run(s)
        if len(run) >= MIN_SERIES:
            ok[ind] = run
        else:
            years = ", ".join(map(str, s.index))
            why = (f"{len(s)} annual point(s) ({years})" if len(s) < MIN_SERIES
                   else f"{len(s)} points but at most {len(run)} consecutive ({years})")
            skipped.append((ind, why + f"; needs {MIN_SERIES}+ consecutive"))
    return ok, pd.DataFrame(skipped, columns=["series", "reason"])


def _model_gdp(origin: int, h: int, seed: int = 1) -> pd.DataFrame:
    """Quantiles of the model's GDP (macro driver) fitted to data up to ``origin``."""
    from model import parameters
    from model.macro import Macro
    from model.streams import streams
    ids = np.arange(MODEL_RUNS)
    drawn = parameters.draw(streams(seed, ids, "uncertainty"), overrides={"macro_data_until": origin})
    years = np.arange(2010, max(origin + h, 2016) + 1)       # the macro paths index incomes on 2015
    ahead = (years > origin) & (years <= origin + h)
    gdp = Macro(years, drawn, streams(seed, ids, "macro")).gdp
    return quantile_table(gdp, years, years[ahead]).reset_index(drop=True)


def run(progress=None, frame=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """All forecasts (long), the per-series scores, and the skipped series."""
    series, skipped = eligible(frame)
    jobs = [(ind, s, T) for ind, s in series.items() for T in s.index[MIN_TRAIN - 1:-1]]
    rows = []
    for k, (ind, s, T) in enumerate(jobs):
        train = s[s.index <= T]
        test = s[(s.index > T) & (s.index <= T + H)]
        h = len(test)
        scale = np.mean(np.abs(np.diff(train.to_numpy())))
        methods = list(BENCHMARKS) + (["model"] if ind in MODEL_SERIES and T >= 2010 else [])
        for method in methods:
            try:
                fc = (_model_gdp(int(T), h) if method == "model"
                      else forecast(train.to_numpy(), train.index.to_numpy(), h, method))
            except ForecastError:
                continue
            for (year, actual), f in zip(test.items(), fc.itertuples(index=False)):
                rows.append((ind, method, int(T), int(year - T), actual, f.median, f.lo80, f.hi80,
                             f.lo95, f.hi95, scale))
        if progress:
            progress(k + 1, len(jobs))
    long = pd.DataFrame(rows, columns=["series", "method", "origin", "h", "actual", "median", "lo80", "hi80",
                                       "lo95", "hi95", "scale"])
    return long, score(long), skipped


def score(long: pd.DataFrame) -> pd.DataFrame:
    """sMAPE, MASE and interval coverage per series and method, over common forecasts."""
    long = long.copy()
    long["smape"] = 200 * np.abs(long.actual - long["median"]) / (np.abs(long.actual) + np.abs(long["median"]))
    long["mase"] = np.abs(long.actual - long["median"]) / long.scale.where(long.scale > 0)
    long["in80"] = (long.actual >= long.lo80) & (long.actual <= long.hi80)
    long["in95"] = (long.actual >= long.lo95) & (long.actual <= long.hi95)
    out = []
    for ind, g in long.groupby("series"):
        # compare methods on the (origin, h) pairs every benchmark forecast
        keys = set.intersection(*(set(zip(m.origin, m.h)) for _, m in g[g.method.isin(BENCHMARKS)].groupby("method")))
        for method, m in g.groupby("method"):
            common = m[[k in keys for k in zip(m.origin, m.h)]] if method != "model" else m
            out.append((ind, method, len(common), common.smape.mean(), common.mase.mean(),
                        common.in80.mean(), common.in95.mean()))
    return pd.DataFrame(out, columns=["series", "method", "n", "smape", "mase", "cover80", "cover95"])


def summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean over series per method (each series weighs the same, as in M4)."""
    return scores.groupby("method")[["smape", "mase", "cover80", "cover95"]].mean()

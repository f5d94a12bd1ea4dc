"""Statistical forecasts of short annual series, one interface over statsmodels.

``forecast(values, years, h, method)`` fits one method to an annual series and
returns, for each of the next ``h`` years, the median and the 80% and 95%
prediction intervals, whatever the method's own interval API:

``naive2``
    M4's Naive2: a random walk on the seasonally adjusted series; annual
    series have no seasonality, so it is Naive1.  Intervals from the
    in-sample one-step errors, ``sigma * sqrt(h)`` (normal).
``theta``
    statsmodels ``ThetaModel`` (no deseasonalising for annual data);
    intervals from ``prediction_intervals``.
``ets``
    statsmodels ``ETSModel`` with additive error and additive trend, fitted
    on a pandas Series (an ndarray breaks ``get_prediction``); analytic
    intervals from ``summary_frame``.
``damped_ets``
    the same with a damped trend.
``drift``
    a random walk with drift (the mean past change continues); intervals
    ``sigma * sqrt(h + h**2 / n)`` include the uncertainty of the drift;
    used for series too short for ETS.
``auto``
    ``damped_ets`` with ``AUTO_ETS_POINTS`` points or more, else ``drift``.

statsmodels is imported lazily (``import statsmodels.api`` costs about a second).
A method that cannot be fitted (too few points, optimiser failure) raises
:class:`ForecastError`; ``auto`` falls back to ``drift`` instead.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

METHODS = ("naive2", "theta", "ets", "damped_ets", "drift")
MIN_POINTS = {"naive2": 2, "drift": 3, "theta": 4, "ets": 5, "damped_ets": 5}
AUTO_ETS_POINTS = 6                 # ``auto`` uses damped ETS from this many points
COLUMNS = ("year", "median", "lo80", "hi80", "lo95", "hi95")
Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)


class ForecastError(ValueError):
    """A method could not be fitted to a series."""


def _frame(years: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"year": years, "median": mean, "lo80": mean - Z80 * sd, "hi80": mean + Z80 * sd,
                         "lo95": mean - Z95 * sd, "hi95": mean + Z95 * sd})


def _naive2(y: np.ndarray, future: np.ndarray) -> pd.DataFrame:
    steps = np.arange(1, len(future) + 1)
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))
    return _frame(future, np.full(len(future), y[-1]), sigma * np.sqrt(steps))


def _drift(y: np.ndarray, future: np.ndarray) -> pd.DataFrame:
    d = np.diff(y)
    steps = np.arange(1, len(future) + 1)
    # floor: two equal changes must not give a zero-width band (2% of the last level)
    sigma = max(np.std(d, ddof=1) if len(d) > 1 else 0.0, 0.02 * abs(y[-1]))
    return _frame(future, y[-1] + d.mean() * steps, sigma * np.sqrt(steps + steps ** 2 / len(d)))


def _theta(series: pd.Series, h: int, future: np.ndarray) -> pd.DataFrame:
    from statsmodels.tsa.forecasting.theta import ThetaModel
    res = ThetaModel(series, period=1, deseasonalize=False).fit()
    mean = np.asarray(res.forecast(h))
    out = pd.DataFrame({"year": future, "median": mean})
    for name, alpha in (("80", 0.2), ("95", 0.05)):
        pi = res.prediction_intervals(h, alpha=alpha)
        out["lo" + name], out["hi" + name] = np.asarray(pi["lower"]), np.asarray(pi["upper"])
    return out


def _ets(series: pd.Series, h: int, future: np.ndarray, damped: bool) -> pd.DataFrame:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    res = ETSModel(series, error="add", trend="add", damped_trend=damped).fit(disp=False)
    pred = res.get_prediction(start=len(series), end=len(series) + h - 1)
    out = pd.DataFrame({"year": future, "median": np.asarray(pred.predicted_mean)})
    for name, alpha in (("80", 0.2), ("95", 0.05)):
        frame = pred.summary_frame(alpha=alpha)
        out["lo" + name], out["hi" + name] = frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
    return out


def forecast(values, years, h: int, method: str = "auto") -> pd.DataFrame:
    """Forecast ``h`` years after the last of ``years`` (consecutive annual values).

    Returns a DataFrame with columns ``year, median, lo80, hi80, lo95, hi95``
    and ``attrs['method']`` the method actually used.
    """
    y = np.asarray(values, dtype=float)
    years = np.asarray(years, dtype=int)
    if len(y) != len(years) or not np.all(np.isfinite(y)):
        raise ForecastError("values and years must be finite and of equal length")
    if len(years) > 1 and not np.all(np.diff(years) == 1):
        raise ForecastError(f"years must be consecutive (got {years.tolist()})")
    if method == "auto":
        method = "damped_ets" if len(y) >= AUTO_ETS_POINTS else "drift"
        try:
            return forecast(y, years, h, method)
        except ForecastError:
            return forecast(y, years, h, "naive2")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} or 'auto' (got {method!r})")
    if len(y) < MIN_POINTS[method]:
        raise ForecastError(f"{method} needs at least {MIN_POINTS[method]} points (got {len(y)})")
    future = np.arange(years[-1] + 1, years[-1] + 1 + h)
    series = pd.Series(y, index=pd.period_range(str(years[0]), periods=len(y), freq="Y"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if method == "naive2":
                out = _naive2(y, future)
            elif method == "drift":
                out = _drift(y, future)
            elif method == "theta":
                out = _theta(series, h, future)
            else:
                out = _ets(series, h, future, damped=method == "damped_ets")
        except Exception as exc:  # statsmodels raises many kinds on degenerate series
            raise ForecastError(f"{method} failed: {exc}") from exc
    if not np.all(np.isfinite(out[list(COLUMNS[1:])].to_numpy())):
        raise ForecastError(f"{method} gave non-finite forecasts")
    out.attrs["method"] = method
    return out.reset_index(drop=True)

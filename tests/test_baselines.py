"""The time-series layer: one interface, intervals nested and ordered, fallbacks."""
import numpy as np
import pytest

from model.baselines import AUTO_ETS_POINTS, COLUMNS, METHODS, ForecastError, forecast

YEARS = list(range(2011, 2018))
VALUES = [39.82, 101.42, 164.76, 190.14, 226.75, 239.86, 285.28]   # digital_finance_index


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_nested_intervals(method):
    out = forecast(VALUES, YEARS, 3, method)
    assert tuple(out.columns) == COLUMNS and out.year.tolist() == [2018, 2019, 2020]
    assert out.attrs["method"] == method
    assert np.all(out.lo95 <= out.lo80) and np.all(out.lo80 <= out["median"])
    assert np.all(out["median"] <= out.hi80) and np.all(out.hi80 <= out.hi95)
    assert np.all(out.hi95 > out.lo95)


def test_naive2_is_the_last_value_with_widening_bands():
    out = forecast(VALUES, YEARS, 4, "naive2")
    assert np.allclose(out["median"], VALUES[-1])
    width = (out.hi95 - out.lo95).to_numpy()
    assert np.allclose(width / width[0], np.sqrt([1, 2, 3, 4]))


def test_short_series_refused_or_fall_back():
    with pytest.raises(ForecastError, match="at least"):
        forecast(VALUES[:4], YEARS[:4], 2, "damped_ets")
    assert forecast(VALUES[:5], YEARS[:5], 2).attrs["method"] == "drift"
    assert forecast(VALUES[:AUTO_ETS_POINTS], YEARS[:AUTO_ETS_POINTS], 2).attrs["method"] == "damped_ets"


def test_gaps_and_unknown_methods_rejected():
    with pytest.raises(ForecastError, match="consecutive"):
        forecast([1.0, 2.0, 3.0], [2010, 2011, 2013], 2, "naive2")
    with pytest.raises(ValueError, match="method"):
        forecast(VALUES, YEARS, 2, "prophet")


def test_backtest_selects_series_and_explains_the_rest():
    from calibration import backtest
    ok, skipped = backtest.eligible()
    assert {"gdp", "internet_penetration", "digital_finance_index"} <= set(ok)
    assert all(len(s) >= backtest.MIN_SERIES and np.all(np.diff(s.index) == 1) for s in ok.values())
    reasons = skipped.set_index("series").reason
    assert "3 annual point(s)" in reasons["broadband_subscribers"]
    assert "consecutive" in reasons["population"]          # 5 points, 2010-2015 gap


def test_scores_follow_the_m4_definitions():
    import pandas as pd
    from calibration import backtest
    long = pd.DataFrame({"series": "s", "method": ["naive2", "theta"], "origin": 2015, "h": 1,
                         "actual": [110.0, 110.0], "median": [100.0, 110.0], "lo80": [95.0, 105.0],
                         "hi80": [105.0, 115.0], "lo95": [90.0, 100.0], "hi95": [115.0, 120.0],
                         "scale": [5.0, 5.0]})
    s = backtest.score(long).set_index("method")
    assert s.loc["naive2", "smape"] == pytest.approx(200 * 10 / 210)
    assert s.loc["naive2", "mase"] == pytest.approx(2.0)
    assert s.loc["naive2", "cover80"] == 0 and s.loc["naive2", "cover95"] == 1
    assert s.loc["theta", "smape"] == 0 and s.loc["theta", "cover80"] == 1

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

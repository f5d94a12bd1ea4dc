"""Finance: Hubei's digital financial inclusion index."""
import numpy as np
import pytest
import xarray as xr

from model import catalogue, simulate
from model.finance import index_history
from model.scenario import spending

RUNS = 4


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=7)


def test_history_years_are_the_observations(baseline):
    idx = baseline.digital_finance_index
    assert np.isnan(idx.sel(year=2010)).all()            # the index starts in 2011
    for year, value in index_history().items():
        assert (idx.sel(year=year) == value).all()
    hist = catalogue.history("digital_finance_index").set_index("year").value
    assert hist[2015] == pytest.approx(226.75) and 2017 in hist.index


def test_index_grows_below_its_ceiling_and_checks_are_plausible(baseline):
    idx = baseline.digital_finance_index.sel(year=slice(2015, 2020))
    assert (idx.diff("year") > 0).all()
    assert (baseline.digital_finance_index.sel(year=2020) < 500).all()
    # 2017 is a check, not a fit: the observation lies within the model's spread
    hist = catalogue.history("digital_finance_index").set_index("year").value
    many = simulate("baseline", runs=40, seed=7).digital_finance_index.sel(year=2017)
    assert float(many.quantile(0.05)) < hist[2017] < float(many.quantile(0.95))


def test_zero_money_reproduces_baseline_and_money_helps(baseline):
    zero = simulate(spending(dict(inclusive_finance=0.0)), runs=RUNS, seed=7)
    xr.testing.assert_identical(zero.digital_finance_index, baseline.digital_finance_index)
    low = simulate(spending(dict(inclusive_finance=0.5)), runs=RUNS, seed=7)
    high = simulate(spending(dict(inclusive_finance=3.0)), runs=RUNS, seed=7)
    for year in (2016, 2018, 2020):
        b, lo, hi = (float(d.digital_finance_index.sel(year=year).mean()) for d in (baseline, low, high))
        assert b < lo < hi
    paid = high.spending_used.sel(area="inclusive_finance").sel(year=slice(2016, 2020))
    np.testing.assert_allclose(paid, 3.0)


def test_coupling_off_isolates_finance_from_broadband():
    off = {"coupling_connectivity_finance": 0}
    a = simulate(spending(dict(infrastructure=0.0)), runs=RUNS, seed=1, params=off)
    b = simulate(spending(dict(infrastructure=10.0)), runs=RUNS, seed=1, params=off)
    xr.testing.assert_identical(a.digital_finance_index, b.digital_finance_index)
    on_a = simulate(spending(dict(infrastructure=0.0)), runs=RUNS, seed=1)
    on_b = simulate(spending(dict(infrastructure=10.0)), runs=RUNS, seed=1)
    assert float((on_b.digital_finance_index - on_a.digital_finance_index).sel(year=2020).mean()) > 0

"""Tourism: smart scenic spots and tourism revenue."""
import numpy as np
import pytest

from model import catalogue, simulate
from model.scenario import spending
from model.tourism import Tourism

RUNS = 6


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=7)


def test_catalogue_rows():
    assert catalogue.areas().loc["smart_tourism", "module"] == Tourism.name
    row = catalogue.indicators().loc["tourism_revenue"]
    assert row.module == "tourism" and row.target == ""
    hist = catalogue.history("tourism_revenue")
    assert {2011, 2013, 2014, 2015} <= set(hist.year)


def test_revenue_is_anchored_and_backcast(baseline):
    np.testing.assert_allclose(baseline.tourism_revenue.sel(year=2015), 4308)
    # back-cast at the 2011-2015 average growth: 2011 within 1% of the observed 1987
    np.testing.assert_allclose(baseline.tourism_revenue.sel(year=2011), 1987, rtol=0.01)
    assert (baseline.tourism_revenue.diff("year") > 0).all()


def test_smart_spots_are_shares_and_never_fall(baseline):
    s = baseline.smart_scenic_spots_share
    assert float(s.min()) >= 0 and float(s.max()) <= 100
    assert (s.diff("year") >= 0).all()


def test_zero_money_is_the_baseline_and_more_money_never_lowers_revenue(baseline):
    zero = simulate(spending(dict(smart_tourism=0)), runs=RUNS, seed=7)
    np.testing.assert_array_equal(zero.tourism_revenue.values, baseline.tourism_revenue.values)
    some = simulate(spending(dict(smart_tourism=0.5)), runs=RUNS, seed=7)
    more = simulate(spending(dict(smart_tourism=3)), runs=RUNS, seed=7)
    for a, b in ((baseline, some), (some, more)):
        assert (b.smart_scenic_spots_share >= a.smart_scenic_spots_share).all()
        assert (b.tourism_revenue.mean("run") >= a.tourism_revenue.mean("run") - 1e-9).all()
    assert float(more.tourism_revenue.sel(year=2018).mean()) > float(baseline.tourism_revenue.sel(year=2018).mean())
    used = more.spending_used.sel(area="smart_tourism")
    assert (used <= more.spending_allocated.sel(area="smart_tourism") + 1e-9).all()
    assert float(used.sel(year=2020).max()) < 3      # the pool of spots runs out


def test_without_the_assumed_uplift_money_leaves_revenue_alone():
    off = {"smart_tourism_uplift": 0}
    a = simulate("baseline", runs=3, seed=1, params=off)
    b = simulate(spending(dict(smart_tourism=3)), runs=3, seed=1, params=off)
    np.testing.assert_array_equal(a.tourism_revenue.values, b.tourism_revenue.values)

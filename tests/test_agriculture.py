"""Agriculture: 12316 county coverage and facility-agriculture IoT."""
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import catalogue, simulate
from model.agriculture import county_prefecture
from model.scenario import spending

RUNS = 4
OUT = ["agri_12316_county_coverage", "agri_12316_county_coverage_by_region",
       "facility_ag_iot_share", "facility_ag_iot_share_by_region"]


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=5)


def test_103_county_units_in_17_prefectures():
    pref = county_prefecture()
    assert len(pref) == 103 and set(pref) == set(range(17))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(money=st.lists(st.floats(0, 1), min_size=5, max_size=5), seed=st.integers(0, 10_000))
def test_invariants_hold_for_any_funding(money, seed):
    top = float(catalogue.areas().loc["modern_agriculture", "max"])
    ds = simulate(spending(dict(modern_agriculture=[v * top for v in money])), runs=3, seed=seed)
    for var in OUT:
        assert float(ds[var].min()) >= 0 and float(ds[var].max()) <= 100 + 1e-9, var
        assert (ds[var].diff("year") >= -1e-9).all(), f"{var} fell"
    # coverage is a count of whole counties: the regional shares times county counts are integers
    counts = np.bincount(county_prefecture(), minlength=17)
    connected = ds.agri_12316_county_coverage_by_region.values * counts / 100
    assert np.allclose(connected, np.round(connected))
    used = ds.spending_used.sel(area="modern_agriculture")
    assert (used <= ds.spending_allocated.sel(area="modern_agriculture") + 1e-9).all()


def test_regions_add_up_to_the_province(baseline):
    counts = np.bincount(county_prefecture(), minlength=17)
    total = (baseline.agri_12316_county_coverage_by_region * counts).sum("region") / counts.sum()
    np.testing.assert_allclose(total, baseline.agri_12316_county_coverage, rtol=1e-12)
    iot = baseline.facility_ag_iot_share_by_region
    assert float(iot.min("region").min()) - 1e-9 <= float(baseline.facility_ag_iot_share.min())


def test_zero_money_reproduces_the_baseline_and_same_seed_is_identical(baseline):
    zero = simulate(spending(dict(modern_agriculture=0.0)), runs=RUNS, seed=5)
    again = simulate("baseline", runs=RUNS, seed=5)
    for var in OUT:
        xr.testing.assert_identical(zero[var], baseline[var])
        xr.testing.assert_identical(again[var], baseline[var])


def test_more_money_raises_coverage_and_iot_in_expectation(baseline):
    low = simulate(spending(dict(modern_agriculture=0.3)), runs=RUNS, seed=5)
    high = simulate(spending(dict(modern_agriculture=1.5)), runs=RUNS, seed=5)
    for var in ("agri_12316_county_coverage", "facility_ag_iot_share"):
        b, lo, hi = (d[var].mean("run").sel(year=slice(2016, 2020)) for d in (baseline, low, high))
        assert (lo >= b - 1e-9).all() and (hi >= lo - 1e-9).all(), var
        assert float(hi.sel(year=2018)) > float(b.sel(year=2018)), var
    # before the levers act nothing differs (common random numbers)
    xr.testing.assert_identical(high.agri_12316_county_coverage.sel(year=slice(2010, 2015)),
                                baseline.agri_12316_county_coverage.sel(year=slice(2010, 2015)))
    paid = high.spending_used.sel(area="modern_agriculture").sel(year=2016)
    assert (paid > 0).all()


def test_coupling_off_isolates_agriculture_from_broadband():
    off = {"coupling_connectivity_agriculture": 0}
    a = simulate(spending(dict(infrastructure=0.0)), runs=RUNS, seed=2, params=off)
    b = simulate(spending(dict(infrastructure=10.0)), runs=RUNS, seed=2, params=off)
    assert float(abs(a.villages_broadband_share - b.villages_broadband_share).max()) > 0
    for var in OUT:
        xr.testing.assert_identical(a[var], b[var])
    on_a = simulate(spending(dict(infrastructure=0.0)), runs=RUNS, seed=2)
    on_b = simulate(spending(dict(infrastructure=10.0)), runs=RUNS, seed=2)
    assert float((on_b.facility_ag_iot_share - on_a.facility_ag_iot_share).sel(year=2020).mean()) > 0

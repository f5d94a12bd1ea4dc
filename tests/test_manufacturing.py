"""Manufacturing: service-oriented backbone firms, digital workshops and the platform lever."""
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import catalogue, parameters, simulate
from model.manufacturing import Manufacturing
from model.reference import run_reference
from model.scenario import spending

RUNS = 6
SMALL = {"firms_total": 4000}          # a smaller firm population keeps the tests fast


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=5, params=SMALL)


def test_module_spends_its_levers_and_answers_its_targets():
    assert Manufacturing.levers == ("advanced_manufacturing", "platform_sharing")
    ind = catalogue.indicators()
    assert ind.loc["service_manufacturers", "target"] == "service_manufacturers"
    assert ind.loc["digital_workshop_firm_share", "target"] == "digital_workshop_share"
    assert catalogue.areas().loc["platform_sharing", "module"] == "manufacturing"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mfg=st.floats(0, 20), platform=st.floats(0, 10), seed=st.integers(0, 10_000))
def test_invariants_for_any_funding(mfg, platform, seed):
    ds = simulate(spending(dict(advanced_manufacturing=mfg, platform_sharing=platform)), runs=3, seed=seed, params=SMALL)
    named, pool = ds.service_manufacturers, ds.servitised_firms
    assert (named.diff("year") >= 0).all() and (pool.diff("year") >= 0).all()
    assert (named <= pool).all()
    cap = np.floor(ds.parameter_value.sel(parameter="service_demo_capacity"))
    years_open = (ds.year - 2016 + 1).clip(min=0)
    assert (named <= cap * years_open).all()
    assert (named == named.round()).all()
    share = ds.digital_workshop_firm_share
    assert float(share.min()) >= 0 and float(share.max()) <= 100
    connected = ds.platform_connected_firms
    assert (connected.diff("year") >= -1e-9).all() and (connected <= SMALL["firms_total"]).all()
    paid = ds.spending_used.sel(area="platform_sharing")
    assert (paid <= ds.spending_allocated.sel(area="platform_sharing") + 1e-9).all()


def test_zero_platform_money_reproduces_the_baseline(baseline):
    zero = simulate(spending(dict(platform_sharing=0, advanced_manufacturing=0)), runs=RUNS, seed=5, params=SMALL)
    xr.testing.assert_identical(zero.drop_attrs().drop_vars("spending_allocated"),
                                baseline.drop_attrs().drop_vars("spending_allocated"))


def test_platform_money_raises_upgrades_and_servitisation(baseline):
    low = simulate(spending(dict(platform_sharing=1)), runs=RUNS, seed=5, params=SMALL)
    high = simulate(spending(dict(platform_sharing=10)), runs=RUNS, seed=5, params=SMALL)
    y = dict(year=2020)
    for var in ("digital_workshop_firm_share", "servitised_firms", "platform_connected_firms"):
        b, lo, hi = (float(d[var].sel(**y).mean()) for d in (baseline, low, high))
        assert b <= lo <= hi, var
    assert float(high.digital_workshop_firm_share.sel(**y).mean()) > float(
        baseline.digital_workshop_firm_share.sel(**y).mean())
    # before the levers act nothing differs (common random numbers)
    np.testing.assert_array_equal(high.servitised_firms.sel(year=2015), baseline.servitised_firms.sel(year=2015))


def test_connections_are_bounded_by_digitised_firms():
    ds = simulate(spending(dict(platform_sharing=10)), runs=2, seed=1, params=SMALL)
    # 10亿元/yr at 10万元 a firm would connect 10,000 firms a year: only digitised firms can connect
    assert float(ds.platform_connected_firms.sel(year=2020).max()) < SMALL["firms_total"]
    paid = ds.spending_used.sel(area="platform_sharing").sel(year=slice(2016, 2020)).sum("year")
    assert (paid < 50 - 1).all()                     # money that cannot be used is not reported spent


def test_coupling_off_isolates_firms_from_platform_money():
    off = {**SMALL, "coupling_platforms_manufacturing": 0.0}
    a = simulate("baseline", runs=3, seed=2, params=off)
    b = simulate(spending(dict(platform_sharing=10)), runs=3, seed=2, params=off)
    for var in ("digital_workshop_firm_share", "smart_level_firms", "servitised_firms", "service_manufacturers"):
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)
    assert (b.platform_connected_firms.sel(year=2020) > 0).all()       # the money is still paid out


def test_backbone_designation_is_capacity_or_pool_limited():
    """With a tiny servitisation rate the pool binds; with a large one the yearly capacity does."""
    rare = simulate("baseline", runs=3, seed=4, params={**SMALL, "servitisation_rate": 0.008})
    common = simulate("baseline", runs=3, seed=4, params={**SMALL, "servitisation_rate": 0.025,
                                                           "service_demo_capacity": 10})
    assert (common.service_manufacturers.sel(year=2018) == 30).all()
    assert (rare.service_manufacturers.sel(year=2020) <= rare.servitised_firms.sel(year=2020)).all()
    assert float(rare.service_manufacturers.sel(year=2020).mean()) < 5 * 35


def test_reproducible_and_seed_dependent(baseline):
    again = simulate("baseline", runs=RUNS, seed=5, params=SMALL)
    xr.testing.assert_identical(again.drop_attrs(), baseline.drop_attrs())
    other = simulate("baseline", runs=RUNS, seed=6, params=SMALL)
    assert not np.array_equal(other.servitised_firms.values, baseline.servitised_firms.values)


def test_reference_agrees_under_strong_platform_money():
    """The Mesa reference mirrors the platform rule: mean digital-workshop shares agree."""
    sc = spending(dict(platform_sharing=10))
    central = {n: p.value for n, p in parameters.table().items() if p.module == "manufacturing"}
    pins = {**central, "firms_total": 2000, "platform_uplift": 1.5}
    eng = simulate(sc, runs=40, seed=9, params=pins, end_year=2018).digital_workshop_firm_share.values
    ref = np.stack([run_reference(sc, pins, seed=200 + i, end_year=2018)["digital_workshop_firm_share"]
                    for i in range(6)])
    se = np.sqrt(eng.var(0, ddof=1) / len(eng) + ref.var(0, ddof=1) / len(ref))
    assert (np.abs(eng.mean(0) - ref.mean(0)) <= 4 * se + 100 / 2000).all()
    # and the comparison is not vacuous: a reference without platforms is caught
    off = np.stack([run_reference(sc, {**pins, "coupling_platforms_manufacturing": 0.0}, seed=300 + i,
                                  end_year=2018)["digital_workshop_firm_share"] for i in range(6)])
    se = np.sqrt(eng.var(0, ddof=1) / len(eng) + off.var(0, ddof=1) / len(off))
    assert (np.abs(eng.mean(0) - off.mean(0)) > 4 * se + 100 / 2000).any()

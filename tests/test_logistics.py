"""Logistics module: invariants, lever response, coupling, known answers."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from model.engine import simulate
from model.macro import _gdp_history
from model.prefectures import prefectures
from model.scenario import spending

RUNS = 6
LEVER = "efficient_logistics"
OWN = ["logistics_value_added", "smart_logistics_parks", "smart_logistics_firms", "express_parcels",
       "express_revenue", "logistics_cost_gdp_ratio", "rural_delivery_share", "rural_delivery_share_by_region",
       "smart_logistics_firm_share", "smart_logistics_adopting_parks"]


@pytest.fixture(scope="module")
def base():
    return simulate("baseline", runs=RUNS, seed=5)


@pytest.fixture(scope="module")
def funded():
    return simulate(spending(dict(efficient_logistics=3.0)), runs=RUNS, seed=5)


def test_invariants_and_designations_bounded(base, funded):
    for ds in (base, funded):
        share = ds.rural_delivery_share_by_region.values
        assert ((share >= 0) & (share <= 100)).all()
        assert ((ds.smart_logistics_firm_share >= 0) & (ds.smart_logistics_firm_share <= 100)).all()
        for var in ("smart_logistics_parks", "smart_logistics_firms", "smart_logistics_adopting_parks"):
            assert (np.diff(ds[var].values, axis=1) >= 0).all(), var          # cumulative
            assert (ds[var].values == np.round(ds[var].values)).all()         # integers
        # parks named only from smart parks; none before the first round
        assert (ds.smart_logistics_parks <= ds.smart_logistics_adopting_parks).all()
        assert (ds.smart_logistics_parks.sel(year=slice(2010, 2015)) == 0).all()
        assert (ds.smart_logistics_firms.sel(year=slice(2010, 2015)) == 0).all()
        assert (ds.logistics_cost_gdp_ratio > 0).all() and (ds.express_revenue > 0).all()


def test_known_answers(base):
    # 2015 is the anchor: parcels equal the derived 2015 value in every run
    assert np.allclose(base.express_parcels.sel(year=2015), 77300 / 1.5212, rtol=1e-3)
    # provincial rural reach is the village-weighted mean of the prefectures'
    v = prefectures().villages.to_numpy()
    mean = (base.rural_delivery_share_by_region * v).sum("region") / v.sum()
    assert np.allclose(mean, base.rural_delivery_share)
    # revenue = parcels x price (2016 price from Hubei's H1 2016 revenue / parcels)
    price = base.express_revenue.sel(year=2016) * 1e4 / base.express_parcels.sel(year=2016)
    assert np.allclose(price, 389439.3 / 33965.0, rtol=1e-3)
    # value added in 2015 = drawn share of 2015 GDP
    share = base.parameter_value.sel(parameter="logistics_va_share_2015")
    assert np.allclose(base.logistics_value_added.sel(year=2015), share * _gdp_history()[2015])
    # the baseline pays nothing out
    assert float(base.spending_used.sel(area=LEVER).sum()) == 0.0


def test_zero_lever_reproduces_baseline(base):
    zero = simulate(spending(dict(efficient_logistics=0.0)), runs=RUNS, seed=5)
    for var in OWN:
        np.testing.assert_array_equal(zero[var].values, base[var].values)


def test_same_seed_same_numbers(base):
    again = simulate("baseline", runs=RUNS, seed=5)
    for var in OWN:
        np.testing.assert_array_equal(again[var].values, base[var].values)


def test_money_raises_adoption_reach_parcels_and_lowers_cost(base, funded):
    mean = lambda ds, v, y=2020: float(ds[v].sel(year=y).mean())        # noqa: E731
    assert mean(funded, "smart_logistics_firm_share") > mean(base, "smart_logistics_firm_share")
    assert mean(funded, "smart_logistics_adopting_parks") > mean(base, "smart_logistics_adopting_parks")
    assert mean(funded, "rural_delivery_share") > mean(base, "rural_delivery_share")
    assert mean(funded, "express_parcels") > mean(base, "express_parcels")
    assert mean(funded, "logistics_value_added") > mean(base, "logistics_value_added")
    assert mean(funded, "logistics_cost_gdp_ratio") < mean(base, "logistics_cost_gdp_ratio")
    assert mean(funded, "smart_logistics_firms", 2018) > mean(base, "smart_logistics_firms", 2018)
    assert mean(funded, "smart_logistics_parks") >= mean(base, "smart_logistics_parks")
    # levers act from 2016: history is untouched
    for var in OWN:
        np.testing.assert_array_equal(funded[var].sel(year=slice(2010, 2015)).values,
                                      base[var].sel(year=slice(2010, 2015)).values)
    spent = funded.spending_used.sel(area=LEVER)
    assert (spent > 0).any() and (spent <= funded.spending_allocated.sel(area=LEVER) + 1e-9).all()


@settings(max_examples=4, deadline=None)
@given(st.floats(0.0, 10.0))
def test_designations_within_pools_for_any_funding(amount):
    ds = simulate(spending(dict(efficient_logistics=amount)), runs=3, seed=11)
    assert (ds.smart_logistics_parks <= ds.smart_logistics_adopting_parks).all()
    assert (ds.smart_logistics_firms <= 500 * ds.smart_logistics_firm_share / 100 + 1e-9).all()
    assert (np.diff(ds.smart_logistics_firms.values, axis=1) >= 0).all()
    assert (np.diff(ds.smart_logistics_parks.values, axis=1) >= 0).all()
    share = ds.rural_delivery_share_by_region.values
    assert ((share >= 0) & (share <= 100)).all()
    assert (ds.spending_used.sel(area=LEVER) <= ds.spending_allocated.sel(area=LEVER) + 1e-9).all()


def test_coupling_off_isolates_parcels_from_ecommerce():
    lo, hi = spending(dict(ecommerce=0.0)), spending(dict(ecommerce=5.0))
    on = [simulate(s, runs=3, seed=2) for s in (lo, hi)]
    assert float(on[1].express_parcels.sel(year=2020).mean()) > float(on[0].express_parcels.sel(year=2020).mean())
    off = [simulate(s, runs=3, seed=2, params={"coupling_ecommerce_logistics": 0}) for s in (lo, hi)]
    for var in ("express_parcels", "express_revenue", "logistics_value_added"):
        np.testing.assert_array_equal(off[0][var].values, off[1][var].values)

"""Public services: schools' digital resources, health platforms, online approvals."""
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import catalogue, simulate
from model.public_services import PublicServices, health_units, schools_per_prefecture
from model.scenario import spending

RUNS = 6
SHARES = ["school_digital_resources_coverage", "school_digital_resources_coverage_by_region",
          "health_platform_interconnection", "health_platform_interconnection_by_region",
          "online_approval_coverage", "school_broadband_share_used"]
INDICATOR_OF = {"education": "school_digital_resources_coverage",
                "health_elderly_care": "health_platform_interconnection",
                "social_governance": "online_approval_coverage"}
OUTPUTS = list(PublicServices.outputs)


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=5)


@pytest.fixture(scope="module")
def funded():
    return simulate(spending(dict(education=2, health_elderly_care=2, social_governance=0.5)), runs=RUNS, seed=5)


def test_populations_match_their_sources():
    n = schools_per_prefecture(9236)
    assert n.sum() == 9236 and (n > 0).all() and n.argmax() == 0          # Wuhan largest
    pref, top = health_units()
    assert len(pref) == 116 and top.sum() == 17                          # 13 + 99 counties + 4 own units
    assert np.bincount(pref).tolist()[-4:] == [1, 1, 1, 1]


def test_levers_agree_with_the_catalogue():
    areas = catalogue.areas()
    for area in PublicServices.levers:
        assert areas.loc[area, "module"] == "public_services"
    for area in ("culture_creative", "eco_environment", "emerging_industries", "innovation_entrepreneurship",
                 "information_security"):
        assert areas.loc[area, "module"] == ""
        assert areas.loc[area, "note_en"].startswith("Bounds: assumption. Lever only: no indicator (why")
        assert "仅有投入杠杆：暂无可预测的指标（原因" in areas.loc[area, "note_zh"]


def test_invariants_and_regional_totals(baseline, funded):
    n = schools_per_prefecture(9236)
    pref, _ = health_units()
    units = np.bincount(pref)
    for ds in (baseline, funded):
        for var in SHARES:
            assert float(ds[var].min()) >= 0 and float(ds[var].max()) <= 100 + 1e-9, var
        for var in ("health_platform_interconnection", "online_approval_coverage",
                    "school_digital_resources_coverage"):
            assert (ds[var].diff("year") >= -1e-9).all(), f"{var} fell"
        # resources only behind broadband
        assert (ds.school_digital_resources_coverage <= ds.school_broadband_share_used + 0.05).all()
        # known answers: the province is the weighted mean of its prefectures
        school = (ds.school_digital_resources_coverage_by_region * n).sum("region") / n.sum()
        np.testing.assert_allclose(school, ds.school_digital_resources_coverage, atol=1e-9)
        health = (ds.health_platform_interconnection_by_region * units).sum("region") / units.sum()
        np.testing.assert_allclose(health, ds.health_platform_interconnection, atol=1e-9)
        # whole agents: counts are integers
        items = ds.online_approval_coverage * 249 / 100
        np.testing.assert_allclose(items, np.round(items), atol=1e-6)


def test_zero_extra_funding_equals_baseline(baseline):
    zero = simulate(spending(dict(education=0, health_elderly_care=0, social_governance=0)), runs=RUNS, seed=5)
    for var in OUTPUTS + ["spending_used"]:
        np.testing.assert_array_equal(zero[var].values, baseline[var].values, err_msg=var)


def test_same_seed_same_numbers_and_levers_act_from_2016(funded, baseline):
    again = simulate(spending(dict(education=2, health_elderly_care=2, social_governance=0.5)), runs=RUNS, seed=5)
    for var in OUTPUTS:
        np.testing.assert_array_equal(again[var].values, funded[var].values)
        np.testing.assert_array_equal(funded[var].sel(year=slice(2010, 2015)).values,
                                      baseline[var].sel(year=slice(2010, 2015)).values)


def test_money_is_spent_only_where_usable(funded):
    used = funded.spending_used.sel(area=list(INDICATOR_OF))
    assert (used <= funded.spending_allocated.sel(area=list(INDICATOR_OF)) + 1e-9).all()
    assert (used.sel(year=2016) > 0).all()
    # approvals: the pool of items is small, so most of 0.5亿元 a year stays unspent
    assert float(used.sel(area="social_governance").sum("year").mean()) < 0.5 * 5 / 2


@pytest.mark.parametrize("area", sorted(INDICATOR_OF))
def test_more_money_never_lowers_the_indicator(area, baseline):
    var = INDICATOR_OF[area]
    low = simulate(spending({area: 0.3}), runs=RUNS, seed=5)
    high = simulate(spending({area: 3}), runs=RUNS, seed=5)
    a, b, c = (d[var].mean("run") for d in (baseline, low, high))
    assert (b >= a - 1e-9).all() and (c >= b - 1e-9).all()
    assert float(c.sel(year=2018)) > float(a.sel(year=2018))
    # the other two indicators of the module do not move
    for other in set(INDICATOR_OF.values()) - {var}:
        np.testing.assert_array_equal(high[other].values, baseline[other].values)


def test_schools_follow_connectivity_unless_the_coupling_is_off():
    coverage = "school_digital_resources_coverage"
    with_infra = simulate(spending(dict(infrastructure=5)), runs=4, seed=2)
    without = simulate("baseline", runs=4, seed=2)
    assert (with_infra[coverage].sel(year=2017) > without[coverage].sel(year=2017)).any()
    off = {"coupling_connectivity_public_services": 0}
    a = simulate(spending(dict(infrastructure=5)), runs=4, seed=2, params=off)
    b = simulate("baseline", runs=4, seed=2, params=off)
    xr.testing.assert_equal(a[coverage], b[coverage])
    # stand-alone path through the sourced anchors (55% in 2012, 91% in 2015)
    np.testing.assert_allclose(b.school_broadband_share_used.sel(year=[2012, 2015]).values, [[55, 91]] * 4,
                               atol=0.01)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edu=st.lists(st.floats(0, 10), min_size=5, max_size=5), health=st.lists(st.floats(0, 10), min_size=5, max_size=5),
       gov=st.lists(st.floats(0, 10), min_size=5, max_size=5), seed=st.integers(0, 10_000))
def test_invariants_hold_for_any_funding(edu, health, gov, seed):
    ds = simulate(spending(dict(education=edu, health_elderly_care=health, social_governance=gov)), runs=2, seed=seed)
    for var in SHARES:
        assert float(ds[var].min()) >= 0 and float(ds[var].max()) <= 100 + 1e-9, var
    for var in ("health_platform_interconnection", "online_approval_coverage"):
        assert (ds[var].diff("year") >= -1e-9).all()
    assert (ds.spending_used <= ds.spending_allocated + 1e-9).all()

"""Scoreboard arithmetic on hand-made ensembles, where the right answer is known."""
import numpy as np
import pytest
import xarray as xr

from model import catalogue, scoreboard


def ensemble(villages_2020, factories_2018, volume_2018, spend=0.0):
    runs = len(villages_2020)
    years = np.arange(2010, 2021)
    def series(values, year):
        arr = np.zeros((runs, len(years)))
        arr[:, years >= year] = np.asarray(values)[:, None]
        return (("run", "year"), arr)
    areas = list(catalogue.areas().index)
    return xr.Dataset(
        {"villages_broadband_share": series(villages_2020, 2020),
         "smart_factories": series(factories_2018, 2018),
         "ecommerce_volume": series(volume_2018, 2018),
         "spending_allocated": (("year", "area"), np.full((len(years), len(areas)), spend))},
        coords={"run": np.arange(runs), "year": years, "area": areas})


def test_p_met_uses_each_targets_comparator():
    ds = ensemble(villages_2020=[98.0, 98.0, 99.0, 100.0], factories_2018=[100, 99, 100, 150],
                  volume_2018=[19999, 20000, 25000, 30000])
    assert scoreboard.p_met(ds, "villages_broadband_share") == 0.5     # "> 98": 98.0 does not count
    assert scoreboard.p_met(ds, "smart_factories") == 0.75             # ">= 100": 100 counts
    assert scoreboard.p_met(ds, "ecommerce_volume") == 0.75
    assert scoreboard.p_met(ds, "smart_factories", year=2017) == 0.0   # none designated before 2018


def test_scoreboard_keeps_every_target_and_lights():
    ds = ensemble([99] * 10, [150] * 10, list(range(15000, 25000, 1000)))
    board = scoreboard.scoreboard(ds)
    assert len(board) == 29 and board.modelled.sum() == 3
    assert board.loc["smart_factories", "light"] == "green"
    assert board.loc["ecommerce_volume", "p_met"] == pytest.approx(0.5)
    assert board.loc["ecommerce_volume", "light"] == "amber"
    assert board.loc["smart_factories", "p_holds_2020"] == 1.0
    assert np.isnan(board.loc["villages_broadband_share", "p_holds_2020"])   # already a 2020 target
    assert board.loc["village_4g_coverage"].isna()["median"]


def test_compare_flags_targets_met_without_money():
    base = ensemble([99] * 4, [150] * 4, [10000] * 4)
    plan = ensemble([99] * 4, [150] * 4, [21000] * 4, spend=1.0)
    cmp = scoreboard.compare(base, plan)
    assert cmp.loc["smart_factories", "met_by_trend"]
    assert not cmp.loc["ecommerce_volume", "met_by_trend"]
    assert cmp.loc["ecommerce_volume", "p_met_diff"] == 1.0
    assert not scoreboard.compare(plan, base).met_by_trend.any()      # a funded base is not "the trend"


def test_compare_many_side_by_side_flags_and_cost():
    base = ensemble([97] * 4, [150] * 4, [10000] * 4)
    plan = ensemble([97] * 4, [150] * 4, [21000] * 4, spend=1.0)
    fast = ensemble([99] * 4, [150] * 4, [30000] * 4, spend=2.0)
    reach = ensemble([97.5] * 4, [150] * 4, [40000] * 4, spend=10.0)
    targets, values = scoreboard.compare_many(base, {"plan": plan, "fast": fast}, reach)
    assert list(values.loc["ecommerce_volume"].index) == ["baseline", "plan", "fast"]
    assert targets.loc["smart_factories", "met_without_money"]
    assert not targets.loc["ecommerce_volume", "met_without_money"]
    # villages stay at 97.5 % even with every lever at its maximum: out of reach
    assert targets.loc["villages_broadband_share", "out_of_reach"]
    assert not targets.loc["ecommerce_volume", "out_of_reach"]
    e = values.loc["ecommerce_volume"]
    assert e.loc["plan", "p_gain"] == 1.0 and e.loc["baseline", "p_gain"] == 0.0
    # 1 亿元 a year for 2016-2018 = 3 亿元 of e-commerce money buys 11000 亿元 of volume
    assert e.loc["plan", "money"] == pytest.approx(3.0)
    assert e.loc["plan", "cost_per_unit"] == pytest.approx(3.0 / 11000)
    assert e.loc["fast", "cost_per_unit"] == pytest.approx(6.0 / 20000)
    assert np.isnan(e.loc["baseline", "cost_per_unit"])
    assert np.isnan(values.loc[("smart_factories", "plan"), "cost_per_unit"])   # no gain: no price
    # a 2020 target counts money to 2020; the 2018 targets say whether they still hold in 2020
    assert values.loc[("villages_broadband_share", "fast"), "money"] == pytest.approx(10.0)
    assert values.loc[("smart_factories", "plan"), "p_holds_2020"] == 1.0


def test_compare_many_limits_and_no_reach():
    base = ensemble([99] * 2, [150] * 2, [10000] * 2)
    targets, _ = scoreboard.compare_many(base, {})
    assert not targets.out_of_reach.any() and targets.p_reach.isna().all()
    with pytest.raises(ValueError, match="at most 3"):
        scoreboard.compare_many(base, {str(i): base for i in range(4)})


def test_lower_is_better_gains_by_falling():
    assert scoreboard._gain(14.0, 16.0, "<=") == 2.0 and scoreboard._gain(14.0, 16.0, ">=") == -2.0


def test_max_scenario_spends_every_upper_bound():
    sc = scoreboard.max_scenario()
    areas = catalogue.areas()
    assert set(sc.levers) == set(areas.index)
    assert sc.total() == pytest.approx(5 * areas["max"].astype(float).sum())


def test_compare_reports_the_flags_for_the_cli():
    base = ensemble([97] * 4, [150] * 4, [10000] * 4)
    plan = ensemble([97] * 4, [150] * 4, [21000] * 4, spend=1.0)
    cmp = scoreboard.compare(base, plan, reach=base)
    assert cmp.loc["villages_broadband_share", "out_of_reach"] and cmp.loc["smart_factories", "met_by_trend"]
    assert cmp.loc["ecommerce_volume", "cost_per_unit"] == pytest.approx(3.0 / 11000)

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

"""Provinces: the panel fit and Hubei's two interpretation ranks."""
import time

import numpy as np
import pytest

from model import catalogue, simulate
from model.provinces import CENTRAL, HUBEI, Provinces, fit, panel

RUNS = 6


@pytest.fixture(scope="module")
def plan():
    return simulate("plan", runs=RUNS, seed=11)


def test_panel_is_vendored_unchanged_and_complete():
    rows = panel()
    assert len(rows) == 2666 and rows.region.nunique() == 31
    f = fit("broadband_per_100", 2016)
    assert len(f.regions) == 31 and list(f.years) == [2015, 2016, 2017]
    hubei = f.levels[f.regions.index(HUBEI)]
    np.testing.assert_allclose(hubei, 100 * np.array([1014.4, 1131.9, 1242.9]) / np.array([5850, 5885, 5904]))


def test_fits_slow_down_as_levels_rise_and_are_cached():
    for series, start in (("digital_finance_index", 2014), ("broadband_per_100", 2016)):
        f = fit(series, start)
        assert f.coef[1] < 0 and f.sigma > 0 and f.year_sd >= 0
        t = time.perf_counter()
        assert fit(series, start) is f
        assert time.perf_counter() - t < 1e-3


def test_rank_counts_provinces_above():
    hubei = np.array([[5.0, np.nan, 2.0]])
    others = np.array([[[6.0, 1.0, 1.0], [4.0, 1.0, 3.0]]])
    np.testing.assert_array_equal(Provinces.rank(hubei, others), [[2.0, np.nan, 2.0]])


def test_ranks_are_bounded_and_match_the_data_where_observed(plan):
    central = plan.digital_finance_central_rank.sel(year=slice(2011, 2020))
    national = plan.infrastructure_national_rank.sel(year=slice(2015, 2020))
    assert central.min() >= 1 and central.max() <= len(CENTRAL)
    assert national.min() >= 1 and national.max() <= 31
    assert np.isnan(plan.infrastructure_national_rank.sel(year=2014)).all()
    # 2011-2015: Hubei's index is the observation and so are the others': Hubei led the six
    assert (plan.digital_finance_central_rank.sel(year=slice(2011, 2015)) == 1).all()
    # Hubei's value: subscribers over the (data-driven, same in every run) population, x 100
    ratio = (plan.broadband_per_100 / plan.broadband_subscribers).values
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:1], ratio.shape), rtol=1e-12)
    np.testing.assert_allclose(ratio[0, plan.year.values == 2016], 100 / 5885, rtol=1e-3)
    for target in ("digital_finance_central_rank", "infrastructure_national_rank"):
        note = catalogue.indicators().loc[target, "calibration_note_en"]
        assert note.startswith("interpretation:")


def test_ranks_have_honest_uncertainty_and_are_reproducible(plan):
    many = simulate("plan", runs=30, seed=11)
    assert float(many.infrastructure_national_rank.sel(year=2020).std()) > 0
    again = simulate("plan", runs=RUNS, seed=11)
    for var in ("digital_finance_central_rank", "infrastructure_national_rank"):
        np.testing.assert_array_equal(again[var].values, plan[var].values)


def test_more_finance_money_never_worsens_the_central_rank():
    from model.scenario import LEVER_YEARS, parse
    def sc(v):
        return parse({"id": "t", "name_zh": "t", "name_en": "t",
                      "levers": {"inclusive_finance": {str(y): v for y in LEVER_YEARS}}})
    lo, hi = (simulate(sc(v), runs=20, seed=4).digital_finance_central_rank for v in (0.0, 5.0))
    assert (hi <= lo).sel(year=slice(2016, 2020)).all()

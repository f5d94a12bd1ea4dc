"""Connectivity: villages' fibre and 4G, schools, city fibre, household and mobile adoption."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import simulate
from model.connectivity import RECORDED, Connectivity
from model.engine import Province, resolve
from model.population import N_PREF
from model import parameters
from model.scenario import LEVER_YEARS, spending
from model.streams import streams

RUNS = 4
SEED = 5
OUTPUTS = list(Connectivity.outputs)
SHARES = [v for v in OUTPUTS if not v.startswith(("broadband_subscribers", "allfibre", "mobile"))]
CUMULATIVE = ["villages_broadband_share", "village_4g_coverage", "allfibre_cities", "poor_village_broadband_share",
              "school_broadband_coverage", "fibre_subscriber_share"]
TARGETS = ["villages_broadband_share", "village_4g_coverage", "allfibre_cities", "school_broadband_coverage",
           "poor_village_broadband_share", "rural_household_broadband_penetration",
           "fixed_broadband_household_penetration", "mobile_broadband_penetration"]


@pytest.fixture(scope="module")
def plan():
    return simulate("plan", runs=RUNS, seed=SEED)


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=SEED)


def province(sc, runs=RUNS, seed=SEED):
    sc = resolve(sc)
    ids = np.arange(runs)
    return Province(sc, ids, seed, parameters.draw(streams(seed, ids, "uncertainty"), sc.uncertainties))


def check_invariants(ds):
    for var in SHARES:
        values = ds[var].values
        assert np.all((values >= 0) & (values <= 100 + 1e-9)), var
    for var in CUMULATIVE:
        assert np.all(np.diff(ds[var].values, axis=1) >= -1e-9), var
    cities = ds.allfibre_cities.values
    assert np.all((cities >= 0) & (cities <= 3)) and np.all(cities == np.round(cities))
    used = ds.spending_used.sel(area="infrastructure").values
    assert np.all(used <= ds.spending_allocated.sel(area="infrastructure").values[None, :] + 1e-9)
    assert np.all(used >= 0)


def test_invariants_of_the_plan(plan):
    check_invariants(plan)
    assert np.all(plan.mobile_broadband_penetration.values > 0)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(0, 10), min_size=len(LEVER_YEARS), max_size=len(LEVER_YEARS)))
def test_invariants_under_any_funding(money):
    check_invariants(simulate(spending(dict(infrastructure=[round(x, 1) for x in money])), runs=2, seed=1))


def test_regional_values_add_up_to_the_province(plan):
    conn = province("plan").connectivity
    villages = conn.villages_per_pref
    for var in ("villages_broadband_share", "village_4g_coverage"):
        total = (plan[f"{var}_by_region"] * villages).sum("region") / villages.sum()
        np.testing.assert_allclose(total.values, plan[var].values, rtol=1e-9)
    schools = conn.schools.total                      # schools per prefecture do not depend on money
    weighted = (plan.school_broadband_coverage_by_region.values * schools[:, None, :]).sum(2) / schools.sum(1)[:, None]
    np.testing.assert_allclose(weighted, plan.school_broadband_coverage.values, rtol=1e-9)
    subs = plan.broadband_subscribers_by_region
    fibre = (plan.fibre_subscriber_share_by_region * subs).sum("region") / subs.sum("region")
    np.testing.assert_allclose(fibre.values, plan.fibre_subscriber_share.values, rtol=1e-9)


def test_mobile_users_pass_the_2015_anchor_and_the_checks(baseline):
    med = baseline.mobile_broadband_penetration.median("run")
    assert abs(float(med.sel(year=2015)) - 55.6) < 1.5                 # anchored (NBS 2015)
    assert abs(float(med.sel(year=2017)) - 69.7) < 4.0                 # NBS 2017, a check


def test_zero_infrastructure_money_reproduces_the_baseline(baseline):
    other = simulate(spending(dict(infrastructure=0, advanced_manufacturing=5, ecommerce=2)), runs=RUNS, seed=SEED)
    for var in OUTPUTS:
        np.testing.assert_array_equal(other[var].values, baseline[var].values, err_msg=var)
    assert float(other.spending_used.sel(area="infrastructure").sum()) == 0


def test_levers_act_only_from_2016(plan, baseline):
    before = dict(year=slice(2010, 2015))
    for var in OUTPUTS:
        np.testing.assert_array_equal(plan[var].sel(**before).values, baseline[var].sel(**before).values)


def test_more_money_never_lowers_the_targets_in_expectation():
    means = []
    for money in (0.0, 1.0, 3.0, 8.0):
        ds = simulate(spending(dict(infrastructure=money)), runs=RUNS, seed=SEED)
        means.append({v: ds[v].sel(year=slice(2016, 2020)).mean().item() for v in TARGETS})
    for var in TARGETS:
        series = [m[var] for m in means]
        assert all(b >= a - 1e-9 for a, b in zip(series, series[1:])), (var, series)
    assert means[-1]["village_4g_coverage"] > means[0]["village_4g_coverage"]
    assert means[-1]["school_broadband_coverage"] > means[0]["school_broadband_coverage"]


def test_the_lever_buys_the_4g_tail_and_schools(baseline):
    rich = simulate(spending(dict(infrastructure=10)), runs=RUNS, seed=SEED)
    assert np.all(rich.school_broadband_coverage.sel(year=2017).values == 100)
    assert np.all(rich.village_4g_coverage.sel(year=2020).values == 100)
    assert np.all(rich.poor_village_broadband_share.sel(year=2017).values == 100)
    assert np.all(baseline.village_4g_coverage.sel(year=2020).values < 100)


def test_same_seed_same_results(plan):
    again = simulate("plan", runs=RUNS, seed=SEED)
    for var in OUTPUTS:
        np.testing.assert_array_equal(again[var].values, plan[var].values)


def test_school_share_interface_for_public_services():
    model = province("plan", runs=2)
    conn = model.connectivity
    shares = []
    for _ in range(24):                        # to the end of 2016
        model.step()
        share = conn.school_broadband_share
        assert share.shape == (2, 17) and np.all((share >= 0) & (share <= 1))
        shares.append(share.copy())
    assert np.all(np.diff(np.array(shares), axis=0) >= -1e-12)
    assert not np.array_equal(shares[0], shares[1])         # updated every quarter
    assert conn.covered_4g_count.shape == (2, 17)


def test_poor_villages_lag_the_others(baseline):
    assert np.all(baseline.poor_village_broadband_share.sel(year=2015).values
                  <= baseline.villages_broadband_share.sel(year=2015).values)


def test_the_record_kernel_writes_every_output():
    assert sorted(RECORDED) == sorted(Connectivity.outputs)


def test_fibre_offsets_continue_the_stream_after_the_village_costs():
    """The prefectures' fibre offsets are new numbers, not the start of the stream the village costs came from."""
    from scipy.special import logit

    ids = np.arange(3)
    params = parameters.draw(streams(4, ids, "uncertainty"))
    conn = Province(resolve("baseline"), ids, 4, params).connectivity
    offsets = (conn.fibre.logit_x - logit(params["fibre_share_2015"])[:, None]
               + conn.fibre.rate * (2015 - 2010)) / params["fibre_prefecture_sd"][:, None]
    restarted = np.stack([g.standard_normal(N_PREF) for g in streams(4, ids, "connectivity")])
    assert not np.allclose(offsets, restarted, atol=1e-6)
    gens = streams(4, ids, "connectivity")
    for g in gens:                                                # the village costs come first
        g.standard_normal(conn.n, dtype=np.float32)
    np.testing.assert_allclose(offsets, np.stack([g.standard_normal(N_PREF) for g in gens]), atol=1e-9)


def test_the_kernels_arguments_are_still_the_modules_state_after_a_run():
    """The kernels' argument tuples are gathered once: a state attribute rebound instead of updated in
    place would leave the kernels writing an array nobody reads."""
    ids = np.arange(2)
    model = Province(resolve("plan"), ids, 3, parameters.draw(streams(3, ids, "uncertainty")))
    model.run()
    conn = model.connectivity
    state = {id(v) for part in (conn, conn.mobile, conn.schools, conn.fibre) for v in vars(part).values()
             if isinstance(v, np.ndarray)}
    passed = [a for a in (*conn._step_args, *conn._record_args) if isinstance(a, np.ndarray)]
    assert len(passed) > 40 and all(id(a) in state for a in passed)

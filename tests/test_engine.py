"""The engine through ``simulate``: reproducibility, invariants, responses to money."""
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import catalogue, simulate
from model.scenario import parse, presets, spending

RUNS = 6
SHARES = ["villages_broadband_share", "villages_broadband_share_by_region", "ecommerce_firm_share",
          "digital_workshop_firm_share"]
CUMULATIVE = ["smart_factories", "villages_broadband_share", "villages_broadband_share_by_region",
              "ecommerce_service_points"]
INDICATOR_OF = {"infrastructure": ["villages_broadband_share", "broadband_subscribers"],
                "advanced_manufacturing": ["smart_level_firms", "digital_workshop_firm_share", "smart_factories"],
                "ecommerce": ["ecommerce_volume", "ecommerce_firm_share", "ecommerce_service_points"]}


@pytest.fixture(scope="module")
def plan():
    return simulate("plan", runs=RUNS, seed=3)


@pytest.fixture(scope="module")
def baseline():
    return simulate("baseline", runs=RUNS, seed=3)


def test_same_seed_gives_identical_results(plan):
    again = simulate("plan", runs=RUNS, seed=3)
    xr.testing.assert_identical(plan.drop_attrs(), again.drop_attrs())
    other = simulate("plan", runs=RUNS, seed=4)
    assert not np.array_equal(plan.ecommerce_volume.values, other.ecommerce_volume.values)


def test_run_does_not_depend_on_ensemble_size_or_batches(plan):
    small = simulate("plan", runs=2, seed=3, batch_size=1)
    xr.testing.assert_identical(small.drop_attrs().drop_vars("spending_allocated"),
                                plan.isel(run=slice(0, 2)).drop_attrs().drop_vars("spending_allocated"))
    # uneven batches of a bigger ensemble take other numpy/BLAS paths (a matrix product once leaked through)
    whole, uneven = simulate("plan", runs=60, seed=7), simulate("plan", runs=60, seed=7, batch_size=7)
    xr.testing.assert_identical(whole.drop_attrs(), uneven.drop_attrs())


def test_common_random_numbers_until_levers_act(plan, baseline):
    before = dict(year=slice(2010, 2015))
    for var in ("ecommerce_volume", "smart_level_firms", "broadband_subscribers", "villages_broadband_share"):
        np.testing.assert_array_equal(plan[var].sel(**before).values, baseline[var].sel(**before).values)
    assert (plan.ecommerce_volume.sel(year=2016) != baseline.ecommerce_volume.sel(year=2016)).any()


def test_zero_extra_funding_equals_baseline(baseline):
    zero = simulate(spending(dict(infrastructure=0, advanced_manufacturing=0, ecommerce=0, education=0)),
                    runs=RUNS, seed=3)
    for var in baseline.data_vars:
        np.testing.assert_array_equal(zero[var].values, baseline[var].values, err_msg=var)


def test_dataset_shape_units_and_provenance(plan):
    assert {k: plan.sizes[k] for k in ("run", "year", "region", "area")} == {"run": RUNS, "year": 11, "region": 17, "area": 16}
    assert plan.year.values.tolist() == list(range(2010, 2021))
    for var in catalogue.indicators().index:
        for attr in ("units", "long_name_zh", "long_name_en", "calibration"):
            assert plan[var].attrs[attr]
    for attr in ("model_version", "git_commit", "scenario_digest", "scenario_toml", "seed", "data_vintage"):
        assert plan.attrs[attr] != ""
    assert plan.attrs["scenario_id"] == "plan" and plan.attrs["seed"] == 3
    assert set(plan.parameter.values) >= {"bass_q_households", "gdp_growth_nominal"}


def test_ecommerce_volume_is_anchored_to_2015(plan):
    np.testing.assert_allclose(plan.ecommerce_volume.sel(year=2015), 11000)


def test_money_paid_never_exceeds_money_allocated(plan):
    paid = plan.spending_used.sum("run") / plan.sizes["run"]
    assert (plan.spending_used <= plan.spending_allocated + 1e-9).all()
    assert (paid.sel(year=slice(2010, 2015)) == 0).all()


def test_params_override_and_bad_inputs():
    fixed = simulate("baseline", runs=3, seed=1, params={"bass_q_households": 0.5,
                                                         "gdp_growth_nominal": [0.06, 0.09, 0.12]})
    pv = fixed.parameter_value.to_pandas()
    assert (pv["bass_q_households"] == 0.5).all()
    assert pv["gdp_growth_nominal"].tolist() == [0.06, 0.09, 0.12]
    with pytest.raises(KeyError, match="unknown parameter"):
        simulate("baseline", runs=2, params={"warp": 1.0})
    with pytest.raises(ValueError, match="one value per run"):
        simulate("baseline", runs=2, params={"bass_q_households": [0.3, 0.4, 0.5]})
    with pytest.raises(ValueError, match="firms_total must have one value for all runs"):
        simulate("baseline", runs=2, params={"firms_total": [16000, 8000]})
    with pytest.raises(ValueError, match="runs must be a positive integer"):
        simulate("baseline", runs=0)
    with pytest.raises(ValueError, match="end_year"):
        simulate("baseline", runs=2, end_year=2030)


def test_end_year_2021_extends_the_projection():
    ds = simulate("plan", runs=2, seed=1, end_year=2021)
    assert int(ds.year.max()) == 2021
    assert (ds.spending_allocated.sel(year=2021) == 0).all()


money = st.floats(min_value=0, max_value=1, allow_nan=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(infra=st.lists(money, min_size=5, max_size=5), mfg=st.lists(money, min_size=5, max_size=5),
       ecom=st.lists(money, min_size=5, max_size=5), seed=st.integers(0, 10_000))
def test_invariants_hold_for_any_funding(infra, mfg, ecom, seed):
    bounds = catalogue.areas()["max"].astype(float)
    sc = spending(dict(infrastructure=[v * bounds["infrastructure"] for v in infra],
                  advanced_manufacturing=[v * bounds["advanced_manufacturing"] for v in mfg],
                  ecommerce=[v * bounds["ecommerce"] for v in ecom]))
    ds = simulate(sc, runs=3, seed=seed)
    for var in SHARES:
        assert float(ds[var].min()) >= 0 and float(ds[var].max()) <= 100 + 1e-9, var
    for var in CUMULATIVE:
        assert (ds[var].diff("year") >= -1e-9).all(), f"{var} fell"
    assert (ds.smart_factories <= ds.smart_level_firms.cumsum("year")).all()
    assert np.isfinite(ds.ecommerce_volume).all() and (ds.broadband_subscribers > 0).all()
    assert (ds.spending_used <= ds.spending_allocated + 1e-9).all()


@settings(max_examples=6, deadline=None)
@given(area=st.sampled_from(sorted(INDICATOR_OF)), low=st.floats(0, 0.5), extra=st.floats(0.1, 0.5),
       seed=st.integers(0, 10_000))
def test_more_money_for_an_area_never_lowers_its_indicators(area, low, extra, seed):
    top = float(catalogue.areas().loc[area, "max"])
    a = simulate(spending({area: low * top}), runs=8, seed=seed)
    b = simulate(spending({area: (low + extra) * top}), runs=8, seed=seed)
    for var in INDICATOR_OF[area]:
        mean_a, mean_b = a[var].mean("run"), b[var].mean("run")
        noise = 2 * float(a[var].std("run").max()) / np.sqrt(8) + 1e-9
        assert (mean_b >= mean_a - noise).all(), f"{var} fell with more {area} money"


def test_each_lever_moves_its_own_indicator(baseline):
    for area, variables in INDICATOR_OF.items():
        top = float(catalogue.areas().loc[area, "max"])
        ds = simulate(spending({area: top}), runs=RUNS, seed=3)
        moved = [v for v in variables if float((ds[v] - baseline[v]).sel(year=2020).mean()) > 0]
        assert moved, f"{area} at its bound moved none of {variables}"


def test_presets_run_and_rank_sensibly():
    means = {k: float(simulate(k, runs=RUNS, seed=3).digital_workshop_firm_share.sel(year=2020).mean())
             for k in presets()}
    assert means["baseline"] <= means["austerity"] <= means["plan"] <= means["accelerated"]


def test_province_is_a_mesa_model_of_17_prefectures():
    from model import parameters
    from model.engine import Prefecture, Province
    from model.streams import streams
    ids = np.arange(2)
    model = Province(presets()["plan"], ids, 5, parameters.draw(streams(5, ids, "uncertainty")))
    out = model.run()
    agents = list(model.agents_by_type[Prefecture])
    assert len(agents) == 17 and agents[0].name_zh == "武汉市"
    shares = np.stack([a.villages_broadband_share for a in agents], axis=1)
    np.testing.assert_allclose(shares, out["villages_broadband_share_by_region"][:, -1])
    firms = sum(a.firms_by_level.sum(1) for a in agents)
    assert (firms == 16000).all()


def test_a_scenario_can_pin_an_uncertainty():
    pinned = parse({"id": "pinned", "name_zh": "固定", "name_en": "pinned",
                    "uncertainties": {"bass_q_households": 0.3, "gdp_growth_nominal": 0.07}})
    ds = simulate(pinned, runs=4, seed=2)
    pv = ds.parameter_value.to_pandas()
    assert (pv["bass_q_households"] == 0.3).all() and (pv["gdp_growth_nominal"] == 0.07).all()
    free = simulate("baseline", runs=4, seed=2).parameter_value.to_pandas()
    assert free["bass_q_households"].nunique() == 4
    assert (pv["village_cost_base"] == free["village_cost_base"]).all()     # other draws unchanged


def test_finished_batches_are_not_kept_alive_by_mesa():
    import mesa

    before = set(map(id, mesa.Agent._ids))          # models other tests built by hand
    simulate("baseline", runs=3, seed=0, batch_size=1)
    assert set(map(id, mesa.Agent._ids)) <= before


def test_a_kept_checkpoint_continues_exactly_as_a_fresh_run():
    """The state kept at the first lever quarter gives bit-identical results, for any scenario."""
    from model.engine import CHECKPOINTS, Province, _at_lever_year, _frozen
    from model.engine import resolve as resolve_scenario

    accelerated = resolve_scenario("accelerated")
    CHECKPOINTS.clear()
    fresh = simulate(accelerated, runs=5, seed=11)               # cold: nothing kept yet
    assert not CHECKPOINTS._kept
    simulate("baseline", runs=5, seed=11)                        # asked twice: the state is kept
    assert len(CHECKPOINTS._kept) == 1
    reused = simulate(accelerated, runs=5, seed=11)              # continues a copy of the kept state
    for name in fresh.data_vars:
        np.testing.assert_array_equal(fresh[name].values, reused[name].values, err_msg=name)
    pinned = simulate(spending({}, pins={"bass_q_households": 0.3}), runs=5, seed=11)   # pins: own checkpoint
    assert not np.array_equal(pinned.broadband_subscribers.values,
                              simulate("baseline", runs=5, seed=11).broadband_subscribers.values)
    model, _ = _at_lever_year(accelerated, np.arange(5), 11, {}, 2020)
    (_, _, shared), = CHECKPOINTS._kept.values()
    frozen = _frozen(model)                                      # drawn once: the copy shares them, read-only
    assert len(frozen) >= 10 and all(id(a) in shared and not a.flags.writeable for a in frozen)
    model.run()
    with pytest.raises(ValueError, match="before its levers act"):
        model.fund(accelerated)
    assert isinstance(model, Province)


def test_a_kept_state_is_not_used_under_another_parameter_file(monkeypatch):
    """Calibration switches the fitted-parameter file: states kept under the old one must not be reused."""
    from model import parameters
    from model.engine import CHECKPOINTS

    CHECKPOINTS.clear()
    fitted = simulate("plan", runs=3, seed=2)
    simulate("baseline", runs=3, seed=2)                         # the batch's 2016 state is now kept
    monkeypatch.setenv(parameters.PARAMS_ENV, "none")            # the prior table, as calibration does
    parameters.table.cache_clear()
    try:
        priors = simulate("plan", runs=3, seed=2)
        CHECKPOINTS.clear()
        fresh = simulate("plan", runs=3, seed=2)
    finally:
        monkeypatch.delenv(parameters.PARAMS_ENV)
        parameters.table.cache_clear()
    np.testing.assert_array_equal(priors.broadband_subscribers.values, fresh.broadband_subscribers.values)
    assert not np.array_equal(priors.broadband_subscribers.values, fitted.broadband_subscribers.values)

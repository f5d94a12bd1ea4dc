"""The budget optimiser (model/optimise.py): known best splits on analytic problems, the budget
parametrisation, the CLI (quick run, bad input), reproducibility and the page."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from model import cli, optimise

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "optimise.py")
TINY = {"runs": 2, "popsize": 3, "maxiter": 1, "check_runs": 2, "multiples": (1.0,),
        "areas": ("infrastructure", "advanced_manufacturing")}


# -- the optimiser wrapper on analytic objectives ------------------------------------------------
def test_concave_returns_split_as_the_closed_form_says():
    """max a1*sqrt(x1) + a2*sqrt(x2) s.t. x1 + x2 = B: x_i = B a_i^2 / sum(a^2)."""
    a, budget = np.array([1.0, 2.0]), 5.0
    r = optimise.maximise(lambda x: np.sqrt(x) @ a, budget, [0, 0], [10, 10], popsize=15, maxiter=60, seed=3)
    assert np.allclose(r["x"], budget * a**2 / (a**2).sum(), atol=0.05)
    assert r["x"].sum() == pytest.approx(budget, abs=1e-9)


def test_an_upper_bound_binds_and_the_rest_splits_by_the_closed_form():
    """Three areas, the best-paying one capped: it gets its cap, the others share the rest as a_i^2."""
    a, budget = np.array([3.0, 1.0, 2.0]), 6.0
    r = optimise.maximise(lambda x: np.sqrt(x) @ a, budget, [0, 0, 0], [1, 10, 10], popsize=15, maxiter=80,
                          seed=0)
    assert r["x"] == pytest.approx([1.0, 1.0, 4.0], abs=0.1)


def test_money_goes_to_the_only_area_that_moves_the_outcome():
    """An area whose money changes nothing gets only what the other's bound cannot hold."""
    r = optimise.maximise(lambda x: np.sqrt(x[:, 0]), 4.0, [0, 0], [10, 10], popsize=10, maxiter=30, seed=1)
    assert r["x"] == pytest.approx([4.0, 0.0], abs=0.05)
    r = optimise.maximise(lambda x: x[:, 0], 4.0, [0, 0], [2.5, 10], popsize=10, maxiter=30, seed=1)
    assert r["x"] == pytest.approx([2.5, 1.5], abs=0.05)


def test_the_start_allocation_is_in_the_first_population_and_never_lost():
    """With x0 at the optimum of a needle objective, the result keeps it."""
    best = np.array([1.0, 3.0, 2.0])
    r = optimise.maximise(lambda x: -np.abs(x - best).sum(1), 6.0, [0, 0, 0], [5, 5, 5], popsize=3,
                          maxiter=2, seed=0, x0=best)
    assert r["x"] == pytest.approx(best, abs=1e-9) and r["value"] == pytest.approx(0, abs=1e-9)


def test_same_seed_same_result_other_seed_may_differ():
    f = lambda x: np.sqrt(x) @ np.array([1.0, 1.5, 0.5])          # noqa: E731
    a = optimise.maximise(f, 4.0, [0] * 3, [5] * 3, popsize=5, maxiter=5, seed=7)
    b = optimise.maximise(f, 4.0, [0] * 3, [5] * 3, popsize=5, maxiter=5, seed=7)
    assert np.array_equal(a["x"], b["x"]) and a["history"] == b["history"]


# -- the parametrisation ------------------------------------------------------------------------
@st.composite
def problems(draw):
    k = draw(st.integers(1, 11))
    low = np.array(draw(st.lists(st.floats(0, 5), min_size=k, max_size=k)))
    width = np.array(draw(st.lists(st.floats(0, 10), min_size=k, max_size=k)))
    high = low + width
    frac = draw(st.floats(0, 1))
    budget = low.sum() + frac * width.sum()
    z = np.array(draw(st.lists(st.floats(0, 1), min_size=k, max_size=k)))
    return z, budget, low, high


@settings(max_examples=300, deadline=None)
@given(problems())
def test_every_point_of_the_box_meets_the_budget_within_bounds(problem):
    z, budget, low, high = problem
    x = optimise.allocate(z, budget, low, high)
    assert x.sum() == pytest.approx(budget, rel=1e-9, abs=1e-9)
    assert np.all(x >= low) and np.all(x <= high)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_every_feasible_allocation_is_reached(problem):
    """weights_for inverts allocate: the parametrisation covers the whole feasible set."""
    z, budget, low, high = problem
    x = optimise.allocate(z, budget, low, high)
    assert optimise.allocate(optimise.weights_for(x, low, high), budget, low, high) == \
        pytest.approx(x, rel=1e-9, abs=1e-9)


def test_a_budget_the_bounds_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="outside"):
        optimise.allocate([1, 1], 25.0, [0, 0], [10, 10])
    with pytest.raises(ValueError, match="outside"):
        optimise.allocate([1, 1], 1.0, [1, 1], [10, 10])


# -- the model -----------------------------------------------------------------------------------
def test_same_seed_identical_on_the_model():
    a = optimise.optimise(seed=3, **TINY)
    b = optimise.optimise(seed=3, **TINY)
    for name in ("allocation", "expected_met", "check_expected_met", "plan_p_met", "history"):
        assert np.array_equal(a[name].values, b[name].values, equal_nan=True), name
    # common random numbers: the best allocation scores on a re-run exactly what the search saw
    assert a.objective_value.values[0] == np.nanmax(a.history.values[0])
    total = a.attrs["plan_total"]
    assert total == pytest.approx(65.5)                        # plan.toml's assumed money
    assert a.allocation.sum("area").values[0] * 5 == pytest.approx(total, abs=1e-9)
    fixed = [x for x in a.area.values if x not in TINY["areas"]]
    assert np.allclose(a.allocation.sel(area=fixed), a.plan_allocation.sel(area=fixed))


def test_bad_model_inputs_are_refused_before_any_run(monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("the model ran before the inputs were checked")
    monkeypatch.setattr(optimise.experiments, "evaluate", no_run)
    monkeypatch.setattr("model.engine.simulate", no_run)
    with pytest.raises(ValueError, match="no area is free"):
        optimise.optimise(areas=["ecommerce"], bounds={"ecommerce": (1, 1)}, total=None, runs=2, seed=1)
    with pytest.raises(ValueError, match="priority"):
        optimise.optimise(objective="p_all_priority", **TINY)
    with pytest.raises(ValueError, match="unknown targets"):
        optimise.optimise(objective="p_all_priority", priority=["no_such_target"], **TINY)
    with pytest.raises(ValueError, match="bounds of ecommerce"):
        optimise.optimise(bounds={"ecommerce": (3, 2)}, **TINY)


# -- the command line ----------------------------------------------------------------------------
def test_cli_quick_writes_netcdf_with_provenance(tmp_path, capsys):
    out = tmp_path / "opt.nc"
    assert cli.main(["optimise", "--quick", "--maxiter", "1", "--runs", "2", "--popsize", "2", "--out", str(out), "--lang", "en"]) == 0
    ds = xr.open_dataset(out)
    for key in ("git_commit", "seed", "data_vintage", "objective", "totals", "bounds", "optimiser", "method",
                "runs_per_sample", "plan_total_note", "free_areas"):
        assert key in ds.attrs, key
    assert sorted(json.loads(ds.attrs["free_areas"])) == sorted(optimise.QUICK["areas"])
    assert np.allclose(ds.allocation.sum("area") * 5, ds.total)
    assert np.all(ds.allocation >= ds.low - 1e-12) and np.all(ds.allocation <= ds.high + 1e-12)
    assert ds.attrs["plan_total"] in ds.total.values
    assert "best allocation" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--total", "600"], "outside what the bounds allow"),
    (["--total", "-5"], "non-negative"),
    (["--areas", "infrastructure,moon_base"], "unknown area"),
    (["--bounds", "ecommerce=1"], "area=low:high"),
    (["--objective", "p_all_priority"], "priority"),
])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "opt.nc"
    assert cli.main(["optimise", "--quick", "--out", str(out), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# -- the page ------------------------------------------------------------------------------------
def test_page_without_results_says_how_to_make_them_and_runs_the_quick_version(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBEI_RESULTS_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("python -m model optimise" in i.value for i in at.info)
    monkeypatch.setattr(optimise, "QUICK", {**TINY, "multiples": (0.5, 1.0)})    # the button's design, smaller
    at.button[0].click().run()
    assert not at.exception
    assert (tmp_path / "optimise-quick.nc").exists()
    assert len(at.metric) == 4


def test_page_shows_a_results_file_in_both_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBEI_RESULTS_DIR", str(tmp_path))
    from model import results
    results.save(optimise.optimise(seed=2, **TINY), tmp_path / "optimise-test.nc")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "固定预算怎样花最好？"
    assert len(at.metric) == 4
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "How should a fixed budget be spent?"

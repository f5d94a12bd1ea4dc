"""Scenario discovery (model/discover.py): PRIM on a known failure region, a model target decided by
its own lever, the CLI, reproducibility and the page."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from streamlit.testing.v1 import AppTest

from model import discover
from model.cli import main

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "discover.py")
# a target decided by its own lever: 12316 county coverage misses when modern agriculture gets too
# little money; e-commerce money and the e-commerce diffusion speed do not touch it
OWN_LEVER = dict(targets=["agri_12316_county_coverage", "ecommerce_volume"], n=40, runs=2, seed=3,
                 factors=["modern_agriculture", "ecommerce", "bass_q_firms_ecommerce"])


def synthetic(n=1000, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 3)), columns=["x1", "x2", "x3"])
    missed = ((x.x1 < 0.3) & (x.x2 > 0.6)).to_numpy()
    flip = rng.random(n) < noise
    return x, missed ^ flip


def test_prim_finds_the_known_failure_region_and_leaves_the_irrelevant_factor_free():
    x, missed = synthetic()
    box = discover.prim_box(x, missed)
    assert sorted(box["restricted"]) == ["x1", "x2"]
    assert box["high"]["x1"] == pytest.approx(0.3, abs=0.03)
    assert box["low"]["x2"] == pytest.approx(0.6, abs=0.03)
    assert box["low"]["x1"] == x.x1.min() and box["high"]["x2"] == x.x2.max()   # not cut on the far sides
    assert box["density"] > 0.95 and box["coverage"] > 0.9
    traj = box["trajectory"]
    assert traj.coverage.iloc[0] == 1 and traj.density.iloc[0] == pytest.approx(missed.mean())
    assert (box["qp"] < 0.05).all()


def test_prim_with_noisy_labels_still_names_the_two_conditions():
    x, missed = synthetic(n=1500, noise=0.05, seed=1)
    box = discover.prim_box(x, missed)
    assert sorted(box["restricted"]) == ["x1", "x2"]
    assert box["coverage"] >= 0.5
    assert box["density"] > 3 * missed.mean()


def test_boxes_only_for_targets_missed_in_a_meaningful_share():
    x, missed = synthetic(n=600)
    p_met = pd.DataFrame({"region": np.where(missed, 0.0, 1.0), "never": 1.0, "always": 0.0,
                          "rare": np.where(np.arange(600) < 6, 0.0, 1.0),
                          "tie": np.where(missed, 0.5, 1.0)})   # P(met) = 0.5 is not a miss
    ds = discover.boxes(x, p_met)
    status = dict(zip(ds.target.values, ds.status.values))
    assert status == {"region": "box", "never": "never_missed", "always": "always_missed",
                      "rare": "rarely_missed", "tie": "never_missed"}
    assert ds.restricted.sel(target="region").values.tolist() == [True, True, False]
    assert not ds.restricted.sel(target="never").any()
    assert np.isnan(float(ds.coverage.sel(target="always")))
    first, second = discover.conditions(ds, "region", "en")
    assert first.startswith("x1 ≤ ") and float(first.split("≤ ")[1]) == pytest.approx(0.3, abs=0.05)
    assert second.startswith("x2 ≥ ") and float(second.split("≥ ")[1]) == pytest.approx(0.6, abs=0.05)
    assert discover.conditions(ds, "never") == []


@pytest.fixture(scope="module")
def own_lever():
    return discover.discover(**OWN_LEVER)


def test_model_target_is_missed_when_its_own_lever_is_low(own_lever):
    ds = own_lever
    b = ds.sel(target="agri_12316_county_coverage")
    assert str(b.status.values) == "box"
    assert ds.factor.values[b.restricted.values].tolist() == ["modern_agriculture"]
    lever = ds.design.sel(factor="modern_agriculture")
    assert float(b.box_low.sel(factor="modern_agriculture")) == float(lever.min())   # only the upper side
    assert float(b.box_high.sel(factor="modern_agriculture")) < float(lever.max())
    assert float(b.density) > 0.8 and float(b.coverage) > 0.8
    assert ds.kind.sel(factor="modern_agriculture") == "lever"
    assert ds.attrs["n_samples"] == 40 and ds.attrs["runs_per_sample"] == 2 and ds.attrs["model_runs"] == 80
    assert {"git_commit", "seed", "data_vintage", "method", "factors"} <= set(ds.attrs)


def test_same_seed_same_result(own_lever):
    again = discover.discover(**OWN_LEVER)
    xr.testing.assert_identical(own_lever.drop_attrs(), again.drop_attrs())
    space = discover.experiments.factors().loc[OWN_LEVER["factors"]]
    assert np.array_equal(discover.sample(space, 40, 3).values, own_lever.design.values)
    assert not np.array_equal(discover.sample(space, 40, 4).values, own_lever.design.values)


def test_bad_arguments_are_refused_before_any_run(monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("the model ran before the arguments were checked")
    monkeypatch.setattr(discover.experiments, "evaluate", no_run)
    for kwargs in ({"targets": ["nope"]}, {"factors": ["nope"]}, {"n": 5}, {"runs": 0}, {"miss_below": 0}):
        with pytest.raises(ValueError):
            discover.discover(**kwargs)


def test_cli_quick_writes_netcdf_with_provenance(tmp_path, capsys):
    out = tmp_path / "d.nc"
    assert main(["discover", "--quick", "--n", "24", "--runs", "2", "--targets",
                 "agri_12316_county_coverage,ecommerce_volume", "--out", str(out), "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "agri_12316_county_coverage" in text and "coverage" in text and "modern agriculture" in text
    with xr.open_dataset(out) as ds:
        assert ds.attrs["analysis"] == "discover" and ds.attrs["n_samples"] == 24
        assert ds.attrs["factors"].split(",") == discover.quick_factors()
        assert "git_commit" in ds.attrs and ds.sizes["sample"] == 24


@pytest.mark.parametrize("args", [["--n", "5"], ["--n", "0"], ["--targets", "nope"], ["--out", "x.txt"],
                                  ["--runs", "0"]])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, args, capsys):
    out = tmp_path / "d.nc"
    argv = ["discover", "--quick", "--out", str(out), *args]
    if "--out" in args:
        argv = ["discover", "--quick", *args]
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err
    assert not out.exists() and not Path("x.txt").exists()


def page(monkeypatch, folder) -> AppTest:
    monkeypatch.setenv("HUBEI_RESULTS_DIR", str(folder))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_without_results_says_how_to_make_them(monkeypatch, tmp_path):
    at = page(monkeypatch, tmp_path)
    assert any("discover --quick" in i.value for i in at.info)


def test_page_shows_the_box_of_a_results_file(monkeypatch, tmp_path, own_lever):
    from model import results
    results.save(own_lever, tmp_path / "discover.nc")
    at = page(monkeypatch, tmp_path)
    assert at.selectbox[0].value == "agri_12316_county_coverage"       # targets with a box first
    assert any("modern_agriculture" in str(df.value) for df in at.dataframe)
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert "Where does it fail" in at.title[0].value
    at.selectbox[0].set_value("ecommerce_volume").run()
    assert not at.exception


def test_page_runs_the_quick_design_and_shows_it(monkeypatch, tmp_path):
    monkeypatch.setattr(discover, "QUICK_N", 20)           # the page reads these at run time
    monkeypatch.setattr(discover, "DEFAULT_RUNS", 1)
    monkeypatch.setattr(discover, "quick_factors", lambda: OWN_LEVER["factors"])
    at = page(monkeypatch, tmp_path)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert (tmp_path / "discover-quick.nc").exists()
    assert at.selectbox and at.dataframe

"""Global sensitivity analysis (model/sensitivity.py): known answers, CLI, reproducibility, page."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from model import cli, sensitivity

PAGE = Path(__file__).resolve().parent.parent / "pages" / "sensitivity.py"
LEVERS = ["ecommerce", "smart_tourism"]      # smart tourism's money cannot reach e-commerce volume


# -- the analysis alone, on analytic functions -----------------------------------------------------
def test_morris_linear_function_known_answer():
    names = ["a", "b"]
    unit = sensitivity.sample("morris", names, 20, seed=3)
    y = 3 * unit[:, 0] + 0 * unit[:, 1]                     # y = 3a + 0b on the unit square
    out = sensitivity.analyse("morris", names, unit, y, seed=3)
    assert out["mu_star"][0] == pytest.approx([3.0, 0.0], abs=1e-9)
    assert out["sigma"][0] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert out["mu_star_norm"][0, 0] == pytest.approx(3.0 / y.std())
    assert out["mu_star_norm"][0, 1] == 0.0


def test_sobol_ishigami_known_answer():
    names = ["x1", "x2", "x3"]
    unit = sensitivity.sample("sobol", names, 2048, seed=5)
    x = -np.pi + 2 * np.pi * unit
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    linear = 3 * unit[:, 0]
    out = sensitivity.analyse("sobol", names, unit, np.column_stack([y, linear, np.ones(len(y))]), seed=5)
    # Ishigami (a = 7, b = 0.1): analytic S1 = .314, .442, 0; ST = .558, .442, .244
    assert out["S1"][0] == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert out["ST"][0] == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert out["ST"][1] == pytest.approx([1.0, 0.0, 0.0], abs=0.02)
    assert np.all(out["ST_conf"][0] > 0)
    assert np.isnan(out["ST"][2]).all()                     # a constant output has no variance to share


# -- the model: a lever that cannot reach a target ----------------------------------------------------
@pytest.fixture(scope="module")
def morris():
    return sensitivity.sensitivity("morris", LEVERS, n=4, runs=2, seed=3, targets=["ecommerce_volume"])


def test_unrelated_lever_has_no_morris_effect(morris):
    value = morris.sel(outcome="ecommerce_volume@2018", measure="value")
    assert float(value.mu_star_norm.sel(factor="smart_tourism")) < 1e-9
    assert float(value.mu_star_norm.sel(factor="ecommerce")) > 0.5
    assert float(value.mu_star.sel(factor="ecommerce")) > 10 * float(value.mu_star_conf.sel(factor="smart_tourism")) + 1
    assert list(morris.outcome.values) == ["ecommerce_volume@2018", "ecommerce_volume@2020"]
    assert morris.attrs["model_runs"] == 4 * 3 * 2 and morris.attrs["N"] == 4
    assert sensitivity.ranking(morris, "ecommerce_volume@2020").index[0] == "ecommerce"


def test_unrelated_lever_has_no_sobol_share():
    ds = sensitivity.sensitivity("sobol", LEVERS, n=8, runs=2, seed=3, targets=["ecommerce_volume"])
    st = ds.ST.sel(outcome="ecommerce_volume@2018", measure="value")
    assert float(st.sel(factor="smart_tourism")) == pytest.approx(0.0, abs=1e-9)
    assert float(st.sel(factor="ecommerce")) > 0.5
    assert ds.attrs["samples"] == 8 * (2 + 2)


def test_same_seed_same_numbers(morris):
    again = sensitivity.sensitivity("morris", LEVERS, n=4, runs=2, seed=3, targets=["ecommerce_volume"])
    xr.testing.assert_identical(again.drop_attrs(), morris.drop_attrs())
    other = sensitivity.sensitivity("morris", LEVERS, n=4, runs=2, seed=4, targets=["ecommerce_volume"])
    assert not np.array_equal(other.design.values, morris.design.values)


def test_dask_gives_the_same_numbers(morris):
    from dask.distributed import LocalCluster      # in-process (threads): starts in ~1 s, same task path
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as local:
        ds = sensitivity.sensitivity("morris", LEVERS, n=4, runs=2, seed=3, targets=["ecommerce_volume"],
                                     scheduler=local.scheduler_address)
    np.testing.assert_array_equal(ds.y.values, morris.y.values)


def test_sobol_takes_the_top_factors_of_the_newest_morris(morris, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBEI_RESULTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="no Morris result"):
        sensitivity.sensitivity("sobol", quick=True)
    path = tmp_path / "sensitivity_morris.nc"
    from model import results
    results.save(morris, path)
    names, source = sensitivity.screened(1, ["ecommerce_volume"])
    assert names == ["ecommerce"] and source == str(path)


def test_design_follows_each_factor_distribution():
    unit = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    frame = sensitivity.to_values(unit, ["ecommerce", "gdp_growth_nominal"])
    space = sensitivity.experiments.factors()
    assert frame.ecommerce.tolist() == [0.0, 5.0, 10.0]
    g = frame.gdp_growth_nominal
    assert g[0] == pytest.approx(space.loc["gdp_growth_nominal", "low"])
    assert g[2] == pytest.approx(space.loc["gdp_growth_nominal", "high"])


# -- command line -------------------------------------------------------------------------------------
def test_cli_quick_writes_netcdf_with_provenance(tmp_path, capsys):
    out = tmp_path / "sa.nc"
    code = cli.main(["sensitivity", "--quick", "--factors", ",".join(LEVERS), "--targets", "ecommerce_volume",
                     "--out", str(out), "--lang", "en"])
    assert code == 0 and out.exists()
    with xr.open_dataset(out) as ds:
        for key in ("model_version", "git_commit", "seed", "data_vintage", "method", "N", "runs_per_sample",
                    "factors", "model_runs"):
            assert key in ds.attrs
        assert ds.attrs["method"] == "morris" and ds.attrs["quick"] == 1
        assert ds.attrs["N"] == sensitivity.QUICK["morris"]["n"]
        assert set(ds.factor.values) == set(LEVERS)
    printed = capsys.readouterr().out
    assert "e-commerce transaction volume" in printed and "e-commerce" in printed


@pytest.mark.parametrize("argv", [
    ["--method", "fourier"],
    ["--out", "x.csv"],
    ["--factors", "ecommerce,no_such_factor"],
    ["--factors", "ecommerce"],
    ["--targets", "no_such_target"],
    ["--runs", "0"],
    ["--seed", "-1"],
    ["--method", "sobol", "--factors", "ecommerce,smart_tourism", "--n", "12"],
    ["--method", "sobol"],                           # no Morris result to pick factors from
])
def test_cli_bad_options_exit_2_nothing_written(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUBEI_RESULTS_DIR", str(tmp_path))
    if "--out" not in argv:
        argv = argv + ["--out", str(tmp_path / "sa.nc")]
    try:
        code = cli.main(["sensitivity", "--quick", *argv])
    except SystemExit as exc:                        # argparse's own errors
        code = exc.code
    assert code == 2
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().err.strip()


# -- the page -----------------------------------------------------------------------------------------
def test_page_without_and_with_results(morris, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from model import results
    monkeypatch.setenv("HUBEI_RESULTS_DIR", str(tmp_path))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("uv run python -m model sensitivity" in m.value for m in at.info)
    assert not at.get("plotly_chart")
    results.save(morris, tmp_path / "sensitivity_morris.nc")
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert at.selectbox(key="sensitivity_target").value == "ecommerce_volume"
    at.radio(key="sensitivity_measure").set_value("p_met").run()
    assert not at.exception
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "What matters? Global sensitivity analysis"
    assert at.get("download_button")

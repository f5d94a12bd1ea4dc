"""The Dask backend and streamed results: same numbers as serial, nothing half-written.

One LocalCluster of 2 worker processes serves the whole module (starting one
costs seconds); ``simulate(workers=2)`` and the CLI's ``--workers 2`` reuse it.
"""
import os
import signal

import numpy as np
import pytest
import xarray as xr

from model import distributed, results, simulate
from model.cli import main

RUNS = 60


@pytest.fixture(scope="module")
def client():
    with distributed.cluster(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def serial():
    return simulate("plan", runs=RUNS, seed=7)


def test_dask_with_two_workers_is_bit_identical_to_serial(client, serial):
    seen = []
    ds = simulate("plan", runs=RUNS, seed=7, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert len(client.scheduler_info()["workers"]) == 2
    xr.testing.assert_identical(ds.drop_attrs(), serial.drop_attrs())
    assert seen[-1] == (RUNS, RUNS) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_scheduler_address_path(client, serial):
    ds = simulate("plan", runs=RUNS, seed=7, scheduler=client.scheduler.address, batch_size=7)
    xr.testing.assert_identical(ds.drop_attrs(), serial.drop_attrs())


def test_streamed_results_equal_in_memory_ones(serial, tmp_path, monkeypatch):
    monkeypatch.setattr(results, "STREAM_RUNS", 20)
    store = tmp_path / "plan.nc"
    ds = simulate("plan", runs=RUNS, seed=7, store=store)
    assert ds.ecommerce_volume.chunks is not None                 # dask-backed, read from the file
    xr.testing.assert_identical(ds.load().drop_attrs(), serial.drop_attrs())
    assert [p.name for p in tmp_path.iterdir()] == ["plan.nc"]      # no batch file left behind
    ds.close()


@pytest.mark.parametrize("stream", [False, True])
def test_interrupt_leaves_no_file(client, tmp_path, monkeypatch, stream):
    if stream:
        monkeypatch.setattr(results, "STREAM_RUNS", 20)

    def ctrl_c(done, total):
        if done >= 25:
            raise KeyboardInterrupt

    for kw in ({}, {"workers": 2}):
        with pytest.raises(KeyboardInterrupt):
            simulate("plan", runs=RUNS, seed=7, store=tmp_path / "x.nc", progress=ctrl_c, **kw)
    assert list(tmp_path.iterdir()) == []
    assert len(client.scheduler_info()["workers"]) == 2             # the shared cluster survives


def test_failing_batch_on_a_worker_leaves_no_file(client, tmp_path):
    # a parameter that shapes the population must be equal within a batch:
    # runs 0-24 agree, the second batch (runs 25-49) does not, so its task fails
    firms = np.full(RUNS, 16000.0)
    firms[30] = 15000
    for kw in ({}, {"workers": 2}):
        with pytest.raises(ValueError, match="firms_total must have one value"):
            simulate("plan", runs=RUNS, seed=7, params={"firms_total": firms}, store=tmp_path / "x.nc", **kw)
    assert list(tmp_path.iterdir()) == []


def test_cli_workers_and_bad_scheduler(client, serial, tmp_path, capsys, monkeypatch):
    out = tmp_path / "plan.nc"
    assert main(["run", "plan", "--runs", str(RUNS), "--seed", "7", "--workers", "2", "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        xr.testing.assert_identical(ds.drop_attrs(), serial.drop_attrs())
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 1)
    bad = "tcp://127.0.0.1:9"
    assert main(["run", "plan", "--runs", "4", "--scheduler", bad, "--out", str(tmp_path / "x.nc")]) == 2
    assert f"cannot reach the Dask scheduler at '{bad}'" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["plan.nc"]
    with pytest.raises(distributed.ClusterError, match="cannot reach"):
        simulate("plan", runs=2, scheduler=bad)
    with pytest.raises(SystemExit):
        main(["run", "plan", "--workers", "0"])
    with pytest.raises(ValueError, match="not both"):
        simulate("plan", runs=2, scheduler=bad, workers=2)
    with pytest.raises(ValueError, match="backend"):
        simulate("plan", runs=2, backend="spark")


def test_a_lost_worker_changes_nothing(client, serial, tmp_path):
    """A worker process dies mid-run: Dask re-runs its batches elsewhere, same numbers."""
    killed = []

    def kill_one(done, total):
        if not killed:
            victim = sorted(client.scheduler_info()["workers"])[0]
            killed.append(victim)
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)                    # abrupt, as a crashed machine

    ds = simulate("plan", runs=RUNS, seed=7, workers=2, progress=kill_one, store=tmp_path / "plan.nc")
    assert killed
    xr.testing.assert_identical(ds.drop_attrs(), serial.drop_attrs())


def test_cli_ctrl_c_exits_130_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from model import engine
    real, calls = engine.run_batch, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(engine, "run_batch", interrupted)
    assert main(["run", "plan", "--runs", "60", "--out", str(tmp_path / "plan.nc")]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_scoreboard_from_a_streamed_ensemble(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(results, "STREAM_RUNS", 20)
    out = tmp_path / "plan.nc"
    assert main(["run", "plan", "--runs", "30", "--seed", "2", "--out", str(out), "--lang", "en"]) == 0
    assert "smart_factories" in capsys.readouterr().out
    with xr.open_dataset(out) as ds:
        assert ds.sizes["run"] == 30
    assert [p.name for p in tmp_path.iterdir()] == ["plan.nc"]


def test_forecast_and_fit_give_the_same_numbers_on_the_cluster(client):
    from calibration.fit import Objective, fit_observations, targets
    from model import forecast
    serial, _ = forecast.forecast_table("plan", runs=12, seed=3)
    dask, _ = forecast.forecast_table("plan", runs=12, seed=3, workers=2)
    assert serial.equals(dask)
    tg = targets().head(2)
    obs = fit_observations(None)
    obs = obs[obs.output.isin({s for ss in tg.series for s in ss.split(";")})].reset_index(drop=True)
    u = np.full(len(tg), 0.4)
    here = Objective(tg, obs, runs=8, seed=5).terms(u)
    there = Objective(tg, obs, runs=8, seed=5, backend={"workers": 2, "batch_size": 4}).terms(u)
    np.testing.assert_array_equal(here, there)


def test_policy_analyses_give_the_same_numbers_on_the_cluster(client):
    """Sensitivity, optimise and discover send samples to worker processes (pickled): same numbers."""
    import pandas as pd

    from model import discover, experiments, optimise

    design = pd.DataFrame({"ecommerce": [0.0, 4.0], "bass_q_households": [0.3, 0.4]})
    serial = experiments.evaluate(design, runs=3, seed=5, holds=True)
    dask = experiments.evaluate(design, runs=3, seed=5, holds=True, workers=2)
    for name in ("value", "met", "value_2020", "met_2020"):
        np.testing.assert_array_equal(serial[name].values, dask[name].values, err_msg=name)

    tiny = {"runs": 2, "popsize": 2, "maxiter": 1, "check_runs": 2, "multiples": (1.0,),
            "areas": ("ecommerce", "education")}
    a, b = optimise.optimise(seed=3, **tiny), optimise.optimise(seed=3, workers=2, **tiny)
    np.testing.assert_array_equal(a.allocation.values, b.allocation.values)
    np.testing.assert_array_equal(a.expected_met.values, b.expected_met.values)

    own = dict(targets=["agri_12316_county_coverage"], n=24, runs=2, seed=3, factors=["modern_agriculture", "ecommerce"])
    c, d = discover.discover(**own), discover.discover(workers=2, **own)
    xr.testing.assert_identical(c.drop_attrs(), d.drop_attrs())

"""The command line: results files, reproducibility, bad input."""
import subprocess
import sys
from pathlib import Path

import xarray as xr

from model.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_run_writes_identical_results_twice(tmp_path, capsys):
    first, second = tmp_path / "a.nc", tmp_path / "b.nc"
    assert main(["run", str(ROOT / "scenarios/plan.toml"), "--runs", "20", "--seed", "1", "--out", str(first)]) == 0
    assert main(["run", "plan", "--runs", "20", "--seed", "1", "--out", str(second)]) == 0
    with xr.open_dataset(first) as a, xr.open_dataset(second) as b:
        xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
        assert a.attrs["scenario_id"] == "plan" and a.attrs["runs"] == 20
    out = capsys.readouterr().out
    assert "smart_factories" in out and "尚未建模" not in out and str(second) in out
    assert "仅有投入杠杆、暂无指标的领域: culture_creative" in out


def test_compare_prints_both_and_the_difference(capsys):
    assert main(["compare", "baseline", "plan", "--runs", "10", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Baseline vs Plan" in out and "ΔP" in out and "ecommerce_volume" in out


def test_bad_input_exits_nonzero_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nname_zh = "x"\nname_en = "x"\n[levers.ecommerce]\n2016 = -1\n', encoding="utf-8")
    out = tmp_path / "never.nc"
    assert main(["run", str(bad), "--runs", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "levers.ecommerce" in err
    assert main(["run", "plan", "--runs", "5", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["run", "plan", "--runs", "0"]) == 2
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert list(tmp_path.iterdir()) == [bad]


def test_module_entry_point(tmp_path):
    out = tmp_path / "plan.nc"
    done = subprocess.run([sys.executable, "-m", "model", "run", "plan", "--runs", "4", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.exists()
    bad = subprocess.run([sys.executable, "-m", "model", "run", "nope.toml"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "nope.toml" in bad.stderr

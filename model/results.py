"""Results as ``xarray.Dataset``: variables, units, bilingual names, provenance; netCDF I/O."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import xarray as xr

from . import catalogue, parameters
from .observations import DATA_DIR, OBSERVED_DIR
from .population import prefecture_arrays

MODEL_VERSION = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent
STREAM_RUNS = 2000         # larger ensembles stream to a netCDF file instead of memory
RUN_CHUNK = 20_000         # runs per dask chunk of a streamed Dataset (~30 MB for the largest variable)

@lru_cache(maxsize=None)
def diagnostics() -> dict[str, tuple[str, str, str]]:
    """Outputs that are not indicators (``data/diagnostics.csv``): id -> (unit, zh, en)."""
    with open(DATA_DIR / "diagnostics.csv", encoding="utf-8", newline="") as f:
        return {r["id"]: (r["unit"], r["name_zh"], r["name_en"]) for r in csv.DictReader(f)}


@lru_cache(maxsize=None)
def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@lru_cache(maxsize=None)
def data_vintage() -> str:
    """Hash of every data file the model reads (observations, catalogue, parameters)."""
    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.glob("*.csv")) + parameters.files() + sorted(OBSERVED_DIR.glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"observations to 2017; data sha256 {digest.hexdigest()[:16]}"


@lru_cache(maxsize=None)
def indicator_attrs() -> dict[str, dict]:
    """Variable attributes of every catalogued indicator, read once (no pandas lookups per run)."""
    return {i: {"units": r.unit, "long_name_zh": r.name_zh, "long_name_en": r.name_en,
                "calibration": r.calibration, "target": r.target}
            for i, r in catalogue.indicators().iterrows()}


@lru_cache(maxsize=16)
def _coordinates(runs: int, years: tuple, areas: tuple, uncertain: tuple) -> xr.Coordinates:
    """The coordinates (and their indexes) of an ensemble's Dataset, built once per shape."""
    region_zh, region_en = map(np.array, zip(*prefecture_arrays()["names"]))
    region_en.flags.writeable = False            # shared by every Dataset of this shape
    return xr.Coordinates({"run": np.arange(runs), "year": np.array(years), "region": region_zh,
                           "area": np.array(areas), "parameter": np.array(uncertain),
                           "region_en": ("region", region_en)})


def dataset(out: dict, drawn: dict, scenario, seed: int, years: np.ndarray, areas: list[str],
            allocated: np.ndarray, overrides: dict) -> xr.Dataset:
    """Assemble the Dataset of one scenario's ensemble."""
    runs = next(iter(out.values())).shape[0]
    ind = indicator_attrs()
    data = {}
    for name, arr in out.items():
        base = name.removesuffix("_by_region")
        dims = ("run", "year", "region") if name.endswith("_by_region") else \
            ("run", "year", "area") if name == "spending_used" else ("run", "year")
        if base in ind:
            attrs = dict(ind[base])
        else:
            unit, zh, en = diagnostics()[name]
            attrs = {"units": unit, "long_name_zh": zh, "long_name_en": en, "calibration": "diagnostic"}
        data[name] = xr.Variable(dims, arr, attrs)
    unit, zh, en = diagnostics()["spending_allocated"]
    data["spending_allocated"] = xr.Variable(("year", "area"), allocated,
                                             {"units": unit, "long_name_zh": zh, "long_name_en": en})
    uncertain = parameters.uncertain() + [k for k in overrides if k not in parameters.uncertain()]
    data["parameter_value"] = xr.Variable(("run", "parameter"), np.stack([drawn[k] for k in uncertain], 1),
                                          {"long_name_en": "parameter values drawn per run",
                                           "long_name_zh": "各次运行抽取的参数值"})
    ds = xr.Dataset(data, coords=_coordinates(runs, tuple(years.tolist()), tuple(areas), tuple(uncertain)))
    ds.attrs.update({
        **provenance(seed),
        "scenario_id": scenario.id,
        "scenario_name_zh": scenario.name_zh,
        "scenario_name_en": scenario.name_en,
        "scenario_digest": scenario.digest(),
        "scenario_toml": scenario.to_toml(),
        "runs": int(runs),
        "params_overridden": json.dumps(sorted(overrides)),
    })
    return ds


def provenance(seed: int) -> dict:
    """Attributes every results file carries: model version, git commit, seed, data and parameter vintage."""
    return {"title": "Hubei Internet+ scenario model results", "model_version": MODEL_VERSION,
            "git_commit": git_commit(), "seed": int(seed), "data_vintage": data_vintage(),
            "params_file": parameters.fitted_label(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def results_dir() -> Path:
    """Where results files go by default: ``results/``, or the folder ``HUBEI_RESULTS_DIR`` names."""
    return Path(os.environ.get("HUBEI_RESULTS_DIR") or ROOT / "results")


def newest(pattern: str, folder: Path | None = None) -> Path | None:
    """The most recently written results file matching ``pattern`` (e.g. ``optimise*.nc``), or None."""
    files = sorted(Path(folder or results_dir()).glob(pattern), key=lambda p: p.stat().st_mtime_ns)
    return files[-1] if files else None


def atomic_write(path: str | Path, write) -> Path:
    """``write(tmp)`` to a temporary file in the same folder, then rename: never a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=path.suffix + ".part", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)           # mkstemp makes files private; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save(ds: xr.Dataset, path: str | Path) -> Path:
    """Write netCDF atomically."""
    return atomic_write(path, ds.to_netcdf)


def open_results(path: str | Path) -> xr.Dataset:
    """Open a results file lazily (dask-backed, ``RUN_CHUNK`` runs per chunk)."""
    return xr.open_dataset(path, chunks={"run": RUN_CHUNK})


class Batches:
    """Batches of runs collected into arrays preallocated for the whole ensemble.

    ``add(ids, arrays)`` writes a batch's rows (``ids`` contiguous, any
    order); ``arrays()`` returns the full arrays.  In memory by default; with
    ``folder`` the arrays live in a netCDF file there (chunked by batch), so
    memory stays bounded whatever the ensemble size, and ``arrays()`` returns
    dask arrays reading that file.  ``discard()`` removes the file.
    """

    def __init__(self, runs: int, folder: str | Path | None = None, chunk: int = 25):
        self.runs, self.chunk = runs, chunk
        self.data: dict[str, np.ndarray] = {}
        self.path = self.nc = self._opened = None
        if folder is not None:
            import netCDF4
            Path(folder).mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".batches.nc.part", dir=folder)
            os.close(fd)
            self.path = Path(tmp)
            self.nc = netCDF4.Dataset(self.path, "w")
            self.nc.createDimension("run", runs)

    def add(self, ids: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
        lo, hi = int(ids[0]), int(ids[-1]) + 1
        for name, arr in arrays.items():
            if self.nc is None:
                if name not in self.data:
                    self.data[name] = np.empty((self.runs, *arr.shape[1:]), arr.dtype)
                self.data[name][lo:hi] = arr
                continue
            if name not in self.nc.variables:
                dims = ["run"]
                for i, n in enumerate(arr.shape[1:]):
                    dims.append(f"{name}_{i}")
                    self.nc.createDimension(dims[-1], n)
                self.nc.createVariable(name, arr.dtype, dims, chunksizes=(min(self.chunk, self.runs), *arr.shape[1:]))
            self.nc.variables[name][lo:hi] = arr

    def arrays(self) -> dict:
        if self.nc is None:
            return self.data
        self.nc.close()
        self.nc = None
        self._opened = xr.open_dataset(self.path, chunks={"run": max(self.chunk, 1000)})
        return {name: var.data for name, var in self._opened.data_vars.items()}

    def discard(self) -> None:
        if self.nc is not None:
            self.nc.close()
        if self._opened is not None:
            self._opened.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        self.nc = self._opened = None

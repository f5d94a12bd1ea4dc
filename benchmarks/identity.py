"""Bit-identity check for speed work: results must not change.

``uv run python benchmarks/identity.py save`` stores the reference (under
/tmp, not in git); ``uv run python benchmarks/identity.py`` compares the
current code against it.  Runs ``simulate`` for baseline, plan and
accelerated, 30 runs, seed 3, in batches of 25 and of 7 (and a single run), and compares every
data variable (values, dtype, dims) exactly, NaNs matching NaNs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.engine import simulate  # noqa: E402

REFERENCE = Path("/tmp/perf_identity_reference.nc")
SCENARIOS, RUNS, SEED, BATCHES = ("baseline", "plan", "accelerated"), 30, 3, (25, 7)


def current() -> xr.Dataset:
    """Every case as one Dataset, variables named ``<scenario>_b<batch>__<variable>``."""
    data = {}
    for sc in SCENARIOS:
        for b in BATCHES:
            ds = simulate(sc, runs=RUNS, seed=SEED, batch_size=b)
            for k, v in ds.data_vars.items():
                data[f"{sc}_b{b}__{k}"] = xr.Variable(tuple(f"{sc}_b{b}__{k}_{d}" for d in v.dims), v.values)
    for sc in SCENARIOS:                # a batch of one run takes other numpy paths
        ds = simulate(sc, runs=1, seed=SEED)
        for k, v in ds.data_vars.items():
            data[f"{sc}_r1__{k}"] = xr.Variable(tuple(f"{sc}_r1__{k}_{d}" for d in v.dims), v.values)
    return xr.Dataset(data)


def compare(new: xr.Dataset, ref: xr.Dataset) -> list[str]:
    problems = sorted(f"missing {k}" for k in set(ref.data_vars) ^ set(new.data_vars))
    for k in sorted(set(ref.data_vars) & set(new.data_vars)):
        a, b = new[k].values, ref[k].values
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"{k}: shape/dtype {a.shape} {a.dtype} vs {b.shape} {b.dtype}")
        elif a.dtype.kind == "f" and not np.array_equal(a, b, equal_nan=True):
            problems.append(f"{k}: {int((a != b).sum())} values differ, max |diff| {np.nanmax(abs(a - b)):.3g}")
        elif a.dtype.kind != "f" and not np.array_equal(a, b):
            problems.append(f"{k}: values differ")
    return problems


def main() -> None:
    new = current()
    if sys.argv[1:] == ["save"]:
        new.to_netcdf(REFERENCE)
        print(f"saved {len(new.data_vars)} variables to {REFERENCE}")
        return
    with xr.open_dataset(REFERENCE) as ref:
        problems = compare(new, ref.load())
    print("\n".join(problems) if problems else f"IDENTICAL: {len(new.data_vars)} variables")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

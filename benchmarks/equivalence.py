"""Statistical equivalence check for kernel rewrites: same model, not necessarily the same bits.

Moving a step into numba changes the order of sums and the ``exp``/``log``/``**``
implementations, so values move by a few ulps and, where a threshold or a
ranking is hit, a run can take another path.  The rules must not change:

``uv run python benchmarks/equivalence.py save`` stores a reference ensemble
(under /tmp, not in git); ``uv run python benchmarks/equivalence.py [module]``
compares the current code with it.  Cases: baseline, plan and accelerated,
400 runs, seed 11.  For every float variable and cell (year[, region][, area])
it compares the ensemble means (Welch z) and reports

* cells whose means differ by more than 4.5 standard errors (a chance alarm is
  about 7 in a million cells: a real change of rule shows up as many);
* the share of (run, cell) values bit-identical and within 1e-9 relative,
  since with common random numbers most runs should stay on the same path;
* the largest relative change of a median.

Exit status 1 when any cell alarms.  ``module`` restricts the report to
variables whose name starts with one of the module's outputs.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.engine import MODULES, simulate  # noqa: E402

REFERENCE = Path("/tmp/equivalence_reference.nc")
SCENARIOS, RUNS, SEED, Z_ALARM = ("baseline", "plan", "accelerated"), 400, 11, 4.5


def current() -> dict[str, xr.Dataset]:
    return {sc: simulate(sc, runs=RUNS, seed=SEED) for sc in SCENARIOS}


def outputs_of(module: str) -> set[str]:
    for cls in MODULES:
        if cls.name == module:
            return set(cls.outputs)
    raise SystemExit(f"no module {module!r}: {', '.join(c.name for c in MODULES)}")


def compare(new: xr.Dataset, ref: xr.Dataset, names: set[str] | None) -> tuple[list[str], list[str]]:
    alarms, lines = [], []
    for k in sorted(ref.data_vars):
        if names is not None and k not in names:
            continue
        if k not in new.data_vars:
            alarms.append(f"{k}: missing")
            continue
        a, b = new[k].transpose(*ref[k].dims).values, ref[k].values
        if a.dtype.kind != "f" or "run" not in ref[k].dims:
            if not np.array_equal(a, b):
                alarms.append(f"{k}: non-float values differ")
            continue
        a, b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
        same = np.isclose(a, b, rtol=1e-9, atol=0, equal_nan=True)
        exact = (a == b) | (np.isnan(a) & np.isnan(b))
        se = np.sqrt(np.nanvar(a, 0) / len(a) + np.nanvar(b, 0) / len(b))
        diff = np.nanmean(a, 0) - np.nanmean(b, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            empty = np.isnan(a).all(0) & np.isnan(b).all(0)          # a cell with no value in either (e.g. before data)
            z = np.where(se > 0, np.abs(diff) / se, np.where((diff == 0) | empty, 0, np.inf))
            med_a, med_b = np.nanmedian(a, 0), np.nanmedian(b, 0)
            rel = np.abs(med_a - med_b) / np.maximum(np.abs(med_b), 1e-12)
        bad = int(np.sum(z > Z_ALARM))
        line = (f"{k:55s} exact {exact.mean():6.1%}  1e-9 {same.mean():6.1%}  "
                f"max|z| {np.nanmax(z):5.2f}  max median rel {np.nanmax(rel):.1e}")
        lines.append(line)
        if bad:
            alarms.append(f"{k}: {bad} of {z.size} cells beyond {Z_ALARM} standard errors (max z {np.nanmax(z):.1f})")
    return alarms, lines


def main() -> None:
    warnings.simplefilter("ignore", RuntimeWarning)       # cells with no value (NaN before the data start)
    args = sys.argv[1:]
    new = current()
    if args == ["save"]:
        xr.Dataset({f"{sc}__{k}": v.variable for sc, ds in new.items() for k, v in ds.data_vars.items()}
                   ).to_netcdf(REFERENCE)
        print(f"saved {', '.join(SCENARIOS)} ({RUNS} runs, seed {SEED}) to {REFERENCE}")
        return
    names = outputs_of(args[0]) if args else None
    alarms = []
    with xr.open_dataset(REFERENCE) as stored:
        stored = stored.load()
    for sc, ds in new.items():
        ref = xr.Dataset({k.split("__", 1)[1]: v for k, v in stored.data_vars.items() if k.startswith(sc + "__")})
        found, lines = compare(ds, ref, names)
        print(f"== {sc}\n" + "\n".join(lines))
        alarms += [f"{sc}: {a}" for a in found]
    print("\n".join(alarms) if alarms else "EQUIVALENT: no cell beyond "
          f"{Z_ALARM} standard errors")
    sys.exit(1 if alarms else 0)


if __name__ == "__main__":
    main()

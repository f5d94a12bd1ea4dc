"""The parameter table: values, uncertainty ranges and sources, and draws per run.

``data/parameters/<module>.csv`` lists each mechanism's behavioural parameters with unit,
distribution (``fixed``, ``uniform`` or ``triangular`` between ``low`` and
``high`` with ``value`` as mode) and status (source, derived, assumption,
anchored).  Each run draws one value per uncertain parameter from its own
random stream, one uniform per parameter in table order, so pinning one
parameter never shifts the draws of the others.

Fitted parameters (written by ``python -m calibration fit``) are read at
start from a JSON file: ``$HUBEI_PARAMS_FILE`` if set (``none`` = priors
only), else the newest ``data/fitted/params-*.json``.  A fitted parameter
keeps its place in the table (so draws do not shift) and becomes
``calibrated``: triangular with the estimate as mode, ±2 sd, within its prior
range; parameters the data did not identify keep their prior.
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .observations import DATA_DIR
from .streams import MODULES, per_run

PARAMETER_DIR = DATA_DIR / "parameters"
FITTED_DIR = DATA_DIR / "fitted"
PARAMS_ENV = "HUBEI_PARAMS_FILE"

KINDS = {"fixed": 0, "uniform": 1, "triangular": 2}      # distributions, and their codes in ``inverse_cdf``
DISTS = set(KINDS)
STATUSES = {"source", "derived", "assumption", "anchored", "calibrated"}


@dataclass(frozen=True)
class Parameter:
    name: str
    module: str
    value: float
    unit: str
    dist: str
    low: float
    high: float
    status: str
    source: str
    note: str

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in [0, 1) to values of this parameter."""
        return inverse_cdf(np.asarray(u, dtype=float), KINDS[self.dist], self.low, self.high, self.value)



def inverse_cdf(u: np.ndarray, kind, low, high, mode) -> np.ndarray:
    """Values at uniforms ``u`` of a fixed (``mode``), uniform or triangular (as scipy.stats.triang)
    distribution; ``kind`` (``KINDS``) and the bounds may be columns, one row per parameter."""
    width = high - low
    with np.errstate(invalid="ignore", divide="ignore"):    # the triangular branch of the other kinds is discarded
        c = (mode - low) / width
        tri = np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u))) * width + low
    return np.where(kind == 0, mode, np.where(kind == 1, low + width * u, tri))

def files() -> list:
    """The per-module parameter files, in stream order (so adding a module leaves earlier draws alone)."""
    found = {f.stem: f for f in PARAMETER_DIR.glob("*.csv")}
    unknown = set(found) - set(MODULES)
    if unknown:
        raise ValueError(f"{PARAMETER_DIR}: no random stream for module(s) {sorted(unknown)} "
                         "(add them to streams.MODULES)")
    return [found[m] for m in MODULES if m in found]


@lru_cache(maxsize=None)
def table() -> dict[str, Parameter]:
    """All parameters by name, validated; the module is the file they are in."""
    out: dict[str, Parameter] = {}
    for path in files():
        out.update(_read(path, set(out)))
    fitted = fitted_file()
    return _apply_fitted(out, fitted) if fitted else out


def fitted_file() -> Path | None:
    """The fitted parameter file the model uses, or None (priors only)."""
    env = os.environ.get(PARAMS_ENV, "").strip()
    if env:
        return None if env.lower() == "none" else Path(env)
    found = sorted(FITTED_DIR.glob("params-*.json"))
    return found[-1] if found else None


def vintage() -> tuple:
    """What the table in use was read from beyond the CSVs: the fitted file and its version.

    Worked out once per table (``table.cache_clear()`` makes a new one), not on every batch.
    """
    return _per_table("vintage", _file_vintage)


def _file_vintage(_table) -> tuple:
    path = fitted_file()
    return (str(path), path.stat().st_mtime_ns) if path and path.exists() else ("priors",)


_MEMO: dict[str, tuple] = {}        # name -> (the table it was computed from, value)


def _per_table(name: str, compute):
    """``compute(table())``, remembered until the table is rebuilt (the memo holds the table, so no stale id)."""
    t = table()
    kept = _MEMO.get(name)
    if kept is None or kept[0] is not t:
        kept = _MEMO[name] = (t, compute(t))
    return kept[1]


def fitted_label() -> str:
    """For the results' provenance: which fitted file, or 'none (priors)'."""
    path = fitted_file()
    return path.name if path else "none (priors)"


def _apply_fitted(out: dict[str, Parameter], path: Path) -> dict[str, Parameter]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        fitted = data["parameters"]
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not a fitted parameter file ({exc})") from exc
    for name, est in fitted.items():
        if name not in out:
            warnings.warn(f"{path.name}: parameter {name!r} is no longer in the table; ignored")
            continue
        if not est.get("identified"):
            continue
        p = out[name]
        low, high = float(est["low"]), float(est["high"])
        value, sd = float(est["value"]), float(est["sd"])
        lo, hi = max(low, value - 2 * sd), min(high, value + 2 * sd)
        dist = "triangular" if hi > lo else "fixed"
        out[name] = replace(p, value=value, dist=dist, low=lo, high=hi, status="calibrated",
                            source=f"{path.name} (python -m calibration fit)",
                            note=f"estimate {value:.4g} ± {sd:.2g} (1 sd) from {', '.join(est.get('series', []))}; "
                                 f"prior [{low:g}, {high:g}]. Prior note: {p.note}")
    return out


def _read(path, seen: set[str]) -> dict[str, Parameter]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out: dict[str, Parameter] = {}
    for line, row in enumerate(frame.to_dict("records"), start=2):
        where = f"parameters/{path.name}:{line} ({row['name']})"
        if row["dist"] not in DISTS or row["status"] not in STATUSES:
            raise ValueError(f"{where}: dist must be in {DISTS}, status in {STATUSES}")
        low = float(row["low"]) if row["low"] != "" else np.nan
        high = float(row["high"]) if row["high"] != "" else np.nan
        value = float(row["value"])
        if row["dist"] != "fixed" and not low <= value <= high:
            raise ValueError(f"{where}: value {value} outside [{low}, {high}]")
        if row["name"] in out or row["name"] in seen:
            raise ValueError(f"{where}: duplicate parameter")
        out[row["name"]] = Parameter(row["name"], path.stem, value, row["unit"], row["dist"],
                                     low, high, row["status"], row["source"], row["note"])
    return out


def uncertain() -> list[str]:
    """Names of the parameters drawn per run."""
    return [p.name for p in table().values() if p.dist != "fixed"]


def check_overrides(values: dict[str, float], where: str) -> dict[str, float]:
    """Validate pinned/overridden values: known names, numbers within range."""
    params = table()
    clean = {}
    for name, value in values.items():
        if name not in params:
            raise KeyError(f"{where}: unknown parameter {name!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.ndarray, list, tuple)):
            raise TypeError(f"{where}: {name} must be a number (got {value!r})")
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{where}: {name} must be finite (got {value!r})")
        clean[name] = value
    return clean


def draw(streams: list[np.random.Generator], pins: dict[str, float] | None = None,
         overrides: dict | None = None) -> dict[str, np.ndarray]:
    """Parameter values for a batch of runs, one generator per run.

    ``pins`` (from a scenario) and ``overrides`` (the ``params`` argument of
    ``simulate``) replace draws; an override may be a scalar or one value per
    run of the batch.
    """
    names, kind, low, high, value = _per_table("quantiles", _quantile_arrays)
    u = np.ascontiguousarray(per_run(streams, "random", (len(names),)).T)      # (parameters, runs)
    values = dict(zip(names, inverse_cdf(u, kind, low, high, value)))      # every parameter at once
    for source in (pins or {}), (overrides or {}):
        for name, val in source.items():
            values[name] = np.broadcast_to(np.asarray(val, dtype=float), (len(streams),)).copy()
    return values


def _quantile_arrays(t: dict[str, Parameter]) -> tuple:
    """Each parameter's distribution as columns: names, kind (0 fixed, 1 uniform, 2 triangular), low, high, mode."""
    col = lambda get: np.array([get(p) for p in t.values()], dtype=float)[:, None]      # noqa: E731
    return (list(t), col(lambda p: KINDS[p.dist]), col(lambda p: p.low), col(lambda p: p.high),
            col(lambda p: p.value))


def scalar(values: dict[str, np.ndarray], name: str) -> float:
    """A parameter read once per batch (it shapes a synthetic population or a schedule).

    Raises if a per-run override gave it different values in one batch, rather
    than silently using the first.
    """
    arr = np.asarray(values[name])
    if arr.size > 1 and not np.all(arr == arr.flat[0]):
        raise ValueError(f"params: {name} must have one value for all runs (it shapes the agent "
                         f"population or a schedule); got {np.unique(arr)[:5]}")
    return float(arr.flat[0])


def markdown_table() -> str:
    """The parameter table as Markdown (for docs/PARAMETERS.md)."""
    lines = ["| parameter | module | value | unit | range | status | source | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in table().values():
        rng = "fixed" if p.dist == "fixed" else f"{p.dist} [{p.low:g}, {p.high:g}]"
        lines.append(f"| `{p.name}` | {p.module} | {p.value:g} | {p.unit} | {rng} | {p.status} "
                     f"| {p.source} | {p.note} |")
    return "\n".join(lines)

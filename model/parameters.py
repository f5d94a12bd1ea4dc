"""The parameter table: values, uncertainty ranges and sources, and draws per run.

``data/parameters/<module>.csv`` lists each mechanism's behavioural parameters with unit,
distribution (``fixed``, ``uniform`` or ``triangular`` between ``low`` and
``high`` with ``value`` as mode) and status (source, derived, assumption,
anchored).  Each run draws one value per uncertain parameter from its own
random stream, one uniform per parameter in table order, so pinning one
parameter never shifts the draws of the others.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from .observations import DATA_DIR
from .streams import MODULES, per_run

PARAMETER_DIR = DATA_DIR / "parameters"

DISTS = {"fixed", "uniform", "triangular"}
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
        if self.dist == "fixed":
            return np.full(u.shape, self.value)
        if self.dist == "uniform":
            return self.low + (self.high - self.low) * u
        c = (self.value - self.low) / (self.high - self.low)
        return stats.triang.ppf(u, c, loc=self.low, scale=self.high - self.low)


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
    params = table()
    names = list(params)
    u = per_run(streams, "random", (len(names),))
    values = {name: params[name].quantile(u[:, i]) for i, name in enumerate(names)}
    for source in (pins or {}), (overrides or {}):
        for name, value in source.items():
            values[name] = np.broadcast_to(np.asarray(value, dtype=float), (len(streams),)).copy()
    return values


def scalar(values: dict[str, np.ndarray], name: str) -> float:
    """A parameter read once per batch (it shapes a synthetic population or a schedule).

    Raises if a per-run override gave it different values in one batch, rather
    than silently using the first.
    """
    arr = np.asarray(values[name])
    if arr.size and not np.all(arr == arr.flat[0]):
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

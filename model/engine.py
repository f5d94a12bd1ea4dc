"""The engine: a Mesa model of the province and ``simulate``, the one way in.

``Province`` is a ``mesa.Model`` whose agents are the 17 prefecture-level
units; their micro-populations (villages, households, firms) are
province-wide numpy arrays with a prefecture index and a leading run
dimension, updated by one module per mechanism.  A batch of runs is one
``Province``; ``simulate`` runs batches and assembles an ``xarray.Dataset``.

Randomness: each (run, module) has its own ``numpy`` generator spawned from
the seed, so run *i* sees the same random numbers in every scenario and
whatever the ensemble size or batch split.
"""
from __future__ import annotations

import copy
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

import mesa
import numpy as np
import xarray as xr

from . import catalogue, parameters, results
from .agriculture import Agriculture
from .connectivity import Connectivity
from .ecommerce import ECommerce
from .finance import Finance
from .logistics import Logistics
from .macro import Macro
from .manufacturing import Manufacturing
from .population import N_PREF, prefecture_arrays
from .provinces import Provinces
from .public_services import PublicServices
from .scenario import LEVER_YEARS, Scenario, ScenarioError, load, presets
from .streams import streams
from .tourism import Tourism

START_YEAR = 2010
END_YEARS = range(2016, 2022)        # levers act from 2016; evaluation runs to 2021
STEPS_PER_YEAR = 4
DEFAULT_BATCH = 50          # runs per batch: per-step overhead amortised, memory modest (measured 25 vs 50 vs 100)
LEVER_STEP = (LEVER_YEARS[0] - START_YEAR - 1) * STEPS_PER_YEAR    # first quarter in which money can act
CHECKPOINT_RUNS = 200       # runs whose state at LEVER_STEP is kept for reuse (~1.4 MB each)

# The mechanisms, in step order (a module may read the state of those before it).
# Each has ``outputs`` ({variable: regional?}), ``step(s, y, quarter)``,
# ``record(y, out)`` and optionally ``finish(out)`` (after the last step).
MODULES = (Connectivity, Manufacturing, ECommerce,
           Logistics,          # after e-commerce: parcels follow its B2C volume
           Agriculture,
           Finance,
           PublicServices,
           Tourism,
           Provinces)          # last: ranks against the other provinces, after everything else
OUTPUTS = {k: reg for module in MODULES for k, reg in module.outputs.items()}


class Prefecture(mesa.Agent):
    """A prefecture-level unit: its index into the province-wide arrays and its structure."""

    def __init__(self, model: "Province", index: int, name_zh: str, name_en: str):
        super().__init__(model)
        self.index, self.name_zh, self.name_en = index, name_zh, name_en

    @property
    def villages_broadband_share(self) -> np.ndarray:
        """Share of this prefecture's villages with broadband, per run (%)."""
        conn = self.model.connectivity
        return 100 * conn.covered_count[:, self.index] / conn.villages_per_pref[self.index]

    @property
    def firms_by_level(self) -> np.ndarray:
        """Firms of this prefecture at each maturity level, per run."""
        return self.model.manufacturing.count[:, self.index, :]


class Province(mesa.Model):
    """The province for a batch of runs: macro drivers plus one module per mechanism."""

    def __init__(self, scenario: Scenario, run_ids: np.ndarray, seed: int,
                 params: dict[str, np.ndarray], end_year: int = 2020):
        super().__init__(seed=seed)
        self.scenario, self.run_ids, self.seed = scenario, np.asarray(run_ids), seed
        self.runs = len(run_ids)
        self.rows = np.arange(self.runs)[:, None]      # for per-run fancy indexing
        self.years = np.arange(START_YEAR, end_year + 1)
        self.n_steps = (len(self.years) - 1) * STEPS_PER_YEAR
        self.dt = 1 / STEPS_PER_YEAR
        self.params = params
        self.areas = list(catalogue.areas().index)
        # 万元 per quarter, shape (years, areas): 亿元 per year x 1e4 / 4
        self.allocated = scenario.spending(self.years, self.areas)
        self.spent = np.zeros((self.runs, len(self.years), len(self.areas)))
        self._area = {a: i for i, a in enumerate(self.areas)}
        self._quarterly = (self.allocated * 1e4 / STEPS_PER_YEAR).tolist()     # 万元 per quarter
        self.s = 0
        self._price = np.where(self.years <= 2015, 1.0, parameters.scalar(params, "price_index_2016"))
        for i, (zh, en) in enumerate(prefecture_arrays()["names"]):
            Prefecture(self, i, zh, en)
        self.macro = Macro(self.years, params, self.streams("macro"))
        self.modules = []
        for cls in MODULES:          # each module is also an attribute: self.connectivity, ...
            self.modules.append(cls(self))
            setattr(self, cls.name, self.modules[-1])
        self.out = {k: np.zeros((self.runs, len(self.years), N_PREF) if reg else (self.runs, len(self.years)))
                    for k, reg in OUTPUTS.items()}
        self._record(0)

    def fund(self, scenario: Scenario) -> None:
        """Take another scenario's money (for a checkpoint before any money acts)."""
        if self.s > LEVER_STEP or scenario.uncertainties != self.scenario.uncertainties:
            raise ValueError("a scenario can only be swapped before its levers act and with the same pins")
        self.scenario = scenario
        self.allocated = scenario.spending(self.years, self.areas)
        self._quarterly = (self.allocated * 1e4 / STEPS_PER_YEAR).tolist()

    # -- services for the modules ---------------------------------------------
    def streams(self, module: str) -> list[np.random.Generator]:
        return streams(self.seed, self.run_ids, module)

    def year_index(self, year: int) -> int:
        return int(year - self.years[0])

    def price_index(self, year: int) -> float:
        """Fixed-broadband price index (2015 = 1): 1 up to 2015, the 2016 level after."""
        return self._price[year - self.years[0]]

    def budget(self, area: str, s: int) -> float:
        """Extra provincial money for an area in step ``s``, 万元."""
        return self._quarterly[1 + s // STEPS_PER_YEAR][self._area[area]]

    def record_spend(self, area: str, amount: np.ndarray) -> None:
        """Money actually paid out this step, 万元 per run."""
        self.spent[:, 1 + self.s // STEPS_PER_YEAR, self._area[area]] += amount

    # -- time ------------------------------------------------------------------
    def step(self) -> None:
        s = self.s
        y, quarter = 1 + s // STEPS_PER_YEAR, s % STEPS_PER_YEAR
        for module in self.modules:
            module.step(s, y, quarter)
        if quarter == STEPS_PER_YEAR - 1:
            self._record(y)
        self.s += 1

    def _record(self, y: int) -> None:
        for module in self.modules:
            module.record(y, self.out)

    def run(self, until: int | None = None) -> dict[str, np.ndarray]:
        """Step to the end year (or to step ``until``, for a checkpoint); return the annual outputs."""
        while self.s < (self.n_steps if until is None else until):
            self.step()
        if until is not None:
            return self.out
        for module in self.modules:
            if hasattr(module, "finish"):
                module.finish(self.out)
        self.out["spending_used"] = self.spent / 1e4          # 亿元
        return self.out


def resolve(scenario: Scenario | str | Path) -> Scenario:
    """A Scenario from an object, a preset id or a TOML path."""
    if isinstance(scenario, Scenario):
        return scenario
    text = str(scenario)
    found = presets()
    if text in found:
        return found[text]
    if Path(text).suffix == ".toml" or Path(text).exists():
        return load(text)
    raise ScenarioError(f"{text}: not a scenario file or preset ({', '.join(found)})")


def batches(runs: int, size: int) -> Iterator[np.ndarray]:
    for start in range(0, runs, size):
        yield np.arange(start, min(start + size, runs))


PARAM = "parameter__"        # prefix of the drawn parameter values in a batch's arrays


def run_batch(scenario: Scenario, ids: np.ndarray, seed: int, overrides: dict, end_year: int,
              keep: tuple[str, ...]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One batch of runs: draw its parameters, step a ``Province``, return (ids, arrays).

    The arrays are the annual outputs plus the drawn values of the parameters
    in ``keep`` (prefixed ``PARAM``).  A task of the Dask backend.
    """
    model, drawn = _at_lever_year(scenario, ids, seed, overrides, end_year)
    out = model.run()
    # modules and model refer to each other: free the batch's state now, not at
    # the next cyclic garbage collection (which would let batches pile up)
    for module in model.modules:
        module.__dict__.clear()
    model.modules.clear()
    mesa.Agent._ids.pop(model, None)      # mesa 3.3 keeps a per-model id counter for ever
    return ids, {**out, **{PARAM + k: drawn[k] for k in keep}}


class Checkpoints:
    """Batches' states at the first quarter money can act, kept for the next scenario (LRU).

    Before 2016 no scenario spends anything, so a batch with the same runs,
    seed, pinned and overridden parameters, parameter file and end year is in the same state
    whatever its levers: once a batch has been asked for twice, the app's
    slider moves and an optimiser's candidates simulate only 2016-2020
    (one-off ensembles pay nothing for the copy).  A copy of the state
    continues exactly as the original would (the runs' generators included),
    so results are bit-identical with or without the cache.  Arrays a module
    marked read-only (its structure, clocks drawn once) are shared by the copies.
    """

    SEEN = 256                  # keys remembered: a state is kept the second time it is asked for

    def __init__(self, max_runs: int):
        self.max_runs, self._kept, self._seen, self._lock = max_runs, OrderedDict(), OrderedDict(), threading.Lock()

    @staticmethod
    def key(scenario: Scenario, ids: np.ndarray, seed: int, overrides: dict, end_year: int) -> tuple:
        def frozen(values: dict) -> tuple:
            return tuple(sorted((k, np.asarray(v, dtype=float).tobytes()) for k, v in values.items()))
        return (frozen(scenario.uncertainties), np.asarray(ids).tobytes(), int(seed), frozen(overrides), end_year,
                parameters.vintage())

    def get(self, key):
        """The kept entry, or None (remembering the key, so that a second ask keeps its state)."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            self._seen[key] = self._seen.get(key, 0) + 1
            self._seen.move_to_end(key)
            while len(self._seen) > self.SEEN:
                self._seen.popitem(last=False)
        return None

    def wanted(self, key, runs: int) -> bool:
        """Worth keeping: asked for before (one-off ensembles pay no copy) and small enough."""
        with self._lock:
            return runs <= self.max_runs and self._seen.get(key, 0) > 1

    def put(self, key, model: Province, drawn: dict[str, np.ndarray]) -> None:
        """Keep a copy of ``model`` (with its drawn parameters and the arrays its copies may share)."""
        shared = {id(a): a for a in _frozen(model)}          # read-only: the copies keep the very arrays
        entry = (copy.deepcopy(model, dict(shared)), drawn, shared)
        with self._lock:
            self._kept[key] = entry
            while sum(len(e[0].run_ids) for e in self._kept.values()) > self.max_runs:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._seen.clear()


CHECKPOINTS = Checkpoints(CHECKPOINT_RUNS)


def _at_lever_year(scenario: Scenario, ids: np.ndarray, seed: int, overrides: dict,
                   end_year: int) -> tuple[Province, dict[str, np.ndarray]]:
    """A batch's Province at ``LEVER_STEP`` with ``scenario``'s money, from the cache or simulated."""
    key = Checkpoints.key(scenario, ids, seed, overrides, end_year)
    kept = CHECKPOINTS.get(key)
    if kept is None:
        drawn = parameters.draw(streams(seed, ids, "uncertainty"), scenario.uncertainties, overrides)
        model = Province(scenario, ids, seed, drawn, end_year)
        model.run(until=LEVER_STEP)
        if CHECKPOINTS.wanted(key, len(ids)):
            CHECKPOINTS.put(key, model, drawn)
        return model, drawn
    model, drawn, shared = kept
    model, drawn = copy.deepcopy((model, drawn), dict(shared))     # deepcopy adds to its memo: a copy
    model.fund(scenario)
    return model, drawn


def _frozen(model: Province) -> list[np.ndarray]:
    """The read-only arrays of a model's modules (structure and clocks drawn once): shared, not copied."""
    found, seen, todo = [], set(), list(model.modules)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        for value in vars(obj).values():
            if isinstance(value, np.ndarray):
                if not value.flags.writeable:
                    found.append(value)
            elif type(value).__module__.startswith(__package__) and hasattr(value, "__dict__"):
                todo.append(value)
    return found


def simulate(scenario: Scenario | str | Path, runs: int = 100, seed: int = 0, params: dict | None = None,
             *, end_year: int = 2020, batch_size: int = DEFAULT_BATCH, progress=None,
             backend: str | None = None, scheduler: str | None = None, workers: int | None = None,
             store: str | Path | None = None) -> xr.Dataset:
    """Run an ensemble of the model for one scenario.

    ``scenario`` is a Scenario, a preset id or a TOML path; ``params``
    overrides behavioural parameters (a scalar, or one value per run).
    Returns an ``xarray.Dataset`` with dims (run, year[, region][, area])
    and provenance attributes.  ``progress(done, total)`` is called as
    batches of runs finish.

    ``backend`` is ``"serial"`` (this process) or ``"dask"`` (batches as tasks
    on a ``dask.distributed`` cluster: a LocalCluster of ``workers``
    processes, or the running cluster at ``scheduler``); by default
    ``"dask"`` when ``scheduler`` or ``workers`` is given.  Same seed, same
    numbers, bit for bit, whatever the backend.

    ``store``: a netCDF path the results are also written to (atomically:
    nothing is left there if the run fails or is interrupted).  Ensembles of
    more than ``results.STREAM_RUNS`` runs are streamed batch by batch to
    disk (to ``store``, or to a temporary file) and come back dask-backed, so
    memory stays bounded; reduce over ``run`` with ``.load()`` or
    ``.chunk(run=-1)`` where a single chunk is needed (e.g. ``quantile``).
    """
    scenario = resolve(scenario)
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"runs must be a positive integer (got {runs!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")
    if end_year not in END_YEARS:
        raise ValueError(f"end_year must be in {END_YEARS.start}-{END_YEARS.stop - 1} (got {end_year})")
    if backend is None:
        backend = "dask" if scheduler is not None or workers is not None else "serial"
    if backend not in ("serial", "dask"):
        raise ValueError(f"backend must be 'serial' or 'dask' (got {backend!r})")
    if backend == "serial" and (scheduler is not None or workers is not None):
        raise ValueError("scheduler and workers need backend='dask'")
    if store is not None and Path(store).suffix != ".nc":
        raise ValueError(f"store {store}: the results file must end in .nc")
    overrides = parameters.check_overrides(params or {}, "params")
    for name, value in overrides.items():
        if np.ndim(value) and np.shape(value) != (runs,):
            raise ValueError(f"params: {name} must be a scalar or have one value per run ({runs})")
    runs = int(runs)
    keep = tuple(parameters.uncertain() + [k for k in overrides if k not in parameters.uncertain()])
    tasks = [(scenario, ids, seed,
              {k: (np.asarray(v, dtype=float)[ids] if np.ndim(v) else v) for k, v in overrides.items()},
              end_year, keep)
             for ids in batches(runs, batch_size)]
    if backend == "serial":
        done_batches = (run_batch(*task) for task in tasks)
    else:
        from . import distributed
        done_batches = distributed.run_tasks(run_batch, tasks, scheduler, workers)

    stream, temporary = runs > results.STREAM_RUNS, False
    if stream and store is None:
        temporary = True
        fd, name = tempfile.mkstemp(prefix=f"hubei-{scenario.id}-seed{seed}-", suffix=".nc")
        os.close(fd)
        store = Path(name)
    collected = results.Batches(runs, Path(store).parent if stream else None, chunk=batch_size)
    try:
        done = 0
        for ids, arrays in done_batches:
            collected.add(ids, arrays)
            done += len(ids)
            if progress:
                progress(done, runs)
        arrays = collected.arrays()
        years = np.arange(START_YEAR, end_year + 1)
        areas = list(catalogue.areas().index)
        out = {k: v for k, v in arrays.items() if not k.startswith(PARAM)}
        drawn = {k.removeprefix(PARAM): v for k, v in arrays.items() if k.startswith(PARAM)}
        ds = results.dataset(out, drawn, scenario, seed, years, areas, scenario.spending(years, areas), overrides)
        if store is not None:
            results.save(ds, store)
    except BaseException:
        if temporary:
            Path(store).unlink(missing_ok=True)         # the (still empty) temporary file we made
        raise
    finally:
        done_batches.close()                            # cancels outstanding tasks, closes a cluster we started
        collected.discard()
    return results.open_results(store) if stream else ds

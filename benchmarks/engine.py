"""Engine speed: one run, 100- and 1,000-run ensembles (from scratch, and a
slider move continued from the kept 2016 state), and the manufacturing rules
in the engine against the plain Mesa reference (``model/reference.py``).

Run with ``uv run python benchmarks/engine.py``.  An agent-step is one agent
(a firm; for the whole engine also a village or a household pool) in one
quarterly step.  The last three lines are machine-readable.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import parameters, reference  # noqa: E402
from model.connectivity import Connectivity  # noqa: E402
from model.ecommerce import ECommerce  # noqa: E402
from model.engine import CHECKPOINTS, DEFAULT_BATCH, STEPS_PER_YEAR, resolve, simulate  # noqa: E402
from model.scenario import spending  # noqa: E402
from model.manufacturing import Manufacturing  # noqa: E402
from model.population import N_PREF, firm_structure, village_structure  # noqa: E402

SCENARIO, START, END = "plan", 2010, 2020
STEPS = (END - START) * STEPS_PER_YEAR
CENTRAL = {n: p.value for n, p in parameters.table().items() if p.module == "manufacturing"}
FIRMS = len(firm_structure(int(CENTRAL["firms_total"]), CENTRAL["firm_size_sigma"])["pref"])
VILLAGES = len(village_structure()["pref"])
POOLS = 2 * N_PREF                   # urban and rural household pools per prefecture
MODULES = (Connectivity, Manufacturing, ECommerce)


def median_time(fn, repeats: int) -> float:
    fn()                                                    # warm-up (JIT, caches)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engine_modules(runs: int, repeats: int) -> dict[str, float]:
    """Median seconds per ensemble spent in each module's ``step`` and in the whole ``simulate``."""
    scenario = resolve(SCENARIO)
    spent: dict[str, float] = {}
    originals = {cls: cls.step for cls in MODULES}

    def timer(cls):
        def timed(self, *args):
            t = time.perf_counter()
            originals[cls](self, *args)
            spent[cls.__name__] += time.perf_counter() - t
        return timed

    for cls in MODULES:
        cls.step = timer(cls)
    try:
        rows = []
        for i in range(repeats + 1):                   # the first is a warm-up
            spent.update({cls.__name__: 0.0 for cls in MODULES})
            t = time.perf_counter()
            simulate(scenario, runs=runs, seed=i, params=CENTRAL, end_year=END)
            rows.append({**spent, "simulate": time.perf_counter() - t})
        return {k: statistics.median(r[k] for r in rows[1:]) for k in rows[0]}
    finally:
        for cls, step in originals.items():
            cls.step = step


def reference_steps(runs: int) -> float:
    """Seconds spent stepping the reference model (construction excluded), summed over runs."""
    spent = 0.0
    sc = resolve(SCENARIO)
    for seed in range(runs):
        model = reference.Reference(sc, reference.values(sc, CENTRAL), seed, END)
        t = time.perf_counter()
        model.run()
        spent += time.perf_counter() - t
    return spent


def cold(runs: int, **kw):
    """An ensemble from scratch: no state kept from an earlier call (``CHECKPOINTS`` emptied)."""
    def fn():
        CHECKPOINTS.clear()
        simulate(resolve(SCENARIO), runs=runs, seed=0, end_year=END, **kw)
    return fn


def warm(runs: int):
    """A slider move: the same runs and seed as before with other money, continued from the kept 2016 state."""
    values = iter(range(1, 10**6))
    CHECKPOINTS.clear()
    for _ in range(2):                      # asked twice: the batch's 2016 state is kept
        simulate(SCENARIO, runs=runs, seed=0, end_year=END)
    return lambda: simulate(spending({"ecommerce": next(values) % 10}), runs=runs, seed=0, end_year=END)


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    one = median_time(cold(1), repeats=21)
    print(f"(a) one run {START}-{END}, '{SCENARIO}', full resolution, from scratch: {one * 1e3:.1f} ms "
          f"(median of 21; budget 20 ms)")
    hundred = median_time(cold(100), repeats=5)
    print(f"(b) 100-run ensemble from scratch, batches of {DEFAULT_BATCH}: {hundred:.3f} s (median of 5; "
          f"budget 1 s, aim 0.3 s); {hundred * 10:.1f} ms a run")
    whole = (VILLAGES + FIRMS + POOLS) * 100 * STEPS / hundred
    print(f"    whole engine: {VILLAGES} villages + {FIRMS} firms + {POOLS} household pools, "
          f"{STEPS} quarterly steps: {whole:,.0f} agent-steps/s")
    moved = median_time(warm(100), repeats=5)
    print(f"    the same 100 runs with other money, continued from the kept 2016 state: {moved:.3f} s")
    t = time.perf_counter()
    cold(1000)()
    print(f"(c) 1,000-run ensemble from scratch, serial: {time.perf_counter() - t:.1f} s (budget 10 s)")

    eng_runs, ref_runs = 100, 2
    t = engine_modules(eng_runs, repeats=3)
    engine_rate = eng_runs * FIRMS * STEPS / t["Manufacturing"]
    print(f"(d) manufacturing rules, '{SCENARIO}' {START}-{END}, manufacturing parameters at central values")
    print(f"    engine: {eng_runs} runs in batches of {DEFAULT_BATCH}, {t['simulate']:.3f} s in simulate (median of 3), of which "
          + ", ".join(f"{cls.__name__}.step {t[cls.__name__]:.3f} s" for cls in MODULES)
          + f", set-up and output {t['simulate'] - sum(t[c.__name__] for c in MODULES):.3f} s")
    ref_time = reference_steps(ref_runs)
    mesa_rate = ref_runs * FIRMS * STEPS / ref_time
    print(f"    Mesa reference: {ref_runs} runs, {ref_time:.2f} s stepping")
    print(f"engine_agent_steps_per_s: {engine_rate:.0f}")
    print(f"mesa_agent_steps_per_s: {mesa_rate:.0f}")
    print(f"ratio: {engine_rate / mesa_rate:.1f}")


if __name__ == "__main__":
    main()

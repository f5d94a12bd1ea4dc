"""CPU time per module (``time.process_time``, min of repeats): where a run goes.

``uv run python benchmarks/modules.py [repeats]``.  For one run and for a
100-run ensemble (batches of 25) of the ``plan`` scenario, prints the CPU ms
per run spent in each module's ``step`` + ``record`` (+ ``finish``), in
module set-up, in ``results.dataset`` and in all of ``simulate``.  CPU time
rather than wall time because the machine is shared.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import engine, results  # noqa: E402
from model.engine import MODULES, resolve, simulate  # noqa: E402

clock = time.process_time
spent: dict[str, float] = defaultdict(float)


def timed(key: str, fn):
    def wrapper(*args, **kw):
        t = clock()
        try:
            return fn(*args, **kw)
        finally:
            spent[key] += clock() - t
    return wrapper


def instrument() -> None:
    for cls in MODULES:
        for meth in ("__init__", "step", "record", "finish"):
            if meth in vars(cls):
                key = cls.__name__ + (" set-up" if meth == "__init__" else "")
                setattr(cls, meth, timed(key, vars(cls)[meth]))
    engine.results.dataset = timed("results.dataset", results.dataset)


def measure(runs: int, repeats: int) -> dict[str, float]:
    sc = resolve("plan")
    simulate(sc, runs=runs, seed=0)                 # warm-up
    best: dict[str, float] = {}
    for i in range(repeats):
        spent.clear()
        t = clock()
        simulate(sc, runs=runs, seed=i)
        spent["simulate"] = clock() - t
        for k, v in spent.items():
            best[k] = min(best.get(k, v), v)
    return {k: 1e3 * v / runs for k, v in best.items()}


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    instrument()
    one, hundred = measure(1, repeats), measure(100, max(2, repeats // 3))
    print(f"{'CPU ms per run (min of repeats)':34s} {'1 run':>8s} {'100 runs':>9s}")
    for k in sorted(one, key=lambda k: (k == "simulate", -one[k])):
        print(f"{k:34s} {one[k]:8.2f} {hundred.get(k, 0):9.2f}")


if __name__ == "__main__":
    main()

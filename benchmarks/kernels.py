"""The manufacturing upgrade kernel (the engine's largest hot spot) against a
parallel build of the same code, on the same model states, checked for identical results.

Run with ``uv run python benchmarks/kernels.py``.  The model uses the parallel
build when numba has a thread-safe layer (OpenMP or TBB: concurrent app
sessions launch kernels at once), the serial one otherwise.  It also
counts how many firm checks end in an upgrade, the case for an event queue
per (run, prefecture, level) instead of checking every firm every quarter.
"""
from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import manufacturing  # noqa: E402
from model.engine import Province, resolve  # noqa: E402
from model import parameters  # noqa: E402
from model.streams import streams  # noqa: E402


# the kernel compiled with parallel=True (the model's own when numba has a thread-safe layer)
upgrade_prange = manufacturing._upgrade_threads or numba.njit(parallel=True)(manufacturing._upgrade.py_func)


def states(runs: int = 25, seed: int = 0):
    """Snapshots of the kernel's arguments at every quarter of a real 'plan' batch."""
    ids = np.arange(runs)
    model = Province(resolve("plan"), ids, seed, parameters.draw(streams(seed, ids, "uncertainty")))
    mfg = model.manufacturing
    captured = []
    original = manufacturing._upgrade

    def spy(*args):
        captured.append(copy.deepcopy(args))
        original(*args)

    threads, manufacturing._upgrade_threads = manufacturing._upgrade_threads, None
    manufacturing._upgrade = spy
    try:
        model.run()
    finally:
        manufacturing._upgrade, manufacturing._upgrade_threads = original, threads
    return captured, mfg.n


def timed(kernel, snapshots) -> float:
    work = copy.deepcopy(snapshots)
    t = time.perf_counter()
    for args in work:
        kernel(*args)
    return time.perf_counter() - t


def main() -> None:
    snaps, n = states()
    runs = snaps[0][3].shape[0]
    a, b = copy.deepcopy(snaps), copy.deepcopy(snaps)
    for x, y in zip(a, b):
        manufacturing._upgrade(*x)
        upgrade_prange(*y)
        for u, v in zip(x, y):
            assert np.array_equal(u, v), "the parallel build differs from the serial kernel"
    upgrades = int(a[-1][4].sum() - snaps[0][4].sum())
    checks = runs * n * len(snaps)
    print(f"batch of {runs} runs, {len(snaps)} quarters: {checks:,} firm checks, {upgrades:,} upgrades "
          f"({100 * upgrades / checks:.2f} % of checks)")
    print("parallel build gives identical states: yes")
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        base = statistics.median(timed(manufacturing._upgrade, snaps) for _ in range(5))
        cand = statistics.median(timed(upgrade_prange, snaps) for _ in range(5))
        print(f"{threads} thread(s): serial kernel {base * 1e3:.1f} ms, parallel build {cand * 1e3:.1f} ms "
              f"per batch (median of 5), {checks / base / 1e6:.0f} vs {checks / cand / 1e6:.0f} M checks/s")


if __name__ == "__main__":
    main()

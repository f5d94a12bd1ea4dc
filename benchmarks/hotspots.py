"""Where a 100-run ensemble spends its time: shares per function (cProfile).

Run with ``uv run python benchmarks/hotspots.py [--runs 100] [--top 25]``.
Shares are of the profiled ``simulate`` call (profiling adds overhead to
Python-level calls, not to numpy or numba work); ``cumulative`` includes
callees, ``own`` does not.  Read them as shares: on a shared machine the
absolute seconds drift.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.engine import resolve, simulate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    sc = resolve("plan")
    simulate(sc, runs=args.runs, seed=0)                       # warm-up: numba, caches
    prof = cProfile.Profile()
    prof.enable()
    simulate(sc, runs=args.runs, seed=1)
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = max(ct for (_, _, _), (_, _, _, ct, _) in stats.items())
    rows = []
    for (file, line, func), (_, calls, own, cum, _) in stats.items():
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}({func})" if file != "~" else func
        rows.append((cum, own, calls, where))
    print(f"simulate('plan', runs={args.runs}): {total:.3f} s profiled")
    print(f"{'cumulative':>10} {'own':>6} {'calls':>6}  function")
    for cum, own, calls, where in sorted(rows, reverse=True)[: args.top]:
        print(f"{100 * cum / total:9.1f}% {100 * own / total:5.1f}% {calls:6d}  {where}")


if __name__ == "__main__":
    main()

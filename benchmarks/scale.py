"""Ensemble scale: 100- and 1,000-run ensembles, a 10,000-run job serial and on
Dask with 1 and 2 local workers, and peak memory.

Run with ``uv run python benchmarks/scale.py [--big 10000]``.  Each big job
runs in a fresh subprocess so its peak resident memory (``VmHWM``) is its
own; for Dask jobs the peak of each worker process is reported too.  Jobs
above ``results.STREAM_RUNS`` runs stream their batches to a netCDF file, so
the client's memory should not grow with the run count.  The last lines are
machine-readable (``name: value``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIO = "plan"


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it restarts at exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def job(runs: int, workers: int) -> dict:
    """One ensemble in this process (called in a subprocess): seconds and peak memory (MB)."""
    from model import distributed, simulate
    out: dict = {"runs": runs, "workers": workers}
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "job.nc"
        if workers:
            t = time.perf_counter()
            with distributed.cluster(workers=workers) as client:
                out["cluster_start_s"] = time.perf_counter() - t
                client.run(lambda: __import__("model.engine"))          # workers import the model once
                t = time.perf_counter()
                ds = simulate(SCENARIO, runs=runs, seed=0, workers=workers, store=store)
                out["seconds"] = time.perf_counter() - t
                peaks = client.run(peak_mb)
                out["worker_peak_mb"] = sorted(round(v) for v in peaks.values())
        else:
            simulate(SCENARIO, runs=2, seed=0)                                # warm-up (numba, caches)
            t = time.perf_counter()
            ds = simulate(SCENARIO, runs=runs, seed=0, store=store)
            out["seconds"] = time.perf_counter() - t
        out["streamed"] = bool(ds.chunks)
        out["file_mb"] = round(store.stat().st_size / 2**20, 1)
        ds.close()
    out["peak_mb"] = round(peak_mb())
    return out


def in_subprocess(runs: int, workers: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--job", str(runs), str(workers)], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=10_000, help="runs of the big job (default 10,000)")
    ap.add_argument("--job", nargs=2, type=int, metavar=("RUNS", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:
        print(json.dumps(job(*args.job)))
        return
    from model import simulate
    from model.engine import resolve
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    sc = resolve(SCENARIO)
    simulate(sc, runs=4, seed=0)
    times = []
    for i in range(5):
        t = time.perf_counter()
        simulate(sc, runs=100, seed=i)
        times.append(time.perf_counter() - t)
    print(f"100-run ensemble: median {statistics.median(times):.3f} s, range {min(times):.3f}-{max(times):.3f} s "
          "(5 seeds, serial, one process)")
    t = time.perf_counter()
    simulate(sc, runs=1000, seed=0)
    thousand = time.perf_counter() - t
    print(f"1,000-run ensemble: {thousand:.2f} s (serial, one process)")
    small = in_subprocess(1000, 0)
    print(f"peak memory, 1,000 runs serial in memory: {small['peak_mb']} MB")
    rows = {"serial": in_subprocess(args.big, 0)}
    for w in (1, 2):
        rows[f"dask_{w}"] = in_subprocess(args.big, w)
    for name, r in rows.items():
        extra = (f", cluster start {r['cluster_start_s']:.1f} s, worker peaks {r['worker_peak_mb']} MB"
                 if "cluster_start_s" in r else "")
        print(f"{args.big:,}-run job, {name}: {r['seconds']:.1f} s, streamed={r['streamed']}, "
              f"file {r['file_mb']} MB, client peak {r['peak_mb']} MB{extra}")
    print("(2 cores are all this machine has: scaling beyond 2 workers cannot be shown here)")
    print(f"ensemble_100_s: {statistics.median(times):.3f}")
    print(f"ensemble_1000_s: {thousand:.2f}")
    for name, r in rows.items():
        print(f"job_{args.big}_{name}_s: {r['seconds']:.1f}")
    print(f"speedup_2_workers_vs_1: {rows['dask_1']['seconds'] / rows['dask_2']['seconds']:.2f}")
    print(f"peak_mb_1000_serial: {small['peak_mb']}")
    print(f"peak_mb_{args.big}_serial: {rows['serial']['peak_mb']}")


if __name__ == "__main__":
    main()

"""Slider move to new scoreboard, server side: the app driven headless by Streamlit's AppTest.

Run with ``uv run python benchmarks/app_latency.py [--moves 50] [--runs 50]``.

Each move sets one funding slider to a value not seen before (so nothing is cached for
the current scenario; the baseline and max-lever ensembles are cached once at start) and
times (a) the app's own clock from the start of the ``workspace`` fragment to the moment the
scoreboard table has been sent (``st.session_state["latency_scoreboard"]``; Streamlit streams
elements, so the browser can draw it then) and (b) the whole script run.  The model's share is measured by
wrapping ``model.simulate``; the scoreboard's by wrapping ``scoreboard.compare_many``.
AppTest reruns the whole script (a browser reruns only the ``workspace`` fragment), so
these times are an upper bound of the fragment rerun.  A second series moves back to
values already seen (a cache hit).  Output: median and p95 of each, and the split.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import model  # noqa: E402
from model import scoreboard  # noqa: E402


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def timed(module, name: str, bucket: list[float]):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - t)
    setattr(module, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=50)
    ap.add_argument("--runs", type=int, default=50, help="interactive ensemble size (HUBEI_APP_RUNS)")
    args = ap.parse_args()
    os.environ["HUBEI_APP_RUNS"] = str(args.runs)
    sim, board = [], []
    timed(model, "simulate", sim)
    timed(scoreboard, "compare_many", board)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    t = time.perf_counter()
    at.run()
    print(f"first load (baseline, plan, max-lever ensembles): {time.perf_counter() - t:.2f} s")
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    key, values = "lever_ecommerce", [round(0.1 * i, 1) for i in range(1, 101)]
    fresh, fresh_sim, fresh_board, cached, to_board, cached_board = [], [], [], [], [], []
    for i in range(args.moves):
        value = values[i % len(values)]
        sim.clear(), board.clear()
        t = time.perf_counter()
        at.slider(key=key).set_value(value).run()
        fresh.append(time.perf_counter() - t)
        fresh_sim.append(sum(sim)), fresh_board.append(sum(board))
        to_board.append(at.session_state["latency_scoreboard"])
        assert not at.exception, [e.value for e in at.exception]
    for i in range(min(args.moves, 20)):
        t = time.perf_counter()
        at.slider(key=key).set_value(values[i % args.moves]).run()
        cached.append(time.perf_counter() - t)
        cached_board.append(at.session_state["latency_scoreboard"])
    rest = [f - s - b for f, s, b in zip(fresh, fresh_sim, fresh_board)]

    def show(label, xs):
        print(f"{label:48s} median {1000 * statistics.median(xs):7.0f} ms   p95 {1000 * percentile(xs, 0.95):7.0f} ms")
    print(f"{args.moves} slider moves, {args.runs}-run ensemble, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    show("new value: fragment start to scoreboard sent", to_board)
    show("new value: whole script run (AppTest)", fresh)
    show("  of which model.simulate (the new ensemble)", fresh_sim)
    show("  of which scoreboard.compare_many", fresh_board)
    show("  of which the rest (caching, tables, charts)", rest)
    show("value seen before: fragment start to scoreboard", cached_board)
    show("value seen before: whole script run (AppTest)", cached)
    verdict = "met" if statistics.median(to_board) <= 0.3 else "NOT met"
    print(f"budget 300 ms median (slider move to new scoreboard, server side): {verdict}")


if __name__ == "__main__":
    main()

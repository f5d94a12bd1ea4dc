"""Several concurrent browser sessions moving sliders on one Streamlit server (not a test).

Run with ``uv run python benchmarks/app_load.py [--sessions 4] [--moves 8] [--runs 50]``.

Starts ``streamlit run app.py`` on a free port, opens ``--sessions`` pages in Debian's
chromium (Playwright, async, one browser) and in each page moves the e-commerce slider one
step at a time.  Every session starts from its own value (``?lever_ecommerce=2*i``; the lone session first at 1.0) so no
two sessions ask for the same scenario: each move is a new simulation, never a cache hit
from another session.  The update time of a move is from the key press to the new
scenario's hash (the provenance line, the last element of the fragment) being visible:
server time plus websocket and drawing.  It reports median and p95 over all moves, the
same for one session alone, and the machine's load, so the cost of concurrency shows.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_support import CHROMIUM, FLAGS, streamlit_app  # noqa: E402
from ui import levers  # noqa: E402

LEVER = "ecommerce"
SPACING = 2.0


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def digest(value: float) -> str:
    return levers.scenario(levers.defaults() | {LEVER: round(value, 1)}).digest()


async def session(browser, url: str, index: int, moves: int, times: list[float], offset: float) -> None:
    from playwright.async_api import expect
    page = await browser.new_page(viewport={"width": 1400, "height": 1600})
    start = SPACING * index + offset
    await page.goto(f"{url}/?lever_{LEVER}={start:.1f}")
    await expect(page.get_by_text(digest(start))).to_be_visible(timeout=300_000)
    thumb = page.locator(f".st-key-lever_{LEVER} input[type=range]")
    value = start
    for _ in range(moves):
        await thumb.focus()
        t = time.perf_counter()
        await page.keyboard.press("ArrowRight")
        value += 0.1
        await expect(page.get_by_text(digest(value))).to_be_visible(timeout=300_000)
        times.append(time.perf_counter() - t)
    await page.close()


async def drive(url: str, sessions: int, moves: int, offset: float = 0.0) -> list[float]:
    from playwright.async_api import async_playwright
    times: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        await asyncio.gather(*(session(browser, url, i, moves, times, offset) for i in range(sessions)))
        await browser.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--moves", type=int, default=8)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    high = levers.by_key()[f"lever_{LEVER}"].high
    if SPACING * (args.sessions - 1) + 0.1 * (args.moves + 1) > high or 0.1 * args.moves >= SPACING:
        sys.exit(f"too many sessions or moves for distinct values within 0-{high}")
    with streamlit_app(runs=args.runs, timeout=120) as url:
        load0 = os.getloadavg()[0]
        solo = asyncio.run(drive(url, 1, args.moves, offset=SPACING / 2))   # values no later session asks for
        together = asyncio.run(drive(url, args.sessions, args.moves)) if args.sessions > 1 else solo
        print(f"{os.cpu_count()} CPUs, load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
              f"{args.runs}-run ensembles")
        for label, xs in (("1 session", solo), (f"{args.sessions} concurrent sessions", together)):
            print(f"{label:26s} {len(xs):3d} moves   median {1000 * statistics.median(xs):6.0f} ms   "
                  f"p95 {1000 * percentile(xs, 0.95):6.0f} ms")


if __name__ == "__main__":
    main()

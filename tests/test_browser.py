"""The app in a real browser: Debian's chromium driven by Playwright against `streamlit run`.

Screenshots go to tests/artifacts/screenshots/ for a person to look at.
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ui import levers

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} not installed (apt-get install chromium fonts-wqy-microhei)")
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
expect.set_options(timeout=30_000)      # reruns take seconds when the machine is busy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = (SHOTS.parent / "streamlit.log").open("w")
    env = {**os.environ, "HUBEI_APP_RUNS": "50"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (exit code {proc.poll()}); see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture()
def page(server):
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 3400})
        page.goto(server)
        yield page
        browser.close()


def wait_until_drawn(page, ecommerce: float) -> None:
    """Until the run for these lever values has finished and all five charts are drawn.

    The provenance line is the script's last element and names the scenario's hash, so it
    tells this run from the one before; the status widget shows up only after a delay.
    """
    values = {lv.area: lv.plan for lv in levers.levers()} | {"ecommerce": ecommerce}
    expect(page.get_by_text(levers.scenario(values).digest())).to_be_visible(timeout=90_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")


def test_slider_and_language_in_the_browser(page):
    try:
        walk_through(page)
    except Exception:
        page.screenshot(path=SHOTS / "failure.png")
        raise


def walk_through(page) -> None:
    """Load, screenshot, move the e-commerce slider, switch to English, screenshot."""
    board = page.get_by_test_id("stTable").first
    expect(board).to_contain_text("电子商务交易额", timeout=90_000)
    expect(page.locator("h1")).to_contain_text("情景模型")
    wait_until_drawn(page, ecommerce=1.0)
    page.screenshot(path=SHOTS / "app_zh.png")

    ecommerce = board.locator("tbody tr").filter(has_text="电子商务交易额")
    current = ecommerce.locator("td").nth(5)
    before = current.inner_text()
    thumb = page.locator(".st-key-lever_ecommerce input[type=range]")
    thumb.focus()
    page.keyboard.press("End")                       # to the upper bound, 10 亿元/yr
    expect(thumb).to_have_attribute("aria-valuetext", "10.0")
    expect(current).not_to_have_text(before)
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stMetricValue")).to_have_text("82.0")
    wait_until_drawn(page, ecommerce=10.0)
    assert float(current.inner_text().split("亿元")[0]) > float(before.split("亿元")[0])
    page.screenshot(path=SHOTS / "app_zh_slider_moved.png")

    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    expect(page.locator("h1")).to_contain_text("scenario model")
    expect(board).to_contain_text("e-commerce transaction volume")
    expect(thumb).to_have_attribute("aria-valuetext", "10.0")
    expect(page.get_by_text("Targets not modelled yet (26)")).to_be_visible()
    expect(page.get_by_text("no history: uncalibrated")).to_have_count(1)
    assert "lever_ecommerce=10" in page.url
    expect(page.get_by_text("50 runs, seed 0")).to_be_visible()
    wait_until_drawn(page, ecommerce=10.0)
    page.screenshot(path=SHOTS / "app_en.png")

"""The app in a real browser: Debian's chromium driven by Playwright against `streamlit run`.

Screenshots go to tests/artifacts/screenshots/<test name>/ for a person to look at.
"""
from pathlib import Path

import pytest

from model import catalogue
from tests.browser_support import CHROMIUM, FLAGS, ROOT, streamlit_app
from ui import levers
from ui.text import Text

SHOTS = ROOT / "tests" / "artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} not installed (apt-get install chromium fonts-wqy-microhei)")
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
expect.set_options(timeout=30_000)      # reruns take seconds when the machine is busy


@pytest.fixture(scope="module")
def server():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (SHOTS.parent / "streamlit.log").open("w") as log:
        try:
            with streamlit_app(runs=50, log=log) as url:
                yield url
        except RuntimeError as exc:
            pytest.fail(f"{exc}; see {log.name}")


@pytest.fixture()
def page(server):
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 5200})
        page.goto(server)
        yield page
        browser.close()


def shots(request) -> Path:
    folder = SHOTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def expected_charts() -> int:
    """The default group's fan charts (the four that change most) plus the two regional charts."""
    ind = catalogue.indicators()
    return min(4, int((ind.target != "").sum())) + (2 if ind.regional.any() else 0)


def wait_until_drawn(page, pins: dict | None = None, **changed) -> None:
    """Until the run for these lever values has finished and all charts are drawn.

    The provenance line is the fragment's last element and names the scenario's hash, so it
    tells this run from the one before; the status widget shows up only after a delay.
    """
    values = levers.defaults() | changed
    expect(page.get_by_text(levers.scenario(values, pins).digest())).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    page.wait_for_function(                     # plotly's bundle loads lazily: slow on a busy machine
        f"document.querySelectorAll('[data-testid=stPlotlyChart] svg.main-svg').length >= {expected_charts()}",
        timeout=120_000)


def test_slider_language_and_shared_link(page, server, request):
    folder = shots(request)
    try:
        walk_through(page, server, folder)
    except Exception:
        page.screenshot(path=folder / "failure.png", full_page=True)
        raise


def walk_through(page, server, folder: Path) -> None:
    """Load, move the e-commerce slider, switch to English, open a shared link; screenshot each."""
    board = page.get_by_test_id("stTable").first
    volume = catalogue.targets().loc["ecommerce_volume"]
    expect(board).to_contain_text(volume.name_zh, timeout=120_000)
    expect(page.locator("h1")).to_contain_text("情景模型")
    wait_until_drawn(page)
    page.screenshot(path=folder / "1_loaded_zh.png", full_page=True)

    ecommerce = board.locator("tbody tr").filter(has_text=volume.name_zh)
    header = board.locator("thead th").all_inner_texts()
    current = ecommerce.locator("td").nth(header.index("当前方案：中位数 [80%区间]"))
    before = current.inner_text()
    thumb = page.locator(".st-key-lever_ecommerce input[type=range]")
    thumb.focus()
    page.keyboard.press("End")                       # to the upper bound
    high = levers.by_key()["lever_ecommerce"].high
    expect(thumb).to_have_attribute("aria-valuetext", f"{high:.1f}")
    expect(current).not_to_have_text(before)
    total = Text("zh").number(levers.total(levers.defaults() | {"ecommerce": high}), 1)
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stMetricValue")).to_have_text(total)
    wait_until_drawn(page, ecommerce=high)
    assert float(current.inner_text().split("亿元")[0]) > float(before.split("亿元")[0])
    page.screenshot(path=folder / "2_slider_moved_zh.png", full_page=True)

    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    expect(page.locator("h1")).to_contain_text("scenario model")
    expect(board).to_contain_text(volume.name_en)
    expect(thumb).to_have_attribute("aria-valuetext", f"{high:.1f}")
    areas = catalogue.areas()
    unwired = int((~areas.module.astype(bool)).sum())
    expect(page.get_by_text(f"Areas with a funding lever but no indicator ({unwired})")).to_be_visible()
    assert "lever_ecommerce=10" in page.url and "v=" in page.url
    expect(page.get_by_text("50 runs, seed 0")).to_be_visible()
    wait_until_drawn(page, ecommerce=high)
    page.screenshot(path=folder / "3_english.png", full_page=True)

    shared = page.url
    page.goto(f"{server}/?lever_infrastructure=0&lever_ecommerce=4.5&pin_online_spending_growth=0.05&lang=en&v=0.1.0")
    expect(page.locator(".st-key-lever_ecommerce input[type=range]")).to_have_attribute("aria-valuetext", "4.5")
    expect(page.locator(".st-key-lever_infrastructure input[type=range]")).to_have_attribute("aria-valuetext", "0.0")
    wait_until_drawn(page, {"online_spending_growth": 0.05}, ecommerce=4.5, infrastructure=0.0)   # the pin came too
    page.screenshot(path=folder / "4_shared_link.png", full_page=True)

    page.goto(f"{server}/?lever_ecommerce=lots&lang=en")
    expect(page.get_by_text("lever_ecommerce='lots' is not valid")).to_be_visible(timeout=60_000)
    expect(page.locator("h1")).to_contain_text("scenario model")
    page.screenshot(path=folder / "5_bad_link.png", full_page=False)
    page.goto(shared)
    expect(page.locator(".st-key-lever_ecommerce input[type=range]")).to_have_attribute("aria-valuetext", f"{high:.1f}")

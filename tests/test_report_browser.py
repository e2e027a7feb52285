"""The HTML report in a real browser: Debian's headless chromium driven by Selenium.

Skipped where chromium or its driver is missing (``scripts/setup.sh`` installs both). With
``HACHECK_UPDATE_DOCS=1`` the screenshot replaces ``docs/images/report.png`` (the README's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

if os.environ.get("CI") and not (CHROMIUM and DRIVER):  # CI installs them (scripts/setup.sh): never skip there
    raise RuntimeError("CI: chromium and chromium-driver are missing; scripts/setup.sh installs them from Debian")
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _report(tmp: Path, *args: str) -> Path:
    html = tmp / "r.html"
    r = subprocess.run([sys.executable, "-m", "hacheck.cli", "check", *args, "--out", str(tmp / "out"), "--html", str(html), "-q"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, "HACHECK_CACHE_DIR": "off"})
    assert r.returncode in (0, 1), r.stderr
    return html


def _severe(drv) -> list[str]:
    return [e["message"] for e in drv.get_log("browser") if e["level"] == "SEVERE"]


def test_model_report_loads_steps_through_and_has_a_lane_per_component(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from hacheck.cli import load_model
    from hacheck.render.lanes import lanes_of_model

    html = _report(tmp_path, "models/gluster_arbiter.py")
    browser.get(html.as_uri())
    assert _severe(browser) == []
    assert browser.find_element(By.TAG_NAME, "h1").text == "Model gluster_arbiter"
    link = browser.find_element(By.XPATH, "//tr[th[text()='no_stale_read']]//a")
    sec_id = link.get_attribute("href").split("#", 1)[1]
    sec = browser.find_element(By.ID, sec_id)
    model, _ = load_model("models/gluster_arbiter.py", [])
    assert len(sec.find_elements(By.CSS_SELECTOR, ".hdr.lane")) == len(lanes_of_model(model)["order"])
    why = sec.find_element(By.CSS_SELECTOR, ".why pre").text
    assert why.startswith("no_stale_read is false in state 5:")
    assert "but data[" in why  # the brick that misses the acknowledged write

    box = sec.find_element(By.CSS_SELECTOR, '.box[data-step="3"]')
    browser.execute_script("arguments[0].scrollIntoView()", box)
    box.click()
    panel = sec.find_element(By.CSS_SELECTOR, ".panel")
    assert panel.is_displayed()
    title = panel.find_element(By.CSS_SELECTOR, ".panel-title").text
    assert title.startswith("state 3 after ")
    rows = panel.find_elements(By.CSS_SELECTOR, "table.state tr")
    changed = panel.find_elements(By.CSS_SELECTOR, "table.state tr.changed")
    assert len(rows) > 20 and 1 <= len(changed) < len(rows)
    assert sec.find_elements(By.CSS_SELECTOR, '.selected[data-step="3"]')
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_DOWN)
    assert panel.find_element(By.CSS_SELECTOR, ".panel-title").text.startswith("state 4 after ")
    shot = tmp_path / "report.png"
    browser.set_window_size(1400, 1600)
    browser.execute_script("arguments[0].scrollIntoView()", sec)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("HACHECK_UPDATE_DOCS") == "1":
        (ROOT / "docs" / "images").mkdir(exist_ok=True)
        shutil.copy(shot, ROOT / "docs" / "images" / "report.png")
    assert _severe(browser) == []


@pytest.mark.slow
def test_deployment_report_shows_the_matrix_and_the_stale_read(browser, tmp_path):
    from selenium.webdriver.common.by import By

    html = _report(tmp_path, "examples/star.toml")
    browser.get(html.as_uri())
    assert _severe(browser) == []
    assert browser.find_element(By.TAG_NAME, "h1").text == "Deployment star"
    heads = browser.find_elements(By.CSS_SELECTOR, "table.matrix th.scen")
    assert len(heads) >= 10
    bad = browser.find_elements(By.CSS_SELECTOR, "table.matrix td.v.bad a")
    assert bad, "a violated scenario links to its trace"
    sections = browser.find_elements(By.CSS_SELECTOR, "section.trace")
    whys = [s.find_element(By.CSS_SELECTOR, ".why pre").text for s in sections if s.find_elements(By.CSS_SELECTOR, ".why pre")]
    assert any(w.startswith("no_stale_read is false") for w in whys)
    # a worst-case recovery trace folds its waiting
    assert browser.find_elements(By.CSS_SELECTOR, ".wait")
    sections[0].find_element(By.CSS_SELECTOR, ".box").click()
    assert sections[0].find_element(By.CSS_SELECTOR, ".panel").is_displayed()
    assert _severe(browser) == []

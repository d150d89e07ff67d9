"""End to end: the dashboard command serves the site hour, headless Chromium loads every page, each page shows the
figures the same page shows under AppTest, and a screenshot of each is kept (under the test's tmp dir and
runs/screenshots/)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from streamlit.testing.v1 import AppTest

from edgesight.dashboards.page_list import PAGES
from edgesight.dashboards.sidebar import REFRESH_CHOICES

from fixtures.dashboard import SiteHour

SCREENSHOTS = Path(__file__).resolve().parents[1] / "runs" / "screenshots"
LOAD_TIMEOUT_S = 60
EXPECTED_TEXT = {"Events": "The 200 newest of the window", "Traffic": "Signal timing",
                 "Latency": "end_to_end histogram"}


@pytest.fixture
def dashboard_url(sqlite_site_hour: SiteHour, free_tcp_port: int, tmp_path: Path) -> Iterator[str]:
    """`edgesight dashboard` (its typer command, run as a module) on the site hour."""
    log = (tmp_path / "dashboard.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "edgesight.dashboards.cli", "--db", sqlite_site_hour.url, "--port", str(free_tcp_port),
         "--address", "127.0.0.1", "--refresh-s", "0"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{free_tcp_port}"
    try:
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_text = (tmp_path / "dashboard.log").read_text()
                    raise AssertionError(f"dashboard did not start: {log_text}") from None
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def wait_until_drawn(browser: WebDriver) -> str:
    """The page text once the page body has run (its caption says when it updated) and nothing is running."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while time.monotonic() < deadline:
        text = browser.find_element(By.TAG_NAME, "body").text
        running = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        if " updated " in text and not running:
            time.sleep(1.5)  # Vega draws the charts after the elements arrive
            return browser.find_element(By.TAG_NAME, "body").text
        time.sleep(0.5)
    raise AssertionError(f"page did not finish: {browser.current_url}")


def screenshot(browser: WebDriver, path: Path) -> None:
    """The whole page: the window grows to the main area's height first."""
    height = browser.execute_script(
        "return document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    browser.set_window_size(1600, min(max(height + 80, 1000), 6000))
    time.sleep(1.0)
    browser.save_screenshot(str(path))
    browser.set_window_size(1600, 1200)


@pytest.mark.slow
def test_every_page_in_chromium(dashboard_url: str, chromium: WebDriver, sqlite_site_hour: SiteHour,
                                dashboard_app: Callable[..., AppTest], tmp_path: Path) -> None:
    window = sqlite_site_hour.window
    query = urlencode({"window_preset": "Custom range", "window_from": f"{window.start:%Y-%m-%dT%H:%M}",
                       "window_to": f"{window.end:%Y-%m-%dT%H:%M}"})
    app = dashboard_app(sqlite_site_hour.url, window=window)
    app.run()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for index, page in enumerate(PAGES):
        app.switch_page(page.script).run()
        figures = {m.label: m.value for m in app.metric}
        path = "" if index == 0 else page.url_path  # the first page is the default one, at the root URL
        chromium.get(f"{dashboard_url}/{path}?{query}")
        text = wait_until_drawn(chromium)
        assert page.title in text and "Traceback" not in text
        for label, value in figures.items():
            assert label in text and value in text, (page.title, label, value)
        assert EXPECTED_TEXT.get(page.title, page.title) in text
        screenshot(chromium, shots / f"{index + 1}-{page.url_path}.png")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for shot in sorted(shots.iterdir()):
        shutil.copy(shot, SCREENSHOTS / shot.name)


@pytest.mark.slow
def test_auto_refresh_reruns_the_page_at_the_chosen_interval(dashboard_url: str, chromium: WebDriver) -> None:
    chromium.get(f"{dashboard_url}/events?{urlencode({'refresh_s': REFRESH_CHOICES[5]})}")
    updates: list[str] = []
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while len(updates) < 3 and time.monotonic() < deadline:
        found = re.search(r"updated (\d\d:\d\d:\d\d) UTC", chromium.find_element(By.TAG_NAME, "body").text)
        if found and found.group(1) not in updates:
            updates.append(found.group(1))
        time.sleep(0.5)
    assert len(updates) == 3, f"the Events page updated at {updates} only"

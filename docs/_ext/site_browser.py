"""Open the built site in headless Chromium: the checks of tests/docs/test_site.py and
``make docs-shots``.

Debian's ``chromium`` and ``chromium-driver`` (scripts/ensure-system-deps.sh installs
them) driven by selenium; no browser is downloaded. The site is served by the standard
library's http.server on a free loopback port, because Sphinx's search does not run from
``file://`` URLs.

``python docs/_ext/site_browser.py [--shots DIR] [SITE]`` checks the pages and, with
``--shots``, saves one PNG per page (``make docs-shots``: docs/_build/shots/).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver", "chromium-driver")


@dataclass(frozen=True)
class PageCheck:
    """A page of the site and a CSS selector that only a correctly rendered page has."""

    name: str
    path: str
    selector: str
    min_count: int = 1


PAGES = (
    PageCheck("home", "index.html", "article h1"),
    PageCheck(
        "consumer-reference",
        "reference/consumer.html",
        '[id="aiokafka_gen.consumer.AIOKafkaConsumer"]',
    ),
    PageCheck(
        "message-produce",
        "reference/messages/produce.html",
        "table.kafka-fields tbody tr",
        min_count=5,
    ),
)
SEARCH_TERM = "send_and_wait"


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    browser = next((p for n in CHROMIUM_NAMES if (p := shutil.which(n))), None)
    driver = next((p for n in DRIVER_NAMES if (p := shutil.which(n))), None)
    if browser is None or driver is None:
        return None
    return browser, driver


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def browser(width: int = 1280, height: int = 1024) -> Iterator[Any]:
    """A headless Chromium session (selenium WebDriver) that records console messages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    if found is None:
        raise RuntimeError(
            "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        )
    binary, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    """Console messages at level SEVERE since the last call (the log is drained)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _wait(driver: Any, predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate(driver)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what} ({driver.current_url})"
            )
        time.sleep(0.1)


def open_page(driver: Any, base: str, page: PageCheck) -> list[str]:
    """Load a page, wait until it has rendered; returns its problems (empty when fine)."""
    from selenium.webdriver.common.by import By

    driver.get(base + page.path)
    _wait(
        driver, lambda d: d.execute_script("return document.readyState") == "complete", 30, "load"
    )
    problems = []
    found = driver.find_elements(By.CSS_SELECTOR, page.selector)
    if len(found) < page.min_count:
        problems.append(
            f"{page.path}: {len(found)} x {page.selector!r}, expected >= {page.min_count}"
        )
    elif not found[0].is_displayed():
        problems.append(f"{page.path}: {page.selector!r} is not displayed")
    # the theme's stylesheet applied: furo lays the page out with its own grid
    if not driver.find_elements(By.CSS_SELECTOR, ".page .main .content"):
        problems.append(f"{page.path}: the theme's layout is missing")
    problems.extend(f"{page.path}: console: {m}" for m in console_errors(driver))
    return problems


def search(driver: Any, base: str, term: str = SEARCH_TERM) -> list[str]:
    """Type ``term`` into the home page's search box, submit, and return the result
    links' texts (waits for Sphinx's search to finish)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(base + "index.html")
    box = _wait(
        driver,
        lambda d: next(
            (
                e
                for e in d.find_elements(By.CSS_SELECTOR, "input.sidebar-search")
                if e.is_displayed()
            ),
            None,
        ),
        30,
        "the search box",
    )
    box.send_keys(term, Keys.ENTER)
    _wait(driver, lambda d: "search.html" in d.current_url, 30, "the search page")

    def finished(d: Any) -> bool:
        summary = d.find_elements(
            By.CSS_SELECTOR, "#search-results .search-summary, #search-results p"
        )
        return any(s.text.strip() for s in summary)

    _wait(driver, finished, 60, "search results")
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]


def check_site(site: Path, shots: Path | None = None) -> list[str]:
    """Every browser check; screenshots into ``shots`` when given. Returns the problems."""
    problems: list[str] = []
    with serve(site) as base, browser() as driver:
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
        for page in PAGES:
            problems.extend(open_page(driver, base, page))
            if shots is not None:
                driver.save_screenshot(str(shots / f"{page.name}.png"))
        results = search(driver, base)
        if not any(SEARCH_TERM in r for r in results):
            problems.append(f"search for {SEARCH_TERM!r} found {results[:10]!r}")
        problems.extend(f"search.html: console: {m}" for m in console_errors(driver))
        if shots is not None:
            driver.save_screenshot(str(shots / "search.png"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="docs/_build/html", type=Path)
    parser.add_argument("--shots", type=Path, help="save a screenshot of each page here")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        print(f"site_browser: no built site in {args.site} (make docs)", file=sys.stderr)
        return 2
    if find_browser() is None:
        print(
            "site_browser: chromium and chromedriver are needed "
            "(bash scripts/ensure-system-deps.sh)",
            file=sys.stderr,
        )
        return 2
    problems = check_site(args.site, args.shots)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if args.shots:
        print(f"site_browser: screenshots in {args.shots}")
    print(f"site_browser: {len(PAGES)} pages and the search checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Save a screenshot of the admin dashboard of a running demo: ``docs/images/dashboard.png``.

Run ``make demo`` in one terminal, then, with Python playwright installed
(``pip install playwright``; it drives the system's Chromium, nothing is
downloaded)::

    python example_project/screenshot_dashboard.py [http://127.0.0.1:8000] [output.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "images" / "dashboard.png"


def main(base_url: str = "http://127.0.0.1:8000", output: str = str(DEFAULT_OUTPUT)) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base_url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "octy-demo")
        page.click("input[type=submit]")
        dashboard = f"{base_url}/admin/django_octy/syncdashboard/"
        page.goto(dashboard)
        page.wait_for_timeout(3000)  # the first visit schedules the key check on the worker
        page.goto(dashboard)
        page.screenshot(path=output)
        print(f"{page.title()}: saved {output}")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])

"""The page in a real headless Chromium (Debian's `chromium`, driven by Playwright's Python API): type an
instruction, see the camera update and the plan appear, a subgoal turn done; a second tab is its own session.
Saves a screenshot to /tmp/demo.png."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="chromium is not installed (apt-get install -y chromium; .ci/run does it)")


def frames(page) -> int:
    return int(page.eval_on_selector("#camera", "c => Number(c.dataset.frames || 0)"))


def test_page_plans_streams_and_keeps_tabs_apart(demo):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the demo extra)")
    url = demo(max_sessions=2)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(url)
            page.wait_for_function("document.querySelector('#status').textContent === 'idle'", timeout=60_000)
            page.fill("#instruction", "make a stone pickaxe")
            page.press("#instruction", "Enter")
            page.wait_for_selector("#plan li", timeout=60_000)
            assert "collect" in page.inner_text("#plan li:first-child")
            before = frames(page)
            page.wait_for_timeout(1500)
            assert frames(page) >= before + 10, "the camera updates at >= 6 frames/s while the agent acts (15 steps/s)"
            page.wait_for_selector("#plan li.done", timeout=60_000)
            assert "from symbolic" in page.inner_text("#plan-source")
            other = browser.new_context().new_page()  # a second tab: its own session, nothing planned there
            other.goto(url)
            other.wait_for_function("document.querySelector('#status').textContent === 'idle'", timeout=60_000)
            assert other.query_selector_all("#plan li") == []
            other.fill("#instruction", "")
            other.click("#send")
            other.wait_for_selector("#banner:not(.hidden)", timeout=10_000)
            assert "empty instruction" in other.inner_text("#banner")
            assert page.query_selector_all("#plan li")  # the first tab's plan is untouched
            page.screenshot(path="/tmp/demo.png")
        finally:
            browser.close()

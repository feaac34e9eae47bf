"""The page in a real headless Chromium (Debian's `chromium`, driven by Playwright's Python API): type an
instruction, see the camera update, the plan appear and a subgoal turn done, replace the plan mid-episode,
take over with key presses and download the HDF5; a second browser context is its own session.
Saves a screenshot to /tmp/demo.png."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="chromium is not installed (apt-get install -y chromium; .ci/run does it)")


@contextlib.contextmanager
def browser_on(url: str):
    """A headless Chromium; yields a function opening the demo in a new browser context (a new tab)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the demo extra)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

        def open_tab():
            page = browser.new_context(viewport={"width": 1200, "height": 820}, accept_downloads=True).new_page()
            page.goto(url)
            page.wait_for_function("document.querySelector('#status').textContent === 'idle'", timeout=60_000)
            return page

        try:
            yield open_tab
        finally:
            browser.close()


def frames(page) -> int:
    return int(page.eval_on_selector("#camera", "c => Number(c.dataset.frames || 0)"))


def instruct(page, text: str) -> None:
    page.fill("#instruction", text)
    page.press("#instruction", "Enter")


def test_page_plans_streams_and_replaces_the_plan_mid_episode(demo):
    with browser_on(demo(max_sessions=2)) as open_tab:
        page = open_tab()
        instruct(page, "make a stone pickaxe")
        page.wait_for_selector("#plan li", timeout=60_000)
        assert "collect" in page.inner_text("#plan li:first-child")
        before = frames(page)
        page.wait_for_timeout(3000)
        # the camera keeps updating while the agent acts (15 steps/s asked; frames/s under load: demo_fps.py)
        assert frames(page) - before >= 10, f"{(frames(page) - before) / 3:.1f} frames/s"
        page.wait_for_selector("#plan li.done", timeout=60_000)
        assert "from symbolic" in page.inner_text("#plan-source")
        instruct(page, "eat a cow")  # mid-episode: replaces the plan at the next subgoal boundary
        page.wait_for_function("document.querySelector('#plan-source').textContent.includes('plan replaced')",
                               timeout=60_000)
        assert page.eval_on_selector("#plan li:first-child", "li => li.firstChild.textContent") == "eat cow"
        log = page.inner_text("#log")
        assert log.count("world reset") == 1 and "from a reset" not in log  # the same world all along
        instruct(page, "")
        page.wait_for_selector("#banner:not(.hidden)", timeout=10_000)
        assert "empty instruction" in page.inner_text("#banner")
        page.screenshot(path="/tmp/demo.png")


def test_take_over_in_the_browser_and_download_the_demo(demo, tmp_path):
    from embodied.datasets.hdf5 import demo_names, open_dataset, read_episode

    with browser_on(demo(max_sessions=2)) as open_tab:
        page, other = open_tab(), open_tab()
        page.fill("#speed", "3")
        page.dispatch_event("#speed", "input")
        instruct(page, "make an iron pickaxe")
        page.wait_for_selector("#plan li.running", timeout=60_000)
        page.click("#takeover")
        page.wait_for_function("document.querySelector('#status').textContent.includes('you drive')")
        for key in ("a", "a", "w", " ", "q"):
            page.keyboard.press(key)  # the camera has the focus after "take over"
        page.wait_for_function("document.querySelector('#user-steps').textContent.startsWith('5 steps by you')",
                               timeout=30_000)
        page.click("#handback")
        page.wait_for_function("!document.querySelector('#status').textContent.includes('you drive')")
        with page.expect_download() as download:
            page.click("#download-hdf5")
        path = tmp_path / "demo.hdf5"
        download.value.save_as(path)
        with open_dataset(path) as file:
            episode = read_episode(file, demo_names(file)[0])
        first_subgoal = page.eval_on_selector("#plan li:first-child", "li => li.firstChild.textContent")
        assert len(episode) == 5 and episode.subgoals == [first_subgoal] * 5
        assert other.query_selector_all("#plan li") == []  # the other tab's session saw none of it
        assert other.inner_text("#user-steps").startswith("0 steps by you")

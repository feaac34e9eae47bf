"""The demo's world selector offers `minetest` where the Minetest client and Xvfb are installed: a real demo
server and session on it (the real client's frames, the scripted expert, the symbolic planner) and take over
with the Minetest keys (each key one MineDojo action vector)."""

from __future__ import annotations

import pytest

from embodied.demo.catalog import minetest_available


def is_type(kind: str, **fields):
    return lambda event: event["type"] == kind and all(event.get(k) == v for k, v in fields.items())


def test_keys_name_the_worlds_actions():
    from embodied.worlds.crafter.env import ACTIONS as CRAFTER
    from embodied.worlds.crafter.env import CrafterEnv
    from embodied.worlds.minetest.env import ACTIONS as MINETEST
    from embodied.worlds.minetest.env import MinetestEnv

    assert set(CrafterEnv.keys.values()) <= set(CRAFTER)
    assert set(MinetestEnv.keys.values()) <= set(MINETEST)


@pytest.mark.skipif(not minetest_available(), reason="the minetest client or Xvfb is not installed")
def test_minetest_session_streams_real_frames_and_takes_keys(demo):
    tab = demo.client(demo())
    assert "minetest" in tab.hello["worlds"]
    tab.until(is_type("status", state="idle"))
    tab.send(type="reset", world="minetest", planner="symbolic", actor="expert", seed=3)
    reset = tab.until(is_type("reset", world="minetest"), timeout=90)
    assert reset["keys"]["w"] == "forward" and reset["keys"][" "] == "attack"
    tab.until(is_type("status", state="idle", world="minetest"), timeout=90)
    frames = tab.frames
    tab.send(type="speed", value=60)
    tab.send(type="instruct", text="collect log")
    plan = tab.until(is_type("plan", why="plan"), timeout=60)
    assert plan["planner"] == "symbolic" and plan["subgoals"] == ["collect log"]
    tab.until(lambda e: e["type"] == "step" and e["actor"] == "expert", timeout=60)
    tab.send(type="takeover")
    tab.until(is_type("status", takeover=True), timeout=60)
    for action in ("turn_left", "forward"):
        tab.send(type="key", action=action)
        tab.until(lambda e, a=action: e["type"] == "step" and e["actor"] == "user" and e["action"] == a, timeout=60)
    tab.send(type="handback")
    tab.until(is_type("subgoal", text="collect log", status="done"), timeout=180)
    assert tab.frames - frames >= 5  # JPEG frames of the real client's window

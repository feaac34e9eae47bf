"""The demo's WebSocket protocol against a real server: plans, frames, subgoal statuses, task switching,
bad input, the session cap, idle sessions and a crash confined to one session."""

from __future__ import annotations

import time


def is_type(kind: str, **fields):
    return lambda event: event["type"] == kind and all(event.get(k) == v for k, v in fields.items())


def test_instruction_streams_plan_frames_and_switches_plan_without_reset(demo):
    url = demo(max_sessions=2)
    tab = demo.client(url)
    assert tab.hello["type"] == "hello" and "crafter" in tab.hello["worlds"] and "symbolic" in tab.hello["planners"]
    assert tab.hello["actors"][0]["id"] == "expert"
    tab.until(is_type("status", state="idle"))
    tab.send(type="speed", value=30)
    tab.send(type="instruct", text="make a stone pickaxe")
    plan = tab.until(is_type("plan", why="plan"))
    assert plan["planner"] == "symbolic" and plan["subgoals"][-1] == "make stone pickaxe"
    done = tab.until(is_type("subgoal", status="done"))
    assert done["index"] == 0 and done["text"] == plan["subgoals"][0]
    assert tab.frames >= 5
    resets_before = sum(e["type"] == "reset" for e in tab.events)
    tab.send(type="instruct", text="eat a cow")
    tab.until(is_type("log", text="new instruction 'eat a cow': replaces the plan at the next subgoal boundary"))
    switched = tab.until(is_type("plan", why="switch"))
    assert switched["subgoals"] == ["eat cow"] and switched["instruction"] == "eat a cow"
    tab.until(is_type("subgoal", text="eat cow", status="running"))
    assert sum(e["type"] == "reset" for e in tab.events) == resets_before  # same world, no reset


def test_bad_input_gets_a_message_and_the_session_goes_on(demo):
    tab = demo.client(demo())
    tab.until(is_type("status", state="idle"))
    for command, expected in ((dict(type="instruct", text="   "), "empty instruction"),
                              (dict(type="instruct", text="x" * 10_000), "instruction too long: 10000 characters"),
                              (dict(type="fly"), "unknown command type 'fly'"),
                              (dict(type="speed", value="fast"), "speed must be a number"),
                              (dict(type="reset", actor="/etc/passwd"), "not in the server's list of checkpoints"),
                              (dict(type="key", action="do"), "press \"take over\" before driving")):
        tab.send(**command)
        error = tab.until(is_type("error"))
        assert error["message"].startswith(expected) or expected in error["message"], error
        assert "\n" not in error["message"] and "Traceback" not in error["message"]
    tab.ws.send("not json")
    assert tab.until(is_type("error"))["message"]
    tab.send(type="instruct", text="fly to the moon")
    error = tab.until(is_type("error"))
    assert error["message"].startswith("cannot plan 'fly to the moon'")
    tab.send(type="instruct", text="place a table")  # still alive
    assert tab.until(is_type("plan"))["subgoals"][-1] == "place table"


def test_session_cap_refuses_an_extra_tab_and_idle_tabs_are_closed(demo):
    url = demo(max_sessions=1, idle_timeout_s=3)
    first = demo.client(url)
    assert first.hello["type"] == "hello"
    extra = demo.client(url)
    assert extra.hello["type"] == "refused" and "max_sessions" in extra.hello["message"]
    closed = first.until(is_type("closed"), timeout=20)
    assert "without input" in closed["message"]
    time.sleep(0.5)
    again = demo.client(url)  # the idle session's slot is free again
    assert again.hello["type"] == "hello"


def test_a_crash_in_one_session_is_shown_there_and_the_other_goes_on(demo, monkeypatch):
    from embodied.worlds.crafter.expert import CrafterExpert

    act = CrafterExpert.act

    def flaky(self, observation):
        if self.crafter._env._seed == 13:
            raise RuntimeError("injected fault")
        return act(self, observation)

    monkeypatch.setattr(CrafterExpert, "act", flaky)
    url = demo(max_sessions=2)
    broken, healthy = demo.client(url), demo.client(url)
    for tab in (broken, healthy):
        tab.until(is_type("status", state="idle"))
    broken.send(type="reset", seed=13)
    broken.until(is_type("reset", seed=13))
    broken.send(type="instruct", text="collect wood")
    healthy.send(type="instruct", text="make a stone pickaxe")
    error = broken.until(is_type("error"))
    assert error["message"] == "the episode stopped: RuntimeError: injected fault"
    broken.until(is_type("status", state="crashed"))
    healthy.until(is_type("subgoal", status="done"))
    frames = healthy.frames
    healthy.until(is_type("subgoal", status="done"))
    assert healthy.frames > frames
    broken.send(type="reset", seed=1)  # the crashed tab can start again
    broken.until(is_type("status", state="idle"))


def test_pause_single_step_and_resume(demo):
    tab = demo.client(demo())

    def steps_so_far() -> list[int]:
        """Step indices received up to now (a command's reply flushes the events sent before it)."""
        tab.send(type="speed", value=20)
        tab.until(is_type("status"))
        return [e["index"] for e in tab.events if e["type"] == "step"]

    tab.until(is_type("status", state="idle"))
    tab.send(type="speed", value=20)
    tab.send(type="instruct", text="make a stone pickaxe")
    tab.until(is_type("step"))
    tab.send(type="pause")
    tab.until(lambda e: e["type"] == "status" and e["paused"])
    time.sleep(0.3)  # a step already under way may still arrive
    before = steps_so_far()
    tab.send(type="step")
    assert tab.until(is_type("step"))["index"] == before[-1] + 1
    time.sleep(1.0)
    assert steps_so_far() == [*before, before[-1] + 1]  # still paused after the single step
    tab.send(type="resume")
    tab.until(lambda e: e["type"] == "step" and e["index"] > before[-1] + 3)


def test_an_instruction_sent_during_the_last_subgoal_is_the_next_plan(demo):
    tab = demo.client(demo())
    tab.until(is_type("status", state="idle"))
    tab.send(type="speed", value=2)  # the pause below comes well within the half second before the next step
    tab.send(type="instruct", text="place a table")
    plan = tab.until(is_type("plan"))
    tab.until(is_type("subgoal", text=plan["subgoals"][-1], status="running"))
    tab.send(type="pause")
    tab.send(type="instruct", text="eat a cow")  # queued while the last subgoal runs
    tab.send(type="resume")
    switched = tab.until(is_type("plan", why="switch"))
    assert switched["subgoals"] == ["eat cow"]
    assert not any(e["type"] == "log" and e["text"].startswith("plan finished") for e in tab.events)


def test_the_shipped_crafter_policy_is_listed_and_selected_by_default(demo):
    tab = demo.client(demo(shipped=True))
    labels = {a["id"]: a["label"] for a in tab.hello["actors"]}
    assert labels["shipped-crafter"] == "policy crafter (shipped)" and tab.hello["actor"] == "shipped-crafter"
    status = tab.until(is_type("status", state="idle"))
    assert status["actor"] == "shipped-crafter" and status["world"] == "crafter"

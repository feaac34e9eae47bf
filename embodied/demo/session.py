"""One demo session (one browser tab): its own world, planner, actor and agent, run in its own thread.

The page's commands arrive through `Session.handle` (event-loop thread); the agent runs in the session
thread and talks back through `send` (JSON-able dicts, and JPEG frames as bytes) via the stream hook, which
also blocks it while paused and keeps it at the chosen speed (see embodied/demo/control.py).
"""

from __future__ import annotations

import inspect
import io
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from embodied.agent import Agent, AgentConfig, SubgoalResult
from embodied.demo.control import Control, DemoRecorder, ReportingPlanner, SessionStopped, SwitchableActor
from embodied.hooks import AgentHooks, CaptionTracker, Step
from embodied.types import InvalidPlanError, Plan, Subgoal

log = logging.getLogger(__name__)
MAX_INSTRUCTION = 2000
FRAME_SIZE = 256  # frames sent to the page are at least this many pixels high
# worlds whose render takes a size draw at this one, then doubled (nearest): Crafter's textures are 16-px pixel
# art, so a 128-px view doubled looks like a 256-px render and costs ~4 ms instead of ~19 ms a frame
RENDER_SIZE = 128
AGENT_LOG_SHOWN_AS_EVENTS = re.compile(r"^(\[\d+/\d+\] |    (done|FAILED) in |plan \(|re-plan \d+: )")


class DemoInputError(ValueError):
    """A bad command from the page (said in one line, shown on the page)."""


@dataclass(frozen=True)
class Choice:
    """What the page selected: world, planner (+ URL for openai), actor id, seed."""

    world: str = "crafter"
    planner: str = "symbolic"
    planner_url: str = ""
    actor: str = "expert"
    seed: int = 0


class StreamHook(AgentHooks):
    """Streams plans, subgoal statuses, steps and frames to the page; holds the agent at the end of a plan
    until the next instruction (so a new instruction continues in the same world)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.plan: Plan | None = None
        self.index = -1
        self.replans = 0
        self.ended = False

    def on_episode_start(self, agent: Agent, instruction: str, seed: int) -> None:
        self.ended, self.plan = False, None
        self.session.status("running")
        self.session.send_frame(force=True)

    def on_plan(self, agent: Agent, plan: Plan, why: str) -> None:
        self.plan, self.index = plan, -1
        self.replans = self.replans + 1 if why == "replan" else 0
        self.session.send({"type": "plan", "why": why, "instruction": plan.instruction, "planner": plan.planner,
                           "explanation": plan.explanation, "subgoals": [s.text for s in plan.subgoals]})

    def on_subgoal_start(self, agent: Agent, subgoal: Subgoal, actor: str) -> None:
        self.index += 1
        self.session.send({"type": "subgoal", "index": self.index, "text": subgoal.text, "status": "running"})

    def on_step(self, agent: Agent, step: Step) -> None:
        session = self.session
        user = session.actor is not None and session.actor.source == "user"
        if user:
            session.recorder.add_step(step, session.env.goal_id(step.subgoal))
        self.ended = step.terminated or step.truncated
        session.resume = None if self.ended else (step.next_observation, step.info)
        session.send({"type": "step", "index": step.index, "subgoal": step.subgoal.text,
                      "actor": "user" if user else session.actor_kind,
                      "action": keyboard_actions(session.env)[session.actor.key] if user else
                      session.action_name(step.action),
                      "reward": step.reward, "user_steps": session.recorder.user_steps})
        session.send_frame()

    def on_subgoal_end(self, agent: Agent, result: SubgoalResult) -> None:
        status = "done" if result.success else "failed"
        self.session.send_frame(force=True)  # the outcome's frame (its caption says done / failed)
        self.session.send({"type": "subgoal", "index": self.index, "text": result.subgoal, "status": status,
                           "steps": result.steps, "reason": result.reason})
        last = self.plan is not None and self.index >= len(self.plan.subgoals) - 1
        exhausted = not result.success and self.replans >= agent.config.max_replans
        if not self.ended and ((result.success and last) or exhausted):
            self._wait_for_instruction(agent)

    def _wait_for_instruction(self, agent: Agent) -> None:
        """Hold the loop (the world as it is) until a plannable instruction comes; queue it on the agent."""
        session = self.session
        queued = agent.drain_instructions()  # sent while the last subgoal ran: the newest one goes next
        if not queued:
            session.status("waiting")
            session.send({"type": "log", "text": "plan finished: type the next instruction (same world)"})
        text = queued[-1] if queued else None
        while True:
            text = text or session.control.wait_instruction(poll=agent.drain_instructions)
            if session.planner.prepare(text, agent._observe(), agent.env.skills):
                agent.instruct(text)
                session.status("running")
                return
            text = None


class Session:
    """One tab's world and agent. `send(message)` must be thread-safe (the server posts to its event loop)."""

    def __init__(self, token: str, catalog: Any, send: Callable[[Any], None], speed: float = 15.0,
                 max_fps: float = 30.0) -> None:
        self.token, self.catalog, self.send = token, catalog, send
        self.control = Control(speed)
        self.recorder = DemoRecorder()
        self.choice = Choice(actor=getattr(catalog, "default_actor", "expert"))
        self.state = "starting"
        self.max_fps = max_fps
        self.env: Any = None
        self.env_kwargs: dict[str, Any] = {}
        self.resume: tuple[dict, dict] | None = None  # (observation, info) to continue from; None: reset first
        self.spec_name = ""
        self.planner: ReportingPlanner | None = None
        self.actor: SwitchableActor | None = None
        self.actor_kind = "expert"
        self.agent: Agent | None = None
        self.hook: StreamHook | None = None
        self.captions = CaptionTracker()  # what the mp4's strip says (a hook of the agent, before the stream's)
        self._built: Choice | None = None
        self.instruction = ""
        self._last_frame = 0.0
        self._requests: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._requests.put(("reset", self.choice))
        self.thread = threading.Thread(target=self._main, name=f"demo-session-{token[:6]}", daemon=True)

    # --- the page's commands (event-loop thread) ---------------------------------------------
    def handle(self, message: dict[str, Any]) -> None:
        """Apply one command from the page; a bad one raises DemoInputError (one line for the page)."""
        kind = message.get("type")
        control = self.control
        if kind == "instruct":
            self._instruct(message.get("text"))
        elif kind == "reset":
            self.choice = self._parse_choice(message)
            control.update(stop=True)
            self._requests.put(("reset", self.choice))
        elif kind in ("pause", "resume"):
            control.update(paused=kind == "pause")
            self.status(self.state)
        elif kind == "step":
            control.update(paused=True, steps_allowed=control.steps_allowed + 1)
        elif kind == "speed":
            control.update(speed=_number(message.get("value"), "speed", 0, 1000))
            self.status(self.state)
        elif kind in ("takeover", "handback"):
            self._takeover(kind == "takeover")
        elif kind == "key":
            control.push_key(self._action_index(message.get("action")))
        else:
            raise DemoInputError(f"unknown command type {kind!r}")

    def _instruct(self, text: Any) -> None:
        if not isinstance(text, str) or not text.strip():
            raise DemoInputError("empty instruction: type what the agent should do, e.g. \"make a wood pickaxe\"")
        if len(text) > MAX_INSTRUCTION:
            raise DemoInputError(f"instruction too long: {len(text)} characters (at most {MAX_INSTRUCTION})")
        text = text.strip()
        if self.state == "running" and self.agent is not None:
            self.agent.instruct(text)
            self.send({"type": "log", "text": f"new instruction {text!r}: replaces the plan at the next subgoal "
                                              "boundary"})
        elif self.state == "waiting":
            self.control.update(pending=text)
        else:
            self._requests.put(("episode", text))

    def _takeover(self, on: bool) -> None:
        if on and not keyboard_actions(self.env):
            raise DemoInputError(f"take over needs a world with keyboard controls; {self.spec_name} has none")
        if on and self.state not in ("running", "paused"):
            raise DemoInputError("take over drives the current subgoal: give an instruction first")
        if not on:
            self.recorder.close_segment(self.instruction, self.choice.seed, self.hook.plan if self.hook else None)
        self.control.push_key(None)  # clears the keys not yet executed
        self.control.update(takeover=on)
        self.send({"type": "log", "text": "you have the controls" if on else "control handed back to the agent"})
        self.status(self.state)

    def _action_index(self, name: Any) -> int:
        names = keyboard_actions(self.env)
        if not self.control.takeover:
            raise DemoInputError("press \"take over\" before driving with the keys")
        if name not in names:
            raise DemoInputError(f"unknown action {name!r}; expected one of {', '.join(names)}")
        return names.index(name)

    def _parse_choice(self, message: dict[str, Any]) -> Choice:
        choice = replace(self.choice, **{k: message[k] for k in ("world", "planner", "planner_url", "actor")
                                         if isinstance(message.get(k), str)})
        choice = replace(choice, seed=int(_number(message.get("seed", choice.seed), "seed", 0, 2**31 - 1)))
        self.catalog.check(choice)
        return choice

    def close(self) -> None:
        self.control.update(stop=True)
        self._requests.put(("close", None))

    # --- to the page --------------------------------------------------------------------------
    def status(self, state: str) -> None:
        self.state = state
        control = self.control
        self.send({"type": "status", "state": state, "paused": control.paused, "speed": control.speed,
                   "takeover": control.takeover, "world": self.spec_name, "seed": self.choice.seed,
                   "actor": self.choice.actor, "planner": self.choice.planner,
                   "user_steps": self.recorder.user_steps, "demos": len(self.recorder.episodes)})

    def error(self, message: str) -> None:
        self.send({"type": "error", "message": message})

    def send_frame(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.env is None or (not force and now - self._last_frame < 1.0 / self.max_fps):
            return
        self._last_frame = now
        render = self.env.render
        frame = render(size=RENDER_SIZE) if "size" in inspect.signature(render).parameters else render()
        frame = np.asarray(frame, np.uint8)
        if frame.shape[0] < FRAME_SIZE:
            scale = -(-FRAME_SIZE // frame.shape[0])
            frame = np.repeat(np.repeat(frame, scale, 0), scale, 1)
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, "JPEG", quality=80)
        self.recorder.add_frame(buffer.getvalue(), self.captions.caption)
        self.send(buffer.getvalue())

    def action_name(self, action: Any) -> Any:
        names = getattr(self.env, "action_names", None)
        if names is not None and np.asarray(action).size == 1:
            return names[int(np.asarray(action).reshape(-1)[0])]
        return np.round(np.asarray(action, float), 2).tolist()

    # --- the session thread -------------------------------------------------------------------
    def _main(self) -> None:
        while True:
            kind, value = self._requests.get()
            if kind == "close":
                if self.env is not None:
                    self.env.close()
                return
            try:
                if kind == "reset":
                    self._reset(value)
                elif self.env is not None:
                    self._episode(value)
            except SessionStopped:
                self.status("stopped")
            except Exception as error:  # a crash in one episode is shown in its tab; the session stays
                if kind == "reset":  # a missing checkpoint / dependency / server for the chosen planner or world
                    log.warning("demo session %s: could not set up %s: %s", self.token[:6], value, error)
                else:
                    log.exception("demo session %s: episode failed", self.token[:6])
                what = "could not set up the world" if kind == "reset" else "the episode stopped"
                self.error(f"{what}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
                self.status("idle" if kind == "reset" and self._built else "crashed")

    def _reset(self, choice: Choice) -> None:
        self.control.update(stop=False, takeover=False, paused=False, pending=None)
        self.status("loading")
        if self._built is None or replace(choice, seed=0) != replace(self._built, seed=0):
            try:
                self._build(choice)
            except Exception:
                self.choice = self._built or Choice()  # the session keeps the world it had
                raise
        self.resume = self.env.reset(seed=choice.seed)
        self.recorder, self.captions = DemoRecorder(), CaptionTracker()
        self.send({"type": "reset", "seed": choice.seed, "world": self.spec_name,
                   "keys": getattr(self.env, "keys", {})})  # the page's take-over keys for this world
        self.send_frame(force=True)
        self.status("idle")

    def _build(self, choice: Choice) -> None:
        """World, planner and actor for `choice` (a policy checkpoint brings its own world)."""
        env, world_name, env_kwargs, auto, kind = self.catalog.build_actor(choice)
        try:
            planner = self.catalog.build_planner(choice, world_name)
        except Exception:
            env.close()
            raise
        if self.env is not None:
            self.env.close()
        self.env, self.spec_name, self.env_kwargs, self.actor_kind = env, world_name, env_kwargs, kind
        self.planner = ReportingPlanner(planner, self.error)
        convert, names = getattr(env, "keyboard_action", None), keyboard_actions(env)
        self.actor = SwitchableActor(auto, self.control, convert and (lambda index: convert(names[index])))
        self._built = self.choice = choice

    def _episode(self, instruction: str) -> None:
        self.control.update(stop=False, pending=None)
        self.instruction = instruction
        self.hook = StreamHook(self)
        self.agent = Agent(self.env, self.planner, self.actor, AgentConfig(max_replans=2),
                           log=self._agent_log, hooks=[self.captions, self.hook])
        fresh = " from a reset" if self.resume is None else ""
        self.send({"type": "log", "text": f"episode: {instruction!r} in {self.spec_name} (seed {self.choice.seed})"
                                          f"{fresh}"})
        try:
            trajectory = self.agent.run(instruction, self.choice.seed, start=self.resume)
        except InvalidPlanError:
            self._after_episode("idle")  # the ReportingPlanner has shown why
            return
        finally:
            self.recorder.close_segment(instruction, self.choice.seed, self.hook.plan)
        outcome = "instruction done" if trajectory.success else "episode over"
        after = "starts a new episode (world reset)" if self.resume is None else "goes on in this world"
        self.send({"type": "log", "text": f"{outcome}: {len(trajectory.actions)} steps; a new instruction {after}"})
        self._after_episode("ended")

    def _agent_log(self, text: str) -> None:
        if not AGENT_LOG_SHOWN_AS_EVENTS.match(text):  # subgoal starts / ends come as "subgoal" events
            self.send({"type": "log", "text": text})

    def _after_episode(self, state: str) -> None:
        """The loop has ended: instructions sent to it meanwhile (not yet planned) start the next episode."""
        self.status(state)
        for instruction in self.agent.drain_instructions():
            self._requests.put(("episode", instruction))


def keyboard_actions(env: Any) -> tuple[str, ...]:
    """The names a take over can send: a world's `keyboard_actions` (made into actions by its
    `keyboard_action(name)`, tabletop) or its named discrete actions (`action_names`, Crafter)."""
    return tuple(getattr(env, "keyboard_actions", None) or getattr(env, "action_names", None) or ())


def _number(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DemoInputError(f"{name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise DemoInputError(f"{name} must be in [{low:g}, {high:g}], got {number:g}")
    return number

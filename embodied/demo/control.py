"""What runs inside a demo session's agent thread: the shared controls (pause, single step, speed, stop, take
over), the actor that hands control to the keyboard and back, the planner wrapper that reports plans it
cannot make, and the recorder of the user's demonstration steps and of the episode's frames
(with their captions: the mp4 has the same strip as every episode video)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from embodied.datasets.hdf5 import DatasetWriter, Episode
from embodied.hooks import Step
from embodied.overlay import Caption
from embodied.types import InvalidPlanError, Plan, Subgoal


class SessionStopped(Exception):
    """Raised inside the agent thread to end the running episode (reset, new settings, tab closed)."""


class Control:
    """State shared by the page's commands (event-loop thread) and the agent (session thread), under one lock."""

    def __init__(self, speed: float) -> None:
        self.cond = threading.Condition()
        self.paused = False
        self.steps_allowed = 0  # single steps granted while paused
        self.speed = speed  # agent steps per second; 0 = as fast as the machine goes
        self.stop = False
        self.takeover = False
        self.keys: deque[int] = deque(maxlen=64)  # the user's actions, waiting to be executed
        self.pending: str | None = None  # an instruction for an agent waiting at the end of its plan
        self._next_step = 0.0

    def update(self, **changes: Any) -> None:
        with self.cond:
            for name, value in changes.items():
                setattr(self, name, value)
            self.cond.notify_all()

    def push_key(self, action: int | None) -> None:
        """Queue one of the user's actions (None: forget the queued ones)."""
        with self.cond:
            if action is None:
                self.keys.clear()
            else:
                self.keys.append(action)
            self.cond.notify_all()

    def _check(self) -> None:
        if self.stop:
            raise SessionStopped

    def gate(self) -> None:
        """Before an agent step: block while paused (unless a single step was granted), then keep to `speed`;
        any change of the controls wakes it to look again (a pause during the pacing wait holds the step)."""
        with self.cond:
            while True:
                self._check()
                if self.paused and self.steps_allowed <= 0:
                    self.cond.wait(0.5)
                    continue
                now = time.perf_counter()
                if self.speed > 0 and self._next_step > now:
                    self.cond.wait(self._next_step - now)
                    continue
                break
            if self.paused:
                self.steps_allowed -= 1
            self._next_step = max(now, self._next_step) + (1.0 / self.speed if self.speed > 0 else 0.0)

    def next_key(self) -> int | None:
        """The user's next action; blocks until one comes, or returns None once control is handed back."""
        with self.cond:
            while True:
                self._check()
                if self.keys:
                    return self.keys.popleft()
                if not self.takeover:
                    return None
                self.cond.wait(0.5)

    def wait_instruction(self, poll: Callable[[], list[str]] | None = None) -> str:
        """Block until the page sends the next instruction (the agent has finished its plan); `poll` returns
        instructions that went elsewhere meanwhile (the agent's queue), checked every 0.2 s."""
        with self.cond:
            while True:
                self._check()
                if self.pending is not None:
                    text, self.pending = self.pending, None
                    return text
                late = poll() if poll is not None else []
                if late:
                    return late[-1]
                self.cond.wait(0.2)


class SwitchableActor:
    """An Actor that delegates to the policy / expert, or, while the user has taken over, to the keyboard."""

    def __init__(self, auto: Any, control: Control, keyboard: Callable[[int], Any] | None = None) -> None:
        self.auto, self.control = auto, control
        self.keyboard = keyboard  # a key's index -> the env's action (None: the index is the action)
        self.source = "agent"  # who chose the last action: "agent" or "user"
        self.key = -1  # the user's last key (its index in the world's keyboard actions)
        self.subgoal: Subgoal | None = None

    def reset(self) -> None:
        self.auto.reset()

    def start(self, subgoal: Subgoal) -> None:
        self.subgoal = subgoal
        self.auto.start(subgoal)

    def act(self, observation: dict[str, np.ndarray]) -> Any:
        if self.control.takeover:
            key = self.control.next_key()
            if key is not None:
                self.source, self.key = "user", key
                return key if self.keyboard is None else self.keyboard(key)
        if self.source == "user" and self.subgoal is not None:
            self.auto.start(self.subgoal)  # handed back: the policy starts the subgoal afresh (history reset)
        self.control.gate()
        self.source = "agent"
        return self.auto.act(observation)


class ReportingPlanner:
    """Wraps a planner: a plan it cannot make is reported to the page; `prepare` plans ahead once (validation)."""

    def __init__(self, planner: Any, report: Callable[[str], None]) -> None:
        self.planner, self.report = planner, report
        self._prepared: tuple[str, Plan] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.planner, name)

    def prepare(self, instruction: str, observation: dict[str, Any], skills: Any) -> bool:
        """Plan `instruction` now; True if it can be planned (the plan is kept for the agent's next `plan`)."""
        try:
            self._prepared = (instruction, self.plan(instruction, observation, skills))
        except InvalidPlanError:
            return False
        return True

    def plan(self, instruction: str, observation: dict[str, Any], skills: Any) -> Plan:
        if self._prepared is not None and self._prepared[0] == instruction:
            plan, self._prepared = self._prepared[1], None
            return plan
        try:
            return self.planner.plan(instruction, observation, skills)
        except InvalidPlanError as error:
            self.report(f"cannot plan {instruction!r}: {error}")
            raise

    def replan(self, plan: Plan, feedback: Any, skills: Any) -> Plan:
        return self.planner.replan(plan, feedback, skills)


class DemoRecorder:
    """The user's steps as demonstration episodes (one per take over, labelled with the current subgoal),
    and the episode's displayed frames (JPEG bytes and their captions, the latest `max_frames`) for the mp4."""

    def __init__(self, max_frames: int = 3000) -> None:
        self.frames: deque[tuple[bytes, Caption]] = deque(maxlen=max_frames)  # JPEG, its strip (embodied.overlay)
        self.episodes: list[Episode] = []
        self._steps: list[tuple[dict[str, np.ndarray], Any, float, str, int]] = []

    def add_frame(self, jpeg: bytes, caption: Caption) -> None:
        self.frames.append((jpeg, caption))

    def add_step(self, step: Step, goal_id: int) -> None:
        self._steps.append((step.observation, step.action, step.reward, step.subgoal.text, goal_id))

    @property
    def user_steps(self) -> int:
        return sum(len(e) for e in self.episodes) + len(self._steps)

    def close_segment(self, instruction: str, seed: int, plan: Plan | None) -> None:
        """End the current take over: its steps become one episode."""
        if not self._steps:
            return
        observations, actions, rewards, subgoals, goal_ids = zip(*self._steps, strict=True)
        dones = np.zeros(len(actions), np.uint8)
        dones[-1] = 1
        self.episodes.append(Episode(
            obs={k: np.stack([o[k] for o in observations]) for k in observations[0]},
            actions=np.asarray(actions), rewards=np.asarray(rewards, np.float32), dones=dones,
            subgoals=list(subgoals), subgoal_ids=np.asarray(goal_ids, np.int32), instruction=instruction,
            plan=plan.to_json() if plan else {}, seed=seed, success=False))
        self._steps = []

    def write_hdf5(self, path: str, env_args: dict[str, Any], goal_texts: tuple[str, ...]) -> int:
        """Write every finished take over to `path` (a new file); returns the number of episodes."""
        with DatasetWriter(path, env_args, goal_texts) as writer:
            for episode in self.episodes:
                writer.write(episode)
        return len(self.episodes)

    def write_mp4(self, path: str) -> str:
        import io

        from PIL import Image

        from embodied.overlay import captioned
        from embodied.video import write_video

        shown = list(self.frames)
        frames = [np.asarray(Image.open(io.BytesIO(data)).convert("RGB")) for data, _ in shown]
        return write_video(path, captioned(frames, [caption for _, caption in shown]))

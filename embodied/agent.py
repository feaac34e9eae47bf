"""The hierarchical loop: plan -> execute each subgoal with an actor -> detect success -> re-plan.

The same loop records demonstrations (actor = scripted expert), evaluates policies and drives
`embodied run` (actor = trained policy), so what is measured is what is deployed.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from embodied.datasets.hdf5 import Episode
from embodied.hooks import AgentHooks, Step
from embodied.types import OBS_RGB, PREEMPTED, Feedback, InvalidPlanError, Plan, Subgoal, UnknownSubgoalError
from embodied.worlds.base import SubgoalEnv
from embodied.worlds.expert import ExpertStuck

if TYPE_CHECKING:  # planners depend on embodied, not the other way round
    from planners.base import Planner


SURVIVAL_CHAIN = 3  # most survival subgoals done in a row before a planned one (each stopped by the next)


class Actor(Protocol):
    """Anything that acts for the env's current subgoal: a scripted expert or a policy adapter."""

    def reset(self) -> None: ...

    def start(self, subgoal: Subgoal) -> None: ...

    def act(self, observation: dict[str, np.ndarray]) -> Any: ...


class PolicyActor:
    """Adapts a trained policy to the Actor protocol: goal id from the env, history reset per subgoal."""

    def __init__(self, policy: Any, env: SubgoalEnv, seed: int = 0) -> None:
        self.policy, self.env, self.seed = policy, env, seed
        self.goal_id = 0

    def reset(self) -> None:
        self.policy.reset(seed=self.seed)

    def start(self, subgoal: Subgoal) -> None:
        self.policy.reset()
        self.goal_id = self.policy.goal_id(self.env.base_text(self.env.parse_subgoal(subgoal)))

    def act(self, observation: dict[str, np.ndarray]) -> Any:
        return self.policy.select_action(observation, self.goal_id)


@dataclass
class SubgoalResult:
    """Outcome of one attempt at one subgoal."""

    subgoal: str
    success: bool
    steps: int
    actor: str = "policy"
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"subgoal": self.subgoal, "success": self.success, "steps": self.steps, "actor": self.actor,
                "reason": self.reason}


@dataclass
class Trajectory:
    """Per-step record of an episode (obs, actions, subgoal annotations) plus its outcome."""

    observations: list[dict[str, np.ndarray]] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    subgoals: list[str] = field(default_factory=list)
    subgoal_ids: list[int] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)  # filled by a FrameRecorder hook's owner, if any
    captions: list[Any] = field(default_factory=list)  # the frames' embodied.overlay.Caption, likewise
    results: list[SubgoalResult] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    success: bool = False
    terminated: bool = False
    start_observation: dict[str, Any] = field(default_factory=dict)  # describe() right after reset
    planning_ms: list[float] = field(default_factory=list)  # time of each plan / re-plan call

    def to_episode(self, instruction: str, seed: int, upto: int | None = None) -> Episode:
        """The first `upto` steps (all by default) as an HDF5 Episode."""
        n = len(self.actions) if upto is None else upto
        keys = self.observations[0].keys()
        dones = np.zeros(n, np.uint8)
        dones[-1] = 1
        return Episode(
            obs={k: np.stack([o[k] for o in self.observations[:n]]) for k in keys},
            actions=np.asarray(self.actions[:n]),
            rewards=np.asarray(self.rewards[:n], np.float32),
            dones=dones,
            subgoals=self.subgoals[:n],
            subgoal_ids=np.asarray(self.subgoal_ids[:n], np.int32),
            instruction=instruction,
            plan=self.plans[-1].to_json() if self.plans else {},
            seed=seed,
            success=self.success,
            subgoal_results=[r.to_json() for r in self.results],
        )


@dataclass
class AgentConfig:
    """Knobs of the loop: re-planning budget, takeover by an expert after a failure, survival first."""

    max_replans: int = 2
    takeover: bool = False  # after a failed policy attempt, let the expert finish the subgoal (evaluation)
    record_intended: bool = False  # record an expert's intended action (before its noise), not the executed one
    # env -> Subgoal | None (a World's load_survival()): before each planned subgoal, the actor first does the
    # subgoal that keeps the player alive now, if any (its result has actor "survival"; the plan goes on either way)
    survival: Callable[[Any], Subgoal | None] | None = None
    # after every subgoal done, plan the instruction again from the state then (closed loop: a table left out of
    # reach is placed again before the furnace); by default only a failure re-plans
    replan_each: bool = False
    # with `survival`: a running subgoal is stopped as soon as the survival rule asks for something new (night
    # falls, a zombie comes next to the player, thirst runs low) unless it is that need itself; its result fails
    # with a reason starting with PREEMPTED, and the need is done before the subgoal is tried again (no re-plan is
    # spent on it). Long subgoals (a coal search into the night) otherwise run past the moment to take shelter.
    preempt: bool = False
class Agent:
    """Runs an instruction in an env: planner -> subgoals -> actor, with closed-loop re-planning.

    `instruct(text)` (callable from any thread, e.g. mid-episode) queues a new instruction: at the next
    subgoal boundary it replaces the plan, planned from the state then; the world is not reset.
    `hooks` (embodied.hooks.AgentHooks) are called at every episode, plan, subgoal and step event.
    """

    def __init__(self, env: SubgoalEnv, planner: Planner, actor: Actor, config: AgentConfig | None = None,
                 expert: Actor | None = None, log: Callable[[str], None] | None = None,
                 hooks: list[AgentHooks] | tuple[AgentHooks, ...] = ()) -> None:
        self.env, self.planner, self.actor, self.expert = env, planner, actor, expert
        self.config = config or AgentConfig()
        self.log = log or (lambda message: None)
        self.hooks = list(hooks)
        self.info: dict[str, Any] = {}  # the env's latest info (from the reset or the last step)
        self._instructions: queue.SimpleQueue[str] = queue.SimpleQueue()

    def _emit(self, event: str, *args: Any) -> None:
        for hook in self.hooks:
            getattr(hook, event)(self, *args)

    def instruct(self, instruction: str) -> None:
        """Switch task at the next subgoal boundary (task switching without resetting the world)."""
        self._instructions.put(instruction)

    def drain_instructions(self) -> list[str]:
        """Take the queued instructions not yet planned (a caller that ends or holds the loop hands them on)."""
        taken = []
        while not self._instructions.empty():
            taken.append(self._instructions.get())
        return taken

    def run(self, instruction: str, seed: int, start: tuple[dict, dict] | None = None) -> Trajectory:
        """Reset with `seed` and carry out `instruction`; `start`, the (observation, info) of a world already
        reset or played in (the web demo's), continues from there instead of resetting."""
        obs, self.info = self.env.reset(seed=seed) if start is None else start
        trajectory = Trajectory(start_observation=self.env.describe())
        for actor in filter(None, (self.actor, self.expert)):
            actor.reset()
        self._emit("on_episode_start", instruction, seed)
        began = time.perf_counter()
        plan = self._plan(instruction)
        trajectory.planning_ms.append(1000 * (time.perf_counter() - began))
        trajectory.plans.append(plan)
        self._emit("on_plan", plan, "plan")
        replans, index = 0, 0
        while True:
            switched = self._switch(trajectory)
            if switched is not None:
                plan, replans, index = switched, 0, 0
            if index >= len(plan.subgoals):
                break
            subgoal = plan.subgoals[index]
            obs = self._survive(subgoal, obs, trajectory)
            if trajectory.terminated:
                break
            self.log(f"[{index + 1}/{len(plan.subgoals)}] {subgoal.text}")
            obs, result = self._execute(subgoal, self.actor, obs, trajectory, "policy")
            if not result.success and self.config.takeover and self.expert is not None and not trajectory.terminated:
                obs, _ = self._execute(subgoal, self.expert, obs, trajectory, "expert")
            self.log(f"    {'done' if result.success else 'FAILED'} in {result.steps} steps {result.reason}")
            if trajectory.terminated:
                break
            if result.reason.startswith(PREEMPTED):
                continue  # the need is done first (_survive), then this subgoal again
            if result.success or (self.config.takeover and trajectory.results[-1].success):
                index += 1
                if self.config.replan_each and index < len(plan.subgoals):
                    plan, index = self._plan_again(instruction, plan, index, trajectory)
                continue
            if replans >= self.config.max_replans:
                switched = self._switch(trajectory)  # a waiting instruction still gets its turn
                if switched is None:
                    break
                plan, replans, index = switched, 0, 0
                continue
            replans += 1
            feedback = Feedback(subgoal, self._observe(), plan.subgoals[:index], result.reason)
            began = time.perf_counter()
            plan, index = self.planner.replan(plan, feedback, self.env.skills), 0
            trajectory.planning_ms.append(1000 * (time.perf_counter() - began))
            trajectory.plans.append(plan)
            self._emit("on_plan", plan, "replan")
            self.log(f"re-plan {replans}: {[s.text for s in plan.subgoals]} ({plan.explanation})")
        trajectory.success = not trajectory.terminated and index >= len(plan.subgoals)
        self._emit("on_episode_end", trajectory)
        return trajectory

    def _plan_again(self, instruction: str, plan: Plan, index: int, trajectory: Trajectory) -> tuple[Plan, int]:
        """`replan_each`: the instruction planned from the current state (an empty plan: it is done); the plan
        so far, at `index`, when the planner cannot plan from here."""
        began = time.perf_counter()
        try:
            fresh = self._plan(instruction)
        except InvalidPlanError as error:
            self.log(f"re-plan from the state failed ({error}); the plan goes on")
            return plan, index
        trajectory.planning_ms.append(1000 * (time.perf_counter() - began))
        trajectory.plans.append(fresh)
        self._emit("on_plan", fresh, "replan")
        return fresh, 0

    def _survive(self, subgoal: Subgoal, obs: dict, trajectory: Trajectory) -> dict:
        """With `config.survival`: the actor first does what keeps the player alive now (one subgoal, whatever
        its outcome), unless that is the planned subgoal itself; returns the observation after it."""
        for _ in range(SURVIVAL_CHAIN):  # a need stopped by a newer one (preempt) is followed by that one
            need = self.config.survival(self.env) if self.config.survival is not None else None
            if need is None or need.text == subgoal.text or trajectory.terminated:
                return obs
            self.log(f"    survival first: {need.text}")
            obs, result = self._execute(need, self.actor, obs, trajectory, "survival")
            self.log(f"    {'done' if result.success else 'FAILED'} in {result.steps} steps {result.reason}")
            if not result.reason.startswith(PREEMPTED):
                return obs
        return obs

    def _observe(self) -> dict[str, Any]:
        """What a planner reads: the env's describe(), plus the camera image for planners that want it."""
        observation = self.env.describe()
        if getattr(self.planner, "wants_image", False):
            observation[OBS_RGB] = self.env.render()
        return observation

    def _switch(self, trajectory: Trajectory) -> Plan | None:
        """The plan for the newest queued instruction, if any (one the planner cannot plan is logged, skipped)."""
        plan = None
        while not self._instructions.empty():
            instruction = self._instructions.get()
            try:
                plan = self._plan(instruction)
            except InvalidPlanError as error:
                self.log(f"new instruction {instruction!r} ignored: {error}")
                continue
            self.log(f"switched task to {instruction!r}")
            trajectory.plans.append(plan)
            self._emit("on_plan", plan, "switch")
        return plan

    def _plan(self, instruction: str) -> Plan:
        plan = self.planner.plan(instruction, self._observe(), self.env.skills)
        if not plan.subgoals:
            self.log("plan: nothing to do (already satisfied)")
        else:
            self.log(f"plan ({plan.planner}): {' -> '.join(s.text for s in plan.subgoals)}")
        return plan

    def _execute(self, subgoal: Subgoal, actor: Actor, obs: dict, trajectory: Trajectory, name: str):
        """Run `actor` on `subgoal` until its detector fires, the episode ends or the budget is spent."""
        subgoal = self.env.set_subgoal(subgoal)
        goal_id = self.env.goal_id(subgoal)
        steps, reason, success = 0, "", False
        watch = self._preemption_watch(subgoal)
        self._emit("on_subgoal_start", subgoal, name)
        try:
            actor.start(subgoal)
        except UnknownSubgoalError as error:
            return obs, self._end_subgoal(trajectory, SubgoalResult(subgoal.text, False, 0, name, str(error)))
        for steps in range(1, self.env.max_subgoal_steps + 1):  # noqa: B007 (steps is read after the loop)
            try:
                action = actor.act(obs)
            except (ExpertStuck, InvalidPlanError) as error:
                reason = str(error)
                break
            trajectory.observations.append(obs)
            trajectory.subgoals.append(subgoal.text)
            trajectory.subgoal_ids.append(goal_id)
            acted_on = obs
            obs, reward, terminated, truncated, info = self.env.step(action)
            self.info = info
            intended = getattr(actor, "intended", None) if self.config.record_intended else None
            trajectory.actions.append(action if intended is None else intended)
            trajectory.rewards.append(float(reward))
            if self.hooks:
                self._emit("on_step", Step(len(trajectory.actions) - 1, subgoal, name, acted_on, action,
                                           float(reward), obs, info, bool(terminated), bool(truncated)))
            if info["is_success"]:
                success = True
                break
            if terminated or truncated:
                trajectory.terminated = True
                reason = "episode ended (agent died)" if terminated else "episode time limit"
                break
            need = watch() if watch is not None else None
            if need is not None:
                reason = f"{PREEMPTED} {need.text}"
                break
        else:
            reason = f"step budget of {self.env.max_subgoal_steps} spent"
        return obs, self._end_subgoal(trajectory, SubgoalResult(subgoal.text, success, steps, name, reason))

    def _preemption_watch(self, subgoal: Subgoal) -> Callable[[], Subgoal | None] | None:
        """With `config.preempt`: a check, after each step, returning the survival rule's most urgent need when it
        is a new one (neither `subgoal`'s skill nor the need's when it started), else None; None when preemption is
        off. Needs come most urgent first, so thirst at nightfall keeps the drinking going."""
        survival = self.config.survival
        if not self.config.preempt or survival is None:
            return None
        at_start = survival(self.env)
        known = {subgoal.skill, at_start.skill if at_start is not None else ""}  # skills: "collect 7 drink" is
        # still the same need once it reads "collect 6 drink"

        def new_need() -> Subgoal | None:
            need = survival(self.env)
            return need if need is not None and need.skill not in known else None

        return new_need

    def _end_subgoal(self, trajectory: Trajectory, result: SubgoalResult) -> SubgoalResult:
        trajectory.results.append(result)
        self._emit("on_subgoal_end", result)
        return result

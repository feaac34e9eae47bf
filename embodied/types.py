"""The one place where observation keys and the Subgoal / Plan / Skill types are spelled.

Every world, policy, planner and dataset speaks in these types, so a subgoal written by a planner is
the same object an env detects success for and the same string stored per step in an HDF5 file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Observation keys (dict observation of every env; HDF5 `obs/<key>` datasets).
OBS_RGB = "rgb"  # (H, W, 3) uint8 camera image
OBS_INVENTORY = "inventory"  # (N,) counts, Crafter-style worlds
OBS_SEMANTIC = "semantic"  # (7, 9, K) uint8 one-hot of the local view's materials and creatures (Crafter)
OBS_MEMORY = "memory"  # (D,) where the remembered landmarks are (Crafter's map of what was seen)
OBS_FRONTIER = "frontier"  # (3,) where the remembered rock meets the unseen (Crafter: where digging reveals ore)
OBS_ROUTE = "route"  # (4,) the next move of a route planned on the remembered map (Crafter's ore searches)
OBS_STATE = "state"  # (D,) low-dimensional world state (object poses, goal)
OBS_PROPRIO = "proprio"  # (D,) robot joint / end-effector state
OBS_HAND = "hand"  # (D,) end-effector pose and the vectors from it to the objects a task handles


class UnknownSubgoalError(ValueError):
    """A subgoal (text or skill name) is not in the current world's vocabulary."""


class InvalidPlanError(ValueError):
    """A plan cannot be executed: unknown skill, bad arguments or impossible order."""


@dataclass(frozen=True)
class Skill:
    """A skill the low-level policies of a world can execute, with the names of its arguments."""

    name: str
    params: tuple[str, ...] = ()
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": list(self.params), "description": self.description}


@dataclass(frozen=True)
class Subgoal:
    """One step of a plan: a skill name plus its arguments, and its canonical text.

    `text` is the natural-language form ("collect 3 wood", "pick up the red block"); it is what
    goal-text encoders embed and what is stored per step in datasets.
    """

    skill: str
    args: tuple[tuple[str, Any], ...] = ()
    text: str = ""

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def arg(self, name: str, default: Any = None) -> Any:
        return self.kwargs.get(name, default)

    def to_json(self) -> dict[str, Any]:
        return {"skill": self.skill, "args": self.kwargs, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Subgoal:
        args = data.get("args") or {}
        if not isinstance(args, dict):
            raise InvalidPlanError(f"subgoal args must be an object, got {args!r}")
        return cls(skill=str(data["skill"]), args=tuple(sorted(args.items())), text=str(data.get("text", "")))

    def __str__(self) -> str:
        return self.text or self.skill


@dataclass
class Plan:
    """An ordered list of subgoals for an instruction; plain data, JSON-serialisable."""

    instruction: str
    subgoals: list[Subgoal] = field(default_factory=list)
    planner: str = ""
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "instruction": self.instruction,
            "subgoals": [s.to_json() for s in self.subgoals],
            "planner": self.planner,
            "explanation": self.explanation,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            instruction=str(data.get("instruction", "")),
            subgoals=[Subgoal.from_json(s) for s in data.get("subgoals", [])],
            planner=str(data.get("planner", "")),
            explanation=str(data.get("explanation", "")),
        )

    def __len__(self) -> int:
        return len(self.subgoals)


PREEMPTED = "preempted by"  # a subgoal result's reason when a survival need stopped it (AgentConfig.preempt)


@dataclass
class Feedback:
    """What the agent tells a planner after a subgoal: which one failed and the state now."""

    failed_subgoal: Subgoal | None
    observation: dict[str, Any]
    completed: list[Subgoal] = field(default_factory=list)
    reason: str = ""


class CheckpointError(ValueError):
    """A checkpoint directory exists but cannot be read (corrupt or foreign files)."""

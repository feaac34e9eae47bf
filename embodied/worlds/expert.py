"""Scripted privileged experts: they read the simulator's true state to solve a subgoal."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from embodied.types import Subgoal


class Expert(ABC):
    """Solves the env's current subgoal from privileged state.

    `noise` adds mild randomness (random actions / perturbed waypoints) so demonstrations are not a
    single trajectory per start state. `act` may raise ExpertStuck when it sees no way to progress.
    """

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        self.env = env
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        # The action the expert meant on its last `act`, before execution noise (None: it adds none of that
        # kind). Recording it instead of the executed action labels perturbed states with corrections (DART).
        self.intended: Any = None

    def reset(self) -> None:
        """Called after env.reset: forget any per-episode memory."""

    def start(self, subgoal: Subgoal) -> None:
        """Called after env.set_subgoal: forget any per-subgoal memory."""

    @abstractmethod
    def act(self, observation: dict[str, np.ndarray]) -> Any:
        """Action for the env's current subgoal."""


class ExpertStuck(RuntimeError):
    """The expert sees no way to make progress on the current subgoal."""

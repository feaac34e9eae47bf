"""Goal encoders: subgoal -> (B, T, dim) conditioning vectors."""

from __future__ import annotations

import torch
from torch import nn


class SkillIdGoalEncoder(nn.Module):
    """Learned embedding of the subgoal's id in the world's goal vocabulary (`goal_texts`).

    Index `num_goals` is the "no goal" token used for classifier-free guidance and goal dropout.
    """

    def __init__(self, num_goals: int, dim: int) -> None:
        super().__init__()
        self.num_goals = num_goals
        self.embedding = nn.Embedding(num_goals + 1, dim)

    @property
    def null_id(self) -> int:
        return self.num_goals

    def forward(self, goal_ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(goal_ids.clamp(min=0, max=self.num_goals))

"""MineDojo exposes no node positions beyond its 3x3x3 voxels, so this world has no scripted expert: record
demonstrations on the minetest world (same actions, observations and subgoals) and evaluate here."""

from __future__ import annotations

from typing import Any

from embodied.worlds.expert import Expert, ExpertStuck


class MineDojoExpert(Expert):
    """Stands in for the missing expert: `act` raises ExpertStuck with the reason."""

    def act(self, observation: dict[str, Any]) -> int:
        raise ExpertStuck("the minedojo world has no scripted expert; collect demonstrations with env=minetest")

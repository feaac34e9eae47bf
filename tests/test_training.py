import csv
import os

import numpy as np
import pytest

from embodied.training import TrainConfig, train
from policies.base import load_policy

TINY = {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8, "obs_horizon": 2}


def _config(steps: int) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=16, lr=1e-3, warmup_steps=5, checkpoint_every=20, log_every=10,
                       device="cpu")


def test_tiny_training_run_reduces_the_loss(crafter_dataset, tmp_path):
    run = train([crafter_dataset], "transformer", TINY, _config(60), str(tmp_path / "run"))
    losses = [row["loss"] for row in run.history]
    assert losses[-1] < losses[0] * 0.8, losses
    with open(tmp_path / "run" / "log.csv") as handle:
        assert [int(row["step"]) for row in csv.DictReader(handle)] == [10, 20, 30, 40, 50, 60]


def test_interrupted_run_resumes_from_its_last_checkpoint(crafter_dataset, tmp_path):
    out = str(tmp_path / "run")
    train([crafter_dataset], "transformer", TINY, _config(20), out)
    assert os.path.exists(os.path.join(out, "checkpoints", "last.pt"))
    resumed = train([crafter_dataset], "transformer", TINY, _config(40), out)
    assert resumed.resumed_from == 20
    with open(os.path.join(out, "log.csv")) as handle:
        steps = [int(row["step"]) for row in csv.DictReader(handle)]
    assert steps == [10, 20, 30, 40]


def test_checkpoint_is_self_contained(crafter_dataset, tmp_path):
    train([crafter_dataset], "transformer", TINY, _config(10), str(tmp_path / "run"))
    policy = load_policy(tmp_path / "run" / "policy")
    assert policy.features.env_name == "crafter" and policy.features.discrete
    assert "inventory" in policy.stats
    obs = {"rgb": np.zeros((64, 64, 3), np.uint8), "inventory": np.zeros(16, np.uint8)}
    policy.reset(seed=0)
    assert 0 <= policy.select_action(obs, goal_id=0) < 17


def test_fine_tuning_starts_from_a_checkpoint_and_keeps_its_network(crafter_dataset, tmp_path):
    import dataclasses

    import pytest
    import torch

    from embodied.types import CheckpointError

    train([crafter_dataset], "transformer", TINY, _config(20), str(tmp_path / "base"))
    base = load_policy(tmp_path / "base" / "policy")
    config = dataclasses.replace(_config(10), init=str(tmp_path / "base" / "policy"), lr=1e-9, warmup_steps=0)
    tuned_run = train([crafter_dataset], "transformer", {"dim": 64}, config, str(tmp_path / "tuned"))
    tuned = load_policy(tmp_path / "tuned" / "policy")
    assert tuned.config == base.config  # the checkpoint's network, not the overrides
    assert tuned.stats.keys() == base.stats.keys()
    for name, weight in base.state_dict().items():  # a learning rate of 1e-9 leaves the checkpoint's weights
        torch.testing.assert_close(tuned.state_dict()[name], weight, atol=1e-5, rtol=0)
    fresh = train([crafter_dataset], "transformer", TINY, _config(10), str(tmp_path / "fresh"))
    assert tuned_run.history[0]["loss"] < fresh.history[0]["loss"]  # it starts where the checkpoint was
    with pytest.raises(CheckpointError, match="policy=transformer"):
        train([crafter_dataset], "diffusion", {}, config, str(tmp_path / "wrong"))
    with pytest.raises(CheckpointError, match="observations"):
        train([crafter_dataset], "transformer", {}, dataclasses.replace(config, obs_keys=["inventory"]),
              str(tmp_path / "fewer_keys"))


def test_schedule_start_gives_a_later_stage_its_own_warm_up_and_cosine():
    from embodied.trainer import LoopSettings, lr_factor

    whole = lr_factor(LoopSettings(steps=200, lr=1.0, warmup_steps=10))
    stage = lr_factor(LoopSettings(steps=200, lr=1.0, warmup_steps=10, schedule_start=100))
    assert whole(150) < 0.25 and whole(199) < 0.01  # one schedule: a resumed stage trains at its tail
    assert stage(100) == pytest.approx(0.1) and stage(109) == pytest.approx(1.0)  # warm-up again from step 100
    assert stage(110) == pytest.approx(1.0) and stage(155) == pytest.approx(0.5)  # the cosine over 110..200
    assert stage(200) == pytest.approx(0.0, abs=1e-9) and stage(50) == whole(0)


def test_fine_tuning_can_add_a_low_dim_observation_starting_from_the_same_function(tmp_path):
    import dataclasses

    import torch

    from embodied.collection import CollectConfig, collect
    from embodied.training import start_from

    path = str(tmp_path / "frontier.hdf5")  # recorded with the frontier view, which the base policy does not read
    collect(CollectConfig(env="crafter", episodes=2, out=path, workers=1, noise=0.0, instruction="make a wood pickaxe",
                          env_kwargs={"pixels": False, "memory": True, "frontier": True, "max_subgoal_steps": 40}))
    base_config = dataclasses.replace(_config(20), obs_keys=["inventory", "memory"])
    train([path], "transformer", TINY, base_config, str(tmp_path / "base"))
    base = load_policy(tmp_path / "base" / "policy").eval()
    assert "frontier" not in base.features.obs_shapes

    grown, dataset = start_from(str(tmp_path / "base" / "policy"), "transformer", [path])
    grown.eval()
    assert grown.features.obs_shapes["frontier"] == (3,) and grown.features.env_kwargs["frontier"] is True
    assert grown.config == base.config and "frontier" in grown.stats
    batch = dataset.batch(np.arange(0, len(dataset), 3))
    without = {**batch, "obs": {k: v for k, v in batch["obs"].items() if k != "frontier"}}
    assert np.abs(batch["obs"]["frontier"]).sum() > 0  # the new input is not all zeros
    with torch.no_grad():  # zero weights for the new input: the grown policy is the checkpoint's function
        torch.testing.assert_close(grown(grown.prepare(batch))[0], base(base.prepare(without))[0])

    tuned_config = dataclasses.replace(_config(10), init=str(tmp_path / "base" / "policy"))
    train([path], "transformer", {}, tuned_config, str(tmp_path / "tuned"))
    tuned = load_policy(tmp_path / "tuned" / "policy")
    assert set(tuned.features.obs_shapes) == {"inventory", "memory", "frontier"}
    env = tuned.features.make_env()  # the world it acts in gives the new observation
    obs, _ = env.reset(seed=0)
    tuned.reset(seed=0)
    assert "frontier" in obs and 0 <= tuned.select_action(obs, goal_id=0) < 17

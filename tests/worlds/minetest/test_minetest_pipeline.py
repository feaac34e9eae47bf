"""The whole pipeline on the real engine: `embodied collect env=minetest` (expert) -> train -> eval, short."""

import json

import pytest

from embodied.registry import MissingDependencyError

try:
    from embodied.worlds.minetest.engine import find_binary

    find_binary()
except MissingDependencyError as error:
    pytest.skip(f"Minetest is not installed ({error})", allow_module_level=True)

from embodied.cli.main import main  # noqa: E402


def test_collect_train_eval_on_minetest(tmp_path):
    data, run = tmp_path / "minetest.hdf5", tmp_path / "run"
    assert main(["collect", "env=minetest", "episodes=1", "workers=1", "noise=0", "instruction=collect log",
                 "+env.kwargs.max_subgoal_steps=60", f"out={data}"]) == 0
    assert main(["train", f"dataset={data}", "policy=transformer", "train.steps=5", "policy.dim=32",
                 "policy.layers=1", "policy.heads=2", "train.batch_size=8", f"out={run}"]) == 0
    assert main(["eval", f"checkpoint={run}", "episodes=1", "takeover=false", "instruction=collect log"]) == 0
    metrics = json.loads((run / "eval.json").read_text())
    assert metrics["env"] == "minetest" and metrics["instruction_success"]["attempts"] == 1
    assert metrics["mean_steps"] <= 60  # the env kwargs recorded with the data came back with the checkpoint

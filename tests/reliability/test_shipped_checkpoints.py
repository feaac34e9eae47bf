"""Weights as model.safetensors, and the shipped default policies (embodied/checkpoints/) through the real CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest


def _actions(policy, seed: int = 10_000, steps: int = 40) -> list[int]:
    env = policy.features.make_env()
    observation, _ = env.reset(seed=seed)
    policy.reset(seed=seed)
    goal = policy.goal_id(policy.features.goal_texts[0])
    actions = []
    for _ in range(steps):
        actions.append(policy.select_action(observation, goal))
        observation, *_ = env.step(actions[-1])
    env.close()
    return actions


def test_a_safetensors_policy_dir_acts_as_the_pt_one(trained_policy, tmp_path):
    from policies.base import load_policy

    pt = load_policy(trained_policy)
    pt.save(tmp_path / "st", weights="safetensors")
    names = sorted(p.name for p in (tmp_path / "st").iterdir())
    assert names == ["model.safetensors", "policy.json", "stats.json"]
    assert set(json.loads((tmp_path / "st" / "policy.json").read_text())["sha256"]) == {
        "model.safetensors", "stats.json", "features"}
    st = load_policy(tmp_path / "st")
    for key, tensor in pt.state_dict().items():
        assert np.array_equal(tensor.numpy(), st.state_dict()[key].numpy()), key
    assert _actions(st) == _actions(load_policy(trained_policy))


def test_a_corrupt_or_swapped_safetensors_file_is_one_line(cli, trained_policy, tmp_path):
    from policies.base import load_policy

    load_policy(trained_policy).save(tmp_path / "st", weights="safetensors")
    raw = bytearray((tmp_path / "st" / "model.safetensors").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "st" / "model.safetensors").write_bytes(bytes(raw))
    result = cli.run("eval", f"checkpoint={tmp_path / 'st'}", "episodes=1")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "model.safetensors: sha256 differs" in result.stderr, result.stderr
    swapped = tmp_path / "swapped"
    shutil.copytree(trained_policy, swapped)
    (swapped / "model.pt").rename(swapped / "model.safetensors")
    result = cli.run("eval", f"checkpoint={swapped}", "episodes=1")
    assert result.returncode == 2 and "records the sha256 of model.pt" in result.stderr, result.stderr


def test_eval_without_a_checkpoint_runs_crafters_shipped_default(cli, tmp_path):
    from embodied.checkpoints import shipped_checkpoint

    assert shipped_checkpoint("crafter"), "embodied/checkpoints/crafter is missing"
    out = tmp_path / "eval.json"
    result = cli.run("eval", "episodes=1", "instruction=collect wood", f"out={out}")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["env"] == "crafter" and metrics["episodes"] == 1
    assert metrics["checkpoint"].endswith("embodied/checkpoints/crafter") and "shipped default" in result.stdout


@pytest.mark.parametrize("command", [("eval", "episodes=1"), ("run", "reach the target", "video=null")])
def test_a_world_without_a_shipped_default_is_one_line_exit_2(cli, command):
    result = cli.run(*command, "env=fetch_reach")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no shipped default policy for env=fetch_reach" in lines[0] and "checkpoint=" in lines[0]


def test_the_shipped_defaults_are_small_and_package_data(tmp_path):
    import tomllib

    from embodied.checkpoints import SHIPPED_DIR, shipped_worlds

    assert "crafter" in shipped_worlds()
    data = tomllib.loads((SHIPPED_DIR.parents[1] / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["embodied"]
    for world in shipped_worlds():
        files = sorted(p.name for p in (SHIPPED_DIR / world).iterdir() if p.is_file())
        assert files == ["model.safetensors", "policy.json", "stats.json"], files
        assert sum(p.stat().st_size for p in (SHIPPED_DIR / world).iterdir()) < 8 * 2**20
    assert {"checkpoints/*/*.json", "checkpoints/*/*.safetensors"} <= set(patterns)

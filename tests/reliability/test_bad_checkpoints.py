"""Corrupt checkpoints through the real CLI: `eval` refuses each in one CheckpointError line (exit 2)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch


def _meta(policy, edit) -> None:
    meta = json.loads((policy / "policy.json").read_text())
    edit(meta)
    (policy / "policy.json").write_text(json.dumps(meta))


def _random_bytes_inside(policy):
    raw = bytearray((policy / "model.pt").read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 4096] = torch.randint(0, 256, (min(4096, len(raw) - middle),), dtype=torch.uint8).tolist()
    (policy / "model.pt").write_bytes(bytes(raw))


def _truncated_unhashed(policy):  # an older checkpoint (no hashes): the weights themselves are checked
    _meta(policy, lambda meta: meta.pop("sha256"))
    raw = (policy / "model.pt").read_bytes()
    (policy / "model.pt").write_bytes(raw[: len(raw) // 3])


def _empty(policy):
    (policy / "model.pt").write_bytes(b"")


def _garbage_json(policy):
    (policy / "policy.json").write_text("\x00\x17 not json {")


def _world_edited(policy):
    _meta(policy, lambda meta: meta["features"].update(env_name="tabletop"))


def _nan_weights_unhashed(policy):
    _meta(policy, lambda meta: meta.pop("sha256"))
    weights = torch.load(policy / "model.pt", weights_only=True)
    next(t for t in weights.values() if t.is_floating_point()).fill_(float("nan"))
    torch.save(weights, policy / "model.pt")


CASES = {
    "4 KB of random bytes in model.pt": (_random_bytes_inside, "model.pt: sha256 differs"),
    "truncated model.pt": (_truncated_unhashed, "model.pt: unreadable or not the weights"),
    "empty model.pt": (_empty, "model.pt: sha256 differs"),
    "garbage policy.json": (_garbage_json, "policy.json: not readable JSON"),
    "recorded world edited": (_world_edited, "policy.json: its features (world, shapes, subgoals) were edited"),
    "NaN weights": (_nan_weights_unhashed, "model.pt: non-finite weights"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_eval_refuses_a_corrupt_checkpoint_in_one_line(cli, trained_policy, tmp_path, case):
    corruption, expected = CASES[case]
    policy = tmp_path / "policy"
    shutil.copytree(trained_policy, policy)
    corruption(policy)
    result = cli.run("eval", f"checkpoint={policy}", "episodes=1")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr, result.stderr


def test_an_intact_checkpoint_records_and_passes_its_hashes(trained_policy):
    from policies.base import load_policy

    meta = json.loads((trained_policy / "policy.json").read_text())
    assert set(meta["sha256"]) == {"model.pt", "stats.json", "features"}
    assert load_policy(trained_policy).features.env_name == "crafter"


def test_train_refuses_to_resume_from_a_garbage_checkpoint(cli, crafter_dataset, trained_policy, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_policy.parent, run)
    (run / "checkpoints" / "last.pt").write_bytes(b"\x80garbage" * 100)
    result = cli.run("train", f"dataset={crafter_dataset}", f"out={run}", *cli.tiny_train, "train.steps=10")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "last.pt: cannot resume from it" in lines[0] and "delete it to start over" in lines[0]

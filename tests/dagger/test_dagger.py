"""`embodied dagger` end to end on a tiny Crafter run: the dataset grows with expert-labelled `dagger` steps,
dagger.json has a row per round, and a second run resumes without redoing finished rounds."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from embodied.collection import CollectConfig, collect
from embodied.dagger import DATASET, TRAIN_DIR, dagger_episode
from embodied.datasets.hdf5 import demo_names, open_dataset, read_episode, step_sources
from embodied.datasets.info import summarize
from embodied.hooks import AgentHooks
from embodied.registry import make_planner, world

ROOT = Path(__file__).resolve().parents[2]
TINY = ["policy.dim=32", "policy.layers=1", "policy.heads=2", "policy.image_channels=8", "train.batch_size=16"]
INSTRUCTION = "instruction=make a wood pickaxe"


def dagger(tmp_path: Path, *args: str, dataset: str = "") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "embodied.cli.main", "dagger", f"dataset={dataset or tmp_path / 'X.hdf5'}",
               f"out={tmp_path / 'RUN'}", "episodes_per_round=2", "train.steps=20", "steps_per_round=10",
               "eval_episodes=1", "max_replans=0", INSTRUCTION, *TINY, *args]
    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


class _Executed(AgentHooks):
    """The executed action of every step and where each subgoal started."""

    def __init__(self) -> None:
        self.actions, self.starts = [], []

    def on_subgoal_start(self, agent, subgoal, actor) -> None:
        self.starts.append((len(self.actions), subgoal))

    def on_step(self, agent, step) -> None:
        self.actions.append(step.action)


def _replayed_labels(spec, policy, seed: int, executed: _Executed) -> list[int]:
    """What a fresh expert says at each state of a replay of the executed actions."""
    env = policy.features.make_env()
    expert = spec.make_expert(env, noise=0.0, seed=seed)
    obs, _ = env.reset(seed=seed)
    expert.reset()
    starts, labels = dict(executed.starts), []
    for t, action in enumerate(executed.actions):
        if t in starts:
            env.set_subgoal(starts[t])
            expert.start(starts[t])
        labels.append(int(expert.act(obs)))
        obs, *_ = env.step(action)
    return labels


@pytest.mark.slow
def test_dagger_grows_the_dataset_with_expert_labels_and_resumes(tmp_path):
    collect(CollectConfig(env="crafter", episodes=2, out=str(tmp_path / "X.hdf5"), workers=1, noise=0.0,
                          instruction="make a wood pickaxe", env_kwargs={"max_subgoal_steps": 25}))
    first = dagger(tmp_path, "rounds=2", "beta=0.5")
    assert first.returncode == 0, first.stderr
    assert "DAgger" in first.stdout and "0.250" in first.stdout  # the table, beta_2 = 0.5 ** 2
    state = json.loads((tmp_path / "RUN" / "dagger.json").read_text())
    assert [row["round"] for row in state["rounds"]] == [0, 1, 2]
    from policies.base import load_policy

    kept = [load_policy(tmp_path / "RUN" / f"policy_round_{i}") for i in range(3)]  # each round's own policy
    first, last = kept[0].state_dict(), kept[2].state_dict()
    assert not all(torch.equal(first[name], last[name]) for name in first)
    assert state["rounds"][0]["dagger_steps"] == 0 < state["rounds"][1]["dagger_steps"] < \
        state["rounds"][2]["dagger_steps"]
    with open_dataset(tmp_path / "RUN" / DATASET) as file:
        names = demo_names(file)
        sources = {name: set(step_sources(file, name)) for name in names}
        seeds = [int(file["data"][n].attrs["seed"]) for n in names]
    assert len(names) == 6 and [sources[n] for n in names] == [{"expert"}] * 2 + [{"dagger"}] * 4
    assert seeds == [0, 1, 2, 3, 4, 5]  # rollout seeds continue after the demonstrations', far from 10000
    sources = summarize(tmp_path / "RUN" / DATASET).sources  # what `embodied data info` prints
    assert sources["dagger"] == state["rounds"][2]["dagger_steps"] and sources["expert"] > 0

    second = dagger(tmp_path, "rounds=3", "beta=0.5")  # rounds 0-2 are kept, only round 3 runs
    assert second.returncode == 0, second.stderr
    assert (second.stdout + second.stderr).count("finished before, kept") == 3
    again = json.loads((tmp_path / "RUN" / "dagger.json").read_text())
    assert again["rounds"][:3] == state["rounds"] and again["rounds"][3]["round"] == 3
    with open_dataset(tmp_path / "RUN" / DATASET) as file:
        assert len(demo_names(file)) == 8

    # the labels are what the expert would do in the states the (mixed) rollout visited
    policy = load_policy(tmp_path / "RUN" / TRAIN_DIR / "policy")
    spec = world("crafter")
    env = policy.features.make_env()
    executed = _Executed()
    episode, _ = dagger_episode(env, spec, policy, make_planner("symbolic", "crafter"), 7, 0.3,
                                "make a wood pickaxe", max_replans=0, hooks=(executed,))
    assert episode.source == ["dagger"] * len(episode) and len(executed.actions) == len(episode)
    assert [int(a) for a in episode.actions] == _replayed_labels(spec, policy, 7, executed)
    assert [int(a) for a in executed.actions] != [int(a) for a in episode.actions]  # the policy did act
    with open_dataset(tmp_path / "RUN" / DATASET) as file:
        recorded = read_episode(file, names[-1])
    assert recorded.actions.dtype.kind == "i" and len(recorded.actions) == len(recorded.source)


def test_dagger_yaml_keys_match_the_dataclass():
    from embodied.cli.config import compose, plain
    from embodied.cli.schemas import fields_of
    from embodied.dagger import DaggerConfig

    assert set(plain(compose("dagger", ["dataset=x"]))) - {"policy", "train"} == fields_of(DaggerConfig)


@pytest.mark.slow
def test_open_ended_dagger_rolls_out_whole_episodes_and_scores_rounds(tmp_path):
    collect(CollectConfig(env="crafter", episodes=1, out=str(tmp_path / "X.hdf5"), workers=1, noise=0.0,
                          open_ended=True, env_kwargs={"max_steps": 80}))
    collect(CollectConfig(env="crafter", episodes=1, out=str(tmp_path / "Y.hdf5"), workers=1, noise=0.0, seed=1,
                          instruction="make a wood pickaxe", env_kwargs={"max_steps": 80}))
    run = dagger(tmp_path, "rounds=1", "beta=0.5", "open_ended=true", "max_steps=60", "episodes_per_round=1",
                 dataset="[" + ",".join(str(tmp_path / name) for name in ("X.hdf5", "Y.hdf5")) + "]")
    assert run.returncode == 0, run.stderr
    assert "open-ended" in run.stdout and "achieve" in run.stdout  # the per-round table (wrapped at 80 columns)
    rows = json.loads((tmp_path / "RUN" / "dagger.json").read_text())["rounds"]
    assert [row["round"] for row in rows] == [0, 1] and all("crafter_score" in row for row in rows)
    assert rows[1]["dagger_steps"] > 0 and all(row["mean_steps"] <= 60 for row in rows)
    evaluated = json.loads((tmp_path / "RUN" / "eval_round_1.json").read_text())
    assert evaluated["open_ended"] and evaluated["episodes"] == 1 and evaluated["seeds"] == [10000, 10000]
    with open_dataset(tmp_path / "RUN" / DATASET) as file:  # both demo files, then the rollout
        names = demo_names(file)
        assert [read_episode(file, name).seed for name in names[:2]] == [0, 1]
        assert [set(step_sources(file, name)) for name in names] == [{"expert"}] * 2 + [{"dagger"}]
        rollout = read_episode(file, names[-1])
    assert len(rollout) <= 60 and rollout.instruction == "unlock as many achievements as you can"
    assert len(set(rollout.subgoals)) >= 2  # the curriculum moved on: several subgoals in one episode


@pytest.mark.slow
def test_dagger_continues_a_fine_tuned_run_with_its_network_and_observation_keys(tmp_path):
    from embodied.training import TrainConfig, train
    from policies.base import load_policy

    collect(CollectConfig(env="crafter", episodes=2, out=str(tmp_path / "X.hdf5"), workers=1, noise=0.0,
                          instruction="make a wood pickaxe", env_kwargs={"max_subgoal_steps": 25}))
    data = [str(tmp_path / "X.hdf5")]
    network = {"dim": 48, "layers": 1, "heads": 2, "image_channels": 8}
    settings = TrainConfig(steps=5, batch_size=16, device="cpu", obs_keys=["inventory"])
    train(data, "transformer", network, settings, str(tmp_path / "BASE"))
    # the fine-tune's run.json records policy.* settings (here TINY's dim 32) that are not its network's (dim 48)
    tiny = {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8}
    train(data, "transformer", tiny, TrainConfig(steps=10, batch_size=16, device="cpu", obs_keys=["inventory"],
                                                  init=str(tmp_path / "BASE" / "policy")), str(tmp_path / "FT"))
    run = dagger(tmp_path, f"init={tmp_path / 'FT'}", "rounds=1", "beta=0.5", "restart_schedule=true",
                 "train.dagger_weight=3")
    assert run.returncode == 0, run.stderr
    rows = json.loads((tmp_path / "RUN" / "dagger.json").read_text())["rounds"]
    assert [row["round"] for row in rows] == [0, 1] and rows[1]["train_steps"] == 20 and rows[1]["dagger_steps"] > 0
    last = load_policy(tmp_path / "RUN" / "policy_round_1")
    assert last.config.dim == 48 and set(last.features.obs_shapes) == {"inventory"}
    with open(tmp_path / "RUN" / TRAIN_DIR / "log.csv") as handle:
        rates = {int(row["step"]): float(row["lr"]) for row in csv.DictReader(handle)}
    assert rates[20] == pytest.approx(3e-4 * 11 / 100)  # round 1 warms up again from step 10 (not 21 / 100)

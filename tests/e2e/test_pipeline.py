"""collect -> data info -> train -> eval -> run, through the real `embodied` CLI in a temp dir."""

import json
import subprocess
import sys

import imageio.v2 as imageio
import pytest

from embodied.overlay import BAND_HEIGHT

TINY = ["policy.dim=32", "policy.layers=1", "policy.heads=2", "policy.image_channels=8", "train.batch_size=16"]


def embodied(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embodied.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_collect_train_eval_run(tmp_path):
    result = embodied("collect", "env=crafter", "episodes=2", "out=X.hdf5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 2 episodes" in result.stdout

    info = embodied("data", "info", "X.hdf5", cwd=tmp_path)
    assert info.returncode == 0 and "obs/rgb" in info.stdout and "make stone pickaxe" in info.stdout

    train = embodied("train", "dataset=X.hdf5", "policy=transformer", "train.steps=50", "out=RUN_DIR", *TINY,
                     cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    assert (tmp_path / "RUN_DIR" / "policy" / "model.pt").exists()

    evaluation = embodied("eval", "checkpoint=RUN_DIR", "episodes=2", "video=E.mp4", cwd=tmp_path)
    assert evaluation.returncode == 0, evaluation.stderr
    metrics = json.loads(evaluation.stdout.strip().splitlines()[-1])
    assert metrics["episodes"] == 2 and metrics["env"] == "crafter"
    assert all(0 <= row["success_rate"] <= 1 for row in metrics["subgoals"].values())
    assert json.loads((tmp_path / "RUN_DIR" / "eval.json").read_text())["chain_success"]["attempts"] == 2
    assert metrics["planner"] == "symbolic" and metrics["instruction_success"]["attempts"] == 2

    # the full agent with the bundled language model as planner, no takeover: long-horizon success + score
    agent = embodied("eval", "checkpoint=RUN_DIR", "episodes=1", "planner=llm", "takeover=false", "max_replans=1",
                     "instruction=make a wood pickaxe", "out=agent.json", cwd=tmp_path)
    assert agent.returncode == 0, agent.stderr
    metrics = json.loads(agent.stdout.strip().splitlines()[-1])
    assert metrics["planner"] == "llm" and metrics["instruction_success"]["attempts"] == 1
    assert metrics["instruction_success_by_steps"]["3"]["attempts"] == 1  # collect 3 wood, place table, make
    assert 0 <= metrics["crafter_score"] <= 100 and metrics["median_planning_ms"] > 0
    assert sum(metrics["plan_sources"].values()) >= 1

    run = embodied("run", "make a wood pickaxe", "checkpoint=RUN_DIR", "video=Y.mp4", "max_replans=1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "plan (symbolic): collect 3 wood -> place table -> make wood pickaxe" in run.stdout
    assert (tmp_path / "Y.mp4").stat().st_size > 1000
    for video in ("E.mp4", "Y.mp4"):  # eval's and run's videos carry the caption strip (embodied/overlay.py)
        frame = imageio.mimread(tmp_path / video, memtest=False)[-1]
        assert frame.shape == (256 + BAND_HEIGHT, 256, 3), video

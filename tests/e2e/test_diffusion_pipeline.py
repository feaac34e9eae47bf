"""collect -> train policy=diffusion (EMA, few-step sampler) -> eval, through the real `embodied` CLI."""

import json
import os
import subprocess
import sys

import pytest

TINY = ["policy.dim=32", "policy.layers=1", "policy.heads=2", "policy.image_channels=8", "policy.horizon=8",
        "policy.action_steps=4", "train.batch_size=16", "train.warmup_steps=5"]


def embodied(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embodied.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_collect_train_diffusion_eval(tmp_path):
    assert embodied("collect", "env=crafter", "episodes=2", "out=X.hdf5", "workers=1", cwd=tmp_path).returncode == 0
    train = embodied("train", "dataset=X.hdf5", "policy=diffusion", "train=diffusion", "train.steps=30",
                     "policy.sampler=edm", "policy.inference_steps=2", "out=RUN", *TINY, cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    meta = json.loads((tmp_path / "RUN" / "policy" / "policy.json").read_text())
    assert meta["policy"] == "diffusion" and meta["config"]["sampler"] == "edm"
    assert json.loads((tmp_path / "RUN" / "run.json").read_text())["train"]["ema_decay"] == 0.999
    evaluation = embodied("eval", "checkpoint=RUN", "episodes=1", cwd=tmp_path)
    assert evaluation.returncode == 0, evaluation.stderr
    metrics = json.loads(evaluation.stdout.strip().splitlines()[-1])
    assert metrics["env"] == "crafter" and metrics["chain_success"]["attempts"] == 1

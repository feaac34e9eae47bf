"""Interrupted training through the real CLI: SIGINT checkpoints and exports; kill -9 resumes to the same weights."""

from __future__ import annotations

import csv
import signal
import time

import numpy as np
import torch

from policies.base import load_policy


def _steps(out) -> list[int]:
    path = out / "log.csv"
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return [int(row["step"]) for row in csv.DictReader(handle) if (row.get("step") or "").isdigit()]


def _wait_for_step(process, out, step: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while process.poll() is None and (_steps(out) or [0])[-1] < step and time.time() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "training ended before it could be interrupted"


def _train(cli, dataset: str, out, steps: int, *extra: str) -> list[str]:
    return ["train", f"dataset={dataset}", f"out={out}", *cli.tiny_train, f"train.steps={steps}", *extra]


def test_sigint_writes_checkpoint_and_policy_then_resume_continues_the_log(cli, crafter_dataset, tmp_path):
    out = tmp_path / "run"
    process = cli.start(*_train(cli, crafter_dataset, out, 400))  # default checkpoint_every=500: only the signal saves
    _wait_for_step(process, out, 5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("embodied train: interrupted at step ") and "run the same command again" in line
    assert "Traceback" not in stderr
    assert (out / "checkpoints" / "last.pt").exists()
    load_policy(out / "policy")  # the exported policy is complete and loads
    interrupted_at = int(torch.load(out / "checkpoints" / "last.pt", weights_only=False)["step"])
    resumed = cli.run(*_train(cli, crafter_dataset, out, 400))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from step {interrupted_at}" in resumed.stdout
    steps = _steps(out)
    assert steps[0] == 5 and steps[-1] == 400 and all(a < b for a, b in zip(steps, steps[1:], strict=False))
    with open(out / "log.csv", newline="") as handle:
        seconds = [float(row["seconds"]) for row in csv.DictReader(handle)]
    assert all(a <= b for a, b in zip(seconds, seconds[1:], strict=False))  # elapsed time continues


def test_kill_9_at_random_steps_resumes_to_the_uninterrupted_weights(cli, crafter_dataset, tmp_path):
    extra = ("train.checkpoint_every=20", "train.checkpoint_seconds=0.5")
    reference = cli.run(*_train(cli, crafter_dataset, tmp_path / "reference", 150, *extra))
    assert reference.returncode == 0, reference.stderr
    expected = torch.load(tmp_path / "reference" / "policy" / "model.pt", weights_only=True)
    for point, step in enumerate(np.random.default_rng(0).integers(25, 140, 3)):
        out = tmp_path / f"run{point}"
        process = cli.start(*_train(cli, crafter_dataset, out, 150, *extra))
        _wait_for_step(process, out, int(step))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        finished = cli.run(*_train(cli, crafter_dataset, out, 150, *extra))
        assert finished.returncode == 0 and "resumed from step" in finished.stdout, finished.stderr
        steps = _steps(out)
        assert steps == list(range(5, 151, 5))
        weights = torch.load(out / "policy" / "model.pt", weights_only=True)
        assert weights.keys() == expected.keys()
        assert all(torch.equal(weights[k], expected[k]) for k in expected), f"kill at step {step}"


def test_ctrl_c_at_any_moment_of_setup_is_one_line(cli, crafter_dataset, tmp_path):
    """SIGINT while python imports, the dataset loads or the model is built: one line, exit 130, no traceback."""
    for number, delay in enumerate((0.3, 1.5, 3.0)):
        out = tmp_path / f"run{number}"
        process = cli.start(*_train(cli, crafter_dataset, out, 100_000))  # never done before the signal
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        lines = stderr.strip().splitlines()
        assert process.returncode == 130 and "Traceback" not in stderr, stderr
        assert lines[-1].startswith("embodied train: interrupted")
        if "while setting up" in lines[-1]:
            assert not (out / "checkpoints" / "last.pt").exists()

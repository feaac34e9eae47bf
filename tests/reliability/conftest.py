"""The real CLI as a subprocess, run from this checkout (works in any clone): the `cli` fixture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    """`embodied ...` run with this checkout's code on PYTHONPATH, one thread, headless GL."""

    root = ROOT
    tiny_train = ("policy.dim=32", "policy.layers=1", "policy.heads=2", "policy.image_channels=8",
                  "policy.obs_horizon=2", "train.batch_size=8", "train.warmup_steps=5", "train.log_every=5",
                  "train.device=cpu")

    @staticmethod
    def env() -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "MUJOCO_GL": "egl"}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "embodied.cli.main", *args]

    def run(self, *args: str, cwd: str | os.PathLike | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run `embodied ARGS` to completion (`env`: extra variables); stdout/stderr captured as text."""
        return subprocess.run(self.command(*args), cwd=cwd or ROOT, env={**self.env(), **(env or {})},
                              capture_output=True, text=True, timeout=timeout)

    def start(self, *args: str, cwd: str | os.PathLike | None = None) -> subprocess.Popen:
        """Start `embodied ARGS` in the background (stdout discarded, stderr kept for asserts), with SIGINT's
        default action even when this test run was itself started in the background (a non-interactive shell
        starts background jobs with SIGINT ignored, and children inherit that): the tests send it a Ctrl-C."""
        return subprocess.Popen(self.command(*args), cwd=cwd or ROOT, env=self.env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()


@pytest.fixture(scope="session")
def trained_policy(cli, crafter_dataset, tmp_path_factory) -> Path:
    """The exported policy of a tiny 5-step `embodied train` run on Crafter (tests copy it before editing)."""
    out = tmp_path_factory.mktemp("trained") / "run"
    result = cli.run("train", f"dataset={crafter_dataset}", f"out={out}", *cli.tiny_train, "train.steps=5")
    assert result.returncode == 0, result.stderr
    return out / "policy"

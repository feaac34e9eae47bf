"""torchrun DDP (2 CPU processes, gloo on loopback) trains the weights one process trains on the global batch."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["policy=transformer", "policy.dim=32", "policy.layers=1", "policy.heads=2", "policy.image_channels=8",
        "policy.dropout=0.0", "train.batch_size=8", "train.warmup_steps=2", "train.log_every=2", "train.device=cpu"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _train(dataset: str, out: Path, steps: int, processes: int) -> subprocess.CompletedProcess:
    launcher = [] if processes == 1 else ["-m", "torch.distributed.run", f"--nproc_per_node={processes}",
                                          "--master_addr=127.0.0.1", f"--master_port={_free_port()}", "-m"]
    command = [sys.executable, *launcher, *(["-m"] if processes == 1 else []), "embodied.cli.main", "train",
               f"dataset={dataset}", f"out={out}", f"train.steps={steps}", *ARGS]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _weights(out: Path) -> dict[str, torch.Tensor]:
    return torch.load(out / "checkpoints" / "last.pt", weights_only=False)["model"]


@pytest.mark.distributed
def test_two_gloo_processes_match_one_process_on_the_global_batch(crafter_dataset, tmp_path):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    assert (result := _train(crafter_dataset, single, 4, 1)).returncode == 0, result.stderr
    assert (result := _train(crafter_dataset, ddp, 2, 2)).returncode == 0, result.stderr
    assert (result := _train(crafter_dataset, ddp, 4, 2)).returncode == 0, result.stderr  # resumes at step 2
    assert "resuming from" in result.stdout + result.stderr
    one, two = _weights(single), _weights(ddp)
    assert one.keys() == two.keys()
    for name in one:
        torch.testing.assert_close(two[name], one[name], atol=1e-5, rtol=1e-4, msg=name)
    rows = (ddp / "log.csv").read_text().strip().splitlines()
    assert rows[0].startswith("step,loss") and len(rows) == 3  # rank 0 alone logs: header + steps 2 and 4
    assert (ddp / "policy" / "model.pt").exists()

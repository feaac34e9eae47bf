"""Data-parallel training under torchrun (DDP): NCCL on GPUs, gloo on CPU; one process when not launched so.

`torchrun --nproc_per_node=W -m embodied.cli.main train ...` sets RANK / WORLD_SIZE / LOCAL_RANK (and the
rendezvous address); `Distributed.from_env` joins the group. `train.batch_size` stays the global batch:
every rank draws the same global batch (same seed) and keeps rows rank, rank + W, ... (DistributedSampler's
split); the local loss is re-weighted by its share of the batch's action-mask count, so DDP's gradient
average is the gradient of the global masked-mean loss (what one process computes on the whole batch).
Rank 0 alone writes checkpoints and logs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist


@dataclass
class Distributed:
    """This process's place in the group (rank 0 of 1 when not under torchrun)."""

    rank: int = 0
    world_size: int = 1
    device: torch.device | None = None  # the GPU of this local rank under NCCL; None: the config decides

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls, device: torch.device) -> Distributed:
        """Join torchrun's process group when WORLD_SIZE > 1 (NCCL on CUDA, else gloo)."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        return cls(rank, world_size, device)

    def wrap(self, policy: torch.nn.Module) -> torch.nn.Module:
        """The module to call for the loss: DDP around `policy` (gradients averaged) or `policy` itself."""
        if not self.active:
            return policy
        ids = [self.device.index] if self.device is not None and self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(policy, device_ids=ids, find_unused_parameters=True)

    def shard(self, batches: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """This rank's rows of every global batch, and the global action-mask count (key `_mask_total`)."""
        for batch in batches:
            if not self.active:
                yield batch
                continue
            local = _rows(batch, slice(self.rank, None, self.world_size))
            if len(local["action_mask"]) == 0:
                raise ValueError(f"train.batch_size={len(batch['action_mask'])} is smaller than the "
                                 f"{self.world_size} processes; it is the global batch")
            local["_mask_total"] = float(np.asarray(batch["action_mask"], np.float64).sum())
            yield local

    def scale(self, loss: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        """Local masked-mean loss -> its share of the global masked mean, times W (DDP divides by W)."""
        if not self.active:
            return loss
        local = float(np.asarray(batch["action_mask"], np.float64).sum())
        return loss * (max(local, 1.0) * self.world_size / max(batch["_mask_total"], 1.0))

    def logs(self, logs: dict[str, float], loss: torch.Tensor) -> dict[str, float]:
        """The logged loss of the global batch (the ranks' scaled losses averaged); every rank must call it."""
        if not self.active:
            return logs
        tensor = loss.detach().to(torch.float64).reshape(1)
        dist.all_reduce(tensor)
        return {**logs, "loss": float(tensor.item()) / self.world_size}

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


def _rows(batch: Any, rows: slice) -> Any:
    """The same rows of every array in a (nested) batch dict."""
    if isinstance(batch, dict):
        return {key: _rows(value, rows) for key, value in batch.items()}
    return batch[rows]

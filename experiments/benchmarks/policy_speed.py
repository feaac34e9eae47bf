"""Diffusion policy speed on CPU, side by side: ms per action chunk per sampler, training steps/s per backbone,
and data-loader windows/s.

    embodied collect env=crafter episodes=4 out=/tmp/bench/crafter.hdf5
    python experiments/benchmarks/policy_speed.py --dataset /tmp/bench/crafter.hdf5 [--checkpoint RUN_DIR]

Sampling: batch 1, one `predict_chunk` (observation encoding included) per sampler, over one network
(a trained checkpoint, or a randomly initialised one sized from the dataset), after warm-up; the
median of --repeats, and its ratio to DDPM-100. Training: forward, backward and AdamW step of each backbone's
policy on the same random batches of --train-batch windows, --train-rounds rounds in alternating order (the
median steps/s, and its ratio to the first backbone). Loading: windows/s of `WindowDataset.batch` (one
vectorised gather from memory) against a naive loader that opens the HDF5 file and reads each
window's slices per sample, on the same random window indices.
"""

from __future__ import annotations

import argparse
import statistics
import time

import h5py
import numpy as np
import torch

from embodied.datasets.hdf5 import demo_names
from embodied.datasets.windows import WindowDataset
from embodied.evaluation import policy_dir
from embodied.training import build_policy
from policies.base import load_policy

SAMPLERS = (("ddpm", 100), ("ddim", 10), ("dpmsolver", 3), ("edm", 1), ("edm", 2), ("edm", 3))
SMALL = {"dim": 128, "layers": 4, "heads": 4, "image_channels": 32, "unet_channels": [64, 128, 256]}
RECIPE = {"transformer": {"layers": 2}, "mlp": {"layers": 4, "mlp_width": 256, "dropout": 0.0}}  # as the robot
#   recipes (experiments/recipes/robot_policies.sh) train them; the U-Net at its defaults


def network_evaluations(sampler: str, steps: int) -> int:
    return 2 * steps - 1 if sampler == "edm" else steps


def time_sampler(policy, batch: dict, sampler: str, steps: int, repeats: int, warmup: int) -> float:
    """Median milliseconds of one predict_chunk on a prepared batch of 1."""
    policy.config.sampler, policy.config.inference_steps = sampler, steps
    times = []
    for i in range(warmup + repeats):
        began = time.perf_counter()
        policy.predict_chunk(batch)
        if i >= warmup:
            times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times)


def sampler_table(policies: dict, batch_numpy: dict, repeats: int, warmup: int) -> None:
    print(f"\n## ms per action chunk (CPU, batch 1, {torch.get_num_threads()} thread(s), median of {repeats})")
    print(f"{'backbone':12s} {'sampler':12s} {'steps':>5s} {'net evals':>9s} {'ms/chunk':>9s} {'vs DDPM-100':>12s}")
    for backbone, policy in policies.items():
        batch = policy.prepare(batch_numpy)
        baseline = None
        for sampler, steps in SAMPLERS:
            ms = time_sampler(policy, batch, sampler, steps, repeats, warmup)
            baseline = baseline or ms
            print(f"{backbone:12s} {sampler:12s} {steps:5d} {network_evaluations(sampler, steps):9d} {ms:9.2f} "
                  f"{baseline / ms:11.1f}x", flush=True)


def train_table(policies: dict, dataset: WindowDataset, batch_size: int, steps: int, rounds: int) -> None:
    """Training steps/s per backbone, measured in alternating rounds on the same batches."""
    rng = np.random.default_rng(0)
    batches = [dataset.batch(rng.integers(0, len(dataset), batch_size)) for _ in range(steps + 2)]
    optimizers = {name: torch.optim.AdamW(policy.parameters(), lr=1e-4) for name, policy in policies.items()}
    rates: dict[str, list[float]] = {name: [] for name in policies}
    for round_index in range(rounds):
        order = list(policies) if round_index % 2 == 0 else list(reversed(policies))
        for name in order:
            policy, optimizer = policies[name].train(), optimizers[name]
            for i, window in enumerate(batches):
                if i == 2:  # the first two steps warm up
                    began = time.perf_counter()
                loss, _ = policy(policy.prepare(window))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            rates[name].append(steps / (time.perf_counter() - began))
    for policy in policies.values():
        policy.eval()
    first = statistics.median(next(iter(rates.values())))
    print(f"\n## training steps/s (CPU, batch {batch_size}, {torch.get_num_threads()} thread(s), median of {rounds} "
          f"rounds of {steps} steps)")
    print(f"{'backbone':12s} {'params':>8s} {'steps/s':>8s} {'vs ' + next(iter(rates)):>16s}  rounds")
    for name, values in rates.items():
        params = sum(p.numel() for p in policies[name].parameters()) / 1e6
        median = statistics.median(values)
        print(f"{name:12s} {params:7.2f}M {median:8.2f} {median / first:15.2f}x  "
              + ", ".join(f"{v:.2f}" for v in values), flush=True)


def naive_windows(path: str, dataset: WindowDataset, indices: np.ndarray) -> list[dict]:
    """Per sample: open the file, find the episode, read the window's slices (what a simple Dataset does)."""
    spec = dataset.spec
    with h5py.File(path, "r") as file:
        names = demo_names(file)
        lengths = [file["data"][n]["actions"].shape[0] for n in names]
    offsets = np.cumsum([0, *lengths])
    windows = []
    for index in indices:
        episode = int(np.searchsorted(offsets, index, side="right") - 1)
        t = int(index - offsets[episode])
        start = int(dataset.segment_start[index] - offsets[episode])
        end = int(dataset.segment_end[index] - offsets[episode])
        with h5py.File(path, "r") as file:
            demo = file["data"][names[episode]]
            obs_index = np.clip(np.arange(t - spec.obs_horizon + 1, t + 1), start, None)
            raw = t + spec.action_start + np.arange(spec.action_horizon)
            low, high = int(obs_index.min()), int(max(obs_index.max(), np.clip(raw, start, end - 1).max()))
            obs = {key: demo["obs"][key][low: high + 1][obs_index - low] for key in demo["obs"]}
            actions = demo["actions"][low: high + 1][np.clip(raw, start, end - 1) - low]
            goal_ids = demo["subgoal_ids"][low: high + 1][obs_index - low]
        windows.append({"obs": obs, "actions": actions, "action_mask": (raw >= start) & (raw < end),
                        "goal_ids": goal_ids})
    return windows


def loader_table(path: str, dataset: WindowDataset, batch_size: int, batches: int, load_seconds: float) -> None:
    rng = np.random.default_rng(0)
    indices = [rng.integers(0, len(dataset), batch_size) for _ in range(batches)]
    began = time.perf_counter()
    for chunk in indices:
        dataset.batch(chunk)
    vectorised = batches * batch_size / (time.perf_counter() - began)
    naive_batches = max(1, batches // 10)
    began = time.perf_counter()
    for chunk in indices[:naive_batches]:
        naive_windows(path, dataset, chunk)
    naive = naive_batches * batch_size / (time.perf_counter() - began)
    print(f"\n## data loader ({len(dataset)} steps, {dataset.num_episodes} episodes, window T_o="
          f"{dataset.spec.obs_horizon} T_p={dataset.spec.action_horizon}, batches of {batch_size})")
    print(f"{'loader':44s} {'windows/s':>10s} {'vs naive':>9s}")
    print(f"{'WindowDataset.batch (in memory, one gather)':44s} {vectorised:10.0f} {vectorised / naive:8.0f}x")
    print(f"{'naive per-sample h5py reads (open + slices)':44s} {naive:10.0f} {1.0:8.0f}x")
    print(f"(WindowDataset reads the whole file once first: {load_seconds:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, help="an HDF5 dataset written by `embodied collect`")
    parser.add_argument("--checkpoint", default=None, help="a trained diffusion run/policy dir (default: random init)")
    parser.add_argument("--backbones", nargs="*", default=["transformer", "unet", "mlp"])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--train-steps", type=int, default=20, help="timed training steps per round (0: skip)")
    parser.add_argument("--train-rounds", type=int, default=3)
    parser.add_argument("--train-batch", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.checkpoint:
        policy = load_policy(policy_dir(args.checkpoint))
        policies = {policy.config.backbone: policy}
        spec = policy.window
    else:
        policies = {b: build_policy("diffusion", {**SMALL, **RECIPE.get(b, {}), "backbone": b},
                                    [args.dataset])[0].eval()
                    for b in args.backbones}
        spec = next(iter(policies.values())).window
    began = time.perf_counter()
    dataset = WindowDataset(args.dataset, spec)
    load_seconds = time.perf_counter() - began
    window = dataset.batch(np.array([len(dataset) // 2]))
    batch = {"obs": window["obs"], "goal_ids": window["goal_ids"]}
    with torch.no_grad():
        sampler_table(policies, batch, args.repeats, args.warmup)
    if args.train_steps and not args.checkpoint:
        train_table(policies, dataset, args.train_batch, args.train_steps, args.train_rounds)
    loader_table(args.dataset, dataset, args.batch_size, args.batches, load_seconds)


if __name__ == "__main__":
    main()

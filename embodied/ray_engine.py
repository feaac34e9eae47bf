"""`engine=ray`: collection and evaluation episodes as Ray tasks, on a local runtime or a cluster.

Each task runs whole episodes with the same per-seed logic as the local workers (`record_episode`,
`run_episode`), so the episodes are the local engine's whichever node runs them. Nothing is read from a
shared file system: the policy checkpoint travels in Ray's object store and the episodes come back to the
driver, which writes the HDF5 file / eval.json. Every node needs this package installed (see SCALE.md).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from embodied.scale import RayConfig

if TYPE_CHECKING:
    from embodied.collection import CollectConfig
    from embodied.evaluation import EvalConfig

_CACHE: dict[str, Any] = {}  # per Ray worker process: the env / policy of the latest job, reused across tasks


def init_ray(config: RayConfig) -> Any:
    """The `ray` module, connected: to `config.address` when set, else to a new local runtime."""
    try:
        import ray
    except ImportError:
        from embodied.registry import MissingDependencyError

        raise MissingDependencyError("engine=ray needs the ray package: pip install -e '.[scale]'") from None
    if not ray.is_initialized():
        if config.address:
            ray.init(address=config.address, log_to_driver=False)
        else:  # a local runtime's workers import this very checkout
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
            ray.init(num_cpus=config.num_cpus, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {"PYTHONPATH": path}})
    return ray


def _completed(ray: Any, refs: list[Any], total: int, desc: str) -> Iterator[Any]:
    """Results of `refs` as they finish, with a progress bar over `total` episodes."""
    with tqdm(total=total, desc=desc, unit="ep") as bar:
        while refs:
            done, refs = ray.wait(refs, num_returns=1)
            result = ray.get(done[0])
            bar.update(len(result) if isinstance(result, list) else 1)
            yield result


def _collect_task(config: CollectConfig, job: str, index: int, record_frames: bool) -> tuple[Any, Any]:
    from embodied.collection import _record_in_worker, _worker_setup

    if _CACHE.get("collect") != job:
        _worker_setup(config)
        _CACHE["collect"] = job
    return _record_in_worker(index, record_frames)


def collect_on_ray(config: CollectConfig) -> Iterator[tuple[Any, Any]]:
    """(episode, trajectory) per recorded episode, in the order they finish (like the local process pool)."""
    ray = init_ray(config.ray)
    task, job = ray.remote(_collect_task), uuid.uuid4().hex
    refs = [task.remote(config, job, i, config.video is not None and i == 0) for i in range(config.episodes)]
    yield from _completed(ray, refs, config.episodes, f"collect {config.env} (ray)")


def _eval_task(files: dict[str, bytes], job: str, config: EvalConfig, episodes: list[int],
               make_planner_for: Callable[[Any], Any] | None) -> list[dict[str, Any]]:
    import torch

    from embodied.agent import PolicyActor
    from embodied.evaluation import make_context, run_episode
    from policies.base import load_policy

    torch.set_num_threads(1)
    if _CACHE.get("eval") != job:
        with tempfile.TemporaryDirectory() as directory:
            for name, data in files.items():
                with open(os.path.join(directory, name), "wb") as handle:
                    handle.write(data)
            policy = load_policy(directory, config.device)
        context = make_context(policy.features.env_name, policy.features.env_kwargs, make_planner_for)
        _CACHE.update(eval=job, policy=policy, context=context)
    policy, context = _CACHE["policy"], _CACHE["context"]
    return [run_episode(context, config, episode, lambda env, seed: PolicyActor(policy, env, seed))
            for episode in episodes]


def evaluate_on_ray(config: EvalConfig, make_planner_for: Callable[[Any], Any] | None = None
                    ) -> list[dict[str, Any]]:
    """Outcomes (`run_episode` dicts) of `config.episodes` episodes, `config.ray.episodes_per_task` per task."""
    from embodied.evaluation import policy_dir

    ray = init_ray(config.ray)
    directory = policy_dir(config.checkpoint)
    files = {}
    for name in os.listdir(directory):
        if os.path.isfile(os.path.join(directory, name)):
            with open(os.path.join(directory, name), "rb") as handle:
                files[name] = handle.read()
    blob, task, job = ray.put(files), ray.remote(_eval_task), uuid.uuid4().hex
    size = max(1, config.ray.episodes_per_task)
    refs = [task.remote(blob, job, config, list(range(start, min(start + size, config.episodes))), make_planner_for)
            for start in range(0, config.episodes, size)]
    return [outcome for chunk in _completed(ray, refs, config.episodes, "eval (ray)") for outcome in chunk]

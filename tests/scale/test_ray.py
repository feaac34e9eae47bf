"""`engine=ray` on a local Ray runtime (loopback) records and evaluates the local engine's episodes."""

import h5py
import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="engine=ray needs ray (pip install -e '.[scale]')")


def _episodes_by_seed(path: str) -> dict[int, dict]:
    """Every array and attribute of every demo, keyed by the episode's seed (demo order is completion order)."""
    episodes = {}
    with h5py.File(path) as handle:
        for demo in handle["data"].values():
            names: list[str] = []
            demo.visit(names.append)
            arrays = {key: demo[key][()] for key in names if isinstance(demo[key], h5py.Dataset)}
            episodes[int(demo.attrs["seed"])] = {"arrays": arrays, "attrs": dict(demo.attrs)}
    return episodes


@pytest.fixture(scope="module")
def local_ray():
    """A local runtime on loopback: ray.init(num_cpus=2, include_dashboard=False), workers on this checkout."""
    from embodied.ray_engine import init_ray
    from embodied.scale import RayConfig

    yield init_ray(RayConfig(num_cpus=2))
    ray.shutdown()


@pytest.mark.distributed
def test_ray_collect_records_the_local_engines_episodes(local_ray, tmp_path):
    from embodied.collection import CollectConfig, collect

    paths = {}
    for engine in ("local", "ray"):
        paths[engine] = str(tmp_path / f"{engine}.hdf5")
        collect(CollectConfig(env="crafter", episodes=3, seed=5, out=paths[engine], workers=1, engine=engine))
    local, remote = _episodes_by_seed(paths["local"]), _episodes_by_seed(paths["ray"])
    assert sorted(local) == sorted(remote) and len(local) >= 2
    for seed, episode in local.items():
        assert sorted(episode["arrays"]) == sorted(remote[seed]["arrays"])
        for key, values in episode["arrays"].items():
            np.testing.assert_array_equal(values, remote[seed]["arrays"][key], err_msg=f"seed {seed} {key}")
        assert {k: str(v) for k, v in episode["attrs"].items()} == {k: str(v) for k, v in remote[seed]["attrs"].items()}


@pytest.mark.distributed
def test_ray_eval_equals_local_eval(local_ray, tiny_run, tmp_path):
    from embodied.evaluation import EvalConfig, evaluate

    runs = {engine: evaluate(EvalConfig(checkpoint=tiny_run, episodes=2, engine=engine, out=str(tmp_path / engine)))
            for engine in ("local", "ray")}
    assert runs["ray"]["per_episode"] == runs["local"]["per_episode"]
    assert runs["ray"]["engine"] == "ray" and len(runs["ray"]["per_episode"]) == 2

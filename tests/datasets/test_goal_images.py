"""WindowDataset serves goal images: the last frame of each window's subgoal segment."""

import numpy as np
import pytest

from embodied.datasets.hdf5 import DatasetError, DatasetWriter, Episode, open_dataset, read_episode
from embodied.datasets.windows import WindowDataset, WindowSpec


def test_goal_rgb_is_the_last_frame_of_the_subgoal_segment(crafter_dataset):
    spec = WindowSpec(obs_horizon=2, action_start=-1, action_horizon=8, goal_image=True)
    dataset = WindowDataset(crafter_dataset, spec)
    with open_dataset(crafter_dataset) as file:
        episode = read_episode(file, "demo_0")
    ids = episode.subgoal_ids
    indices = np.arange(len(episode))
    batch = dataset.batch(indices)
    assert batch["goal_rgb"].shape == (len(episode), 64, 64, 3) and batch["goal_rgb"].dtype == np.uint8
    for t in (0, len(episode) // 2, len(episode) - 1):
        last = t
        while last + 1 < len(episode) and ids[last + 1] == ids[t]:
            last += 1
        assert np.array_equal(batch["goal_rgb"][t], episode.obs["rgb"][last])
    assert "goal_rgb" not in WindowDataset(crafter_dataset, WindowSpec(obs_horizon=2)).batch(indices[:2])


def test_goal_images_need_rgb_observations(tmp_path):
    path = tmp_path / "state.hdf5"
    DatasetWriter(path, {"env_name": "toy"}, ("a",)).write(Episode(
        obs={"state": np.zeros((3, 2), np.float32)}, actions=np.zeros(3, np.int64), rewards=np.zeros(3),
        dones=np.eye(3)[-1], subgoals=["a"] * 3, subgoal_ids=np.zeros(3, np.int32)))
    with pytest.raises(DatasetError, match="goal images need obs/rgb"):
        WindowDataset(path, WindowSpec(goal_image=True))

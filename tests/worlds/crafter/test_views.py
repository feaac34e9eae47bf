"""Crafter's observation options beside the pixels: the one-hot local view and the map of what was seen."""

import numpy as np
import pytest

from embodied.types import OBS_MEMORY, OBS_RGB, OBS_SEMANTIC
from embodied.worlds.crafter import views
from embodied.worlds.crafter.env import CrafterEnv


@pytest.fixture(scope="module")
def env():
    return CrafterEnv(semantic=True, memory=True)


def _walk(env, steps, seed=0):
    rng = np.random.default_rng(seed)
    visited = [np.array(env.player.pos)]
    observations = []
    for _ in range(steps):
        obs, *_ = env.step(int(rng.integers(1, 5)))  # the four moves
        visited.append(np.array(env.player.pos))
        observations.append(obs)
    return visited, observations


def test_semantic_view_is_the_camera_window_one_hot(env):
    obs, _ = env.reset(seed=4)
    semantic = obs[OBS_SEMANTIC]
    assert semantic.shape == (7, 9, views.SEMANTIC_IDS) and semantic.dtype == np.uint8
    assert (semantic.sum(-1) == 1).all()
    ids = semantic.argmax(-1)
    assert ids[3, 4] == env._env._sem_view._obj_ids[type(env.player)]  # the player at the centre
    x, y = env.player.pos
    world = env._env._sem_view()
    for row in range(7):
        for column in range(9):
            cell = (x - 4 + column, y - 3 + row)
            inside = 0 <= cell[0] < 64 and 0 <= cell[1] < 64
            assert ids[row, column] == (world[cell] if inside else 0)


def test_memory_holds_only_cells_that_were_in_view(env):
    env.reset(seed=5)
    visited, _ = _walk(env, 60)
    in_view = np.zeros((64, 64), bool)
    for x, y in visited:
        in_view[max(x - 4, 0): x + 5, max(y - 3, 0): y + 4] = True
    seen = env._seen.cells != views.UNSEEN
    assert seen.any() and np.array_equal(seen, in_view)


def test_memory_points_at_the_nearest_remembered_landmark(env):
    env.reset(seed=6)
    _, observations = _walk(env, 80, seed=1)
    memory = observations[-1][OBS_MEMORY].reshape(len(views.LANDMARKS) + 1, 3)
    pos = np.array(env.player.pos)
    cells = env._seen.cells
    for index, name in enumerate((*views.LANDMARKS, "unseen")):
        material = views.UNSEEN if name == "unseen" else env.game_world._mat_ids[name]
        found = np.argwhere(cells == material)
        assert memory[index, 2] == (1.0 if len(found) else 0.0)
        if len(found):  # the offset leads to a remembered cell of it, and none is nearer
            offset = memory[index, :2].astype(int)
            nearest = np.abs(found - pos).sum(1).min()
            if nearest <= views.MEMORY_RANGE:
                assert cells[tuple(pos + offset)] == material
                assert np.abs(offset).sum() == nearest


def test_memory_is_forgotten_at_reset(env):
    env.reset(seed=7)
    _walk(env, 30)
    obs, _ = env.reset(seed=7)
    assert (env._seen.cells != views.UNSEEN).sum() <= 9 * 7
    assert OBS_MEMORY in obs


def test_pixels_can_be_left_out():
    env = CrafterEnv(pixels=False, semantic=True)
    obs, _ = env.reset(seed=0)
    assert OBS_RGB not in obs and OBS_SEMANTIC in obs
    assert env.render().shape == (64, 64, 3)  # videos still have the camera


def test_a_policy_trained_on_some_recorded_views_acts_in_the_recording_env(tmp_path):
    from embodied.collection import CollectConfig, collect
    from embodied.training import TrainConfig, train
    from policies.base import load_policy

    path = str(tmp_path / "views.hdf5")
    collect(CollectConfig(env="crafter", episodes=2, out=path, workers=1, instruction="collect wood",
                          env_kwargs={"semantic": True, "memory": True}))
    config = TrainConfig(steps=4, batch_size=8, device="cpu", obs_keys=["inventory", "semantic", "memory"])
    train([path], "transformer", {"dim": 32, "layers": 1, "heads": 2, "obs_horizon": 2}, config, str(tmp_path / "run"))
    policy = load_policy(tmp_path / "run" / "policy")
    assert set(policy.features.obs_shapes) == {"inventory", "semantic", "memory"}
    env = policy.features.make_env()  # the recording's kwargs: it still renders rgb, which the policy ignores
    obs, _ = env.reset(seed=10000)
    assert OBS_RGB in obs and OBS_MEMORY in obs
    policy.reset(seed=0)
    for _ in range(3):
        obs, *_ = env.step(policy.select_action(obs, goal_id=policy.goal_id("collect wood")))


def test_an_expert_that_knows_only_what_was_seen_explores_and_succeeds():
    from embodied.agent import Agent, AgentConfig
    from embodied.worlds.crafter.expert import CrafterExpert
    from planners.symbolic import SymbolicPlanner

    env = CrafterEnv(expert_knows="seen")
    env.reset(seed=3)
    far = (0, 0) if np.abs(np.subtract(env.player.pos, (0, 0))).sum() > 12 else (63, 63)
    assert env.known_cell(far) == (None, None) and env.never_seen(far)
    assert env.known_cell(tuple(env.player.pos))[0] == env.game_world[tuple(env.player.pos)][0]
    successes = 0
    for seed in range(5):
        agent = Agent(env, SymbolicPlanner("crafter"), CrafterExpert(env, seed=seed), AgentConfig(max_replans=0))
        successes += agent.run("make a stone pickaxe", seed=seed).success
        assert not env.never_seen(tuple(env.player.pos))
    assert successes >= 4
    with pytest.raises(ValueError, match="expert_knows"):
        CrafterEnv(expert_knows="everything")


def test_frontier_points_at_the_nearest_remembered_rock_beside_unseen_cells():
    from embodied.types import OBS_FRONTIER

    env = CrafterEnv(pixels=False, memory=True, frontier=True)
    ids = env.game_world._mat_ids
    pointed = 0
    for seed in range(4):
        env.reset(seed=seed)
        _, observations = _walk(env, 60, seed)
        dx, dy, found = observations[-1][OBS_FRONTIER]
        cells, pos = env._seen.cells, np.array(env.player.pos)
        unseen = cells == views.UNSEEN
        candidates = [(x, y) for x, y in zip(*np.nonzero(np.isin(cells, (ids["stone"], ids["path"]))), strict=True)
                      if any(0 <= x + a < cells.shape[0] and 0 <= y + b < cells.shape[1] and unseen[x + a, y + b]
                             for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1)))]
        assert bool(found) == bool(candidates)
        if candidates:  # the nearest such cell (within the clipping range, as in these short walks)
            pointed += 1
            nearest = min(abs(x - pos[0]) + abs(y - pos[1]) for x, y in candidates)
            target = (int(pos[0] + dx), int(pos[1] + dy))
            assert target in candidates and abs(dx) + abs(dy) == nearest
    assert pointed >= 2  # rock was seen in some of the walks: the test looked at real pointers

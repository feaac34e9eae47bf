"""The vectorised world generation against crafter's own: the same worlds, bit for bit, and the same game after."""

from __future__ import annotations

import functools

import crafter
import crafter.worldgen as crafter_worldgen
import numpy as np
import opensimplex
import pytest

from embodied.worlds.crafter import simplex, worldgen
from embodied.worlds.crafter.env import ACTIONS, CrafterEnv

SEEDS = range(50)
REFERENCES = ("world", "random", "player")  # object attributes that point at the game, compared by identity


@pytest.fixture(scope="module")
def envs():
    """(crafter's generator, the vectorised one), otherwise the same CrafterEnv."""
    return CrafterEnv(fast_reset=False), CrafterEnv(fast_reset=True)


@pytest.fixture
def no_cache(monkeypatch):
    monkeypatch.setattr(worldgen, "LAYOUT_CACHE", worldgen.LayoutCache(maxsize=0))


def _bits(values) -> np.ndarray:
    return np.asarray(values, np.float64).view(np.int64)


def test_noise_port_matches_opensimplex_bit_for_bit_at_random_points():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-40, 40, 3000), rng.uniform(-40, 40, 3000)
    z = rng.integers(-9, 10, 3000)
    points = simplex.lattice(x, y, z.astype(np.float64))
    for seed in (0, 1234567, 2 ** 31 - 2):
        scalar = opensimplex.OpenSimplex(seed)
        expected = [scalar.noise3(a, b, int(c)) for a, b, c in zip(x.tolist(), y.tolist(), z, strict=True)]
        assert np.array_equal(_bits(simplex.noise3(points, simplex.Gradients.from_seed(seed))), _bits(expected))


@pytest.mark.parametrize("seed", [5, 987654321])
def test_every_field_crafter_samples_is_bit_identical_on_the_grid(seed):
    """Each field as crafter's `_simplex(x, y, z, sizes, normalize)` computes it cell by cell."""
    fields = worldgen._noise_fields(seed, (64, 64))
    sample = functools.partial(crafter_worldgen._simplex, opensimplex.OpenSimplex(seed))
    stretch = {"none": lambda x, y: (x, y), "horizontal": lambda x, y: (2 * x, y / 5),
               "vertical": lambda x, y: (x / 5, 2 * y)}
    for name, field in worldgen.FIELDS.items():
        sizes = dict(field.octaves) if len(field.octaves) > 1 else field.octaves[0][0]
        expected = [[sample(*stretch[field.stretch](x, y), field.z, sizes, field.normalize) for y in range(64)]
                    for x in range(64)]
        assert np.array_equal(_bits(fields[name]), _bits(expected)), name


def test_one_array_of_uniform_draws_is_the_stream_of_scalar_draws():
    one, many = np.random.RandomState(3), np.random.RandomState(3)
    assert one.uniform(size=500).tolist() == [many.uniform() for _ in range(500)]
    assert _same_random_state(one, many)


@pytest.mark.parametrize("seed", SEEDS)
def test_reset_builds_the_same_world_as_crafter(envs, seed, monkeypatch, no_cache):
    crafter_env, fast_env = envs
    tunnels = _record_tunnels(monkeypatch)
    expected_obs, _ = crafter_env.reset(seed=seed)
    obs, _ = fast_env.reset(seed=seed)
    expected, world = crafter_env.game_world, fast_env.game_world
    assert np.array_equal(world._mat_map, expected._mat_map)
    assert np.array_equal(tunnels["fast"], tunnels["crafter"])
    assert np.array_equal(world._obj_map, expected._obj_map)
    assert [_object_state(obj) for obj in world.objects] == [_object_state(obj) for obj in expected.objects]
    for obj in world.objects:
        assert obj.world is world and obj.random is world.random
        assert getattr(obj, "player", fast_env.player) is fast_env.player
    assert _chunk_contents(world) == _chunk_contents(expected)
    assert _same_random_state(world.random, expected.random)
    for key in obs:
        assert np.array_equal(obs[key], expected_obs[key]), key


@pytest.mark.parametrize("seed", [0, 17, 42])
def test_a_seeded_rollout_plays_out_the_same(envs, seed, no_cache):
    """100 random (seeded) actions: frames, inventories, rewards and the world stay identical."""
    actions = np.random.default_rng(seed).integers(0, len(ACTIONS), 100)
    rollouts = []
    for env in envs:
        obs, _ = env.reset(seed=seed)
        steps = [obs]
        for action in actions:
            obs, reward, terminated, truncated, _ = env.step(int(action))
            steps.append((obs, reward, terminated, truncated))
        rollouts.append(steps)
    for expected, got in zip(*rollouts, strict=True):
        assert _flatten(got) == _flatten(expected)
    crafter_world, fast_world = envs[0].game_world, envs[1].game_world
    assert np.array_equal(fast_world._mat_map, crafter_world._mat_map)
    assert [_object_state(obj) for obj in fast_world.objects] == [_object_state(obj) for obj in crafter_world.objects]
    assert _same_random_state(fast_world.random, crafter_world.random)


def test_a_cached_world_replays_exactly(envs, monkeypatch):
    crafter_env, fast_env = envs
    monkeypatch.setattr(worldgen, "LAYOUT_CACHE", worldgen.LayoutCache(maxsize=2))
    generated = []
    original = worldgen._materials
    monkeypatch.setattr(worldgen, "_materials", lambda *args: generated.append(1) or original(*args))
    expected_obs, _ = crafter_env.reset(seed=3)
    for _ in range(2):
        obs, _ = fast_env.reset(seed=3)
        assert np.array_equal(obs["rgb"], expected_obs["rgb"])
        assert np.array_equal(fast_env.game_world._mat_map, crafter_env.game_world._mat_map)
        assert [_object_state(o) for o in fast_env.game_world.objects] == [
            _object_state(o) for o in crafter_env.game_world.objects]
        assert _same_random_state(fast_env.game_world.random, crafter_env.game_world.random)
    assert len(generated) == 1  # the second reset came from the cache


def test_fast_reset_leaves_other_crafter_envs_alone(envs):
    assert crafter.env.worldgen is crafter_worldgen
    assert "reset" not in vars(envs[0]._env) and "reset" in vars(envs[1]._env)
    assert crafter.Env.reset.__globals__["worldgen"] is crafter_worldgen


# --- helpers ------------------------------------------------------------------------------------------------
def _record_tunnels(monkeypatch) -> dict[str, np.ndarray]:
    """Capture the tunnel mask each generator hands to its object pass."""
    seen: dict[str, np.ndarray] = {}
    set_object, creatures = crafter_worldgen._set_object, worldgen._creatures

    def crafter_set_object(world, pos, player, tunnels):
        seen["crafter"] = tunnels
        return set_object(world, pos, player, tunnels)

    def fast_creatures(world, player, materials, tunnels):
        seen["fast"] = tunnels
        return creatures(world, player, materials, tunnels)

    monkeypatch.setattr(crafter_worldgen, "_set_object", crafter_set_object)
    monkeypatch.setattr(worldgen, "_creatures", fast_creatures)
    return seen


def _object_state(obj) -> tuple:
    state = {key: _plain(value) for key, value in vars(obj).items() if key not in REFERENCES}
    return type(obj).__name__, sorted(state.items())


def _chunk_contents(world) -> list:
    return sorted((key, [_object_state(obj) for obj in objs]) for key, objs in world._chunks.items() if objs)


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return sorted((key, _plain(item)) for key, item in value.items())
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value


def _flatten(step) -> list:
    if isinstance(step, dict):
        return [_plain(step[key]) for key in sorted(step)]
    if isinstance(step, tuple):
        return [item for part in step for item in (_flatten(part) if isinstance(part, dict) else [part])]
    return [step]


def _same_random_state(first: np.random.RandomState, second: np.random.RandomState) -> bool:
    (_, keys_a, *rest_a), (_, keys_b, *rest_b) = first.get_state(), second.get_state()
    return np.array_equal(keys_a, keys_b) and rest_a == rest_b

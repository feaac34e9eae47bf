"""`select_actions` (one forward for many envs) gives each env the actions it gets acting alone."""

import h5py
import numpy as np
import pytest
import torch

from embodied.datasets.hdf5 import demo_names
from embodied.training import build_policy

TINY = {"dim": 32, "layers": 1, "heads": 2, "image_channels": 8}


def _observations(path: str, steps: int) -> list[dict]:
    with h5py.File(path) as handle:
        demo = handle["data"][demo_names(handle)[0]]
        return [{key: demo["obs"][key][i] for key in demo["obs"]} for i in range(steps)]


@pytest.mark.parametrize("name, overrides", [
    ("transformer", {"sample_actions": False}),  # argmax
    ("transformer", {"sample_actions": True}),  # sampled (the default): per-env generators, the same draws
    ("diffusion", {"sampler": "ddpm", "inference_steps": 4}),  # stochastic sampler, noise per row
    ("diffusion", {"sampler": "ddim", "inference_steps": 4, "action_steps": 2}),
])
def test_batched_actions_equal_serial_actions(crafter_dataset, name, overrides):
    torch.manual_seed(0)
    policy, _ = build_policy(name, {**TINY, **overrides}, [crafter_dataset])
    policy.eval()
    observations, envs, steps = _observations(crafter_dataset, 10), 3, 8
    alone = []
    for env in range(envs):  # env e sees the observations from step e on, goal e % 2, seed 100 + e
        policy.reset(seed=100 + env)
        alone.append([policy.select_action(obs, env % 2) for obs in observations[env: env + steps]])
    states = [policy.new_state() for _ in range(envs)]
    for env, state in enumerate(states):
        state.reset(seed=100 + env)
    together = [policy.select_actions([observations[env + t] for env in range(envs)], [env % 2 for env in range(envs)],
                                      states) for t in range(steps)]
    assert [[together[t][env] for t in range(steps)] for env in range(envs)] == alone
    assert all(isinstance(a, int) for a in together[0]) and np.isscalar(together[0][0])


@pytest.mark.parametrize("name, overrides", [("transformer", {}), ("diffusion", {"sampler": "ddpm",
                                                                                   "inference_steps": 4})])
def test_continuous_batched_actions_equal_up_to_rounding_and_exactly_unbatched(bimodal_dataset, name, overrides):
    torch.manual_seed(0)
    policy, _ = build_policy(name, {"dim": 32, "layers": 1, "heads": 2, **overrides}, [bimodal_dataset])
    policy.eval()
    observations, envs, steps = _observations(bimodal_dataset, 12), 3, 6
    alone = []
    for env in range(envs):
        policy.reset(seed=100 + env)
        alone.append([policy.select_action(obs, 0) for obs in observations[env: env + steps]])
    for batched in (True, False):
        states = [policy.new_state() for _ in range(envs)]
        for env, state in enumerate(states):
            state.reset(seed=100 + env)
        together = [policy.select_actions([observations[env + t] for env in range(envs)], [0] * envs, states,
                                          batched) for t in range(steps)]
        result = np.array([[together[t][env] for t in range(steps)] for env in range(envs)])
        if batched:
            np.testing.assert_allclose(result, np.array(alone), atol=1e-5)
        else:
            np.testing.assert_array_equal(result, np.array(alone))


@pytest.mark.parametrize("name", ["transformer", "diffusion"])
def test_frames_encoded_once_give_the_actions_of_encoding_the_whole_window(crafter_dataset, name):
    """Acting encodes each frame once (policies/frame_cache.py); the actions are those of re-encoding the
    whole observation window at every step, as the policy does in training."""
    torch.manual_seed(0)
    overrides = {"sample_actions": False, "obs_horizon": 3} if name == "transformer" else \
        {"sampler": "ddim", "inference_steps": 4, "obs_horizon": 3, "action_steps": 1}
    policy, _ = build_policy(name, {**TINY, **overrides}, [crafter_dataset])
    policy.eval()
    observations = _observations(crafter_dataset, 10)
    cached, calls = [], []
    encoder = policy.observation_encoder
    hook = encoder.register_forward_hook(lambda module, args, out: calls.append(out.shape[:2]))
    policy.reset(seed=5)
    cached = [policy.select_action(obs, 1) for obs in observations]
    hook.remove()
    assert [tuple(shape) for shape in calls if shape[1] == 1][:3] == [(3, 1), (1, 1), (1, 1)]  # new frames only
    window = [observations[0]] * 3
    whole = []
    policy.reset(seed=5)
    for obs in observations:
        window = [*window[1:], obs]
        batch = {"obs": {key: np.stack([o[key] for o in window])[None] for key in policy.features.obs_shapes},
                 "goal_ids": np.full((1, 3), 1, np.int64)}
        whole.append(int(policy.predict_chunk(policy.prepare(batch), [policy._state.generator])[0, 0]))
    assert cached == whole


def test_temporal_ensembling_averages_every_chunk_that_covers_the_step(bimodal_dataset):
    """`policy.temporal_ensemble=k`: a chunk is predicted at every step and the action is the exp(-k i)
    weighted mean (i = 0 the oldest) of what every chunk still covering this step says (ACT)."""
    torch.manual_seed(0)
    policy, _ = build_policy("diffusion", {"dim": 32, "layers": 1, "heads": 2, "sampler": "ddim", "inference_steps": 2,
                                           "obs_horizon": 1, "horizon": 4, "action_steps": 1,
                                           "temporal_ensemble": 0.5}, [bimodal_dataset])
    policy.eval()
    chunks, predict = [], policy.predict_chunk

    def recording(batch, generators=None):
        out = predict(batch, generators)
        chunks.append(out.cpu().numpy()[0])
        return out

    policy.predict_chunk = recording
    policy.reset(seed=3)
    actions = [policy.select_action(obs, 0) for obs in _observations(bimodal_dataset, 7)]
    assert len(chunks) == 7 and all(chunk.shape[0] == 4 for chunk in chunks)  # a whole chunk every step
    for t, action in enumerate(actions):
        covering = [chunks[s][t - s] for s in range(max(0, t - 3), t + 1)]  # oldest first
        weights = np.exp(-0.5 * np.arange(len(covering)))[:, None]
        np.testing.assert_allclose(action, (weights * np.stack(covering)).sum(0) / weights.sum(), atol=1e-6)
    assert not np.allclose(actions[3], chunks[3][0])  # not simply the newest chunk's first action


def test_parallel_evaluation_batches_only_discrete_policies_unless_told():
    """`eval workers=N`: by default a continuous policy gets one forward per env (bit-identical to workers=1, the
    test above); a batched one differed from workers=1 in 4 of 200 tabletop diffusion episodes (README)."""
    from embodied.rollouts import batches_inference

    assert batches_inference(None, discrete=True) and not batches_inference(None, discrete=False)
    assert batches_inference(True, discrete=False) and not batches_inference(False, discrete=True)

"""DART-style recording: with record_intended the dataset holds the expert's intended actions, not the noisy
executed ones, while the episode itself is driven by the noisy actions."""

import h5py
import numpy as np
import pytest

from embodied.collection import CollectConfig, collect
from embodied.registry import load_symbol, world

CASES = [("tabletop", "pick up the red block", 0.4), ("fetch_push", None, 0.2), ("kitchen", "open the microwave", 0.4)]


@pytest.mark.parametrize("name, instruction, noise", CASES)
def test_record_intended_labels_noisy_steps_with_the_experts_correction(tmp_path, monkeypatch, name, instruction,
                                                                         noise):
    env_class = type(world(name).make_env())
    executed = []
    step = env_class.step
    monkeypatch.setattr(env_class, "step", lambda self, action: (executed.append(np.array(action)),
                                                                 step(self, action))[1])
    for intended in (False, True):
        executed.clear()
        path = str(tmp_path / f"{name}_{intended}.hdf5")
        result = collect(CollectConfig(env=name, episodes=1, out=path, workers=1, noise=noise,
                                       instruction=instruction, record_intended=intended))
        assert result.episodes == 1
        with h5py.File(path) as file:
            recorded = file["data/demo_0/actions"][:]
        sent = np.stack(executed[:len(recorded)])
        if intended:  # labels differ from what was executed (the noise) and stay within the action bounds
            assert np.abs(recorded - sent).mean() > 0.01
            assert np.abs(recorded).max() <= 1.0 + 1e-6
        else:
            np.testing.assert_allclose(recorded, sent, atol=1e-6)


def test_the_crafter_expert_has_no_intended_action():
    """Crafter's noise is a random action now and then; there is no cleaner label to record."""
    env = world("crafter").make_env()
    expert = load_symbol(world("crafter").expert)(env, noise=0.5, seed=0)
    assert expert.intended is None

"""DART-style recording: with record_intended the dataset holds the expert's intended actions, not the noisy
executed ones, while the episode itself is driven by the noisy actions."""

import h5py
import numpy as np

from embodied.collection import CollectConfig, collect


def test_record_intended_labels_noisy_steps_with_the_experts_correction(tmp_path, monkeypatch):
    from embodied.envs.mujoco.tabletop import TabletopEnv

    executed = []
    step = TabletopEnv.step
    monkeypatch.setattr(TabletopEnv, "step", lambda self, action: (executed.append(np.array(action)),
                                                                   step(self, action))[1])
    paths = {}
    for intended in (False, True):
        executed.clear()
        paths[intended] = str(tmp_path / f"{intended}.hdf5")
        result = collect(CollectConfig(env="tabletop", episodes=1, out=paths[intended], workers=1, noise=0.4,
                                       instruction="pick up the red block", record_intended=intended))
        assert result.episodes == 1
        with h5py.File(paths[intended]) as file:
            recorded = file["data/demo_0/actions"][:]
        sent = np.stack(executed[:len(recorded)])
        if intended:  # labels differ from what was executed (noise), and are saturated commands in [-1, 1]
            assert np.abs(recorded[:, :3] - sent[:, :3]).mean() > 0.05
            assert np.abs(recorded).max() <= 1.0 + 1e-6
            np.testing.assert_array_equal(recorded[:, 3], sent[:, 3])  # the fingers are not perturbed
        else:
            np.testing.assert_allclose(recorded, sent, atol=1e-6)

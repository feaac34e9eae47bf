"""Recorded demonstrations stay identical across refactors: every array and attribute of a few collected
episodes per world hashes to what the layout before the world packages recorded (saved in
tests/fixtures/dataset_fingerprints.json; Crafter through the fast world generator)."""

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from embodied.collection import CollectConfig, collect

SAVED = json.loads((Path(__file__).parents[1] / "fixtures" / "dataset_fingerprints.json").read_text())
RECORDINGS = {"crafter": (2, 0.05), "tabletop": (2, 0.1), "kitchen": (1, 0.1), "fetch_push": (2, 0.1)}


def digest(path) -> str:
    """sha256 over every demo's datasets (strings by value) and attributes, in name order."""
    digest = hashlib.sha256()
    with h5py.File(path, "r") as file:
        for name in sorted(file["data"].keys()):
            demo = file["data"][name]

            def visit(key, item):
                if isinstance(item, h5py.Dataset):
                    value = item[()]
                    digest.update(key.encode())
                    digest.update(repr(value.tolist()).encode() if value.dtype == object
                                  else np.ascontiguousarray(value).tobytes())

            demo.visititems(visit)
            for key in sorted(demo.attrs):
                digest.update(key.encode())
                digest.update(str(demo.attrs[key]).encode())
    return digest.hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("world", sorted(RECORDINGS))
def test_recorded_demonstrations_are_unchanged(world, tmp_path):
    episodes, noise = RECORDINGS[world]
    path = tmp_path / f"{world}.hdf5"
    collect(CollectConfig(env=world, episodes=episodes, out=str(path), workers=1, noise=noise))
    assert digest(path) == SAVED[world]

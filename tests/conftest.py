"""Shared fixtures: a real Crafter dataset recorded once per test session by the real collector."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")


@pytest.fixture(scope="session")
def crafter_dataset(tmp_path_factory) -> str:
    """Three scripted-expert episodes of "make a stone pickaxe" (seeds 0-2), written to HDF5."""
    from embodied.collection import CollectConfig, collect

    path = str(tmp_path_factory.mktemp("data") / "crafter.hdf5")
    result = collect(CollectConfig(env="crafter", episodes=3, out=path, workers=1, noise=0.0,
                                   instruction="make a stone pickaxe"))
    assert result.episodes == 3
    return path

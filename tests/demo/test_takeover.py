"""Take over: the user drives Crafter with key events, hands back, and downloads the steps as an HDF5
dataset (labelled with the subgoal they were taken under) that embodied.datasets and `embodied data info`
read, and the episode as an mp4."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import imageio.v2 as imageio
import numpy as np
import pytest

from embodied.overlay import BAND_HEIGHT


def is_type(kind: str, **fields):
    return lambda event: event["type"] == kind and all(event.get(k) == v for k, v in fields.items())


def test_take_over_records_the_users_steps_as_a_dataset(demo, tmp_path):
    from embodied.datasets.hdf5 import demo_names, open_dataset, read_episode
    from embodied.worlds.crafter.env import ACTIONS

    url = demo()
    tab = demo.client(url)
    plan = _take_over(tab, "make a stone pickaxe")
    keys = ["move_left", "move_left", "move_up", "do", "noop", "move_right"]
    for action in keys:
        tab.send(type="key", action=action)
    for action in keys:
        tab.until(lambda e, a=action: e["type"] == "step" and e["actor"] == "user" and e["action"] == a)
    tab.send(type="handback")
    tab.until(is_type("status", takeover=False))
    tab.until(lambda e: e["type"] == "step" and e["actor"] == "expert")  # the agent drives again

    path = tmp_path / "demo.hdf5"
    path.write_bytes(urllib.request.urlopen(f"{url}/download/{tab.hello['session']}/demo.hdf5").read())
    with open_dataset(path) as file:
        names = demo_names(file)
        assert len(names) == 1
        episode = read_episode(file, names[0])
    assert [ACTIONS[a] for a in episode.actions] == keys
    assert episode.subgoals == [plan["subgoals"][0]] * len(keys)
    assert episode.obs["rgb"].shape == (len(keys), 64, 64, 3) and episode.instruction == "make a stone pickaxe"
    assert np.all(episode.subgoal_ids == episode.subgoal_ids[0])
    info = subprocess.run([sys.executable, "-m", "embodied.cli.main", "data", "info", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert "steps: 6" in info.stdout

    video = urllib.request.urlopen(f"{url}/download/{tab.hello['session']}/episode.mp4").read()
    assert len(video) > 1000 and video[4:8] == b"ftyp"
    (tmp_path / "episode.mp4").write_bytes(video)
    frames = imageio.mimread(tmp_path / "episode.mp4", memtest=False)
    assert frames[-1].shape == (256 + BAND_HEIGHT, 256, 3)  # the page's 256-px camera + the caption strip
    band = np.asarray(frames[-1][256:], float)
    assert np.abs(band - band.mean()).mean() > 5, "the strip has text (embodied/overlay.py)"
    other = urllib.request.Request(f"{url}/download/not-a-session/demo.hdf5")
    try:
        urllib.request.urlopen(other)
        raise AssertionError("an unknown session token must not download anything")
    except urllib.error.HTTPError as error:
        assert error.code == 404


def test_take_over_the_tabletop_arm_with_arrow_keys_and_the_gripper_key(demo, tmp_path):
    pytest.importorskip("mujoco", reason="the mujoco extra is not installed")
    from embodied.datasets.hdf5 import demo_names, open_dataset, read_episode
    from embodied.worlds.tabletop.env import KEYS

    url = demo()
    tab = demo.client(url)
    tab.until(is_type("status", state="idle"))
    tab.send(type="reset", world="tabletop", seed=3)
    reset = tab.until(is_type("reset", world="tabletop"), timeout=120)
    assert reset["keys"] == KEYS and reset["keys"]["arrowleft"] == "move_left"
    plan = _take_over(tab, "pick up the red block")
    keys = ["arrowleft", "arrowup", "s", " ", "w", "arrowright", " "]  # move, lower, close, lift, move, open
    for key in keys:
        tab.send(type="key", action=KEYS[key])
    for key in keys:
        tab.until(lambda e, a=KEYS[key]: e["type"] == "step" and e["actor"] == "user" and e["action"] == a)
    tab.send(type="handback")
    tab.until(is_type("status", takeover=False))

    path = tmp_path / "tabletop.hdf5"
    path.write_bytes(urllib.request.urlopen(f"{url}/download/{tab.hello['session']}/demo.hdf5").read())
    with open_dataset(path) as file:
        episode = read_episode(file, demo_names(file)[0])
    expected = [[-1, 0, 0, 1], [0, 1, 0, 1], [0, 0, -1, 1], [0, 0, 0, -1], [0, 0, 1, -1], [1, 0, 0, -1], [0, 0, 0, 1]]
    assert episode.actions.tolist() == expected  # the gripper stays closed between the two gripper keys
    assert episode.subgoals == [plan["subgoals"][0]] * len(keys) and episode.obs["state"].shape[0] == len(keys)
    info = subprocess.run([sys.executable, "-m", "embodied.cli.main", "data", "info", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert info.returncode == 0 and "steps: 7" in info.stdout, info.stderr


def _take_over(tab, instruction: str) -> dict:
    """Once the session is idle: a slow agent on `instruction`, then take over; returns its plan event."""
    tab.until(is_type("status", state="idle"))
    tab.send(type="speed", value=2)
    tab.send(type="instruct", text=instruction)
    plan = tab.until(is_type("plan"))
    tab.send(type="takeover")
    tab.until(is_type("status", takeover=True))
    return plan

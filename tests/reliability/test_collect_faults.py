"""Collection through the real CLI: appending new seeds, one writer per file, workers that die with the parent."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time

import h5py
import numpy as np


def _seeds_and_actions(path) -> tuple[list[int], list[np.ndarray]]:
    with h5py.File(path, "r") as file:
        names = sorted(file["data"], key=lambda n: int(n.split("_")[1]))
        return [int(file["data"][n].attrs["seed"]) for n in names], [file["data"][n]["actions"][()] for n in names]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_second_collect_appends_new_seeds(cli, tmp_path):
    out = tmp_path / "demos.hdf5"
    first = cli.run("collect", "episodes=2", f"out={out}", "workers=1")
    assert first.returncode == 0, first.stderr
    second = cli.run("collect", "episodes=2", f"out={out}", "workers=1")
    assert second.returncode == 0, second.stderr
    assert "holds 2 episodes (seeds up to 1): appending new seeds 2..3" in second.stdout
    seeds, actions = _seeds_and_actions(out)
    assert seeds == [0, 1, 2, 3]
    assert not any(np.array_equal(actions[i], actions[j]) for i in range(4) for j in range(i))


def test_a_concurrent_writer_is_refused_with_one_line(cli, tmp_path):
    out = tmp_path / "demos.hdf5"
    first = cli.start("collect", "episodes=100000", f"out={out}", "workers=1")  # still running at the SIGINT
    try:
        deadline = time.time() + 60
        while not (os.path.exists(f"{out}.lock") and (tmp_path / "demos.hdf5.lock").read_text().strip()) \
                and time.time() < deadline:
            time.sleep(0.05)
        second = cli.run("collect", "episodes=1", f"out={out}", "workers=1")
        assert second.returncode == 2
        assert second.stderr.strip() == (f"embodied collect: error: {out}: another process (pid {first.pid}) is "
                                         f"writing this file (lock {out}.lock); wait for it to finish or choose "
                                         f"another out=")
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert first.returncode == 130  # the interrupted collect keeps its finished episodes
    assert cli.run("data", "info", str(out)).returncode == 0


def test_workers_die_with_their_parent(cli, tmp_path):
    parent = cli.start("collect", "episodes=100", f"out={tmp_path / 'demos.hdf5'}", "workers=2")
    deadline = time.time() + 60
    while len(_children(parent.pid)) < 3 and time.time() < deadline:  # two workers and the resource tracker
        time.sleep(0.05)
    children = _children(parent.pid)
    assert len(children) >= 2, children
    parent.send_signal(signal.SIGKILL)
    parent.communicate(timeout=30)
    deadline = time.time() + 20
    while any(map(_alive, children)) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "workers outlived the collect they worked for"


def test_a_full_disk_stops_collect_with_one_line_and_keeps_the_episodes(cli, tmp_path):
    out = tmp_path / "full.hdf5"
    limit = 1_000_000  # bytes the collect process may write to one file (`ulimit -f`): room for a few episodes
    command = [*cli.command("collect", "env=crafter", "episodes=30", f"out={out}", "workers=1", "noise=0",
                            "instruction=make a stone pickaxe")]
    result = subprocess.run(command, env=cli.env(), capture_output=True, text=True, timeout=300,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    errors = [line for line in result.stderr.splitlines() if line.startswith("embodied")]
    assert result.returncode == 2 and len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "no room for the next episode" in errors[0] and "ulimit -f" in errors[0]
    kept = int(errors[0].split("; the ")[1].split()[0])
    info = cli.run("data", "info", str(out))
    assert info.returncode == 0 and 0 < kept < 30, info.stderr
    assert len(_seeds_and_actions(out)[0]) == kept  # every finished episode is readable

"""Bad CLI values through the real CLI: one line on stderr naming the key and the expected range, exit code 2."""

from __future__ import annotations

import shutil

import pytest

CASES = [
    (["collect", "episodes=abc"], "collect.episodes: Value 'abc' of type 'str' could not be converted to Integer"),
    (["collect", "episodes=0"], "collect.episodes=0: expected a number > 0"),
    (["train", "DATASET", "train.batch_size=0"], "train.batch_size=0: expected a number > 0"),
    (["train", "DATASET", "train.lr=-1"], "train.lr=-1.0: expected a number > 0"),
    (["train", "DATASET", "train.steps=0"], "train.steps=0: expected a number > 0"),
    (["train", "DATASET", "train.batch_size=abc"], "train.batch_size=abc (Value 'abc' of type 'str' could not be"),
    (["eval", "checkpoint=RUN", "episodes=0"], "eval.episodes=0: expected a number > 0"),
    (["eval", "checkpoint=RUN", "video=clip"], "eval.video='clip': expected a file name ending in .mp4 or .gif"),
    (["collect", "video=clip.avi"], "collect.video='clip.avi': expected a file name ending in .mp4 or .gif"),
    (["eval-planner", "env=crafter", "planner=llm", "planner.example_choice=bad"],
     "planner.example_choice='bad': expected similar or fixed"),
    (["train", "dataset=données.hdf5"], "quote a value with spaces or special characters: dataset=\"'données.hdf5'\""),
]


@pytest.mark.parametrize("args,expected", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_bad_value_is_one_line_and_exit_2(cli, crafter_dataset, tmp_path, args, expected):
    args = [f"dataset={crafter_dataset}" if a == "DATASET" else a for a in args]
    result = cli.run(*args, f"out={tmp_path / 'out'}" if args[0] != "eval" else "seed=10000", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"embodied {args[0]}: error: ") and expected in lines[0], lines


def test_a_quoted_path_with_spaces_and_accents_works(cli, crafter_dataset, tmp_path):
    path = tmp_path / "mes données.hdf5"
    shutil.copy(crafter_dataset, path)
    result = cli.run("data", "info", str(path))
    assert result.returncode == 0, result.stderr
    result = cli.run("train", f"dataset='{path}'", f"out={tmp_path / 'run'}", *cli.tiny_train, "train.steps=2")
    assert result.returncode == 0, result.stderr

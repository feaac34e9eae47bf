"""`embodied eval workers=N`: N env processes with batched inference give the serial run's outcomes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def embodied(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embodied.cli.main", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.distributed
def test_parallel_batched_eval_equals_serial(tiny_run, tmp_path):
    runs = {}
    for workers in (1, 3):
        out = tmp_path / f"eval_{workers}.json"
        result = embodied("eval", f"checkpoint={tiny_run}", "episodes=3", f"workers={workers}", f"out={out}")
        assert result.returncode == 0, result.stderr
        runs[workers] = json.loads(out.read_text())
    serial, parallel = runs[1]["per_episode"], runs[3]["per_episode"]
    assert [e["seed"] for e in serial] == [10000, 10001, 10002]
    assert all(e["results"] and e["instruction"] for e in serial)
    assert parallel == serial  # instruction, every subgoal attempt (actor, success, steps, reason), achievements
    for key in ("subgoals", "chain_success", "instruction_success", "mean_steps"):
        assert runs[3][key] == runs[1][key]
    assert runs[3]["workers"] == 3 and runs[3]["episodes_per_second"] > 0

import subprocess
import sys


def embodied(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "embodied.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_help_lists_every_subcommand():
    out = embodied("--help").stdout
    for command in ("collect", "train", "eval", "run", "data"):
        assert command in out
    assert "episodes: 10" in embodied("collect", "--help").stdout  # shows the default config


def test_data_info_on_a_foreign_file_is_one_clear_line(tmp_path):
    (tmp_path / "x.hdf5").write_text("not a dataset")
    result = embodied("data", "info", "x.hdf5", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "embodied data: error: x.hdf5: not an HDF5 file (OSError)"


def test_missing_required_key_and_unknown_override(tmp_path):
    result = embodied("train", cwd=tmp_path)
    assert result.returncode == 2 and "missing required key(s) dataset" in result.stderr
    result = embodied("collect", "env=atari", cwd=tmp_path)
    assert result.returncode == 2 and "atari" in result.stderr and "Traceback" not in result.stderr


def test_train_on_a_missing_dataset(tmp_path):
    result = embodied("train", "dataset=nope.hdf5", cwd=tmp_path)
    assert result.returncode == 2 and "nope.hdf5: no such file" in result.stderr


def test_bad_policy_value_is_one_line(crafter_dataset, tmp_path):
    result = embodied("train", f"dataset={crafter_dataset}", "policy=diffusion", "policy.sampler=euler", cwd=tmp_path)
    assert result.returncode == 2 and "policy.sampler='euler'" in result.stderr and "Traceback" not in result.stderr

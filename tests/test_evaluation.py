import math

import pytest

from embodied.evaluation import crafter_score, rate_summary, wilson_interval


def test_wilson_interval_matches_known_values():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_rate_summary_counts():
    row = rate_summary([True, False, True, True])
    assert row["success_rate"] == 0.75 and row["attempts"] == 4 and row["ci95"][0] < 0.75 < row["ci95"][1]


def test_crafter_score_is_the_papers_geometric_mean():
    assert crafter_score({"a": 100.0, "b": 100.0}) == pytest.approx(100.0)
    assert crafter_score({"a": 0.0, "b": 0.0}) == 0.0
    assert crafter_score({"a": 50.0, "b": 0.0}) == pytest.approx(math.sqrt(51.0) - 1)

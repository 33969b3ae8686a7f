"""Reviewer-facing numbers and prose of the reports (session 17, helper c)."""

from __future__ import annotations

import pandas as pd
import pytest

from p2c_analysis import profiles


def _reach(total: int, direct: int = 0, region: int = 0) -> dict[str, int]:
    return {"total": total, "direct": direct, "region": region, "global": 0, "unstated": 0}


def test_one_untrackable_pledge_is_not_said_to_be_in_a_trackable_category() -> None:
    """A profile read "The pledge targeting it is not trackable (index category High or
    Upper-moderate).", which names the trackable bands as if they were the pledge's category.
    It now names the pledge's own category and says it is not one of those bands."""
    reaching = pd.DataFrame({"index": ["Lower-moderate"], "index_trackable": [False]})
    text = profiles.reach_text("Nigeria", reaching, _reach(1, direct=1))
    assert text.endswith("The pledge targeting it is not trackable (index category "
                         "Lower-moderate, not High or Upper-moderate).")
    bare = profiles.reach_text("Nigeria", reaching[["index_trackable"]], _reach(1, direct=1))
    assert bare.endswith("is not trackable (index category not High or Upper-moderate).")
    yes = pd.DataFrame({"index": ["High"], "index_trackable": [True]})
    assert profiles.reach_text("Nigeria", yes, _reach(1, region=1)).endswith(
        "The pledge targeting it is trackable (index category High or Upper-moderate).")


def test_a_count_published_unchanged_has_a_pace_of_exactly_zero() -> None:
    """mobilisation_pace.csv gave 3.5e-13 pledges a year for the last year, whose two published
    counts are both 1,000 (2025-05-01 and 2026-03-02): least-squares noise, not a pace."""
    import numpy as np

    from p2c_analysis import trajectory

    x = np.array([2025.33, 2026.17])
    assert trajectory._slope(x, np.array([1000.0, 1000.0]), "ols") == 0.0
    assert trajectory._slope(x, np.array([900.0, 1000.0]), "ols") == \
        pytest.approx(100 / (2026.17 - 2025.33))
    pace = trajectory.mobilisation_pace(as_of="2026-12-04").set_index("window_years")
    assert pace.loc[1.0, "pace_pledges_per_year"] == 0.0

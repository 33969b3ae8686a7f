"""Reviewer-facing numbers and prose of the reports (session 17, helper c)."""

from __future__ import annotations

import pandas as pd

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

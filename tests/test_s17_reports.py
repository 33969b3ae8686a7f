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


def test_an_economy_with_no_one_offline_and_no_usd_is_not_said_to_have_usd_kept_out() -> None:
    """The United Arab Emirates' profile read "The USD 0 allocated to it is kept out of its
    groups' USD, shares and attention ratios": nothing is allocated, so nothing is kept out.
    Two valued pledges reach it through regions (Western Asia, Middle East & North Africa), and
    by offline people (the default allocation) it has no share of their USD."""
    from p2c_analysis import record

    p = record.public_record("2026-12-04").pledges
    compare = profiles.coverage_beside_groups(p, "ARE", 2024, method="offline")
    row = compare.iloc[0]
    assert row["offline"] == 0 and row["allocated_usd"] == 0
    assert (int(row["pledges_targeting"]), int(row["pledges_with_value"])) == (2, 2)
    text = profiles.attention_text("United Arab Emirates", compare,
                                   profiles.reach_counts(p, "ARE", 2024))
    assert text == (
        "No one in United Arab Emirates is offline, so pledged USD per offline person and the "
        "attention ratio are not defined for it. No pledged USD is allocated to it (the 2 "
        "pledges reaching it spread their USD by offline people, of whom it has none).")
    assert "USD 0" not in text
    # USD allocated to it is still said to be kept out (Saudi Arabia, named by Mobily's pledge)
    sau = profiles.coverage_beside_groups(p, "SAU", 2024, method="offline")
    assert "The USD 1.72 bn allocated to it is kept out of its groups' USD" in \
        profiles.attention_text("Saudi Arabia", sau, profiles.reach_counts(p, "SAU", 2024))
    # no pledge at all: the reason says so
    none = compare.assign(pledges_targeting=0, pledges_with_value=0)
    assert profiles.attention_text("X", none, {}).endswith(
        "No pledged USD is allocated to it (no pledge reaches it).")


def test_a_number_with_leading_zeros_is_an_identifier_not_a_quantity() -> None:
    """Every report on synthetic pledges read "No quantified deliverable in the 40 pledges. 40
    further quantities could not be read ...: no known unit (40)": the number of each title,
    "Synthetic pledge 000017", was read as a quantity. A number with leading zeros is an
    identifier; the "000" of "10,000" (or of "1.000") is still part of its number."""
    from p2c_analysis import deliverables, synthetic

    ex = deliverables.extract(synthetic.make_pledges(40, seed=3))
    assert ex.unparsed.empty and ex.deliverables.empty
    t = pd.DataFrame({
        "pledge_id": list("abcde"),
        "title": ["Synthetic pledge 000017", "Connect 10,000 people (ref 0042)",
                  "Train 1.000 teachers", "(007) 500 laptops", "Connect 0.5 million people"],
        "description": [None] * 5})
    ex = deliverables.extract(t)
    got = ex.deliverables[["pledge_id", "quantity", "unit"]].astype(
        {"pledge_id": str, "unit": str}).values.tolist()
    assert got == [["b", 10000.0, "people connected"], ["d", 500.0, "devices"],
                   ["e", 500000.0, "people connected"]]
    assert ex.unparsed[["pledge_id", "reason"]].astype(str).values.tolist() == \
        [["c", "malformed number"]]

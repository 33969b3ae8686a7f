"""The same pledge rows in any order give the same ids and the same tables."""

from __future__ import annotations

from pathlib import Path

from p2c_analysis import changes
from p2c_analysis.pledges import load_pledges

HEADER = "pledge_title,pledger,value_as_stated,announced_date\n"
PHASE_10 = '"Rural fibre (phase 1)",Org,USD 10 million,2024\n'
PHASE_90 = '"Rural fibre (phase 1)",Org,USD 90 million,2024\n'


def _write(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_ids_of_pledges_sharing_title_and_pledger_do_not_depend_on_row_order(tmp_path):
    """Two pledges with one title and pledger were numbered (``-2``) in file order: swapping
    the rows swapped their ids. They are numbered by their content."""
    one = load_pledges(_write(tmp_path, "a.csv", PHASE_10 + PHASE_90)).valid
    two = load_pledges(_write(tmp_path, "b.csv", PHASE_90 + PHASE_10)).valid
    ids_one = dict(zip(one["value_as_stated"], one["pledge_id"], strict=True))
    ids_two = dict(zip(two["value_as_stated"], two["pledge_id"], strict=True))
    assert ids_one == ids_two
    assert sorted(ids_one.values())[1] == sorted(ids_one.values())[0] + "-2"


def test_a_file_compared_with_its_reordered_self_as_with_itself(tmp_path):
    """With the twins' ids swapped by the new row order, the comparison of a file with its
    reordered self gave the 10 M pledge's id to the 90 M one: it differed from the comparison
    of the file with itself."""
    other = '"Satellite backhaul",Org B,EUR 5 million,2023\n'
    before = load_pledges(_write(tmp_path, "a.csv", PHASE_10 + other + PHASE_90)).valid
    after = load_pledges(_write(tmp_path, "b.csv", PHASE_90 + PHASE_10 + other)).valid

    def seen(ch):
        cols = ["pledge_id", "change", "value_usd_before", "value_usd_after"]
        return sorted(map(str, ch[cols].itertuples(index=False)))

    assert seen(changes.changes_by_pledge(before, after)) == seen(
        changes.changes_by_pledge(before, before))

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


def _bundled_and_shuffled(tmp_path: Path) -> tuple[Path, Path]:
    """The bundled pledge files joined into one (header once), and a row-shuffled copy."""
    import csv
    import random

    from p2c_analysis import paths

    rows: list[list[str]] = []
    header = None
    for f in sorted(paths.PUBLIC_PLEDGES.parent.glob("public_pledges*.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            head, *body = list(csv.reader(fh))
        assert header in (None, head)
        header = head
        rows += body
    shuffled = rows[:]
    random.Random(20261204).shuffle(shuffled)
    assert shuffled != rows
    out = []
    for name, rr in (("joined.csv", rows), ("shuffled.csv", shuffled)):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rr])
        out.append(tmp_path / name)
    return out[0], out[1]


def _tables(path: Path) -> dict[str, object]:
    from p2c_analysis import gaps, progress, quality, totals

    p = load_pledges(path, canonical_order=True).valid
    s = quality.score(p, year=2024)
    return {
        "valid": p,
        "scores": s.table,
        "distribution": quality.distribution(s, "all", year=2024),
        "by_region": quality.distribution(s, "target_regions", year=2024),
        "criteria": quality.criteria_summary(s),
        "one_field_away": quality.one_field_away(s),
        "reach_by_group": quality.reach_by_group(p, year=2024),
        "lights": progress.light_table(p, as_of="2026-06-30"),
        "overdue": progress.overdue(p, as_of="2026-06-30"),
        "coverage_by_country": gaps.coverage_by_country(p),
        "coverage_by_group": gaps.coverage_by_group(p),
        "by_target_region": gaps.tally(p, "target_regions"),
        "increases_vs_itemised": totals.increases_vs_itemised(totals.headline_figures(), p),
    }


def test_the_same_rows_in_another_order_give_the_same_tables(tmp_path):
    """Tables depended on the order of the file's rows: ties kept file order and
    floating-point sums were taken in it (a mean SMART score 80.55 one way, 80.55000000000001
    the other). Loaded in canonical order, the same rows give the same tables, to the bit."""
    import pandas as pd

    joined, shuffled = _bundled_and_shuffled(tmp_path)
    one, two = _tables(joined), _tables(shuffled)
    for name, table in one.items():
        if isinstance(table, pd.DataFrame):
            pd.testing.assert_frame_equal(table, two[name], check_exact=True, obj=name)
        else:
            assert table == two[name], name


def test_coverage_sums_do_not_depend_on_the_order_of_the_pledges_given(tmp_path):
    """A table of pledges in another order (a pledge file named as a side of pledge_changes
    is read in file order) gave coverage sums, and so group_changes, other last digits."""
    import pandas as pd

    from p2c_analysis import gaps

    joined, shuffled = _bundled_and_shuffled(tmp_path)
    one, two = load_pledges(joined).valid, load_pledges(shuffled).valid
    for build in (gaps.coverage_by_country, gaps.coverage_by_group):
        pd.testing.assert_frame_equal(build(one), build(two), check_exact=True)
    kw = {"as_of_before": "2025-06-30", "as_of_after": "2026-06-30"}
    pd.testing.assert_frame_equal(changes.group_changes(one, one, **kw),
                                  changes.group_changes(two, two, **kw), check_exact=True)

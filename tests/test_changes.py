"""What changed between two pledge tables (p2c_analysis.changes): hand-built pairs for each rule,
then the bundled public record as of 2025-03-01 against 2026-03-31."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import changes, fields, record
from p2c_analysis.pledges import load_pledges


def _table(rows: list[dict]) -> pd.DataFrame:
    """A canonical table from hand-written rows (ids as given: source ids)."""
    return fields.coerce_canonical(pd.DataFrame(rows))


def _csv(tmp_path, name: str, rows: list[tuple[str, str]]) -> pd.DataFrame:
    """A pledge file with titles and pledgers only, loaded: the loader derives the ids."""
    p = tmp_path / name
    body = "pledge_title,pledger\n" + "\n".join(f'"{t}","{who}"' for t, who in rows) + "\n"
    p.write_text(body, encoding="utf-8")
    return load_pledges(p).valid


def _row(ch: pd.DataFrame, pledge_id: str) -> pd.Series:
    hit = ch[(ch["pledge_id_before"] == pledge_id) | (ch["pledge_id_after"] == pledge_id)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


# --- ids ------------------------------------------------------------------------------------------

def test_id_kind(tmp_path):
    derived = _csv(tmp_path, "a.csv", [("Rural towers", "Acme")])
    assert changes.id_kind(derived) == "derived"
    assert changes.id_kind(_table([{"pledge_id": "PLEDGE-17", "title": "x", "pledger": "y"}])) \
        == "source"
    # an id that looks like a hash but is not the hash of its title and pledger: a source id
    fake = derived.assign(pledge_id="P2C-0123ABCD")
    assert changes.id_kind(fake) == "source"


def test_matched_by_source_id_even_when_the_title_changes():
    before = _table([{"pledge_id": "X-1", "title": "Rural towers", "pledger": "Acme"}])
    after = _table([{"pledge_id": "X-1", "title": "Towers for 300 villages", "pledger": "Acme"}])
    ch = changes.changes_by_pledge(before, after)
    r = _row(ch, "X-1")
    assert r["match_rule"] == "pledge_id" and r["change"] == "changed"
    assert r["what_changed"] == "title"
    assert r["title"] == "Towers for 300 villages"


def test_same_pledger_and_title_under_another_source_id_is_for_review():
    before = _table([{"pledge_id": "X-1", "title": "Rural towers", "pledger": "Acme"}])
    after = _table([{"pledge_id": "Y-9", "title": "Rural Towers", "pledger": "ACME"}])
    m = changes.match_pledges(before, after)
    assert len(m.review) == 1 and "another pledge_id" in m.review["review_reason"].iloc[0]
    ch = changes.changes_by_pledge(before, after, m)
    assert sorted(ch["change"]) == ["new", "no longer listed"]  # never merged
    assert ch["needs_review"].all()


# --- matching by name -----------------------------------------------------------------------------

def test_exact_key_after_normalisation(tmp_path):
    before = _csv(tmp_path, "b.csv", [("Digital skills for youth", "Acme Organisation")])
    after = _csv(tmp_path, "a.csv", [("Digital Skills for Youth.", "ACME organization")])
    assert before["pledge_id"].iloc[0] != after["pledge_id"].iloc[0]  # derived ids differ
    ch = changes.changes_by_pledge(before, after)
    assert len(ch) == 1
    assert ch["match_rule"].iloc[0] == "pledger + title"
    assert ch["change"].iloc[0] == "changed"  # the title text (case, full stop) changed


def test_near_duplicate_title_matched_fuzzily(tmp_path):
    before = _csv(tmp_path, "b.csv", [
        ("Connect 1 million underserved people in Sub-Saharan Africa", "Eutelsat"),
        ("Satellite airtime for emergencies", "Eutelsat")])
    after = _csv(tmp_path, "a.csv", [
        ("Connect 1 million underserved people in Sub-Saharan Africa via satellite",
         "Eutelsat"),
        ("Satellite airtime for emergencies", "Eutelsat")])
    m = changes.match_pledges(before, after)
    assert m.review.empty
    ch = changes.changes_by_pledge(before, after, m)
    fuzzy = ch[ch["match_rule"] == "pledger + fuzzy title"]
    assert len(fuzzy) == 1
    assert fuzzy["match_score"].iloc[0] >= changes.FUZZY_THRESHOLD
    assert fuzzy["what_changed"].iloc[0] == "title"
    assert (ch["match_rule"] == "pledger + title").sum() == 1
    assert not ch["change"].isin(["new", "no longer listed"]).any()


def test_unrelated_titles_of_the_same_pledger_are_not_matched(tmp_path):
    before = _csv(tmp_path, "b.csv", [("Rural connectivity in Kenya", "Acme")])
    after = _csv(tmp_path, "a.csv", [("Cybersecurity training for officials", "Acme")])
    ch = changes.changes_by_pledge(before, after)
    assert sorted(ch["change"]) == ["new", "no longer listed"]
    assert not ch["needs_review"].any()


def test_ambiguous_candidates_are_listed_not_merged(tmp_path):
    before = _csv(tmp_path, "b.csv", [("Rural connectivity in Kenya", "Acme")])
    after = _csv(tmp_path, "a.csv", [("Rural connectivity in Kenya phase 1", "Acme"),
                                     ("Rural connectivity in Kenya phase 2", "Acme")])
    m = changes.match_pledges(before, after)
    assert len(m.review) == 2
    assert m.review["review_reason"].str.startswith("ambiguous").all()
    assert (m.review["match_score"] >= changes.FUZZY_THRESHOLD).all()
    ch = changes.changes_by_pledge(before, after, m)
    assert ch["match_rule"].isna().all()
    assert sorted(ch["change"]) == ["new", "new", "no longer listed"]
    assert ch["needs_review"].all()


def test_same_title_under_another_pledger_is_for_review(tmp_path):
    before = _csv(tmp_path, "b.csv", [("Community networks", "Internet Society")])
    after = _csv(tmp_path, "a.csv", [("Community networks", "ISOC Foundation")])
    m = changes.match_pledges(before, after)
    assert m.review["review_reason"].tolist() == ["same title, another pledger"]
    assert changes.changes_by_pledge(before, after, m)["needs_review"].all()


def test_threshold_is_checked():
    t = _table([{"pledge_id": "A", "title": "x", "pledger": "y"}])
    with pytest.raises(ValueError, match="threshold"):
        changes.match_pledges(t, t, threshold=0)
    with pytest.raises(ValueError, match="ids="):
        changes.match_pledges(t, t, ids="guess")


# --- statuses and values --------------------------------------------------------------------------

BASE = {"title": "t", "pledger": "p", "target_year": 2030}


def _pair(before_rows: list[dict], after_rows: list[dict]) -> pd.DataFrame:
    return changes.changes_by_pledge(_table([BASE | r for r in before_rows]),
                                     _table([BASE | r for r in after_rows]))


def test_withdrawn_is_a_status_no_longer_listed_is_absence():
    ch = _pair([{"pledge_id": "W", "status": "in progress"},
                {"pledge_id": "G", "status": "in progress"}],
               [{"pledge_id": "W", "status": "withdrawn"}])
    w, g = _row(ch, "W"), _row(ch, "G")
    assert (w["change"], w["status_after"], w["status_change"]) == (
        "changed", "withdrawn", "withdrawn")
    assert g["change"] == "no longer listed"
    assert pd.isna(g["status_after"]) and pd.isna(g["status_change"])
    assert not w["moved_backwards"] and not g["moved_backwards"]


def test_status_moving_backwards():
    ch = _pair([{"pledge_id": "B", "status": "completed"},
                {"pledge_id": "F", "status": "announced"},
                {"pledge_id": "U", "status": "unknown"}],
               [{"pledge_id": "B", "status": "in progress"},
                {"pledge_id": "F", "status": "completed"},
                {"pledge_id": "U", "status": "announced"}])
    b, f, u = _row(ch, "B"), _row(ch, "F"), _row(ch, "U")
    assert b["status_change"] == "backward" and b["moved_backwards"]
    assert f["status_change"] == "forward" and not f["moved_backwards"]
    assert u["status_change"] == "first reported" and not u["moved_backwards"]
    assert changes.summary(ch)["status_moved_backwards"].item() == 1


def _valued(pid: str, text: str | None, currency: str | None, usd: float | None) -> dict:
    return {"pledge_id": pid, "value_as_stated": text, "currency": currency,
            "estimated_value_usd": np.nan if usd is None else usd}


def test_value_change_kinds():
    ch = _pair(
        [_valued("CUR", "EUR 10 million", "EUR", 10.8e6),
         _valued("CONV", "EUR 10 million", "EUR", 10.8e6),
         _valued("UP", "USD 5 million", "USD", 5e6),
         _valued("DOWN", "EUR 20 million", "EUR", 21.6e6),
         _valued("NEWLY", None, None, None),
         _valued("GONE", "USD 1 million", "USD", 1e6),
         _valued("SAME", "USD 2 million", "USD", 2e6),
         _valued("REWORD", "USD 3 million", "USD", 3e6)],
        [_valued("CUR", "USD 11 million", "USD", 11e6),
         _valued("CONV", "EUR 10 million", "EUR", 11.0e6),  # same text, another rate
         _valued("UP", "USD 7.5 million", "USD", 7.5e6),
         _valued("DOWN", "EUR 15 million", "EUR", 17.4e6),  # fewer euros (and another rate)
         _valued("NEWLY", "USD 4 million", "USD", 4e6),
         _valued("GONE", None, None, None),
         _valued("SAME", "USD 2 million", "USD", 2e6),
         _valued("REWORD", "US$3,000,000", "USD", 3e6)])
    kind = dict(zip(ch["pledge_id"], ch["value_change"], strict=True))
    assert kind == {"CUR": "restated in another currency", "CONV": "conversion only",
                    "UP": "up", "DOWN": "down", "NEWLY": "newly stated",
                    "GONE": "no longer stated", "SAME": "unchanged", "REWORD": "unchanged"}
    assert _row(ch, "CONV")["value_usd_delta"] == pytest.approx(0.2e6)
    assert _row(ch, "CONV")["what_changed"] == "value (conversion only)"
    assert _row(ch, "REWORD")["change"] == "unchanged"
    s = changes.summary(ch).iloc[0]
    # CONV +0.2, and DOWN's rate moved from 1.08 to 1.16: 15 M euros x 0.08 = +1.2 (million)
    assert _row(ch, "DOWN")["value_usd_conversion"] == pytest.approx(1.2e6)
    assert s["usd_conversion_effects"] == pytest.approx(1.4e6)
    # CUR +0.2, UP +2.5, DOWN -5 M euros at the previous rate = -5.4, NEWLY +4, GONE -1
    assert s["usd_value_changes"] == pytest.approx(0.3e6)
    assert s["usd_after"] - s["usd_before"] == pytest.approx(
        s["usd_new"] + s["usd_no_longer_listed"] + s["usd_value_changes"]
        + s["usd_conversion_effects"])
    vc = changes.value_changes(ch).set_index("value_change")
    assert list(vc.index) == list(changes.VALUE_CHANGES)  # every kind listed
    assert vc["pledges"].sum() == len(ch)  # all matched here
    assert vc.loc["conversion only", "conversion_effect"]
    assert not vc.drop("conversion only")["conversion_effect"].any()
    assert vc.loc["conversion only", "usd_change"] == pytest.approx(s["usd_conversion_effects"])
    own = vc.drop(["conversion only", "unchanged"])
    assert own["usd_change"].sum() == pytest.approx(s["usd_value_changes"])
    assert vc.loc["newly stated", "usd_change"] == pytest.approx(4e6)  # all of it
    assert (vc.loc["up", "pledges"], vc.loc["unchanged", "pledges"]) == (1, 2)


def test_value_changes_leave_new_and_unlisted_pledges_out():
    ch = _pair([_valued("A", "USD 1 million", "USD", 1e6), _valued("GONE", "USD 5", "USD", 5)],
               [_valued("A", "USD 2 million", "USD", 2e6), _valued("NEW", "USD 9", "USD", 9)])
    vc = changes.value_changes(ch).set_index("value_change")
    assert vc["pledges"].sum() == 1 and vc.loc["up", "usd_change"] == pytest.approx(1e6)


def test_summary_counts_status_changes():
    ch = _pair([{"pledge_id": "A", "status": "announced"}, {"pledge_id": "B", "status": "unknown"},
                {"pledge_id": "C", "status": "completed"}, {"pledge_id": "D"}],
               [{"pledge_id": "A", "status": "completed"}, {"pledge_id": "B", "status": "unknown"},
                {"pledge_id": "C", "status": "withdrawn"}, {"pledge_id": "E"}])
    s = changes.summary(ch).iloc[0]
    assert (s["status_changed"], s["status_moved_backwards"]) == (2, 0)  # new E not counted


def test_status_transitions_table():
    ch = _pair([_valued("A", "USD 1 million", "USD", 1e6) | {"status": "announced"},
                _valued("B", "USD 2 million", "USD", 2e6) | {"status": "announced"},
                _valued("C", "USD 4 million", "USD", 4e6) | {"status": "in progress"}],
               [_valued("A", "USD 1 million", "USD", 1e6) | {"status": "completed"},
                _valued("B", "USD 2 million", "USD", 2e6) | {"status": "announced"},
                _valued("D", "USD 8 million", "USD", 8e6) | {"status": "announced"}])
    t = changes.status_transitions(ch)
    got = {(r.status_before, r.status_after): (r.pledges, r.value_usd)
           for r in t.itertuples(index=False)}
    assert got == {("announced", "announced"): (1, 2e6), ("announced", "completed"): (1, 1e6),
                   ("in progress", "not listed"): (1, 4e6), ("not listed", "announced"): (1, 8e6)}
    assert list(t.columns) == ["status_before", "status_after", "pledges", "pledges_with_value",
                               "value_usd"]
    assert (t["pledges_with_value"] == 1).all()
    # ladder order: announced rows first, "not listed" last
    assert t["status_before"].tolist() == ["announced", "announced", "in progress", "not listed"]


def test_changes_table_columns_and_order():
    ch = _pair([{"pledge_id": "B"}, {"pledge_id": "A"}], [{"pledge_id": "C"}, {"pledge_id": "A"}])
    assert list(ch.columns) == list(changes.CHANGE_COLUMNS)
    assert ch["pledge_id"].tolist() == ["A", "B", "C"]
    assert ch["change"].tolist() == ["unchanged", "no longer listed", "new"]


def test_arrow_backed_tables_give_the_same_answer(tmp_path):
    from p2c_analysis import snapshots

    before = _table([BASE | _valued("A", "EUR 10 million", "EUR", 10.8e6)
                     | {"focus_areas": ["ACCESS"], "status": "announced"},
                     BASE | {"pledge_id": "B", "sdgs": [9, 17]}])
    after = _table([BASE | _valued("A", "EUR 10 million", "EUR", 11e6)
                    | {"focus_areas": ["ACCESS", "ADOPTION"], "status": "completed"},
                    BASE | {"pledge_id": "B", "sdgs": [9, 17]}])
    for df, name in ((before, "b"), (after, "a")):
        snapshots.write_pledges_parquet(df, tmp_path / f"{name}.parquet")
    fast = changes.changes_by_pledge(
        *(snapshots.read_pledges_parquet(tmp_path / f"{n}.parquet", backend="arrow",
                                         columns=changes.COMPARISON_COLUMNS) for n in "ba"))
    plain = changes.changes_by_pledge(before, after)
    pd.testing.assert_frame_equal(fast, plain)
    assert plain["what_changed"].iloc[0] == "focus_areas; status; value (conversion only)"


def test_a_status_dated_after_the_current_side_keeps_the_previous_status():
    """A pledge 'in progress' (reported 2025-05-01) on the previous side whose current export
    reports it 'completed' on 2026-03-01, after the current date 2025-12-31, read as 'in
    progress -> unknown' ('no longer reported'), and as never reported in the compliance. On
    2025-12-31 its latest known status is the previous one: unchanged, reported in May 2025.
    A pledge the previous side lacks stays unknown; a comparison running backwards carries
    nothing (the previous side's statuses are not known on the earlier current date)."""
    from p2c_analysis import evidence

    before = _table([BASE | {"pledge_id": "P1", "status": "in progress",
                             "last_report_date": "2025-05-01"},
                     BASE | {"pledge_id": "P2", "title": "u", "status": "announced"}])
    export = _table([BASE | {"pledge_id": "P1", "status": "completed",
                             "last_report_date": "2026-03-01"},
                     BASE | {"pledge_id": "P2", "title": "u", "status": "in progress",
                             "last_report_date": "2025-09-01"},
                     BASE | {"pledge_id": "P3", "title": "v", "status": "completed",
                             "last_report_date": "2026-02-01"}])
    after, later = evidence.split_reported_after(export, "2025-12-31")
    aside = later["pledge_id"].astype(str).tolist()
    assert aside == ["P1", "P3"]
    cmp = changes.compare(before, after, dt.date(2025, 6, 30), dt.date(2025, 12, 31),
                          statuses_left_aside=aside)
    assert cmp.statuses_carried == ("P1",)
    p1, p2, p3 = (_row(cmp.changes, p) for p in ("P1", "P2", "P3"))
    assert (p1["status_after"], p1["status_change"], p1["change"]) == (
        "in progress", "unchanged", "unchanged")
    assert p2["status_change"] == "forward" and p3["status_after"] == "unknown"
    pairs = set(zip(cmp.status_transitions["status_before"],
                    cmp.status_transitions["status_after"], strict=True))
    assert ("in progress", "unknown") not in pairs
    assert int(cmp.summary.iloc[0]["status_changed"]) == 1
    comp = cmp.compliance.set_index("side")
    assert int(comp.loc["after", "reported_recently"]) == 2  # P1 (May 2025) and P2
    assert after["status"].astype(str).tolist()[0] == "unknown"  # the input is not changed
    backwards = changes.compare(before, after, dt.date(2026, 6, 30), dt.date(2025, 12, 31),
                                statuses_left_aside=aside)
    assert backwards.statuses_carried == ()
    assert _row(backwards.changes, "P1")["status_after"] == "unknown"


def test_one_new_pledge_is_named_alone_not_as_the_largest_of_1():
    """One new pledge read "1 new pledge appeared ...; 1 of them states a value, together
    USD 1.20 M. The largest by stated value is ...": a total and a largest of one. One new
    pledge, or one of several stating a value, is named alone; pledge text is escaped."""
    def new(*values: float) -> pd.DataFrame:
        return pd.DataFrame({"title": [f"T{i}" for i in range(len(values))],
                             "pledger": ["Org <b>"] * len(values),
                             "value_usd_after": list(values)})

    span = "between 2021-03-01 and 2022-03-01"
    one = changes.new_pledges_text(new(1.2e6), span).data
    assert one == (f'1 new pledge appeared {span}: "T0" (by Org &lt;b&gt;), stating USD 1.20 M.')
    some = changes.new_pledges_text(new(np.nan, 5e6, np.nan), span).data
    assert some == (f'3 new pledges appeared {span}; 1 of them states a value, USD 5.00 M: "T1" '
                    "(by Org &lt;b&gt;).")
    assert "together" not in some and "largest" not in some
    many = changes.new_pledges_text(new(1e6, 3e6, np.nan), span).data
    assert "2 of them state a value, together USD 4.00 M" in many and '"T1"' in many
    assert "; both state a value, together USD 4.00 M" in changes.new_pledges_text(
        new(1e6, 3e6), span).data  # not "all of them" of two
    assert "; all of them state a value" in changes.new_pledges_text(new(1e6, 3e6, 2e6),
                                                                      span).data
    assert changes.new_pledges_text(new(np.nan), span).data.endswith("; it states no value.")
    assert changes.new_pledges_text(new(), span).data == f"No pledge is new {span}."


def test_new_pledges_of_the_same_value_are_not_ranked_by_file_order():
    """Three new pledges of USD 1.00 M each read "The largest by stated value is "W2" (by Org
    2, USD 1.00 M)": one of three equal amounts, picked by file order."""
    def new(*values: float) -> pd.DataFrame:
        return pd.DataFrame({"title": [f"T{i}" for i in range(len(values))],
                             "pledger": [f"Org {i}" for i in range(len(values))],
                             "value_usd_after": list(values)})

    span = "between 2021-03-01 and 2022-03-01"
    same = changes.new_pledges_text(new(1e6, 1e6, 1e6), span).data
    assert same == (f"3 new pledges appeared {span}; all of them state a value, USD 1.00 M "
                    "each, together USD 3.00 M.")
    tied = changes.new_pledges_text(new(2e6, np.nan, 1e6, 2e6), span).data
    assert tied.endswith('3 of them state a value, together USD 5.00 M. The largest by stated '
                         'value, USD 2.00 M each: "T0" (by Org 0) and "T3" (by Org 3).')
    assert "largest by stated value is" not in same + tied


def test_the_headline_says_none_rather_than_of_the_0():
    """A window whose previous side had no pledge read "Of the 0 found on both sides, 0 changed
    and 0 did not; 0 changed status (0 of them backwards); and 0 pledges are listed for
    review", and its status section "0 of the pledges listed on both sides changed status"."""
    empty = _table([BASE | {"pledge_id": "X", "status": "announced"}]).iloc[:0]
    one = _table([BASE | {"pledge_id": "A", "status": "announced"}])
    span = "between 2021-03-01 and 2022-03-01"
    grown = changes.compare(empty, one, dt.date(2021, 3, 1), dt.date(2022, 3, 1))
    text = changes.headline_text(grown.summary.iloc[0], span, len(grown.review)).data
    assert text.endswith("No pledge is found on both sides; none is listed for review.")
    assert "went from 0 to 1" in text and not re.search(r"\b0 (changed|of them)", text)
    assert changes.status_moves_text(0, 0, 0, span) == (
        f"No pledge is listed on both sides, so none changed status {span}.")
    later = _table([BASE | {"pledge_id": "A", "status": "in progress"},
                    BASE | {"pledge_id": "B", "title": "u", "status": "announced"}])
    cmp = changes.compare(_table([BASE | {"pledge_id": "A", "status": "announced"},
                                  BASE | {"pledge_id": "B", "title": "u",
                                          "status": "announced"}]),
                          later, dt.date(2021, 3, 1), dt.date(2022, 3, 1))
    text = changes.headline_text(cmp.summary.iloc[0], span, len(cmp.review)).data
    assert ("Of the 2 pledges found on both sides, 1 changed and 1 did not; 1 changed status "
            "(none backwards); none is listed for review.") in text
    assert changes.status_moves_text(1, 0, 2, span) == (
        f"1 of the 2 pledges listed on both sides changed status {span}; none moved backwards.")
    # not "1 pledge of the 1 listed on both sides changed status ...; it moved backwards."
    assert changes.status_moves_text(1, 1, 1, span) == (
        f"The 1 pledge listed on both sides changed status {span}; it moved backwards.")
    assert changes.status_moves_text(2, 2, 2, span) == (
        f"Both pledges listed on both sides changed status {span}; both moved backwards.")
    assert changes.status_moves_text(0, 0, 2, span) == (
        f"No pledge listed on both sides changed status {span}.")
    assert changes.status_moves_text(3, 1, 5, span).endswith("; 1 moved backwards.")


def test_the_group_sentence_does_not_speak_of_a_move_between_two_n_a():
    """With no pledge stating a value reaching LDC, LLDC or SIDS the sentence read "LDC from
    n/a to n/a (0 → 0 pledges), ... The dates use the connectivity data and group membership
    of 2021 and 2022: part of the move comes from the offline population", a move that the
    table does not show."""
    def groups(before: list[float], after: list[float], years: tuple[int, int]) -> pd.DataFrame:
        return pd.DataFrame({"group": ["LDC", "LLDC", "SIDS"], "year_before": years[0],
                             "year_after": years[1], "pledges_before": [0, 1, 2],
                             "pledges_after": [0, 1, 3],
                             "attention_ratio_usd_before": before,
                             "attention_ratio_usd_after": after})

    nan = float("nan")
    none = changes.group_moves_text(groups([nan] * 3, [nan] * 3, (2021, 2022)))
    assert none == ("No pledge stating a value reaches LDC, LLDC or SIDS at either date, so "
                    "there is no USD attention ratio to compare (LDC: pledges 0 → 0, LLDC: "
                    "pledges 1 → 1 and SIDS: pledges 2 → 3).")
    some = changes.group_moves_text(groups([nan, 1.111, 0.2], [0.5, 1.112, 0.3], (2021, 2022)))
    # a ratio missing at one date read "LDC from n/a to 0.50", at both "stayed at n/a"
    assert some == ("Attention ratio (USD): LDC from none to 0.50 (pledges 0 → 0; no pledged USD "
                    "reached it before), LLDC stayed at 1.11 (pledges 1 → 1) and SIDS from 0.20 "
                    "to 0.30 (pledges 2 → 3). The dates use the connectivity data and group "
                    "membership of 2021 and 2022: part of the move comes from the offline "
                    "population.")
    gone = changes.group_moves_text(groups([0.4, nan, 0.2], [nan, nan, 0.3], (2021, 2022)))
    assert gone.startswith("Attention ratio (USD): LDC from 0.40 to none (pledges 0 → 0; no "
                           "pledged USD reaches it now), LLDC has none at either date (pledges "
                           "1 → 1; no pledged USD reaches it) and SIDS from 0.20 to 0.30")
    assert "n/a" not in some + gone
    still = changes.group_moves_text(groups([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], (2024, 2024)))
    assert still.endswith("Both dates use the 2024 connectivity data and group membership.")


def test_value_and_compliance_sentences_say_none_rather_than_0():
    """A window where nothing moved read "0 pledges changed their stated value (net USD 0);
    conversion alone moved the USD figures by a net USD 0 (0 pledges with the same amount)"
    and "On 2030-06-30, 0 of 47 pledges had a dated report of progress ...; on 2031-06-30, 0
    of 47 (0.0%)"."""
    p = _table([BASE | {"pledge_id": "A", "status": "announced"},
                BASE | {"pledge_id": "B", "title": "u", "status": "announced"}])
    cmp = changes.compare(p, p, dt.date(2030, 6, 30), dt.date(2031, 6, 30))
    vc = changes.value_changes(cmp.changes)
    assert changes.value_changes_text(vc) == (
        "No pledge listed at both dates changed its stated value; no USD figure moved by "
        "conversion alone.")
    comp = changes.compliance_text(cmp.compliance)
    assert comp.startswith("On 2030-06-30, none of the 2 pledges had a dated report of "
                           "progress")
    assert "on 2031-06-30, none of the 2 (0.0%)" in comp and not re.search(r"\b0 of\b", comp)
    moved = vc.assign(pledges=[0, 1, 0, 0, 0, 0, 2],
                      usd_change=[0.0, 5e6, 0.0, 0.0, 0.0, 0.0, 1e6])
    assert changes.value_changes_text(moved) == (
        "1 pledge changed its stated value (net USD 5.00 M); conversion alone moved the USD "
        "figures by a net USD 1.00 M (2 pledges with the same amount).")


# --- the bundled public record: 2025-03-01 against 2026-03-31 -----------------------------------

@pytest.fixture(scope="module")
def comparison() -> changes.Comparison:
    a, b = record.public_record("2025-03-01"), record.public_record("2026-03-31")
    return changes.compare(a.pledges, b.pledges, a.as_of, b.as_of)


def test_bundled_comparison_lists_new_pledges_and_huawei(comparison):
    ch = comparison.changes
    new = ch[ch["change"] == "new"]
    assert {"MTN Group", "Globalstar", "Axian Telecom", "Cisco", "China Unicom", "Mobily",
            "Ooredoo Group"} <= set(new["pledger"])
    assert len(new) == 8
    # the Hamburg Declaration is dated "2025" only: the year does not lie in the window
    first = ch[ch["change"] == "first seen"]
    assert first["title"].tolist() == ["Hamburg Declaration on Responsible AI for the SDGs"]
    assert (ch["change"] == "no longer listed").sum() == 0
    huawei = ch[ch["title"].str.startswith("Connectivity for about 120 million")].iloc[0]
    assert (huawei["status_before"], huawei["status_after"]) == ("in progress", "completed")
    assert huawei["status_change"] == "forward" and huawei["change"] == "changed"
    assert huawei["match_rule"] == "pledger + title"  # derived ids: matched by name
    assert huawei["status_source_after"] == "public evidence"
    assert comparison.review.empty


def test_bundled_listing_and_groups(comparison):
    lc = comparison.listing_changes
    by_type = lc[lc["dimension"] == "stakeholder_type"]
    assert by_type["new_pledges"].sum() == 8  # one stakeholder type per pledge (not first seen)
    assert by_type["no_longer_listed_pledges"].sum() == 0
    assert set(lc["dimension"]) == {"focus_area", "stakeholder_type", "target_group"}
    g = comparison.group_changes
    assert g["group"].tolist() == ["LDC", "LLDC", "SIDS"]
    assert (g["year_before"] == 2024).all() and (g["year_after"] == 2024).all()
    # pledges are only added between the two dates: targeting cannot shrink
    assert (g["pledges_after"] >= g["pledges_before"]).all()


def test_bundled_overdue_and_compliance(comparison):
    od = comparison.newly_overdue
    # ZTE's USD 400 m a year through 2025 (status "announced"): overdue in 2026, not in 2025
    assert od["pledger"].eq("ZTE Corporation").any()
    # Huawei's 2025 target was met (completed): not overdue
    assert not od["title"].str.startswith("Connectivity for about 120 million").any()
    assert (od["years_overdue"] >= 1).all()
    c = comparison.compliance.set_index("side")
    # reports in the 12 months to 2026-03-31: Huawei (2026-03-05), Internet Society (2025-07-07)
    assert c.loc["after", "reported_recently"] == 2
    assert c.loc["after", "pledges"] == 43 and c.loc["before", "pledges"] == 34
    assert set(comparison.tables()) >= {"changes_by_pledge", "status_transitions",
                                        "group_changes", "listing_changes", "value_changes"}
    # Huawei (in progress -> completed) and Internet Society's training (unknown -> completed)
    assert comparison.summary["status_changed"].item() == 2
    t = comparison.status_transitions.set_index(["status_before", "status_after"])
    assert t.loc[("in progress", "completed"), "pledges"] == 1
    assert t.loc[("in progress", "completed"), "pledges_with_value"] == 0  # no value stated


def test_vectorised_key_equals_parsing_text_key():
    import pyarrow as pa

    from p2c_analysis import parsing

    texts = [*record.load_record_files()[0]["title"].tolist(),
             *record.load_record_files()[0]["pledger"].tolist(),
             "Digital Skills for Youth.", " A & B  (x) ", "e& (Emirates)", "Côte d’Ivoire-x_y/z",
             "tab\there\u00a0nbsp", "Organisation-wide"]
    got = changes.normalise_text(pa.array(texts)).to_pylist()
    assert got == [parsing.text_key(t) for t in texts]


def test_a_side_with_no_pledge_yet_compares():
    """The public record before the first pledge (the default previous side of a comparison
    as of early 2023) has no pledge: every current pledge is new, and the other way round every
    previous one is no longer listed; two empty sides give empty tables."""
    empty, first = record.public_record("2021-06-01"), record.public_record("2023-01-01")
    assert len(empty.pledges) == 0 and len(first.pledges) > 0
    grown = changes.compare(empty.pledges, first.pledges, empty.as_of, first.as_of)
    assert len(grown.changes) == len(first.pledges)
    assert set(grown.changes["change"]) == {"new"}
    gone = changes.compare(first.pledges, empty.pledges, first.as_of, empty.as_of)
    assert len(gone.changes) == len(first.pledges)
    assert set(gone.changes["change"]) == {"no longer listed"}
    nothing = changes.compare(empty.pledges, empty.pledges, empty.as_of, empty.as_of)
    assert len(nothing.changes) == 0 and len(nothing.review) == 0


def test_a_list_column_without_any_value_compares():
    """A list column with no value on either side (Arrow's null type) is equal, not an error."""
    p = record.public_record("2026-12-01").pledges.assign(target_regions=None)
    c = changes.compare(p, p, dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    assert len(c.changes) == len(p) and not c.changes["change"].eq("new").any()


def test_the_analysis_year_stays_within_the_data():
    """A comparison as of 2000 has its default previous side in 1999: it takes 2000's data,
    as a date after 2024 takes 2024's (a 1999 side used to fail: no connectivity data)."""
    assert changes.analysis_year("1999-06-30") == 2000
    assert changes.analysis_year("2012-03-01") == 2012
    assert changes.analysis_year("2030-01-01") == 2024
    early = changes.group_changes(record.public_record("2000-12-31").pledges,
                                  record.public_record("2000-12-31").pledges,
                                  "1999-12-31", "2000-12-31")
    assert set(early["year_before"]) == set(early["year_after"]) == {2000}


def test_the_conversion_part_of_a_changed_amount_is_a_conversion_effect(tmp_path):
    """EUR 20 M announced in 2022 becomes EUR 25 M announced in 2023: the whole USD change was
    booked as a change of value. Now the new amount at the 2022 rate is the value change and the
    rest (the rate moved) a conversion effect; both add up to the USD change."""
    from p2c_analysis import fx

    head = "title,pledger,value,announced_date\n"
    prev, cur = tmp_path / "prev.csv", tmp_path / "cur.csv"
    prev.write_text(head + "Delta fund,Org,EUR 20 million,2022-03-01\n"
                    "Alpha fund,Org A,EUR 10 million,2022-03-01\n", encoding="utf-8")
    cur.write_text(head + "Delta fund,Org,EUR 25 million,2023-03-01\n"
                   "Alpha fund,Org A,EUR 10 million,2023-03-01\n", encoding="utf-8")
    b, a = load_pledges(prev).valid, load_pledges(cur).valid
    cmp = changes.compare(b, a, dt.date(2024, 6, 30), dt.date(2024, 6, 30))
    r22, r23 = fx.convert(1.0, "EUR", 2022).usd, fx.convert(1.0, "EUR", 2023).usd
    ch = cmp.changes.set_index("title")
    delta = ch.loc["Delta fund"]
    assert delta["value_change"] == "up"
    assert delta["value_usd_delta"] == pytest.approx(25e6 * r23 - 20e6 * r22)
    assert delta["value_usd_conversion"] == pytest.approx(25e6 * (r23 - r22))
    alpha = ch.loc["Alpha fund"]
    assert alpha["value_change"] == "conversion only"
    assert alpha["value_usd_conversion"] == pytest.approx(alpha["value_usd_delta"])
    s = cmp.summary.iloc[0]
    assert s["usd_value_changes"] == pytest.approx(5e6 * r22)
    assert s["usd_conversion_effects"] == pytest.approx(25e6 * (r23 - r22) + 10e6 * (r23 - r22))
    assert s["usd_after"] - s["usd_before"] == pytest.approx(
        s["usd_value_changes"] + s["usd_conversion_effects"])
    vc = cmp.tables()["value_changes"].set_index("value_change")["usd_change"]
    assert vc["up"] == pytest.approx(5e6 * r22)
    assert vc["conversion only"] == pytest.approx(s["usd_conversion_effects"])


# --- undated pledges and undated evidence in a window --------------------------------------------

def _dated(pid: str, date: str | None, precision: str | None, usd: float | None = None) -> dict:
    return BASE | _valued(pid, None if usd is None else f"USD {usd:.0f}", "USD", usd) | {
        "announced_date": pd.Timestamp(date) if date else pd.NaT,
        "announced_precision": precision}


def test_new_only_when_the_whole_stated_period_falls_in_the_window():
    # window (2025-12-03, 2026-12-03]: hand-computed
    before = _table([_dated("OLD", "2024-05-01", "day", 1.0)])
    after = _table([
        _dated("OLD", "2024-05-01", "day", 1.0),
        _dated("DAY", "2026-03-02", "day", 10.0),     # inside: new
        _dated("NONE", None, None, 100.0),             # no date (enters at the vintage)
        _dated("Y2025", "2025-01-01", "year", 1000.0),  # 2025 is not all in the window
        _dated("Y2026", "2026-01-01", "year"),         # 2026 ends after 2026-12-03
        _dated("M2025", "2025-12-01", "month"),        # December 2025 starts before 2025-12-03
        _dated("M2026", "2026-11-01", "month"),        # November 2026: inside
        _dated("EARLY", "2023-02-01", "day"),          # dated before the window: first seen
    ])
    ch = changes.changes_by_pledge(before, after, as_of_before="2025-12-03",
                                   as_of_after="2026-12-03")
    kind = dict(zip(ch["pledge_id"], ch["change"], strict=True))
    assert kind == {"OLD": "unchanged", "DAY": "new", "M2026": "new", "NONE": "first seen",
                    "Y2025": "first seen", "Y2026": "first seen", "M2025": "first seen",
                    "EARLY": "first seen"}
    s = changes.summary(ch).iloc[0]
    assert (s["new"], s["first_seen"], s["pledges_after"] - s["pledges_before"]) == (2, 5, 7)
    assert (s["usd_new"], s["usd_first_seen"]) == (10.0, 1100.0)
    assert s["usd_after"] - s["usd_before"] == pytest.approx(
        s["usd_new"] + s["usd_first_seen"] + s["usd_no_longer_listed"] + s["usd_value_changes"]
        + s["usd_conversion_effects"])
    # a whole year inside a longer window is new
    wide = changes.changes_by_pledge(before, after, as_of_before="2024-12-01",
                                     as_of_after="2026-12-03")
    assert dict(zip(wide["pledge_id"], wide["change"], strict=True))["Y2025"] == "new"
    # without dates (or with no window) every pledge only in the current table is new
    for kw in ({}, {"as_of_before": "2026-12-03", "as_of_after": "2026-12-03"}):
        plain = changes.changes_by_pledge(before, after, **kw)
        assert (plain["change"] == "new").sum() == 7, kw


def test_the_cut_at_a_side_and_new_in_the_window_read_a_period_alike():
    """A pledge file's side leaves out a pledge only when its period begins after the side's
    date (pledges.announced_after); "new" needs the whole period in the window. A period
    that straddles the current date is kept and "first seen", never new; one after it is out
    of the table before anything is compared."""
    from p2c_analysis.pledges import announced_after

    after = _table([
        _dated("Y2024", "2024-01-01", "year"),    # straddles 2024-06-30: kept, first seen
        _dated("M2024", "2024-06-01", "month"),   # June: kept, all of it in the window: new
        _dated("M2407", "2024-07-01", "month"),   # July begins after 2024-06-30: left out
        _dated("D2023", "2023-07-01", "day"),     # the day after the previous date: new
        _dated("NONE", None, None),               # no date: kept, first seen
    ])
    later = announced_after(after, dt.date(2024, 6, 30))
    assert after.loc[later.to_numpy(), "pledge_id"].tolist() == ["M2407"]
    kept = after[~later.to_numpy()]
    inside = changes.announced_in_window(kept, "2023-06-30", "2024-06-30")
    assert dict(zip(kept["pledge_id"], inside, strict=True)) == {
        "Y2024": False, "M2024": True, "D2023": True, "NONE": False}
    # a left-out pledge is never in the window it is after
    assert not changes.announced_in_window(after[later.to_numpy()], "2023-06-30",
                                           "2024-06-30").any()


def _evidenced(pid: str, status: str, source: str | None, basis: str | None) -> dict:
    return BASE | {"pledge_id": pid, "status": status, "status_source": source,
                   "status_date_basis": basis}


def _with_sources(rows: list[dict]) -> pd.DataFrame:
    """A canonical table plus where each status comes from (as evidence.apply_events adds)."""
    t = _table([{k: v for k, v in r.items() if not k.startswith("status_")} for r in rows])
    for col in ("status_source", "status_date_basis"):
        t[col] = pd.array([r[col] for r in rows], dtype="string")
    return t


def test_undated_evidence_does_not_date_a_status_change():
    undated = "undated; known by 2026-12-01"
    before = _with_sources([
        _evidenced("V", "unknown", None, None),
        _evidenced("H", "in progress", "public evidence", "stated"),
        _evidenced("X", "announced", "self-reported", "undated; known by 2025-12-03"),
        _evidenced("B", "completed", "public evidence", "stated")])
    after = _with_sources([
        _evidenced("V", "in progress", "public evidence", undated),
        _evidenced("H", "completed", "public evidence", "stated"),
        # an export's own status is its status on the export's date: dated
        _evidenced("X", "in progress", "self-reported", "undated; known by 2026-12-03"),
        _evidenced("B", "in progress", "public evidence", undated)])
    ch = changes.changes_by_pledge(before, after).set_index("pledge_id")
    assert ch["status_change_undated"].to_dict() == {"B": True, "H": False, "V": True,
                                                     "X": False}
    assert ch.loc["V", "status_change"] == "first reported"  # the move itself is kept
    s = changes.summary(ch.reset_index()).iloc[0]
    assert (s["status_changed"], s["status_changed_undated"]) == (2, 2)
    assert s["status_moved_backwards"] == 0  # B's backward move is undated


def test_bundled_window_to_the_collection_date_counts_only_dated_news():
    """2025-12-03 -> 2026-12-03: the window holds the collection of the data files (29 Nov and
    1 Dec 2026) and of the undated evidence (1 Dec 2026)."""
    a, b = record.public_record("2025-12-03"), record.public_record("2026-12-03")
    cmp = changes.compare(a.pledges, b.pledges, a.as_of, b.as_of)
    ch, s = cmp.changes, cmp.summary.iloc[0]
    assert set(ch.loc[ch["change"] == "new", "pledger"]) == {"Avant.Dev", "Mobily",
                                                             "Ooredoo Group"}
    first = set(ch.loc[ch["change"] == "first seen", "pledger"])
    assert len(first) == 4 and {"Eutelsat", "ZTE Corporation"} <= first  # no date; Hamburg 2025
    assert (s["new"], s["first_seen"], s["status_changed"], s["status_changed_undated"]) == (
        3, 4, 1, 2)
    undated = set(ch.loc[ch["status_change_undated"], "pledger"])
    assert undated == {"Vodafone Group", "Government of Saudi Arabia"}
    # only Huawei's report of 2026-03-05 is a dated report in the 12 months to 2026-12-03
    assert cmp.compliance.set_index("side").loc["after", "reported_recently"] == 1


def test_compliance_text_says_a_table_has_no_pledge_instead_of_0_of_0():
    # before the coalition's first pledge the previous table is empty: it read "On 2021-06-30,
    # 0 of 0 pledges had a dated report of progress in the previous 12 months (n/a)"
    a, b = record.public_record("2021-06-30"), record.public_record("2026-12-03")
    cmp = changes.compare(a.pledges, b.pledges, a.as_of, b.as_of)
    text = changes.compliance_text(cmp.compliance)
    comp = cmp.compliance.set_index("side")
    n_after = int(comp.loc["after", "pledges"])
    assert len(a.pledges) == 0 and n_after > 0
    k_after = int(comp.loc["after", "reported_recently"])
    assert 0 < k_after < n_after
    assert text.startswith("On 2021-06-30, the previous table has no pledge to report on; on "
                           f"2026-12-03, {k_after} of the {n_after} pledges had a dated report "
                           "of progress")
    assert "0 of 0" not in text and "n/a" not in text and "not comparable" not in text
    # both sides with pledges: the two rates and how they compare
    c = changes.compare(b.pledges, b.pledges, b.as_of, b.as_of)
    both = changes.compliance_text(c.compliance)
    assert both.count(f"of the {n_after} pledges") == 1 and both.endswith(
        ": the current rate is the same as the previous one.")


def test_the_card_says_when_no_new_pledge_states_a_value():
    # "Stated value of new pledges: USD 0" read as pledges of no value; none stated a value
    unvalued = _pair([{"pledge_id": "A"}], [{"pledge_id": "A"}, {"pledge_id": "NEW"}])
    s = changes.summary(unvalued).iloc[0]
    assert (s["new"], s["new_valued"], s["usd_new"]) == (1, 0, 0.0)
    assert changes.new_value_text(s) == "none stated"
    valued = _pair([_valued("A", "USD 1", "USD", 1)],
                   [_valued("A", "USD 1", "USD", 1), _valued("NEW", "USD 9 million", "USD", 9e6),
                    {"pledge_id": "NEW2"}])
    s = changes.summary(valued).iloc[0]
    assert (s["new"], s["new_valued"]) == (2, 1)
    assert changes.new_value_text(s) == "USD 9.00 M"
    none_new = changes.summary(_pair([{"pledge_id": "A"}], [{"pledge_id": "A"}])).iloc[0]
    assert changes.new_value_text(none_new) == "no new pledge"


@pytest.mark.parametrize("before, after, new, first, gone, lead", [
    (5, 5, 0, 0, 0, "stayed at 5: no new pledge and none of the earlier pledges missing."),
    (5, 4, 0, 0, 1, "went from 5 to 4: no new pledge and **1 pledge no longer listed**."),
    (2, 5, 3, 0, 0, "went from 2 to 5: **3 new pledges** and none of the earlier pledges "
                    "missing."),
    (0, 1, 1, 0, 0, "went from 0 to 1: **1 new pledge**."),
    (3, 4, 0, 1, 0, "went from 3 to 4: no new pledge, 1 pledge first seen (no announcement date "
                    "that lies between the two dates: see below) and none of the earlier "
                    "pledges missing."),
    (5, 5, 2, 0, 2, "stayed at 5: **2 new pledges** and **2 pledges no longer listed**."),
])
def test_the_headline_names_no_count_of_0(before, after, new, first, gone, lead):
    """The headline read "... went from 5 to 7: **2 new pledges** and **0 pledges no longer
    listed**" (and "0 new pledges"): a count of 0 is said as none, nothing is said missing from
    an empty previous table, and an unchanged count "stayed at"."""
    row = pd.Series({"pledges_before": before, "pledges_after": after, "new": new,
                     "first_seen": first, "no_longer_listed": gone, "changed": 0,
                     "unchanged": min(before, after) - first, "status_changed": 0,
                     "status_changed_undated": 0, "status_moved_backwards": 0,
                     "needs_review": 0})
    span = "between 2021-03-01 and 2022-03-01"
    text = changes.headline_text(row, span, 0).data
    assert text.startswith(f"Between 2021-03-01 and 2022-03-01 the number of pledges {lead} ")
    assert not re.search(r"\b0 (new )?pledges?\b", text)


@pytest.mark.parametrize("changed, unchanged, moved, both", [
    (0, 2, 0, "Of the 2 pledges found on both sides, none changed; none is listed"),
    (2, 0, 1, "Of the 2 pledges found on both sides, both changed; 1 changed status (none "
              "backwards); none is listed"),
    (3, 0, 0, "Of the 3 pledges found on both sides, all changed; none changed status; none is "
              "listed"),
    (1, 2, 0, "Of the 3 pledges found on both sides, 1 changed and 2 did not; none changed "
              "status; none is listed"),
    (0, 1, 0, "The 1 pledge found on both sides did not change; none is listed"),
    (1, 0, 1, "The 1 pledge found on both sides changed status; none is listed"),
    (1, 0, 0, "The 1 pledge found on both sides changed, but not its status; none is listed"),
])
def test_the_headline_says_what_changed_on_both_sides_without_0(changed, unchanged, moved,
                                                                 both):
    """Two identical tables read "Of the 2 pledges found on both sides, 0 changed and 2 did
    not; none changed status"; and one pledge "Of the 1 pledge found on both sides, 1 changed
    and 0 did not; 1 changed status (1 of them backwards)"."""
    n = changed + unchanged
    row = pd.Series({"pledges_before": n, "pledges_after": n, "new": 0, "first_seen": 0,
                     "no_longer_listed": 0, "changed": changed, "unchanged": unchanged,
                     "status_changed": moved, "status_changed_undated": 0,
                     "status_moved_backwards": 0, "needs_review": 0})
    text = changes.headline_text(row, "between 2021-03-01 and 2022-03-01", 0).data
    assert both in text
    assert not re.search(r"\b0 (changed|did)", text)


def _usd_row(**usd: float) -> pd.Series:
    return pd.Series({"usd_before": 1e6, "usd_after": 1e6, "usd_new": 0.0, "usd_first_seen": 0.0,
                      "usd_no_longer_listed": 0.0, "usd_value_changes": 0.0,
                      "usd_conversion_effects": 0.0} | usd)


def test_the_value_sentence_names_only_the_parts_that_move_it():
    """Two identical tables read "The stated value of all pledges went from USD 1.00 M to USD
    1.00 M: USD 0 from new pledges, USD 0 less from pledges no longer listed, a net USD 0 from
    changes of stated values, and a net USD 0 from currency conversion alone"."""
    text = changes.value_moves_text
    assert text(_usd_row()) == ("The stated value of all pledges stayed at USD 1.00 M: no pledge "
                                "added or took away any of it, and no stated value changed.")
    assert text(_usd_row(usd_after=3e6, usd_new=2e6)) == (
        "The stated value of all pledges went from USD 1.00 M to USD 3.00 M: USD 2.00 M from new "
        "pledges.")
    assert text(_usd_row(usd_after=2e6, usd_new=2e6, usd_no_longer_listed=-1e6)) == (
        "The stated value of all pledges went from USD 1.00 M to USD 2.00 M: USD 2.00 M from new "
        "pledges and USD 1.00 M less from pledges no longer listed.")
    conv = text(_usd_row(usd_after=0.9e6, usd_conversion_effects=-0.1e6))
    assert conv.endswith(": a net USD -100 k from currency conversion alone (another exchange "
                         "rate for the same amounts, not a change of any pledge).")
    assert text(_usd_row(usd_before=0.0, usd_after=0.0)) == \
        "No pledge on either side states a value."
    # one side stating no value read "went from USD 0 to USD 3.00 M"
    assert text(_usd_row(usd_before=0.0, usd_after=3e6, usd_new=3e6)) == (
        "The stated value of all pledges went from none stated to USD 3.00 M: USD 3.00 M from "
        "new pledges.")
    assert text(_usd_row(usd_after=0.0, usd_no_longer_listed=-1e6)).startswith(
        "The stated value of all pledges went from USD 1.00 M to none stated: ")
    for t in (text(_usd_row()), conv):
        assert "USD 0 " not in t and "USD 0." not in t


def test_the_headline_of_one_pledge_moving_backwards():
    row = pd.Series({"pledges_before": 1, "pledges_after": 1, "new": 0, "first_seen": 0,
                     "no_longer_listed": 0, "changed": 1, "unchanged": 0, "status_changed": 1,
                     "status_changed_undated": 0, "status_moved_backwards": 1,
                     "needs_review": 0})
    text = changes.headline_text(row, "between 2021-03-01 and 2022-03-01", 0).data
    assert "The 1 pledge found on both sides changed status, backwards; none is listed for " \
           "review." in text


def _compliance(*sides: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame([{"side": side, "as_of": pd.Timestamp(day), "pledges": n,
                          "reported_recently": k, "never_reported": 0,
                          "compliance_pct": 100.0 * k / n, "change_pp": float("nan")}
                         for (side, day), (n, k) in zip((("before", "2030-06-30"),
                                                          ("after", "2031-06-30")), sides,
                                                         strict=True)])


def test_the_compliance_sentence_of_one_and_all_pledges():
    """One pledge read "On 2030-06-30, none of 1 pledge had a dated report of progress ...";
    all of them "3 of 3"."""
    one = changes.compliance_text(_compliance((1, 0), (2, 0)))
    assert one.startswith("On 2030-06-30, the 1 pledge had no dated report of progress in the "
                          "previous 12 months (0.0%); on 2031-06-30, none of the 2 (0.0%)")
    every = changes.compliance_text(_compliance((2, 2), (3, 3)))
    assert every.startswith("On 2030-06-30, both pledges had a dated report of progress in the "
                            "previous 12 months (100.0%); on 2031-06-30, all 3 (100.0%)")
    back = changes.compliance_text(_compliance((3, 1), (1, 1)))
    assert back.startswith("On 2030-06-30, 1 of the 3 pledges had a dated report of progress in "
                           "the previous 12 months (33.3%); on 2031-06-30, the 1 pledge had one "
                           "(100.0%)")
    for t in (one, every, back):
        assert not re.search(r"\b(of \d|none of 1 )", t)


def test_the_no_longer_listed_sentence_of_one_two_and_some():
    """One pledge no longer listed read "1 pledge is no longer listed (USD 1.00 M as last
    stated by 1 of them). Absent is not withdrawn: these pledges are missing ..."."""
    def gone(*usd: float) -> pd.DataFrame:
        return pd.DataFrame({"value_usd_before": list(usd)}, dtype=float)

    text = changes.no_longer_listed_text
    assert text(gone()) == "No pledge of the previous table is missing from the current one."
    assert text(gone(1e6)) == (
        "1 pledge is no longer listed (it last stated USD 1.00 M). Absent is not withdrawn: "
        "this pledge is missing from the current table, whatever the reason.")
    assert text(gone(np.nan)).startswith("1 pledge is no longer listed (it stated no value).")
    assert text(gone(1e6, 2e6)).startswith(
        "2 pledges are no longer listed (USD 3.00 M as last stated by both). Absent is not "
        "withdrawn: these pledges are missing")
    assert text(gone(1e6, np.nan, 2e6)).startswith(
        "3 pledges are no longer listed (USD 3.00 M as last stated by 2 of them).")
    assert text(gone(1e6, 1e6, 2e6)).startswith(
        "3 pledges are no longer listed (USD 4.00 M as last stated by all of them).")
    assert text(gone(np.nan, np.nan)).startswith(
        "2 pledges are no longer listed (none of them stated a value).")


def test_the_title_of_two_sources_of_one_date_names_them():
    """Two pledge files, both judged as of the analysis date, were titled "2026-12-01 to
    2026-12-01", here and on the front page."""
    from types import SimpleNamespace

    d1, d2 = dt.date(2026, 12, 1), dt.date(2027, 1, 1)

    def side(label: str, when: dt.date) -> SimpleNamespace:
        return SimpleNamespace(label=f"{label} as of {when}", as_of=when)

    assert changes.comparison_title(side("file a.csv", d1), side("file b.csv", d1)) == (
        "File a.csv against file b.csv, both as of 2026-12-01")
    assert changes.comparison_title(side("file a.csv", d1), side("file a.csv", d1)) == (
        "File a.csv compared with itself, as of 2026-12-01")
    assert changes.comparison_title(side("public record", d1), side("file b.csv", d2)) == (
        "2026-12-01 to 2027-01-01")


def test_the_compliance_sentence_of_two_tables_of_one_date_names_the_tables():
    """Two pledge files judged as of one analysis date read "On 2026-12-01, none of the 4
    pledges had a dated report ...; on 2026-12-01, none of the 3 (0.0%)"."""
    same = _compliance((4, 0), (3, 1)).assign(as_of=pd.Timestamp("2026-12-01"))
    text = changes.compliance_text(same)
    assert text.startswith("In the previous table (both tables as of 2026-12-01), none of the 4 "
                           "pledges had a dated report of progress in the previous 12 months "
                           "(0.0%); in the current table, 1 of the 3 (33.3%)")
    assert "on 2026-12-01" not in text
    empty = changes.compliance_text(_compliance((4, 0), (1, 0)).assign(
        as_of=pd.Timestamp("2026-12-01"), pledges=[4, 0]))
    assert "; in the current table, there is no pledge to report on." in empty


def test_the_ratio_card_says_none_rather_than_n_a():
    """The front-page card read "LDC attention ratio (USD) n/a → 0.12" where no pledged USD
    reached the LDCs at the earlier date."""
    assert changes.ratio_move_card(float("nan"), 0.123) == "none → 0.12"
    assert changes.ratio_move_card(0.64, 1.11) == "0.64 → 1.11"
    assert "n/a" not in changes.ratio_move_card(float("nan"), float("nan"))


def test_value_changes_that_cancel_out_are_said_as_no_net_change():
    """One pledge up by USD 5 M and another down by USD 5 M read "2 pledges changed their
    stated value (net USD 0)", and over all pledges "...: no pledge added or took away any of
    it, and no stated value changed", which was not so."""
    before = [BASE | {"pledge_id": "A", "estimated_value_usd": 10e6},
              BASE | {"pledge_id": "B", "title": "u", "estimated_value_usd": 10e6}]
    after = [BASE | {"pledge_id": "A", "estimated_value_usd": 15e6},
             BASE | {"pledge_id": "B", "title": "u", "estimated_value_usd": 5e6}]
    cmp = changes.compare(_table(before), _table(after), dt.date(2030, 6, 30),
                          dt.date(2031, 6, 30))
    s = changes.summary(cmp.changes).iloc[0]
    assert s["value_changed"] == 2 and s["usd_value_changes"] == 0
    moves = changes.value_moves_text(s)
    assert moves == ("The stated value of all pledges stayed at USD 20.0 M: no pledge added or "
                     "took away any of it, and the changes of stated values (2 pledges) cancel "
                     "out.")
    vc = changes.value_changes_text(changes.value_changes(cmp.changes))
    assert vc.startswith("2 pledges changed their stated value, with no net change in USD: the "
                         "rises and falls cancel out; ")
    for t in (moves, vc):
        assert "USD 0" not in t and "USD -0" not in t and "no stated value changed" not in t
    # beside a part that moves the total, the cancelling changes are still said
    row = pd.Series(dict(_usd_row(usd_after=3e6, usd_new=2e6)) | {"value_changed": 2})
    assert changes.value_moves_text(row) == (
        "The stated value of all pledges went from USD 1.00 M to USD 3.00 M: USD 2.00 M from new "
        "pledges; the changes of stated values (2 pledges) cancel out.")
    # conversion effects that cancel out: not "by a net USD 0"
    table = changes.value_changes(cmp.changes)
    conv = table.assign(pledges=[0, 0, 0, 0, 0, 0, 3], usd_change=[0.0] * 6 + [-1e-9])
    assert changes.value_changes_text(conv) == (
        "No pledge listed at both dates changed its stated value; conversion alone moved USD "
        "figures (3 pledges with the same amount) with no net change.")


# --- twins: pledges sharing pledger and title ----------------------------------------------------

def _twins(tmp_path, name: str, values: tuple[str, ...]) -> pd.DataFrame:
    """A pledge file of two "Phase 1" pledges of one pledger (values as given, in file
    order) and one other pledge, loaded: the twins' ids are numbered by content."""
    rows = [("Phase 1", "Org X", v) for v in values] + [("Other", "Org Y", "USD 5 million")]
    p = tmp_path / name
    p.write_text("pledge_title,pledger,value_as_stated\n"
                 + "".join(f"{t},{who},{v}\n" for t, who, v in rows), encoding="utf-8")
    return load_pledges(p).valid


def test_twins_in_both_tables_are_paired_by_their_content(tmp_path):
    """Two pledges sharing pledger and title were flagged as ambiguous and never matched: a
    file compared with itself, or with its rows swapped, showed them as 2 new and 2 no longer
    listed. Twins with the same content on both sides are paired; only what stays unclear is
    listed for review."""
    a = _twins(tmp_path, "a.csv", ("USD 10 million", "USD 90 million"))
    b = _twins(tmp_path, "b.csv", ("USD 90 million", "USD 10 million"))
    for before, after in ((a, a), (a, b), (b, a)):
        m = changes.match_pledges(before, after)
        assert m.review.empty
        ch = changes.changes_by_pledge(before, after, m)
        assert ch["change"].tolist() == ["unchanged"] * 3
        assert not ch["needs_review"].any()
        assert (ch["pledge_id_before"] == ch["pledge_id_after"]).all()
    # one twin restated, the other the same: the one left on each side are paired
    c = _twins(tmp_path, "c.csv", ("USD 10 million", "USD 20 million"))
    ch = changes.changes_by_pledge(a, c, changes.match_pledges(a, c))
    assert sorted(ch["change"]) == ["changed", "unchanged", "unchanged"]
    assert ch.loc[ch["change"] == "changed", "value_usd_before"].tolist() == [90e6]
    # both twins restated: which is which cannot be told
    d = _twins(tmp_path, "d.csv", ("USD 20 million", "USD 30 million"))
    m = changes.match_pledges(a, d)
    assert len(m.review) == 4 and m.review["review_reason"].str.startswith("ambiguous").all()

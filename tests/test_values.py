"""p2c_analysis.values: value basis of each pledge, known overlaps, stated vs de-duplicated.

Real cases from the bundled pledges (``public_pledges.csv`` and the 2026-12 additions) and
small hand-built cases; every number is computed by hand in the comments.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p2c_analysis import fields, parsing, paths, record, synthetic, values
from p2c_analysis.pledges import check_pledges_cli, load_pledges
from p2c_analysis.vocabulary import VALUE_BASES


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return load_pledges().valid


@pytest.fixture(scope="module")
def additions() -> pd.DataFrame:
    return load_pledges(paths.PUBLIC_PLEDGES_ADDITIONS).valid


def _row(df: pd.DataFrame, pledger: str, title_start: str = "") -> pd.Series:
    hit = df[(df["pledger"] == pledger) & df["title"].str.startswith(title_start)]
    assert len(hit) == 1, (pledger, title_start, len(hit))
    return hit.iloc[0]


# --- real pledges --------------------------------------------------------------------------------

def test_mtn_yearly_amount_times_five_years_is_flagged_as_a_guess(bundled) -> None:
    r = _row(bundled, "MTN Group")
    assert r["value_basis"] == "per_year_times_years"
    assert r["value_years"] == 5
    assert r["estimated_value_usd"] == pytest.approx(10e9)  # 2 bn a year x 5
    # the five years come from the hedged remark "(similar over next five years)"
    assert bool(r["value_basis_inferred"]) is True
    assert "remark" in r["value_basis_note"]
    assert r["value_already_counted_usd"] == 0.0


def test_att_top_up_is_curated_and_keeps_its_increment(bundled) -> None:
    r = _row(bundled, "AT&T")
    assert r["value_basis"] == "top_up"
    assert bool(r["value_basis_inferred"]) is False  # curated row, not a guess
    assert "USD 2 bn" in r["value_repeats"]
    assert r["value_already_counted_usd"] == 0.0  # the USD 3 bn stated is new money
    assert "curated" in r["value_basis_note"]


def test_canada_counted_in_two_campaigns_stays_a_total_with_a_reference(bundled) -> None:
    for title in ("AI Compute Access Fund", "Accelerating AI adoption"):
        r = _row(bundled, "Government of Canada", title)
        assert r["value_basis"] == "total"
        assert "AI pledge drive" in r["value_repeats"] and "WSIS+20" in r["value_repeats"]
        assert r["value_already_counted_usd"] == 0.0


def test_inmarsat_airtime_is_in_kind_from_the_value_text(bundled) -> None:
    r = _row(bundled, "Inmarsat")
    assert r["value_basis"] == "in_kind"
    assert bool(r["value_basis_inferred"]) is False
    assert "airtime" in r["value_basis_note"]


def test_over_and_more_than_are_lower_bounds(bundled) -> None:
    ct = _row(bundled, "China Telecom")
    assert ct["value_as_stated"] == "over $1.4 billion"
    assert ct["value_basis"] == "lower_bound"
    us = _row(bundled, "Government of the United States", "Digital connectivity")
    assert us["value_basis"] == "lower_bound"
    assert "'more than'" in us["value_basis_note"]


def test_ghana_universal_service_top_up_is_not_a_top_up_of_a_pledge(bundled) -> None:
    # "top-up" in the title is not followed by an amount: the rule needs "top-up of USD ..."
    r = _row(bundled, "Government of Ghana (Ministry of Communications and Digitalisation)",
             "Rural Telephony")
    assert r["value_basis"] == "total"


def test_no_value_is_not_stated_and_has_nothing_counted(bundled) -> None:
    r = _row(bundled, "Vodafone Group")
    assert r["value_basis"] == "not_stated"
    assert np.isnan(r["value_already_counted_usd"])
    assert not bundled["value_basis"].isna().any()


def test_zte_renewed_pledge_is_a_re_announcement_all_counted_before(additions) -> None:
    r = _row(additions, "ZTE Corporation", "USD 400 million a year")
    assert r["value_basis"] == "re_announcement"
    assert r["estimated_value_usd"] == pytest.approx(400e6)  # a yearly amount, counted once
    assert r["value_already_counted_usd"] == pytest.approx(400e6)
    assert "renewed" in r["value_repeats"]


def test_curated_row_overrides_the_notes_rule_for_ooredoo() -> None:
    # the loader sets this row aside (its region "Middle East and North Africa" is not a known
    # label yet), so read its cells straight from the file
    with open(paths.PUBLIC_PLEDGES_ADDITIONS, newline="", encoding="utf-8") as f:
        raw = next(r for r in csv.DictReader(f) if r["pledger"] == "Ooredoo Group")
    assert "Possible re-announcement" in raw["notes"]
    rec = {"title": raw["pledge_title"], "pledger": raw["pledger"], "value_as_stated":
           raw["value_as_stated"], "estimated_value_usd": 500e6,
           "description": raw["description"]}
    without = values.read_value_basis(raw["value_as_stated"], 500e6, notes=raw["notes"])
    assert without.basis == "re_announcement" and without.inferred  # the rule alone
    got = values.BasisReader().read(rec, {"notes": raw["notes"]})
    assert got["value_basis"] == "total"  # the curated row keeps it a total ...
    assert got["value_already_counted_usd"] == 0.0  # ... and deducts nothing
    assert "possibly" in got["value_repeats"]


def test_nearly_is_an_approximate_total(additions) -> None:
    r = _row(additions, "Government of the Republic of Korea")
    assert r["value_basis"] == "total"
    assert "'nearly'" in r["value_basis_note"]


# --- rules on hand-made cells --------------------------------------------------------------------

@pytest.mark.parametrize("text, usd, kw, basis, inferred, years", [
    ("$5 million a year", 5e6, {}, "per_year_single", False, None),
    ("$2 million per year for 5 years", 10e6, {}, "per_year_times_years", False, 5),
    ("up to USD 10 million", 10e6, {}, "upper_bound", False, None),
    ("at least $3 million", 3e6, {}, "lower_bound", False, None),
    ("$30 million over five years", 30e6, {}, "total", False, 5),
    ("USD 1 million", 1e6, {"description": "The firm adds USD 1 million to its fund."},
     "top_up", True, None),
    ("USD 1 million", 1e6, {"notes": "A renewed pledge."}, "re_announcement", True, None),
    ("USD 1 million", 1e6, {"pledge_type": "In-kind"}, "in_kind", False, None),
    ("USD 1 million", 1e6, {"description": "It donates laptops worth USD 1 million."},
     "in_kind", True, None),
    ("USD 1 million of equipment", 1e6, {}, "in_kind", False, None),
    ("USD 1 million", 1e6, {"stated_basis": "Top-up"}, "top_up", False, None),
    (None, 2e6, {}, "total", False, None),
    (None, None, {"notes": "renewed"}, "not_stated", False, None),
])
def test_rules(text, usd, kw, basis, inferred, years) -> None:
    r = values.read_value_basis(text, usd, **kw)
    assert (r.basis, r.inferred, r.years) == (basis, inferred, years)
    assert r.note


def test_re_announcement_counts_all_of_its_value_before_and_curated_amounts_are_capped() -> None:
    r = values.read_value_basis("USD 4 million", 4e6, title="Renewed USD 4 million pledge")
    assert r.already_counted_usd == 4e6
    cur = {"value_basis": "top_up", "repeats": "x", "usd_already_counted": 9e6, "note": "n"}
    r = values.read_value_basis("USD 5 million", 5e6, curated=cur)
    assert (r.basis, r.already_counted_usd, r.repeats) == ("top_up", 5e6, "x")


def test_unknown_stated_basis_raises() -> None:
    with pytest.raises(parsing.ParseError):
        values.read_value_basis("USD 1 million", 1e6, stated_basis="guesswork")


def test_every_basis_has_a_description() -> None:
    assert tuple(values.BASIS_DESCRIPTIONS) == VALUE_BASES


@pytest.mark.parametrize("word", sorted(values.LOWER_BOUND_WORDS | values.UPPER_BOUND_WORDS))
def test_bound_words_are_the_qualifiers_parse_money_reads(word) -> None:
    text = f"$5 million {word}" if word == "or more" else f"{word} $5 million"  # after, or before
    assert parsing.parse_money(text).qualifier == word


# --- the loader hook -----------------------------------------------------------------------------

def test_source_value_basis_column_is_taken_and_a_bad_one_quarantined(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "pledger", "value", "value basis", "value years"])
        w.writerow(["A", "X", "USD 5 million", "re-announcement", ""])
        w.writerow(["B", "Y", "USD 5 million", "guesswork", ""])
        w.writerow(["C", "Z", "USD 5 million a year", "", "3"])
        w.writerow(["D", "W", "USD 5 million", "", "many"])
    r = load_pledges(f)
    assert len(r.valid) == 2 and len(r.quarantine) == 2
    a = r.valid.set_index("title").loc["A"]
    assert a["value_basis"] == "re_announcement" and not a["value_basis_inferred"]
    assert a["value_already_counted_usd"] == 5e6
    c = r.valid.set_index("title").loc["C"]
    assert c["value_basis"] == "per_year_single" and c["value_years"] == 3
    reasons = " ".join(r.quarantine["reasons"])
    assert "unknown value basis" in reasons and "unparseable value years" in reasons


def test_check_pledges_out_carries_value_basis(tmp_path: Path) -> None:
    out = tmp_path / "clean.csv"
    assert check_pledges_cli(paths.PUBLIC_PLEDGES, out=out) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == list(fields.CANONICAL_COLUMNS)
    mtn = df[df["pledger"] == "MTN Group"].iloc[0]
    assert mtn["value_basis"] == "per_year_times_years" and mtn["value_years"] == 5


def test_synthetic_pledges_carry_value_basis_and_pass_the_schema() -> None:
    s = synthetic.make_pledges(300, seed=3)
    fields.schema().validate(s)
    stated = s["estimated_value_usd"].notna()
    assert (s.loc[stated, "value_basis"] == "total").all()
    assert (s.loc[~stated, "value_basis"] == "not_stated").all()
    assert (s.loc[stated, "value_already_counted_usd"] == 0).all()


def test_ensure_value_basis_fills_frames_built_by_hand() -> None:
    df = fields.coerce_canonical(pd.DataFrame({
        "pledge_id": ["a", "b"], "title": ["x", "y"], "pledger": ["p", "q"],
        "estimated_value_usd": [1e6, np.nan], "value_as_stated": ["over $1 million", None],
    }))
    assert df["value_basis"].isna().all()
    fields.schema().validate(df)  # <NA> = not derived is allowed
    out = values.ensure_value_basis(df)
    assert out["value_basis"].tolist() == ["lower_bound", "not_stated"]
    fields.schema().validate(out)
    assert values.ensure_value_basis(out) is out  # nothing to fill: same frame


# --- overlaps file -------------------------------------------------------------------------------

def test_overlaps_file_rows_have_sources_and_notes() -> None:
    o = values.load_overlaps()
    assert o["source_url"].str.startswith("http").all() and (o["note"].str.len() > 20).all()
    canada = o[o["pledger"] == "Government of Canada"]
    assert len(canada) == 2
    assert canada["counted_in"].iloc[0] == ["WSIS+20 Forum High-Level Event 2024",
                                            "P2C x AI for Good AI pledge drive"]


@pytest.mark.parametrize("row, message", [
    ("X,T,total,,,,,note", "source_url and a note"),
    ("X,T,total,,,,https://a.b,", "source_url and a note"),
    ("X,T,guess,,,,https://a.b,n", "unknown value_basis"),
    ("X,T,,,-5,,https://a.b,n", ">= 0"),
])
def test_overlaps_file_is_checked(tmp_path: Path, row: str, message: str) -> None:
    f = tmp_path / "o.csv"
    f.write_text(",".join(values.OVERLAP_COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        values.load_overlaps(f)


def test_a_pledge_listed_twice_in_the_overlaps_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    row = "Acme,The Pledge,total,,,,https://a.b,n\n"
    f.write_text(",".join(values.OVERLAP_COLUMNS) + "\n" + row + row.replace("Acme", "ACME"),
                 encoding="utf-8")
    with pytest.raises(ValueError, match="same pledge as row 2"):
        values.load_overlaps(f)


# --- tables --------------------------------------------------------------------------------------

def _small() -> pd.DataFrame:
    """a: total 100; b: re-announcement 40 (all counted before); c: lower bound 10;
    d: top-up 30 of which 20 counted before (curated); e: no value."""
    df = fields.coerce_canonical(pd.DataFrame({
        "pledge_id": list("abcde"), "title": list("ABCDE"), "pledger": list("PQRST"),
        "estimated_value_usd": [100.0, 40.0, 10.0, 30.0, np.nan],
        "value_basis": ["total", "re_announcement", "lower_bound", "top_up", "not_stated"],
        "value_basis_inferred": [False, True, False, False, False],
        "value_already_counted_usd": [0.0, 40.0, 0.0, 20.0, np.nan],
        "value_repeats": [None, "pledge Z of 2022", None, "pledge Y", None],
    }))
    return df


def test_value_basis_table_by_hand() -> None:
    t = values.value_basis_table(_small()).set_index("value_basis")
    assert list(t.index) == [*VALUE_BASES, "all"]
    assert t.loc["all", "usd_stated"] == 180.0  # 100 + 40 + 10 + 30
    assert t.loc["all", "usd_already_counted"] == 60.0  # 40 + 20
    assert t.loc["all", "usd_deduplicated"] == 120.0
    assert t.loc["all", "pledges"] == 5 and t.loc["all", "pledges_with_value"] == 4
    assert t.loc["re_announcement", "usd_deduplicated"] == 0.0
    assert t.loc["top_up", "usd_deduplicated"] == 10.0
    assert t.loc["total", "usd_stated_share_pct"] == pytest.approx(100 * 100 / 180)
    assert t.loc["total", "usd_deduplicated_share_pct"] == pytest.approx(100 * 100 / 120)
    assert t.loc["re_announcement", "pledges_inferred"] == 1
    assert np.isnan(t.loc["in_kind", "usd_stated"]) and t.loc["in_kind", "pledges"] == 0
    assert list(t.reset_index().columns) == list(values.VALUE_BASIS_TABLE_COLUMNS)


def test_headline_totals_explain_the_difference() -> None:
    h = values.headline_totals(_small())
    assert h["line"].tolist() == ["stated total", "counted before", "counted before",
                                  "de-duplicated total"]
    assert h["usd"].tolist() == [180.0, -40.0, -20.0, 120.0]
    assert h["running_usd"].tolist() == [180.0, 140.0, 120.0, 120.0]
    assert h["pledge_id"].iloc[1] == "b" and "pledge Z of 2022" in h["explanation"].iloc[1]
    s = values.headline_summary(_small())
    assert (s["usd_stated"], s["usd_deduplicated"], s["pledges_counted_before"]) == \
        (180.0, 120.0, 2)
    assert s["usd_lower_bound"] == 10.0 and s["usd_inferred"] == 40.0


def test_headline_totals_say_plainly_when_there_is_nothing_to_sum() -> None:
    """With no pledge, or none that states a value, the stated total's explanation read "sum of
    the stated values of 0 of 0 pledges"; it now says there is nothing to sum."""
    small = _small()
    assert values.headline_totals(small)["explanation"].iloc[0] == \
        "sum of the stated values of 4 of 5 pledges (no value: not counted)"
    none = values.headline_totals(small.iloc[0:0])
    assert none["explanation"].iloc[0] == "no pledge: nothing to sum"
    assert none["usd"].tolist() == [0.0, 0.0]
    unvalued = small.iloc[:2].assign(estimated_value_usd=np.nan)
    assert values.headline_totals(unvalued)["explanation"].iloc[0] == \
        "no stated value among the 2 pledges: nothing to sum"


def test_headline_on_the_bundled_pledges(bundled, additions) -> None:
    both = pd.concat([bundled, additions], ignore_index=True)
    h = values.headline_totals(both)
    stated = float(np.nansum(both["estimated_value_usd"]))
    assert h["usd"].iloc[0] == pytest.approx(stated)
    assert h["usd"].iloc[-1] == pytest.approx(stated - 400e6)  # ZTE's renewed USD 400 m
    assert h["pledger"].iloc[1] == "ZTE Corporation"


def test_campaign_totals_count_canada_once(bundled) -> None:
    c = values.campaign_totals(bundled).set_index("campaign")
    drive = c.loc["P2C x AI for Good AI pledge drive"]
    assert drive["usd_stated"] == 1.76e9
    assert drive["usd_counted_in_earlier_campaign"] == pytest.approx(1.46e9 + 0.292e9)
    assert drive["usd_deduplicated"] == pytest.approx(1.76e9 - 1.752e9)
    assert drive["pledges_counted_earlier"] == 2
    wsis = c.loc["WSIS+20 Forum High-Level Event 2024"]
    assert wsis["usd_counted_in_earlier_campaign"] == 0.0  # counted there first
    total = c.loc["sum of campaigns"]
    assert total["usd_stated"] == pytest.approx(9e9 + 4.8e9 + 1.76e9)
    assert total["usd_deduplicated"] == pytest.approx(9e9 + 4.8e9 + 1.76e9 - 1.752e9)


def test_campaign_totals_name_a_curated_pledge_missing_from_the_table(bundled) -> None:
    """A pledge table without the two Canada pledges (a user's pledge file) cannot tell how
    much of the AI drive's USD 1.76 bn was counted at WSIS+20 first: that USD is unknown (NaN),
    not 0 with the whole 1.76 bn "distinct", which the report used to print as "USD 0 of it
    (0 pledges) was already counted"; the bundled record gives USD 1.752 bn."""
    c = values.campaign_totals(_small()).set_index("campaign")
    drive = c.loc["P2C x AI for Good AI pledge drive"]
    assert "not in this pledge table" in drive["explanation"]
    assert pd.isna(drive["usd_counted_in_earlier_campaign"])
    assert pd.isna(drive["usd_deduplicated"])
    curated = values.campaign_totals(bundled).set_index("campaign")
    assert drive["pledges_counted_earlier"] == \
        curated.loc["P2C x AI for Good AI pledge drive", "pledges_counted_earlier"] == 2
    total = c.loc["sum of campaigns"]
    assert pd.isna(total["usd_deduplicated"]) and total["pledges_counted_earlier"] == 2
    assert total["usd_stated"] == curated.loc["sum of campaigns", "usd_stated"]
    wsis = c.loc["WSIS+20 Forum High-Level Event 2024"]  # no overlap: known to be none
    assert wsis["usd_counted_in_earlier_campaign"] == 0.0
    assert wsis["usd_deduplicated"] == wsis["usd_stated"]


def test_campaigns_come_in_the_order_they_ended(bundled) -> None:
    """The AI pledge drive, stated for May 2024, ended after the WSIS+20 event of 27 May 2024
    it says counted two of its pledges first: it used to be listed before it (as 1 May)."""
    c = values.campaign_totals(bundled)
    assert c["campaign"].tolist() == ["MWC 2024 (mobile operator groups)",
                                      "WSIS+20 Forum High-Level Event 2024",
                                      "P2C x AI for Good AI pledge drive", "sum of campaigns"]
    assert c["date_as_stated"].tolist()[:3] == ["2024-02-27", "2024-05-27", "2024-05"]
    assert pd.isna(c["date_as_stated"].iloc[-1])


@pytest.mark.parametrize(("description", "basis"), [
    # a negated cue is no cue: these pledges were taken out of the de-duplicated totals
    ("This is a new pledge and not a re-announcement of earlier funds.", "total"),
    ("Cash grant; no equipment donation is involved.", "total"),
    # a count of towers or schools is no money on top of an earlier commitment
    ("Builds another 500 towers and an additional 20 schools.", "total"),
    # the cues themselves still count
    ("We reaffirm our commitment to connect schools.", "re_announcement"),
    ("An additional USD 20 million for rural sites.", "top_up"),
    ("A donation of equipment to schools.", "in_kind"),
])
def test_basis_cues_are_not_read_when_negated_or_about_things(description, basis) -> None:
    assert values.read_value_basis("USD 100 million", 100e6,
                                   description=description).basis == basis


def test_no_stated_value_is_unknown_not_zero() -> None:
    """A file whose pledges state no value read as 'Pledged USD 0 ... 0.0% of the need' and
    'USD 0 / USD 0' on the front page."""
    from p2c_analysis import needs

    p = _small().assign(estimated_value_usd=np.nan)
    hs = values.headline_summary(p)
    assert hs["pledges_with_value"] == 0
    assert all(np.isnan(hs[k]) for k in ("usd_stated", "usd_deduplicated", "usd_already_counted"))
    nvp = needs.needs_vs_pledged(p)
    assert nvp["pledged_stated_usd"].isna().all() and nvp["stated_share_low_pct"].isna().all()
    assert values.headline_summary(_small())["usd_stated"] > 0


def test_every_overlap_naming_a_later_campaign_is_dated_no_earlier_than_it() -> None:
    # a row counted in several campaigns names the later ones: it must not be used before the
    # last of them was published (its known_from), else an as-of report names a future event
    from p2c_analysis import milestones

    pub = pd.concat([milestones.load_published(paths.PUBLISHED_AGGREGATES),
                     milestones.load_published(paths.PUBLISHED_AGGREGATES_ADDITIONS)],
                    ignore_index=True)
    ends = dict(zip(pub["breakdown_value"], milestones.period_end(pub), strict=True))
    record_dates = {(values._key(a), values._key(b)): d for a, b, d in zip(
        *(record.load_record_files()[0][c] for c in ("pledger", "title", "announced_date")),
        strict=True)}
    ov = values.load_overlaps()
    checked = 0
    for r in ov.to_dict("records"):
        announced = record_dates[(values._key(r["pledger"]), values._key(r["pledge_title"]))]
        later = [ends[c] for c in r["counted_in"] if ends[c] > announced]
        if later:
            assert r["known_from"] >= max(later), r["pledge_title"]
            checked += 1
    assert checked == 2  # Canada's two AI pledges


def _overlap_file(tmp_path: Path, known_from: str) -> Path:
    f = tmp_path / "o.csv"
    f.write_text(",".join((*values.OVERLAP_COLUMNS, "known_from")) + "\n"
                 f"Acme,The Pledge,top_up,Acme's 2030 fund,5,,https://a.b,n,{known_from}\n",
                 encoding="utf-8")
    return f


@pytest.mark.parametrize("text", ["2024-13-01", "31/05/2024", "2024-05", "soon", "2024-W22-5",
                                  "20240531", "2024-02-30", "2263-01-01", "1999-12-31"])
def test_an_overlap_date_that_is_not_a_day_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match=rf"o.csv: row 2: known_from must be a day.*{text}"):
        values.load_overlaps(_overlap_file(tmp_path, text))


def test_an_overlaps_file_without_known_from_is_read_as_known_with_the_pledge(tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(",".join(values.OVERLAP_COLUMNS) + "\nAcme,The Pledge,top_up,,,,https://a.b,n\n",
                 encoding="utf-8")
    ov = values.load_overlaps(f)
    assert ov["known_from"].isna().all()
    p = values.ensure_value_basis(pd.DataFrame({
        "pledger": ["Acme"], "title": ["The Pledge"], "estimated_value_usd": [10e6],
        "value_as_stated": ["USD 10 million"]}), ov)
    assert values.known_on(p, "1990-01-01", ov) is p


def test_a_dated_overlap_is_used_from_its_day_on(tmp_path: Path) -> None:
    ov = values.load_overlaps(_overlap_file(tmp_path, "2024-06-01"))
    p = values.ensure_value_basis(pd.DataFrame({
        "pledger": ["ACME", "Other"], "title": ["the pledge!", "Another"],
        "estimated_value_usd": [10e6, 2e6], "value_as_stated": ["USD 10 million"] * 2}), ov)
    assert p["value_basis"].tolist() == ["top_up", "total"]  # the curated row, the rules
    assert p["value_already_counted_usd"].tolist() == [5.0, 0.0]
    before = values.known_on(p, "2024-05-31", ov)
    assert before["value_basis"].tolist() == ["total", "total"]
    assert before["value_already_counted_usd"].tolist() == [0.0, 0.0]
    assert before["value_repeats"].isna().all()
    pd.testing.assert_frame_equal(before.iloc[[1]], p.iloc[[1]])  # the other pledge untouched
    assert before.dtypes.equals(p.dtypes)
    assert values.known_on(p, "2024-06-01", ov) is p  # on its day: the row applies


def test_money_left_after_a_rounded_campaign_total_says_its_precision():
    """The AI pledge drive's "USD 8.00 M of distinct money" is its published USD 1.76 bn
    (rounded to USD 10 M) less USD 1.752 bn counted earlier: the difference of a rounded total
    and exact amounts, which the table stated as a finding."""
    from p2c_analysis import record

    c = values.campaign_totals(record.public_record("2026-12-31").pledges).set_index("campaign")
    ai = c.loc["P2C x AI for Good AI pledge drive"]
    assert ai["usd_deduplicated"] == pytest.approx(8e6)
    assert ai["explanation"].endswith("the published total is rounded to USD 10 M, so the "
                                      "distinct money is known only to within USD 5 M either "
                                      "way")
    assert "rounded" not in c.loc["MWC 2024 (mobile operator groups)", "explanation"]
    assert values._rounding_step(1.76e9) == 1e7 and values._rounding_step(170_500_000) == 1e5
    assert values._rounding_step(1234.5) == 1.0


def test_campaign_totals_say_when_a_pledge_is_in_the_table_with_no_value(bundled) -> None:
    """A pledge counted in two campaigns that is in the table but states no USD value was
    explained as "not in this pledge table": it is there, without a value."""
    counted = values.load_overlaps()
    twice = counted[counted["counted_in"].map(len) > 1]
    keys = set(zip(twice["pledger"], twice["pledge_title"], strict=True))
    no_value = bundled.copy()
    hit = [(a, b) in keys for a, b in zip(no_value["pledger"], no_value["title"], strict=True)]
    assert sum(hit) == len(keys) >= 1  # both Canada pledges are in the bundled record
    no_value.loc[hit, "estimated_value_usd"] = float("nan")
    if "value_basis" in no_value:
        no_value = no_value.drop(columns="value_basis")
    drive = values.campaign_totals(no_value).set_index("campaign").loc[
        "P2C x AI for Good AI pledge drive"]
    assert "stating no USD value in this pledge table" in drive["explanation"]
    assert "not in this pledge table" not in drive["explanation"]
    assert pd.isna(drive["usd_counted_in_earlier_campaign"])


def test_the_stated_total_sentence_reads_right_for_one_all_and_some_pledges(bundled) -> None:
    """A file of one pledge read "The 1 pledge stating a value (of 1) adds up to USD 163 M as
    stated and USD 163 M without money counted before (0 pledges)". One pledge, all pledges
    stating a value and no money counted before now read as such; the bundled record keeps its
    total, its de-duplicated total and who repeats money."""
    caveats = {"usd_lower_bound": "is in floors"}
    one = values.headline_summary(bundled.iloc[:0]) | {
        "pledges": 1, "pledges_with_value": 1, "usd_stated": 163e6, "usd_deduplicated": 163e6,
        "usd_already_counted": 0.0, "pledges_counted_before": 0, "usd_lower_bound": 0.0}
    assert values.stated_total_text(one, caveats).data == (
        "The pledge states a value, **USD 163 M**; it repeats no money counted before. The "
        "amount is one total for the whole pledge.")
    three = one | {"pledges": 3, "pledges_with_value": 3, "usd_lower_bound": 50e6}
    assert values.stated_total_text(three, caveats).data == (
        "All 3 pledges state a value, together **USD 163 M** as stated; none of them repeats "
        "money counted before. Of the stated total, USD 50.0 M is in floors.")
    assert values.stated_total_text(three | {"usd_lower_bound": 0.0}, caveats).data.endswith(
        "none of them repeats money counted before. Every amount is one total for its whole "
        "pledge.")
    assert values.stated_total_text(one | {"pledges": 4}, caveats).data.startswith(
        "1 of the 4 pledges states a value, **USD 163 M**; it repeats no money")
    assert values.stated_total_text(one | {"pledges_with_value": 0}, caveats).data == (
        "No pledge states a value.")
    hs = values.headline_summary(record.public_record("2026-12-01").pledges)
    text = values.stated_total_text(hs, caveats).data
    assert hs["pledges_counted_before"] >= 1 and "(0 pledges)" not in text
    assert text.startswith(f"{hs['pledges_with_value']} of the {hs['pledges']} pledges state a "
                           "value, together **")
    from p2c_analysis import report, style

    assert (f"and **{style.fmt_usd(hs['usd_deduplicated'])}** without the "
            f"{style.fmt_usd(hs['usd_already_counted'])} of "
            f"{report.plural(hs['pledges_counted_before'], 'pledge')} repeating money counted "
            "before.") in text


def test_an_amount_of_money_in_the_stated_total_sentence_takes_a_singular_verb(bundled) -> None:
    """pledge_quality read "Of the stated total, USD 1.20 M are contributions in kind": an
    amount of money is one thing. Every caveat of the default wording, each with its amount,
    reads "USD ... is ..." (or "rests on"), never "are"."""
    from p2c_analysis import style

    keys = list(values.STATED_TOTAL_CAVEATS)
    summary = values.headline_summary(bundled)
    assert set(keys) <= set(summary)
    amounts = {k: (i + 1) * 1.1e6 for i, k in enumerate(keys)}
    text = values.stated_total_text(summary | amounts).data
    rests = text.split("Of the stated total, ", 1)[1]
    assert not re.search(r"\bare\b", rests)
    for key, usd in amounts.items():
        said = f"{style.fmt_usd(usd)} {values.STATED_TOTAL_CAVEATS[key]}"
        assert said in rests
        assert re.match(r"(is|rests) ", values.STATED_TOTAL_CAVEATS[key])
    in_kind = values.stated_total_text(summary | dict.fromkeys(keys, 0.0)
                                       | {"usd_in_kind": 1.2e6}).data
    assert in_kind.endswith("Of the stated total, USD 1.20 M is in contributions in kind "
                            "valued in money.")


def test_value_basis_tables_show_labels() -> None:
    """The value-basis table and the headline lines showed codes ("re_announcement",
    "per_year_times_years") beside their descriptions: the report shows each basis's label,
    the "all" row as it is, missing as missing; the CSV keeps the codes."""
    t = values.value_basis_table(_small())
    shown = values.basis_shown(t)
    assert shown["value_basis"].tolist() == [*(values.BASIS_LABELS[b] for b in VALUE_BASES),
                                             "all"]
    assert "re-announced" in shown["value_basis"].tolist()
    assert t["value_basis"].iloc[0] == "total"  # the table itself keeps the code
    h = values.headline_totals(_small())
    hs = values.basis_shown(h)
    assert hs["value_basis"].isna().tolist() == h["value_basis"].isna().tolist()
    assert hs["value_basis"].dropna().tolist() == [values.BASIS_LABELS[b] for b in
                                                   h["value_basis"].dropna()]
    # the explanation of a line names the basis by its label too, not its code
    for code, text in zip(h["value_basis"].dropna(), h["explanation"].iloc[1:-1], strict=True):
        assert text.startswith(f"{values.BASIS_LABELS[code]} (") and code not in text

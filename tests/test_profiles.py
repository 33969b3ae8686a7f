"""p2c_analysis.profiles: the tables of a country profile (the parts added for pledge quality)."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
from runner_helpers import assert_manifest_matches_folders, p2c, runs

from p2c_analysis import countries, evidence, paths, profiles, quality, record


def test_pledges_reaching_carry_the_score_of_the_whole_table() -> None:
    rec = record.public_record("2026-12-01")
    ids = evidence.evidence_ids(rec.events, rec.as_of)
    reaching = profiles.pledges_reaching(rec.pledges, "NGA", 2024, rec.as_of)
    scored = profiles.with_scores(reaching, 2024, ids)
    assert len(scored) == len(reaching) > 0
    assert scored["pledge_id"].tolist() == reaching["pledge_id"].tolist()  # order kept
    assert {"via", "light", "score", "index", "index_trackable"} <= set(scored.columns)
    whole = quality.score(rec.pledges, year=2024, evidence=ids).table.set_index("pledge_id")
    mine = scored.set_index("pledge_id")
    assert mine["score"].tolist() == whole.loc[mine.index, "score"].tolist()
    assert mine["index"].astype(str).tolist() == \
        whole.loc[mine.index, "index"].astype(str).tolist()
    assert scored["index_trackable"].dtype == bool


def test_coverage_beside_groups_names_its_rows_country_or_group() -> None:
    pledges = record.public_record("2026-12-01").pledges
    t = profiles.coverage_beside_groups(pledges, "NGA", 2024)
    assert "unit" not in t.columns
    assert t["country_or_group"].tolist()[:2] == ["Nigeria", "World"]
    assert {"Africa", "Lower middle income"} <= set(t["country_or_group"])


def test_an_economy_without_wdi_data_has_its_own_first_row() -> None:
    """Niue, a SIDS that is not a World Bank economy, has no offline data: its row comes first
    all the same (unknown values), never World's row in its place. It counts the pledges that
    reach it (the SIDS pledge), as the profile's text and pledge table do: it said 0 beside
    them. The SIDS pledge allocates it no USD (no figure to weigh its share: its USD goes to the
    SIDS with data), so 0, not unknown."""
    pledges = record.public_record("2026-12-01").pledges
    t = profiles.coverage_beside_groups(pledges, "NIU", 2024)
    first = t.iloc[0]
    assert first["iso3"] == "NIU" and first["country_or_group"] == "Niue"
    assert not first["in_country_table"]
    reaching = profiles.pledges_reaching(pledges, "NIU", 2024)
    assert first["pledges_targeting"] == len(reaching) == 1
    assert first["pledges_with_value"] == reaching["estimated_value_usd"].notna().sum()
    assert first["allocated_usd"] == 0.0 and first["pledge_units"] == 0.0
    none = profiles.coverage_beside_groups(pledges.iloc[:0], "NIU", 2024).iloc[0]
    assert none["pledges_targeting"] == 0 and none["allocated_usd"] == 0.0
    for col in ("population", "offline", "usd_per_offline", "attention_ratio_usd", "usd_share"):
        assert first[col] != first[col], col  # NaN: unknown, not zero
    assert t["country_or_group"].tolist()[:3] == ["Niue", "World", "SIDS"]
    assert t.dtypes.equals(profiles.coverage_beside_groups(pledges, "NGA", 2024).dtypes)


def test_every_sids_gets_a_profile_even_without_connectivity_data(tmp_path):
    """``--over country=SIDS`` includes members the WDI files do not cover (Anguilla, Niue...):
    their profiles render, say their offline population is unknown, and state no other row's
    numbers as theirs."""
    ref = countries.reference().set_index("iso3")
    sids = countries.members("SIDS", 2024)
    uncovered = [c for c in sids if not ref.loc[c, "in_wdi"]]
    assert len(uncovered) >= 3  # the case this test is about
    out = tmp_path / "out"
    done = p2c("batch", str(paths.NOTEBOOKS / "country_profile.ipynb"), "--over",
               "country=" + ",".join(uncovered[:3]), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    assert [e["status"] for e in m["reports"]] == ["ok"] * 3
    for e in m["reports"]:
        iso3 = e["parameters"]["country"]
        page = (run_dir / e["html"]).read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        name = ref.loc[iso3, "name"]
        assert f"The offline population of {countries.country_name(iso3)} is unknown" in \
            re.sub(r"\s+", " ", text), name
        assert "per offline person; its USD attention ratio" not in text
        headline = {h["label"]: h["value"] for h in e["summary"]["headline"]}
        assert headline["Internet use"] == headline["People offline"] == "n/a"
        coverage = (run_dir / e["folder"] / "country_coverage.csv").read_text().splitlines()
        assert coverage[1].startswith(f"{iso3},")  # its own row first, not World's


def test_a_value_says_what_it_is_beside_its_amount() -> None:
    """A profile's pledge table showed ZTE's USD 400 M (a yearly amount, and money counted with
    its original pledge) like a whole new amount: each value now says what it is."""
    rec = record.public_record("2026-12-31")
    reaching = profiles.pledges_reaching(rec.pledges, "NER", 2024, rec.as_of)
    zte = reaching[reaching["pledger"].eq("ZTE Corporation")
                   & reaching["estimated_value_usd"].notna()]
    assert zte["estimated_value_usd"].tolist() == [400e6]
    assert zte["value_kind"].tolist() == ["re-announced"]
    no_value = reaching[reaching["estimated_value_usd"].isna()]
    assert len(no_value) > 0 and no_value["value_kind"].isna().all()
    valued = reaching[reaching["estimated_value_usd"].notna()]
    assert len(valued["value_kind"].unique()) > 1
    assert valued["value_kind"].isin(
        ["whole amount", "yearly × years", "yearly, counted once", "at least", "up to",
         "in kind", "top-up", "re-announced"]).all()


def test_an_economy_with_no_one_offline_reads_as_such(tmp_path):
    """Saudi Arabia's profile read "receives n/a per offline person; its USD attention ratio
    is n/a" and "at that pace it would reach 100.0% in 2030, leaving about 0 people offline"."""
    from rendering import render_one

    folder = render_one("country_profile", {"country": "SAU", "as_of": "2026-12-31"},
                        tmp_path / "runs")
    text = re.sub(r"<[^>]+>", " ", html.unescape(
        (folder / "country_profile.html").read_text(encoding="utf-8")))
    text = " ".join(text.split())
    assert "No one in Saudi Arabia is offline, so pledged USD per offline person and the " \
           "attention ratio are not defined for it. The USD 1.72 bn allocated" in text
    assert "receives n/a" not in text and "ratio is n/a" not in text
    assert "No one is offline: there is no gap for a trend to close." in text
    assert "leaving about 0 people" not in text
    # its headline card (front page) read "USD attention ratio n/a", as for missing data
    cards = dict((c["label"], c["value"]) for c in
                 json.loads((folder / "summary.json").read_text(encoding="utf-8"))["headline"])
    assert cards["USD attention ratio"] == "not defined (no one offline)"


def test_the_groups_sentence_says_the_income_group_is_fy26_for_another_year():
    """A 2005 profile said Nigeria "belongs to these groups in 2005: ... Lower middle income",
    the FY26 group (2024 incomes); Nigeria was a low-income economy in 2005."""
    old = profiles.groups_text("Nigeria", "NGA", 2005)
    assert old.startswith("Nigeria (NGA) belongs to these groups in 2005: Africa and Lower "
                          "middle income.")
    assert ("Its income group, Lower middle income, is the World Bank's FY26 classification "
            "(from 2024 incomes)") in old and "in 2005 may have been another" in old
    now = profiles.groups_text("Nigeria", "NGA", profiles.INCOME_GROUPS_YEAR)
    assert "FY26" not in now and now.endswith("Africa and Lower middle income.")
    assert "FY26" not in profiles.groups_text("Taiwan", "TWN", 2005)  # no income group at all


def test_an_economy_in_no_group_says_so_rather_than_listing_none() -> None:
    """Taiwan's profile read "Taiwan (TWN) belongs to these groups in 2000: none."."""
    assert profiles.groups("TWN", 2024) == []
    text = profiles.groups_text("Taiwan", "TWN", 2024)
    assert text == ("Taiwan (TWN) belongs to none of the groups compared here in 2024 (an ITU-D "
                    "region, a World Bank income group, LDC, LLDC or SIDS).")
    assert ": none" not in text


def _reach(total: int, direct: int = 0, region: int = 0, glob: int = 0,
           unstated: int = 0) -> dict[str, int]:
    return {"total": total, "direct": direct, "region": region, "global": glob,
            "unstated": unstated}


def _reaching(*trackable: bool) -> pd.DataFrame:
    return pd.DataFrame({"index_trackable": list(trackable)}, dtype=bool)


def test_the_reach_sentence_agrees_with_its_counts_at_every_size() -> None:
    """It read "None of the 1 pledge targets Nigeria" for a file of one pledge to Kenya, and
    "1 of the 1 pledge targets Nigeria" when that pledge named Nigeria; then "0 by name and 1
    through a region or group" and "further, 0 pledges are global and 0 pledges have no stated
    targets": a way or kind that counts none is not named."""
    text = profiles.reach_text
    assert text("Nigeria", _reaching(), _reach(0)) == \
        "There is no pledge to analyse, so none targets Nigeria."
    assert text("Nigeria", _reaching(), _reach(1)) == "The 1 pledge does not target Nigeria."
    assert text("Nigeria", _reaching(), _reach(5, glob=1, unstated=2)) == (
        "None of the 5 pledges targets Nigeria; 1 pledge is global and 2 pledges have no "
        "stated targets.")
    assert text("Nigeria", _reaching(), _reach(3, unstated=3)) == (
        "None of the 3 pledges targets Nigeria; 3 pledges have no stated targets.")
    one = text("Nigeria", _reaching(False), _reach(1, direct=1))
    assert one.startswith("The 1 pledge targets Nigeria by name. The pledge")
    assert "The pledge targeting it is not trackable (index category " in one
    assert one.count("trackable") == 1  # read "is not trackable (trackable: index ...)"
    assert text("Nigeria", _reaching(True), _reach(1, region=1)).endswith(
        "The pledge targeting it is trackable (index category High or Upper-moderate).")
    every = text("Nigeria", _reaching(True, False), _reach(2, direct=2))
    assert every.startswith("Both pledges target Nigeria by name.")
    assert every.endswith("1 of the 2 pledges targeting it is trackable (index category High "
                          "or Upper-moderate).")
    some = text("Nigeria", _reaching(False), _reach(5, region=1, glob=1))
    assert some.startswith("1 of the 5 pledges targets Nigeria through a region or group; "
                           "further, 1 pledge is global. The pledge")
    mixed = text("Nigeria", _reaching(True, True, True), _reach(5, direct=2, region=1))
    assert mixed == ("3 of the 5 pledges target Nigeria: 2 by name and 1 through a region or "
                     "group. All 3 pledges targeting it are trackable (index category High "
                     "or Upper-moderate).")
    for t in (one, every, some, mixed):
        assert " of the 1 pledge" not in t and "None of the 1 " not in t
        assert not re.search(r"\b0 (by|through|as|pledges)", t), t


# --- one definition of "a pledge reaches an economy" (gaps.reaching) ---------------------------

def _hand(*rows: tuple[str, list[str], list[str], bool, float]) -> pd.DataFrame:
    """A canonical pledge table from (pledge_id, target_countries, target_regions, is_global,
    USD) rows (the other columns the profile functions read, filled)."""
    ids, tc, tr, gl, usd = zip(*rows, strict=True)
    return _canonical(pd.DataFrame({"pledge_id": ids, "target_countries": list(tc),
                                    "target_regions": list(tr), "is_global": list(gl),
                                    "estimated_value_usd": list(usd)}))


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    """The bundled table's first rows with these pledges' ids and geography (so that every
    other column is canonical)."""
    real = record.public_record("2026-12-01").pledges.iloc[:len(df)].reset_index(drop=True)
    out = real.copy()
    for col in df.columns:
        out[col] = df[col].astype(real[col].dtype) if col != "target_countries" and \
            col != "target_regions" else df[col]
    return out


def test_niue_reached_by_name_and_through_sids_counts_two_in_every_table() -> None:
    """Niue named by one pledge and reached by another through "SIDS": the card and the prose
    said 2, its coverage row 1 (the SIDS pledge was expanded over the WDI economies only)."""
    p = _hand(("n", ["NIU"], [], False, 2e6), ("s", [], ["SIDS"], False, 10e6),
              ("k", ["KEN"], [], False, 1e6))
    reaching = profiles.pledges_reaching(p, "NIU", 2024)
    reach = profiles.reach_counts(p, "NIU", 2024)
    row = profiles.coverage_beside_groups(p, "NIU", 2024).iloc[0]
    assert len(reaching) == reach["reaching"] == row["pledges_targeting"] == 2
    assert (reach["direct"], reach["region"]) == (1, 1)
    assert row["allocated_usd"] == 2e6  # by name; the SIDS pledge allocates it nothing
    from p2c_analysis import gaps

    by_country = gaps.coverage_by_country(p, year=2024).set_index("iso3")
    assert by_country.at["NIU", "pledges_targeting"] == 2
    assert by_country.at["AIA", "pledges_targeting"] == 1  # the SIDS pledge reaches it too
    sids = gaps.coverage_by_group(p, ["SIDS"], year=2024).set_index("group").loc["SIDS"]
    assert sids["n_members"] == len(countries.members("SIDS", 2024)) == 53
    # USD 12 M in the SIDS' column, of which Niue's 2 M shown apart and out of the ratio:
    # the 10 M of the SIDS pledge is all the USD allocated to economies with an offline figure
    # apart from Kenya's 1 M
    assert sids["allocated_usd"] == pytest.approx(12e6)
    assert sids["usd_no_offline_figure"] == pytest.approx(2e6)
    assert sids["usd_share"] == pytest.approx(10 / 11)
    assert sids["usd_per_offline"] == pytest.approx(10e6 / sids["offline"])
    text = profiles.reach_text("Niue", profiles.with_scores(reaching, 2024), reach)
    assert text.startswith("2 of the 3 pledges target Niue: 1 by name and 1 through a region")


def test_a_pledge_reaching_an_economy_through_a_region_names_the_region() -> None:
    """Taiwan (in no ITU-D region, income group, LDC, LLDC or SIDS) read "1 of the 47 pledges
    targets Taiwan through a region or group", though it belongs to none of the groups the
    profile compares: the sentence names the region ("UN Asia"), so the reader can check it."""
    p = _hand(("e", [], ["UN Asia", "Africa"], False, 6e9), ("b", ["BRA"], [], False, 1e6))
    assert profiles.reach_groups(p, "TWN", 2024) == ["UN Asia"]  # not Africa: not a member
    assert profiles.reach_groups(p, "BRA", 2024) == []  # by name only
    both = _hand(("a", [], ["Africa", "LDC"], False, 1e6), ("l", [], ["LDC"], False, 1e6))
    assert profiles.reach_groups(both, "NER", 2024) == ["Africa", "LDC"]
    reaching = profiles.with_scores(profiles.pledges_reaching(p, "TWN", 2024), 2024)
    reach = profiles.reach_counts(p, "TWN", 2024)
    through = profiles.reach_groups(p, "TWN", 2024)
    assert profiles.reach_text("Taiwan", reaching, reach, through).startswith(
        "1 of the 2 pledges targets Taiwan through UN Asia.")
    compare = profiles.coverage_beside_groups(p, "TWN", 2024)
    assert profiles.attention_text("Taiwan", compare, reach, through).endswith(
        " The pledge reaching it through UN Asia counts for it but allocates it no USD: with no "
        "figure to weigh its share, its USD goes to the members with data.")
    several = profiles.reach_text("Niger", _reaching(True, True), _reach(2, region=2),
                                  ["Africa", "LDC"])
    assert several.startswith("Both pledges target Niger through Africa or LDC.")


def test_with_global_pledges_the_headline_prose_and_table_agree() -> None:
    """With include_global the card and the text said 5 pledges reach Nigeria, its table row 6:
    a global pledge counts as reaching every economy in both, and the text says so."""
    p = _hand(("a", ["NGA"], [], False, 1e6), ("g", [], [], True, 5e6),
              ("g2", [], [], True, float("nan")), ("u", [], [], False, 1e6))
    for include, n in ((False, 1), (True, 3)):
        reaching = profiles.pledges_reaching(p, "NGA", 2024, include_global=include)
        reach = profiles.reach_counts(p, "NGA", 2024, include_global=include)
        row = profiles.coverage_beside_groups(p, "NGA", 2024, include_global=include).iloc[0]
        assert len(reaching) == reach["reaching"] == row["pledges_targeting"] == n, include
        text = profiles.reach_text("Nigeria", profiles.with_scores(reaching, 2024), reach)
        if include:
            assert set(reaching.loc[reaching["via"].eq("global"), "pledge_id"]) == {"g", "g2"}
            assert text.startswith(
                "3 of the 4 pledges target Nigeria, including 2 global pledges (counted as "
                "reaching every economy): 1 by name and 2 as global; further, 1 pledge has no "
                "stated targets.")
        else:
            assert text.startswith("1 of the 4 pledges targets Nigeria by name; further, 2 "
                                   "pledges are global and 1 pledge has no stated targets.")
    # an economy outside the country table that only global pledges reach: its row counts them
    niue = profiles.coverage_beside_groups(p, "NIU", 2024, include_global=True).iloc[0]
    assert niue["pledges_targeting"] == 2 and niue["allocated_usd"] == 0.0


def test_the_reach_sentence_names_one_global_pledge_in_the_singular() -> None:
    reach = {"total": 2, "reaching": 1, "direct": 0, "region": 0, "global_reaching": 1,
             "global": 1, "unstated": 0}
    assert profiles.reach_text("Kenya", _reaching(True), reach).startswith(
        "1 of the 2 pledges targets Kenya as a global pledge (counted as reaching every "
        "economy). The pledge targeting it is trackable")


def test_money_only_to_economies_without_an_offline_figure_leaves_no_ratio() -> None:
    """Pledges naming only Niue (USD 5 M) and Anguilla (1 M): SIDS read "USD 0.23 per offline
    person, attention ratio 88.79" and Nigeria "USD attention ratio 0.00". Nothing goes to an
    economy with an offline figure: per offline person 0, every USD ratio n/a, with a reason."""
    from p2c_analysis import gaps

    p = _hand(("n", ["NIU"], [], False, 5e6), ("a", ["AIA"], [], False, 1e6))
    g = gaps.coverage_by_group(p, ["World", "SIDS"], year=2024).set_index("group")
    assert g.at["SIDS", "allocated_usd"] == 6e6 == g.at["SIDS", "usd_no_offline_figure"]
    assert g.at["SIDS", "usd_per_offline"] == 0.0
    assert g.at["SIDS", "pledges_reaching_offline"] == 0
    for col in ("usd_share", "attention_ratio_usd", "attention_ratio_count"):
        assert pd.isna(g.at["SIDS", col]) and pd.isna(g.at["World", col]), col
    c = gaps.coverage_by_country(p, year=2024).set_index("iso3")
    assert pd.isna(c.at["NGA", "attention_ratio_usd"]) and pd.isna(c.at["NGA", "usd_share"])
    compare = profiles.coverage_beside_groups(p, "NGA", 2024)
    reach = profiles.reach_counts(p, "NGA", 2024)
    assert profiles.attention_text("Nigeria", compare, reach) == (
        "No pledged USD is allocated to an economy with an offline figure (the USD 6.00 M "
        "allocated goes to economies whose offline population is unknown), so there is no "
        "share to compare and Nigeria has no USD attention ratio (n/a).")
    niue = profiles.coverage_beside_groups(p, "NIU", 2024)
    assert profiles.attention_text("Niue", niue, profiles.reach_counts(p, "NIU", 2024)) == (
        "The offline population of Niue is unknown, so its pledged USD per offline person and "
        "its attention ratio cannot be computed. The USD 5.00 M allocated to it stays in its "
        "groups' USD but is kept out of their USD per offline person and attention ratios.")
    unknown = gaps.no_offline_figure(gaps.with_names(gaps.coverage_by_country(p, year=2024)))
    assert unknown["iso3"].tolist() == ["NIU", "AIA"]
    assert gaps.no_offline_figure_text(unknown) == (
        "USD 6.00 M to economies whose offline population is unknown: Niue USD 5.00 M (1 pledge "
        "reaching it) and Anguilla USD 1.00 M (1 pledge reaching it). It stays in the USD of "
        "their groups but is kept out of the shares, attention ratios and USD per offline "
        "person: its gap is unknown.")
    assert gaps.no_offline_figure_text(unknown.iloc[:1]).startswith(
        "USD 5.00 M to an economy whose offline population is unknown: Niue USD 5.00 M (1 "
        "pledge reaching it). It stays in the USD of its groups")
    assert gaps.no_offline_figure_text(unknown.iloc[:0]) == ""


@pytest.mark.parametrize("trackable, end", [
    ((True, True), "Both pledges targeting it are trackable"),
    ((False, False), "None of the 2 pledges targeting it is trackable"),
    ((False, False, False), "None of the 3 pledges targeting it is trackable"),
    ((True, False, False), "1 of the 3 pledges targeting it is trackable"),
    ((True, True, False), "2 of the 3 pledges targeting it are trackable"),
])
def test_the_trackable_count_of_the_reach_sentence_uses_of_the(trackable, end) -> None:
    """The trackable count repeated report.of_the's "both"/"all" by hand and read "Of the 2
    pledges targeting it, 0 are trackable"; it is now report.of_the's phrase, "none" for 0."""
    n = len(trackable)
    text = profiles.reach_text("Nigeria", _reaching(*trackable), _reach(n + 1, direct=n))
    assert text.endswith(f" {end} (index category High or Upper-moderate).")
    assert " 0 are" not in text and "Of the" not in text


@pytest.mark.parametrize("rows, reason", [
    ((("k", ["KEN"], [], False, 5e6),), "no pledge reaches it"),
    ((("k", ["KEN"], [], False, 5e6), ("n", ["NGA"], [], False, float("nan"))),
     "the pledge reaching it states no value"),
    ((("k", ["KEN"], [], False, 5e6), ("n", ["NGA"], [], False, float("nan")),
      ("m", ["NGA"], [], False, float("nan"))), "none of the 2 pledges reaching it states a value"),
])
def test_an_economy_receiving_no_usd_says_why(rows, reason) -> None:
    """A pledge file whose only valued pledge went to Kenya read "Nigeria receives USD 0.00 per
    offline person; its USD attention ratio is 0.00": no pledged USD, and why."""
    p = _hand(*rows)
    text = profiles.attention_text("Nigeria", profiles.coverage_beside_groups(p, "NGA", 2024),
                                   profiles.reach_counts(p, "NGA", 2024))
    assert text == (f"Nigeria receives no pledged USD ({reason}); its USD attention ratio is 0.00 "
                    "(1.0 = in proportion to its share of the world's offline people).")


def test_usd_below_a_cent_per_offline_person_is_not_usd_0():
    """Region pledges reaching Nigeria read "Nigeria receives USD 0.00 per offline person; its
    USD attention ratio is 0.29": money allocated to it, said as none."""
    p = _hand(("n", ["NGA"], [], False, 1e5), ("k", ["KEN"], [], False, 5e6))
    text = profiles.attention_text("Nigeria", profiles.coverage_beside_groups(p, "NGA", 2024),
                                   profiles.reach_counts(p, "NGA", 2024))
    assert text.startswith("Nigeria receives less than USD 0.01 (USD 100 k in all) per offline "
                           "person; its USD attention ratio is ")
    assert "USD 0.00" not in text

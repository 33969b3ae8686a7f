"""p2c_analysis.profiles: the tables of a country profile (the parts added for pledge quality)."""

from __future__ import annotations

from p2c_analysis import evidence, profiles, quality, record


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

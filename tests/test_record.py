"""The bundled public record as known on a date (p2c_analysis.record). Expected pledges come
from the announcement dates in data/pledges/*.csv, expected statuses from status_evidence.csv."""

from __future__ import annotations

import pandas as pd
import pytest

from p2c_analysis import paths, record, values


@pytest.fixture(scope="module")
def march_2025() -> record.PublicRecord:
    return record.public_record("2025-03-01")


@pytest.fixture(scope="module")
def march_2026() -> record.PublicRecord:
    return record.public_record("2026-03-31")


def _pledgers(rec: record.PublicRecord) -> set[str]:
    return set(rec.pledges["pledger"])


def test_new_pledges_between_the_two_dates(march_2025, march_2026):
    new = set(march_2026.pledges["pledge_id"]) - set(march_2025.pledges["pledge_id"])
    new_rows = march_2026.pledges[march_2026.pledges["pledge_id"].isin(new)]
    for pledger in ("MTN Group", "Globalstar", "Axian Telecom", "Cisco", "China Unicom",
                    "Mobily", "Ooredoo Group"):
        assert pledger in set(new_rows["pledger"]), pledger
    # the other 2025-2026 pledges: Internet Society's July 2025 pledge, the Hamburg Declaration
    # ("2025", known from 31 Dec 2025)
    assert new_rows["title"].str.contains("Additional USD 30 million").any()
    assert new_rows["title"].str.contains("Hamburg Declaration").any()
    assert len(new) == 9
    assert not (set(march_2025.pledges["pledge_id"]) - set(march_2026.pledges["pledge_id"]))
    # Ooredoo's 2024 pledge is old news in both
    assert "Ooredoo" in _pledgers(march_2025) and "Ooredoo" in _pledgers(march_2026)
    # announced 2026-05-15: not yet
    assert "Avant.Dev" not in _pledgers(march_2026)


def test_huawei_moves_to_completed(march_2025, march_2026):
    def huawei(rec):
        p = rec.pledges
        return p[p["title"].str.startswith("Connectivity for about 120 million")].iloc[0]
    before, after = huawei(march_2025), huawei(march_2026)
    assert str(before["status"]) == "in progress"
    assert before["last_report_date"] == pd.Timestamp("2023-11-21")
    assert str(after["status"]) == "completed"
    assert after["last_report_date"] == pd.Timestamp("2026-03-05")
    assert after["status_source"] == "public evidence"


def test_public_evidence_statuses_appear(march_2026):
    # dated evidence up to 2026-03-31 concerns 6 pledges: Huawei (120 m), ISOC (training),
    # AT&T, Ghana (rural telephony, national roaming), ZTE (USD 400 m a year)
    known = march_2026.pledges[march_2026.pledges["status"].astype(str) != "unknown"]
    assert len(known) == 6
    assert set(known["pledger"]) == {"Huawei", "Internet Society", "AT&T", "ZTE Corporation",
                                     "Government of Ghana (Ministry of Communications and "
                                     "Digitalisation)"}
    assert (known["status_source"] == "public evidence").all()


def test_undated_pledges_enter_at_their_file_vintage():
    for undated_name in ("Eutelsat", "African Advanced Level Telecommunications Institute "
                                     "(AFRALTI)"):
        assert undated_name not in _pledgers(record.public_record("2026-11-28"))
        assert undated_name in _pledgers(record.public_record("2026-11-29"))
        assert undated_name in _pledgers(record.public_record("2020-01-01", undated="always"))
    kf = record.public_record("2026-11-28").known_from.set_index("pledger")
    assert kf.loc["Eutelsat", "date_basis"] == "undated; known by 2026-11-29"
    assert not kf.loc["Eutelsat", "in_record"]


def test_year_precision_is_known_from_the_end_of_the_year():
    hamburg = "United Nations Development Programme (UNDP) and Germany (BMZ)"
    assert not any(p.startswith("United Nations Development Programme") for p in
                   _pledgers(record.public_record("2025-12-30")))
    assert any(p.startswith("United Nations Development Programme") for p in
               _pledgers(record.public_record("2025-12-31"))), hamburg


def test_every_row_is_counted(march_2025):
    r = march_2025
    assert r.n_read == 47  # 38 + 9 rows in the two files
    assert r.n_read == r.n_valid + r.n_quarantined
    assert r.n_quarantined == 0  # ZTE's "Global (emphasis on LDCs, ...)" now reads as global
    assert len(r.known_from) == r.n_valid
    assert r.known_from["in_record"].sum() == len(r.pledges)


def test_quarantine_is_kept_and_counted(tmp_path):
    extra = tmp_path / "extra.csv"
    text = paths.PUBLIC_PLEDGES_ADDITIONS.read_text(encoding="utf-8")
    extra.write_text(text + 'Bad row,Someone,Private sector,,,ACCESS,,Atlantis,,,2024,,,,,\n',
                     encoding="utf-8")
    valid, quarantine, n_read = record.load_record_files((paths.PUBLIC_PLEDGES, extra))
    assert n_read == 48 and len(valid) == 47 and len(quarantine) == 1
    assert set(quarantine.columns) >= {"source_file", "source_row", "reasons", "raw"}
    assert quarantine["source_file"].tolist() == ["extra.csv"]
    assert "unknown region: 'Atlantis'" in quarantine["reasons"].iloc[0]


def test_the_record_tables_are_derived_data_read_back_identical(tmp_path, monkeypatch):
    """The loaded record files are cached like the other derived tables: a new process reads
    them back (lists of countries, SDGs ... included) identical to what parsing the files
    gives with the cache off, still listing the files among those it read; a changed file
    is parsed again."""
    from p2c_analysis import cache

    def fresh_process() -> None:
        record._valid.cache_clear()
        record._quarantine.cache_clear()
        record._load.cache_clear()
        paths._FILES_READ.clear()
        cache._USES.clear()

    monkeypatch.setenv("P2C_CACHE_DIR", "off")
    fresh_process()
    computed = record.load_record_files()
    monkeypatch.setenv("P2C_CACHE_DIR", str(tmp_path / "cache"))
    fresh_process()
    record.load_record_files()
    assert cache.uses()["record.valid"] == "built"
    fresh_process()
    valid, quarantine, n_read = record.load_record_files()
    assert cache.uses() == {"record.valid": "cache", "record.quarantine": "cache"}
    pd.testing.assert_frame_equal(valid, computed[0], check_exact=True)
    pd.testing.assert_frame_equal(quarantine, computed[1], check_exact=True)
    assert n_read == computed[2] == 47
    assert valid["target_countries"].map(type).eq(list).all()
    assert {str(f.resolve()) for f in record.RECORD_FILES} <= set(paths._FILES_READ)
    # a changed file is another entry: parsed again, not read from the cache
    extra = tmp_path / "extra.csv"
    extra.write_text(paths.PUBLIC_PLEDGES_ADDITIONS.read_text(encoding="utf-8"),
                     encoding="utf-8")
    assert len(record.load_record_files((paths.PUBLIC_PLEDGES, extra))[0]) == 47
    extra.write_text(extra.read_text(encoding="utf-8").rsplit("\n", 2)[0] + "\n",
                     encoding="utf-8")
    fresh_process()
    assert len(record.load_record_files((paths.PUBLIC_PLEDGES, extra))[0]) == 46
    assert cache.uses()["record.valid"] == "built"
    fresh_process()


def test_period_end():
    dates = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-09", None]))
    prec = pd.Series(["year", "month", "day", None])
    assert record.period_end(dates, prec).tolist()[:3] == [
        pd.Timestamp("2024-12-31"), pd.Timestamp("2024-02-29"), pd.Timestamp("2024-02-09")]
    assert pd.isna(record.period_end(dates, prec).iloc[3])


def test_bad_rule_and_date():
    with pytest.raises(ValueError, match="undated="):
        record.public_record("2025-01-01", undated="sometimes")
    with pytest.raises(ValueError, match="as_of"):
        record.public_record("2025-02-30")


def _by_title(rec: record.PublicRecord, start: str) -> pd.Series:
    p = rec.pledges
    return p[p["title"].str.startswith(start)].iloc[0]


@pytest.mark.parametrize("title", ["AI Compute Access Fund", "Accelerating AI adoption"])
def test_canadas_second_campaign_is_not_named_before_it_happened(title):
    # announced at WSIS+20 on 27 May 2024; counted again in the AI pledge drive, whose total
    # is stated for May 2024 (known from 31 May): value_overlaps.csv, known_from
    before = _by_title(record.public_record("2024-05-28"), title)
    assert pd.isna(before["value_repeats"])
    assert "AI pledge drive" not in str(before["value_basis_note"])
    assert str(before["value_basis"]) == "total"  # the rules' reading of "USD ... million"
    after = _by_title(record.public_record("2024-05-31"), title)
    assert "AI pledge drive" in str(after["value_repeats"])
    # the money is the same either way: nothing of it was counted in an earlier pledge
    assert before["estimated_value_usd"] == after["estimated_value_usd"]
    assert before["value_already_counted_usd"] == after["value_already_counted_usd"] == 0


def test_ztes_restatement_of_april_2024_is_not_named_before_it():
    title = "USD 400 million a year of ICT network infrastructure"
    before = _by_title(record.public_record("2024-01-15"), title)
    assert "2 Apr 2024" not in str(before["value_repeats"])
    assert "curated" not in str(before["value_basis_note"])
    # the rules still read its own words: "Called a 'renewed' pledge" in its notes
    assert str(before["value_basis"]) == "re_announcement" and before["value_basis_inferred"]
    after = _by_title(record.public_record("2024-04-02"), title)
    assert "2 Apr 2024" in str(after["value_repeats"])
    assert str(after["value_basis"]) == "re_announcement" and not after["value_basis_inferred"]
    # the value basis of every other pledge is the same in both records
    a, b = (record.public_record(d).pledges.set_index("pledge_id") for d in
            ("2024-01-15", "2024-04-02"))
    others = a.index[~a["title"].str.startswith(title)]
    assert len(others) == len(a) - 1
    pd.testing.assert_frame_equal(a.loc[others, list(values.BASIS_COLUMNS)],
                                  b.loc[others, list(values.BASIS_COLUMNS)])

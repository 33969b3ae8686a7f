from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from p2c_analysis import countries, paths
from p2c_analysis.vocabulary import ITU_REGIONS


@pytest.mark.parametrize(
    "text, iso3",
    [
        ("Côte d’Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("  COTE   d IVOIRE ", "CIV"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Congo, Dem. Rep.", "COD"),
        ("DR Congo", "COD"),
        ("Democratic Republic of the Congo", "COD"),
        ("Congo", "COG"),
        ("Republic of the Congo", "COG"),
        ("Congo, Rep.", "COG"),
        ("Lao PDR", "LAO"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Micronesia (Federated States of)", "FSM"),
        ("Micronesia, Fed. Sts.", "FSM"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("United Republic of Tanzania", "TZA"),
        ("Tanzania", "TZA"),
        ("gh", "GHA"),
        ("GHA", "GHA"),
        ("nga", "NGA"),
        ("NA", "NAM"),  # Namibia's ISO2 is "NA": not a missing value
        ("Kosovo", "XKX"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("Gambia, The", "GMB"),
        ("Korea, Dem. People's Rep.", "PRK"),
        ("Sao Tome and Principe", "STP"),
        ("São Tomé and Príncipe", "STP"),
    ],
)
def test_resolve_spellings(text, iso3):
    assert countries.resolve(text) == iso3


def test_unknown_name_is_reported_by_name():
    with pytest.raises(countries.UnknownCountryError, match="'Atlantis'"):
        countries.resolve("Atlantis")
    assert countries.try_resolve("Atlantis") is None


def test_unknown_name_suggests_close_match():
    with pytest.raises(countries.UnknownCountryError) as err:
        countries.resolve("Nigerai")
    assert "Nigeria" in str(err.value)


def test_resolve_all_reports_unknown_without_dropping():
    codes, unknown = countries.resolve_all(["Ghana", "Atlantis", "Kenya", "Atlantis", None])
    assert codes == ["GHA", None, "KEN", None, None]
    assert unknown == ["Atlantis"]


def test_missing_input_is_none():
    assert countries.try_resolve(None) is None
    assert countries.try_resolve("  ") is None
    assert countries.try_resolve(float("nan")) is None


def test_reference_one_row_per_economy():
    ref = countries.reference()
    assert ref["iso3"].is_unique
    assert ref["in_wdi"].sum() == 217
    row = ref.set_index("iso3").loc["NAM"]
    assert row["iso2"] == "NA"
    assert row["m49"] == "516"
    bgd = ref.set_index("iso3").loc["BGD"]
    assert bgd["itu_region"] == "Asia & Pacific"
    assert bgd["income_group"] == "Lower middle income"
    assert bgd["un_subregion"] == "Southern Asia"
    assert bool(bgd["ldc"]) and not bool(bgd["sids"])
    assert pd.isna(ref.set_index("iso3").loc["ETH", "income_group"])  # unclassified in FY26
    assert ref.set_index("iso3").loc["CIV", "name"] == "Côte d'Ivoire"


def test_ldc_list_2025_has_44_members_including_bangladesh():
    ldc = countries.members("LDC", as_of=2025)
    assert len(ldc) == 44
    assert "BGD" in ldc
    assert "STP" not in ldc  # graduated 13 Dec 2024


def test_ldc_membership_moves_with_the_date():
    # Bhutan graduated on 2023-12-13, Sao Tome and Principe on 2024-12-13, Vanuatu 2020-12-04.
    assert "BTN" in countries.members("LDC", as_of=2022)
    assert "BTN" in countries.members("LDC", as_of="2023-12-12")
    assert "BTN" not in countries.members("LDC", as_of="2023-12-13")
    assert "STP" in countries.members("LDC", as_of=2024)
    assert "VUT" in countries.members("LDC", as_of=2020)
    assert len(countries.members("LDC", as_of=2022)) == 46
    assert len(countries.members("LDC", as_of=2020)) == 47


def test_scheduled_graduations_only_on_request():
    late = dt.date(2026, 12, 31)
    assert "BGD" in countries.members("LDC", as_of=late)
    assert "BGD" not in countries.members("LDC", as_of=late, include_scheduled=True)


def test_lldc_south_sudan_joined_2011():
    assert "SSD" in countries.members("LLDC", as_of=2012)
    assert "SSD" not in countries.members("LLDC", as_of=2010)
    assert len(countries.members("LLDC", as_of=2024)) == 32


def test_itu_regions_partition_211_economies():
    seen = [i for r in ITU_REGIONS for i in countries.members(r)]
    assert len(seen) == len(set(seen)) == 211
    assert "PSE" in countries.members("Arab States")
    assert "SDN" in countries.members("Arab States")
    assert "UKR" in countries.members("Europe")


def test_regions_from_free_text():
    assert countries.resolve_region("Asia-Pacific") == "Asia & Pacific"
    assert countries.resolve_region("sub-saharan africa") == "Sub-Saharan Africa"
    assert countries.resolve_region("North Africa") == "Northern Africa"
    assert countries.resolve_region("Atlantis") is None
    assert "EGY" in countries.members("Northern Africa")
    assert "NGA" in countries.members("Sub-Saharan Africa")
    assert "NGA" not in countries.members("Northern Africa")


def test_unknown_group():
    with pytest.raises(countries.UnknownGroupError, match="'Atlantis'"):
        countries.members("Atlantis")


def test_as_of_parsing():
    assert countries.as_of_date(2022) == dt.date(2022, 7, 1)
    assert countries.as_of_date("2022") == dt.date(2022, 7, 1)
    assert countries.as_of_date("2023-12-13") == dt.date(2023, 12, 13)
    with pytest.raises(ValueError, match="as_of"):
        countries.as_of_date("last year")


def test_scheduled_changes_past_their_date_are_named_not_applied(capsys):
    """Bangladesh, Lao PDR and Nepal were scheduled to leave the LDC list on 2026-11-24; the
    data do not confirm it, so they stay members, and a batch over LDC says so."""
    assert countries.unconfirmed_changes("LDC", "2026-11-23").empty
    due = countries.unconfirmed_changes("LDC", "2026-11-24")
    assert due["iso3"].tolist() == ["BGD", "LAO", "NPL"]
    assert {"BGD", "LAO", "NPL"} <= set(countries.members("LDC", "2026-12-01"))
    assert countries.unconfirmed_changes("SIDS", "2030-01-01").empty
    from p2c_analysis import planning

    capsys.readouterr()
    planning.expand_values("country", "KEN,LLDC")
    assert "scheduled" not in capsys.readouterr().err


def test_mena_in_a_pledge_is_not_the_world_bank_region_with_afghanistan_and_pakistan():
    """The World Bank's FY26 region adds Afghanistan and Pakistan; Ooredoo Group's MENA fibre
    pledge allocated 54% of its USD 500 M to them (and counted AFG's share as LDC money)."""
    for alias in ("MENA", "Middle East and North Africa"):
        label = countries.resolve_region(alias)
        members = set(countries.members(label))
        assert {"EGY", "SAU", "MAR", "QAT"} <= members and not {"AFG", "PAK"} & members
    assert {"AFG", "PAK"} <= set(countries.members("WB Middle East & North Africa"))


@pytest.mark.parametrize(("text", "iso3", "other"), [
    ("Congo", "COG", "COD"), ("  congo (the) ", "COG", "COD"), ("the Congo", "COG", "COD"),
    ("KOREA", "KOR", "PRK"), ("Micronesia", "FSM", "sub-region")])
def test_an_ambiguous_short_name_is_resolved_as_before_and_says_so(text, iso3, other):
    """``Congo`` and ``Korea`` were read as COG and KOR with nothing to tell that they may
    mean the DR Congo or DPR Korea. They resolve as before; :func:`ambiguous_reading` names
    the reading and the alternative (``data/harmonization/ambiguous_country_names.csv``)."""
    assert countries.resolve(text) == iso3
    entry = countries.ambiguous_reading(text)
    assert entry is not None and entry.iso3 == iso3 and other in entry.alternative
    assert entry.read_as and entry.if_meant


@pytest.mark.parametrize("text", ["DR Congo", "Republic of the Congo", "COG", "CG", "COD",
                                  "South Korea", "Republic of Korea", "KOR", "DPR Korea",
                                  "Micronesia (Federated States of)", "Kenya", "Atlantis",
                                  "", None, float("nan")])
def test_a_name_that_says_which_economy_is_not_ambiguous(text):
    assert countries.ambiguous_reading(text) is None


def test_every_ambiguous_name_resolves_to_its_row_and_its_alternative_is_another():
    """A row of the table whose name no longer resolves to its ``iso3`` (an alias changed)
    would never be noted: each row is checked against the resolver."""
    table = pd.read_csv(countries.AMBIGUOUS_NAMES, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["name", "iso3", "read_as", "alternative", "if_meant", "note"]
    assert len(table) >= 2 and table["name"].is_unique
    for row in table.itertuples(index=False):
        assert countries.try_resolve(row.name) == row.iso3, row.name
        assert row.note.strip() and row.alternative.strip() and row.if_meant.strip()
        assert countries.ambiguous_reading(row.name).iso3 == row.iso3


def test_pacific_islands_are_the_m49_island_subregions_without_australia_and_new_zealand():
    """"Pacific Islands" was read as UN Oceania: Australia and New Zealand took 69% of a
    Pacific pledge (population split). It is the Pacific island countries and territories:
    the M49 sub-regions Melanesia, Micronesia and Polynesia (custom_regions.csv, checked
    against the M49 columns here so the two cannot drift apart)."""
    ref = countries.reference()
    islands = ref.loc[ref["un_subregion"].isin(["Melanesia", "Micronesia", "Polynesia"]), "iso3"]
    for alias in ("Pacific Islands", "pacific island countries", "PICTs"):
        assert countries.resolve_region(alias) == "Pacific Islands"
        assert countries.ambiguous_region_reading(alias) is None
    members = countries.members("Pacific Islands")
    assert members == sorted(islands) and {"FJI", "PNG", "TON", "KIR"} <= set(members)
    assert not {"AUS", "NZL"} & set(members)
    assert {"AUS", "NZL"} <= set(countries.members(countries.resolve_region("Pacific")))


@pytest.mark.parametrize(("text", "label", "other"), [
    ("Pacific", "UN Oceania", "'Pacific Islands'"), ("oceania", "UN Oceania", "'Pacific Islands'"),
    ("Africa", "Africa", "'UN Africa'"), ("Asia", "UN Asia", "'Asia-Pacific'"),
    ("Middle East", "Western Asia", "'MENA'"), ("Americas", "Americas", "Caribbean'"),
    ("Latin America", "Latin America and the Caribbean", "'Central America; South America'"),
    ("Europe", "Europe", "'UN Europe'")])
def test_a_region_name_read_one_way_of_several_resolves_as_before_and_says_so(
        text, label, other):
    entry = countries.ambiguous_region_reading(text)
    assert countries.resolve_region(text) == label
    assert entry is not None and entry.label == label and entry.if_meant.endswith(other)
    assert entry.note(text, " in target_regions").startswith(
        f"{text!r} in target_regions read as {entry.read_as}, not {entry.alternative}: ")


def test_regions_whose_names_others_use_for_other_groups_say_which_they_are_read_as():
    """"Central Africa", "West Africa", "South Asia", "APAC" and "Asia and the Pacific" were
    read as one group of several (M49 Middle Africa, not ECCAS; M49 Western Africa, not
    ECOWAS; M49 Southern Asia, Iran included; ITU-D Asia & Pacific, not UN ESCAP's region)
    without a note. Each now has one, and what its note says the group holds is checked
    against the group's members here."""
    def members(text: str) -> set[str]:
        return set(countries.members(countries.resolve_region(text)))

    for text in ("Central Africa", "West Africa", "South Asia", "APAC", "Asia and the Pacific"):
        entry = countries.ambiguous_region_reading(text)
        assert entry is not None and entry.if_meant == "name the countries", text
        assert countries.resolve_region(text) == entry.label
    assert members("Central Africa") == {"AGO", "CMR", "CAF", "TCD", "COG", "COD", "GNQ",
                                         "GAB", "STP"}
    assert {"MRT", "SHN"} <= members("West Africa")
    assert "IRN" in members("South Asia") and len(members("South Asia")) == 9
    apac = members("APAC")
    assert {"IRN", "AFG"} <= apac and not {"KAZ", "UZB", "RUS", "TUR", "GEO"} & apac
    assert apac == members("Asia-Pacific") == members("Asia and the Pacific")
    # ITU's own spellings, what the note on "Asia" says to write, and the label as an export
    # writes it, are read without a note
    for text in ("Asia-Pacific", "Asia Pacific", "Asia & Pacific", "Asia and Pacific"):
        assert countries.ambiguous_region_reading(text) is None, text


def test_america_and_north_africa_names_say_what_their_m49_reading_holds():
    """"North Africa", "Central America" and "Caribbean" were read as their M49 regions
    without a note, though others draw them otherwise (North Africa without Sudan; the
    isthmus without Mexico; CARICOM). Each now has one; what it says is checked against the
    members here."""
    def members(text: str) -> set[str]:
        return set(countries.members(countries.resolve_region(text)))

    for text in ("North Africa", "Central America", "Caribbean"):
        entry = countries.ambiguous_region_reading(text)
        assert entry is not None and entry.if_meant == "name the countries", text
    assert {"SDN", "ESH", "EGY", "MAR"} <= members("North Africa")
    assert {"MEX", "BLZ", "PAN"} <= members("Central America")
    caribbean = members("Caribbean")
    assert {"CUB", "DOM", "PRI", "JAM"} <= caribbean and not {"BLZ", "GUY", "SUR"} & caribbean
    assert countries.ambiguous_region_reading("South America") is None


def test_two_african_regions_named_together_are_the_two_m49_regions():
    """"East and Southern Africa" and "West and Central Africa", as development agencies name
    their African regions, were unknown regions. Each is now the two M49 intermediate regions
    together (custom_regions.csv), noted as one reading of several; what the note says it
    holds is checked here."""
    def members(text: str) -> set[str]:
        return set(countries.members(countries.resolve_region(text)))

    east = members("East and Southern Africa")
    assert east == members("Eastern Africa") | members("Southern Africa")
    assert east == members("Eastern and Southern Africa")
    assert {"ERI", "SOM", "ZAF", "KEN", "MOZ"} <= east and not {"AGO", "SDN"} & east
    west = members("West and Central Africa")
    assert west == members("Western Africa") | members("Middle Africa")
    assert west == members("Western and Central Africa")
    assert {"AGO", "MRT", "SHN", "NGA", "COD"} <= west and not east & west
    for text in ("East and Southern Africa", "West and Central Africa"):
        entry = countries.ambiguous_region_reading(text)
        assert entry is not None and entry.if_meant == "name the countries", text


def test_every_region_reading_row_is_complete_and_names_what_it_resolves_to():
    table = pd.read_csv(paths.REGION_ALIASES, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["alias", "label", "note", "read_as", "alternative", "if_meant"]
    noted = table[table["read_as"].str.strip().ne("")]
    assert len(noted) >= 8
    for row in noted.itertuples(index=False):
        assert row.alternative.strip() and row.if_meant.strip(), row.alias
        assert countries.ambiguous_region_reading(row.alias).label == row.label
    for row in table[table["read_as"].str.strip().eq("")].itertuples(index=False):
        assert countries.ambiguous_region_reading(row.alias) is None, row.alias


def test_a_group_name_that_is_also_a_country_is_in_the_ambiguous_names_table():
    """Planning notes a country read from a name that may mean another economy or a group
    only from ambiguous_country_names.csv (``Micronesia`` is FSM, not the sub-region): a group
    label or region alias the resolver also reads as a country must be listed there."""
    table = pd.read_csv(paths.REGION_ALIASES, dtype=str, keep_default_na=False)
    for name in [*countries.group_labels(), *table["alias"]]:
        if countries.try_resolve(name) is not None:
            assert countries.ambiguous_reading(name) is not None, name


def test_an_ambiguous_name_says_its_reading_in_one_line():
    assert countries.ambiguous_reading("Congo").note("Congo", " in target_countries") == (
        "'Congo' in target_countries read as the Republic of the Congo (COG), not the "
        "Democratic Republic of the Congo (COD): if that was meant, write DR Congo or COD")


def test_two_american_regions_named_together_are_the_two_m49_regions():
    """"Central America and the Caribbean" (and "Central and South America") were unknown
    regions while each half was read: each is now the two M49 intermediate regions together
    (custom_regions.csv), in any order or spelling with "&", noted as one reading of several;
    "Southern and Eastern Africa" is "Eastern and Southern Africa"; the World Bank's own
    region names without the "WB " prefix are its regions."""
    def members(text: str) -> set[str]:
        return set(countries.members(countries.resolve_region(text)))

    cac = members("Central America and the Caribbean")
    assert cac == members("Central America") | members("Caribbean")
    assert {"MEX", "PAN", "CUB", "DOM", "JAM", "PRI"} <= cac and not {"GUY", "SUR", "COL"} & cac
    for text in ("Central America & the Caribbean", "Caribbean and Central America",
                 "Central America and Caribbean"):
        assert countries.resolve_region(text) == "Central America and the Caribbean", text
    csa = members("Central and South America")
    assert csa == members("Central America") | members("South America")
    assert {"MEX", "PAN", "BRA", "GUY"} <= csa and not {"CUB", "JAM"} & csa
    assert countries.resolve_region("South and Central America") == "Central and South America"
    assert countries.resolve_region("Southern and Eastern Africa") == "Eastern and Southern Africa"
    for text in ("Central America and the Caribbean", "Central and South America"):
        entry = countries.ambiguous_region_reading(text)
        assert entry is not None and entry.if_meant == "name the countries", text
    assert countries.resolve_region("Europe and Central Asia") == "WB Europe & Central Asia"
    assert countries.resolve_region("East Asia and the Pacific") == "WB East Asia & Pacific"


@pytest.mark.parametrize("text, iso3", [
    ("Tanzania, United Republic of", "TZA"), ("Korea, Republic of", "KOR"),
    ("Moldova, Republic of", "MDA"), ("Congo, The Democratic Republic of the", "COD"),
    ("Palestine, State of", "PSE"), ("Korea, Democratic People's Republic of", "PRK"),
])
def test_a_name_in_iso_3166_order_resolves(text: str, iso3: str) -> None:
    """ISO 3166's names put the qualifier after a comma: ``Tanzania, United Republic of``
    was an unknown country (a row set aside) while ``United Republic of Tanzania`` resolved.
    Two countries with a comma between are still no one country."""
    assert countries.try_resolve(text) == iso3
    assert countries.try_resolve("Ghana, Kenya") is None


def test_the_abbreviated_un_spelling_of_micronesia_is_the_country_without_a_note():
    """'Micronesia (Fed. States of)' (UN M49's name abbreviated, as UN DESA tables write it)
    was unknown: now FSM, and not the short name 'Micronesia' that may mean the sub-region."""
    assert countries.try_resolve("Micronesia (Fed. States of)") == "FSM"
    assert countries.ambiguous_reading("Micronesia (Fed. States of)") is None
    assert countries.ambiguous_reading("Micronesia") is not None


def test_all_before_a_group_is_the_group():
    """'All LDCs' was no region: 'all' (or 'all of the') before a group's name is the group;
    a name that is no group stays unknown with 'all' before it too."""
    assert countries.resolve_region("All LDCs") == "LDC"
    assert countries.resolve_region("all of the least developed countries") == "LDC"
    assert countries.resolve_region("All Atlantis") is None
    assert countries.ambiguous_region_reading("All Africa").label == \
        countries.resolve_region("Africa")


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        ("Maroc", "MAR"), ("Marruecos", "MAR"), ("Kenia", "KEN"), ("Tchad", "TCD"),
        ("Cameroun", "CMR"), ("Camerún", "CMR"), ("Etiopía", "ETH"), ("Éthiopie", "ETH"),
        ("Costa de Marfil", "CIV"), ("Côte d’Ivoire", "CIV"), ("Cote d Ivoire", "CIV"),
        ("Sénégal", "SEN"), ("Guinée", "GIN"), ("Guinée-Bissau", "GNB"),
        ("Zaire", "COD"), ("Upper Volta", "BFA"), ("Haute-Volta", "BFA"), ("Ceylon", "LKA"),
        ("Dahomey", "BEN"), ("Burma", "MMR"), ("Swaziland", "SWZ"),
    ],
)
def test_french_spanish_and_former_names_resolve(text, iso3):
    """Common French and Spanish names and former names (country_aliases.csv): they were
    unknown countries (``Maroc``, ``Zaire``, ``Upper Volta``, ``Ceylon``, ``Dahomey``...)."""
    assert countries.resolve(text) == iso3


def test_as_of_none_is_todays_date_in_utc_not_the_local_one(monkeypatch):
    """``as_of_date(None)`` is the run's day in UTC, as the runner and ``params.to_date("")``
    date everything: in a time zone 14 hours ahead or 12 behind, one of which is on another
    day than UTC at any hour, it was the local date."""
    import time

    for zone in ("Etc/GMT-14", "Etc/GMT+12"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        try:
            assert countries.as_of_date(None) == dt.datetime.now(dt.UTC).date()
            assert countries.as_of_date("  ") == dt.datetime.now(dt.UTC).date()
        finally:
            monkeypatch.delenv("TZ")
            time.tzset()

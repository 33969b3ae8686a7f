"""The field registry: constants, schema, canonical frames, docs table."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from p2c_analysis import fields
from p2c_analysis.vocabulary import (
    FOCUS_AREAS,
    PLEDGE_TYPES,
    STAKEHOLDER_TYPES,
    STATUS_LADDER,
    STATUSES,
)

ARCHITECTURE_ORDER = [  # docs/architecture.md, "Canonical pledge table", in order
    "pledge_id", "title", "pledger", "stakeholder_type", "entity_country", "pledge_type",
    "focus_areas", "target_countries", "target_regions", "is_global", "estimated_value_usd",
    "value_as_stated", "currency", "announced_date", "announced_precision", "target_year",
    "status", "last_report_date", "beneficiaries", "sdgs", "source_url", "is_synthetic",
    "description", "notes",
    # what the money is (p2c_analysis.values), appended in issue 11
    "value_basis", "value_basis_inferred", "value_basis_note", "value_years", "value_repeats",
    "value_already_counted_usd",
]


def test_constants_match_the_brief() -> None:
    assert FOCUS_AREAS == ("ACCESS", "ADOPTION", "VALUE CREATION", "ACCELERATE INVESTMENT")
    assert STATUSES == ("announced", "in progress", "completed", "withdrawn", "unknown")
    assert STATUS_LADDER == ("announced", "in progress", "completed")
    assert len(STAKEHOLDER_TYPES) == 8 and "Civil society / NGO" in STAKEHOLDER_TYPES
    assert PLEDGE_TYPES == ("Programmatic", "Financial", "Policy", "Advocacy", "In-kind")


def test_canonical_columns_follow_the_architecture_contract() -> None:
    assert list(fields.CANONICAL_COLUMNS) == ARCHITECTURE_ORDER
    lists = {f.name for f in fields.FIELDS if f.is_list}
    assert lists == {"focus_areas", "target_countries", "target_regions",
                                       "beneficiaries", "sdgs"}


def test_empty_frame_has_canonical_dtypes_and_passes_schema() -> None:
    e = fields.empty_frame()
    assert list(e.columns) == ARCHITECTURE_ORDER and len(e) == 0
    assert e["announced_date"].dtype == "datetime64[ns]"
    assert e["last_report_date"].dtype == "datetime64[ns]"
    assert e["estimated_value_usd"].dtype == "float64"
    assert e["target_year"].dtype == "Int64"
    assert e["is_global"].dtype == bool
    assert isinstance(e["status"].dtype, pd.CategoricalDtype)
    assert e["status"].dtype.ordered and list(e["status"].dtype.categories) == list(
        STATUSES)
    fields.schema().validate(e)


def _two_rows() -> pd.DataFrame:
    # columns deliberately shuffled and incomplete, with an extra one
    return pd.DataFrame({
        "notes": ["n", None],
        "status": ["Completed", "bogus"],
        "pledge_id": ["X-1", "X-2"],
        "focus_areas": [["ACCESS"], "ADOPTION; ACCESS"],
        "sdgs": [[9, 17], None],
        "announced_date": ["2022-06-09", None],
        "announced_precision": ["day", None],
        "estimated_value_usd": [1.5e6, None],
        "extra": [1, 2],
    })


def test_coerce_canonical_orders_fills_and_types() -> None:
    c = fields.coerce_canonical(_two_rows())
    assert list(c.columns) == ARCHITECTURE_ORDER
    assert c["status"].tolist() == ["completed", "unknown"]  # lower-cased; unknown text -> unknown
    assert c["status"].dtype.ordered
    assert c["focus_areas"].tolist() == [["ACCESS"], ["ADOPTION", "ACCESS"]]
    assert c["sdgs"].tolist() == [[9, 17], []]
    assert c["target_countries"].tolist() == [[], []]
    assert c["stakeholder_type"].tolist() == ["unknown", "unknown"]
    assert c["is_synthetic"].tolist() == [False, False]
    assert c["announced_date"].dtype == "datetime64[ns]"
    assert pd.isna(c.loc[1, "announced_date"]) and pd.isna(c.loc[1, "title"])
    assert pd.isna(c.loc[1, "estimated_value_usd"])  # NaN, never 0
    fields.schema().validate(c)


def test_coerce_canonical_reads_bool_text_as_meant() -> None:
    # bool("False") is True in Python: the text "False" must still mean False
    df = _two_rows().assign(is_synthetic=["False", "TRUE"], is_global=[None, 1])
    c = fields.coerce_canonical(df)
    assert c["is_synthetic"].tolist() == [False, True]
    assert c["is_global"].tolist() == [False, True]  # missing -> False


@pytest.mark.parametrize(
    ("column", "bad"),
    [("is_synthetic", "maybe"), ("estimated_value_usd", "lots"), ("sdgs", "nine")],
)
def test_coerce_canonical_error_names_the_column(column: str, bad: object) -> None:
    df = _two_rows().assign(**{column: [bad, None]})
    with pytest.raises(ValueError, match=rf"^coerce_canonical: column '{column}': ") as err:
        fields.coerce_canonical(df)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("sdgs", [18]),
        ("focus_areas", ["TELEPORTATION"]),
        ("estimated_value_usd", -1.0),
        ("stakeholder_type", "Alien federation"),
        ("pledge_type", "Financial pledge"),  # must already be canonical
        ("entity_country", "Ghana"),  # must be an ISO3 code
    ],
)
def test_schema_rejects_bad_values(column: str, bad: object) -> None:
    c = fields.coerce_canonical(_two_rows())
    c[column] = pd.Series([bad, c.loc[1, column]], dtype=c[column].dtype)
    with pytest.raises(pandera.errors.SchemaError):
        fields.schema().validate(c)


def test_schema_rejects_duplicate_ids_precision_mismatch_and_extra_columns() -> None:
    c = fields.coerce_canonical(_two_rows())
    dup = c.assign(pledge_id=pd.Series(["X-1", "X-1"], dtype="string"))
    with pytest.raises(pandera.errors.SchemaError):
        fields.schema().validate(dup)
    mismatch = c.assign(announced_precision=pd.Series(["day", "year"], dtype="string"))
    with pytest.raises(pandera.errors.SchemaError):
        fields.schema().validate(mismatch)
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors)):
        fields.schema().validate(c.assign(extra=1))


def test_bundled_csv_columns_all_map_to_fields() -> None:
    header = ("pledge_title,pledger,stakeholder_type,entity_country_iso3,pledge_type,focus_area,"
              "target_countries_iso3,target_region,estimated_value_usd,value_as_stated,"
              "announced_date,target_year,beneficiaries,description,source_url,notes").split(",")
    aliases = fields.column_aliases()
    mapped = {h: aliases[fields.normalise_column(h)] for h in header}
    assert mapped["pledge_title"] == "title"
    assert mapped["entity_country_iso3"] == "entity_country"
    assert mapped["focus_area"] == "focus_areas"
    assert mapped["target_countries_iso3"] == "target_countries"
    assert mapped["target_region"] == "target_regions"
    assert len(set(mapped.values())) == len(header)  # no two source columns feed one field
    assert aliases[fields.normalise_column("Pledge Title")] == "title"


def test_docs_table_has_one_row_per_field() -> None:
    table = fields.docs_table()
    lines = table.strip().splitlines()
    assert lines[0].startswith("| column |")
    assert len(lines) == 2 + len(fields.FIELDS)
    assert "`pledge_title`" in table and "NaN = no value stated (never 0)" in table
    assert "| `sdgs` | list[int] | yes |" in table


def test_docs_page_is_generated_from_the_registry():
    from p2c_analysis import paths

    committed = (paths.ROOT / fields.FIELDS_DOC).read_text(encoding="utf-8")
    assert committed == fields.docs_page(), "run `python -m p2c_analysis.fields` to regenerate"
    for f in fields.CANONICAL_COLUMNS:
        assert f"`{f}`" in committed


def test_a_plural_in_brackets_matches_the_field():
    """A header "Focus area(s)" matched no field and its column was listed as not read; a
    plural written in brackets is read as the plain plural."""
    aliases = fields.column_aliases()
    for header, field in [("Focus area(s)", "focus_areas"), ("Target Countr(ies)",
                                                             "target_countries"),
                          ("Target country(ies)", "target_countries"),
                          ("Region(s)", "target_regions")]:
        assert aliases.get(fields.normalise_column(header)) == field, header
    assert fields.normalise_column("Status (s)") == "status_s"  # a bracket after a space: as is
    assert fields.normalise_column("Value (USD)") == "value_usd"


@pytest.mark.parametrize(("header", "normalised"), [
    ("Value (€)", "value_eur"), ("Amount (£)", "amount_gbp"), ("Value (C$)", "value_cad"),
    ("Value (¥)", "value_jpy_or_cny"), ("Amount (₹ crore)", "amount_inr_crore"),
    ("Value (EUR)", "value_eur"), ("Value ($)", "value"), ("Value (US$)", "value")])
def test_a_currency_sign_in_a_header_is_its_code(header, normalised):
    """``Value (€)`` was ``value``: its column read as the stated value, plain numbers in it
    as US dollars; it is now ``value_eur``, as ``Value (EUR)`` is (no field: the column is
    listed as not read). The US dollar's signs are dropped as before (``us$`` is no ``s$``,
    the Singapore dollar)."""
    assert fields.normalise_column(header) == normalised
    assert (fields.column_aliases().get(normalised) == "value_as_stated") == \
        (normalised == "value")

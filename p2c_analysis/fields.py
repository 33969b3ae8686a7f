"""The field registry of the canonical pledge table.

One definition (:data:`FIELDS`) feeds everything else, PUDL style:

- :func:`schema` builds the pandera ``DataFrameSchema`` that every canonical frame must pass;
- :func:`docs_table` renders the markdown table used in the README and docs;
- :func:`column_aliases` gives the source column names that feed each field (used by
  :mod:`p2c_analysis.pledges` to map an export onto the canonical layout);
- :func:`empty_frame` and :func:`coerce_canonical` give / enforce the canonical column order
  and dtypes.

The column contract itself is fixed in ``docs/architecture.md`` ("Canonical pledge table").
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from p2c_analysis.text import without_invisible
from p2c_analysis.vocabulary import (
    DATE_PRECISIONS,
    FOCUS_AREAS,
    PLEDGE_TYPES,
    SDG_RANGE,
    STAKEHOLDER_TYPES,
    STATUSES,
    UNKNOWN,
    VALUE_BASES,
)

STATUS_DTYPE = pd.CategoricalDtype(list(STATUSES), ordered=True)


@dataclass(frozen=True)
class Field:
    """One column of the canonical pledge table.

    ``dtype`` is the pandas dtype of the column (``"object"`` for list-valued fields, whose
    cells are Python lists of ``item_type``). ``missing`` says what a missing value looks like
    and means. ``allowed`` lists the allowed values (of each item, for list fields), empty = any.
    ``aliases`` are source column names (case-insensitive) that feed this field.
    """

    name: str
    dtype: str
    description: str
    missing: str
    allowed: tuple = ()
    is_list: bool = False
    item_type: type | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False  # must be present in a source (after mapping) for the file to load
    nullable: bool = True


FIELDS: tuple[Field, ...] = (
    Field("pledge_id", "string", "Unique pledge identifier. Taken from the source when it has one; "
          "otherwise derived from the row (see pledges.load_pledges).", "never missing",
          aliases=("id", "pledge id", "pledge_no", "pledge number", "reference"), nullable=False),
    Field("title", "string", "Pledge title as published.", "<NA> = not stated",
          aliases=("pledge_title", "pledge title", "pledge name", "pledge")),
    Field("pledger", "string", "Entity making the pledge (organisation, government, ...).",
          "<NA> = not stated",
          aliases=("entity", "entity name", "organization", "organisation", "pledging entity")),
    Field("stakeholder_type", "string", "Type of the pledging entity. When a source lists "
          "several, the first listed is kept and the others are recorded in notes.",
          "'unknown' = not stated", allowed=(*STAKEHOLDER_TYPES, UNKNOWN),
          aliases=("stakeholder type", "stakeholder", "entity type", "stakeholder_group"),
          nullable=False),
    Field("entity_country", "string", "ISO 3166-1 alpha-3 code of the pledger's home country.",
          "<NA> = not stated / multinational",
          aliases=("entity_country_iso3", "entity country", "country", "entity_country_name",
                   "headquarters country")),
    Field("pledge_type", "string", "Kind of pledge.", "'unknown' = not stated",
          allowed=(*PLEDGE_TYPES, UNKNOWN),
          aliases=("pledge type", "type", "commitment type"), nullable=False),
    Field("focus_areas", "object", "P2C focus areas the pledge addresses (list).",
          "[] = none stated", allowed=FOCUS_AREAS, is_list=True, item_type=str,
          aliases=("focus_area", "focus area", "focus areas", "p2c focus area")),
    Field("target_countries", "object", "ISO3 codes of the countries the pledge targets (list).",
          "[] = none stated (see target_regions / is_global)", is_list=True, item_type=str,
          aliases=("target_countries_iso3", "target countries", "beneficiary countries",
                   "countries")),
    Field("target_regions", "object", "Targeted regions as group labels of "
          "p2c_analysis.countries (ITU-D regions, 'LDC', UN sub-regions, ...) (list).",
          "[] = none stated", is_list=True, item_type=str,
          aliases=("target_region", "target region", "target regions", "region", "regions")),
    Field("is_global", "bool", "True when the pledge says it is global / worldwide / for all "
          "countries (in its region or country cells).", "never missing",
          aliases=("global",), nullable=False),
    Field("estimated_value_usd", "float64", "Pledge value in US dollars (nominal, converted "
          "from the stated currency with the WDI annual-average rate of the announcement "
          "year; an explicit USD figure in the text is preferred).",
          "NaN = no value stated (never 0)",
          aliases=("value_usd", "value (usd)", "amount_usd", "estimated value (usd)")),
    Field("value_as_stated", "string", "The value text as published, e.g. 'EUR 155 million'.",
          "<NA> = no value stated",
          aliases=("value", "amount", "pledge value", "financial value")),
    Field("currency", "string", "ISO 4217 code of the stated value's currency.",
          "<NA> = no value stated", aliases=("currency code", "ccy")),
    Field("announced_date", "datetime64[ns]", "Announcement date: first day of the stated "
          "period (a bare year 2022 -> 2022-01-01).", "NaT = not stated",
          aliases=("announced", "announcement date", "date", "date announced", "created")),
    Field("announced_precision", "string", "Precision of announced_date.",
          "<NA> when the date is missing", allowed=DATE_PRECISIONS),
    Field("target_year", "Int64", "Year by which the pledge is to be delivered.",
          "<NA> = not stated", aliases=("target year", "deadline", "completion year")),
    Field("status", "category", "Implementation status (ordered: announced < in progress < "
          "completed < withdrawn < unknown); the ladder is STATUS_LADDER.",
          "'unknown' = not reported", allowed=STATUSES,
          aliases=("pledge status", "implementation status"), nullable=False),
    Field("last_report_date", "datetime64[ns]", "Date of the latest progress report.",
          "NaT = never reported",
          aliases=("last report date", "last reported", "last update", "last_update")),
    Field("beneficiaries", "object", "Intended beneficiaries as stated, one item per group "
          "(list; split on ';' and newlines only).", "[] = not stated", is_list=True,
          item_type=str, aliases=("target beneficiaries", "beneficiary groups")),
    Field("sdgs", "object", "UN Sustainable Development Goals addressed, integers 1..17 (list).",
          "[] = none stated", allowed=tuple(range(SDG_RANGE[0], SDG_RANGE[1] + 1)),
          is_list=True, item_type=int,
          aliases=("sdg", "sdg goals", "sustainable development goals")),
    Field("source_url", "string", "Public web page the pledge was taken from.",
          "<NA> = none", aliases=("url", "source", "link")),
    Field("is_synthetic", "bool", "True for generated (synthetic) rows; false for real pledges.",
          "never missing", aliases=("synthetic",), nullable=False),
    Field("description", "string", "Pledge description as published.", "<NA> = none",
          aliases=("pledge description", "summary", "details")),
    Field("notes", "string", "Curation notes, including how values, stakeholders and dates "
          "were interpreted.", "<NA> = none", aliases=("note", "comments", "remarks")),
    # what the money is (p2c_analysis.values; rules in its module docstring and the README)
    Field("value_basis", "string", "What the stated value is: a total, a yearly rate times "
          "the years stated, a yearly rate with no duration (counted once), a lower / upper "
          "bound, an in-kind contribution, a top-up of an earlier commitment, a "
          "re-announcement, or no value. Derived by the loader from value_as_stated, title, "
          "description, notes and pledge_type, or taken from the curated "
          "data/harmonization/value_overlaps.csv, or from a source column.",
          "<NA> = not derived (a frame not built by the loader)", allowed=VALUE_BASES,
          aliases=("value basis", "basis of value")),
    Field("value_basis_inferred", "bool", "True when value_basis is a guess: read from the "
          "title, description, notes or a hedged remark rather than from the value text, a "
          "source column or the curated overlaps file.", "never missing (False when "
          "value_basis is missing)", nullable=False),
    Field("value_basis_note", "string", "How value_basis was read (the words it rests on, or "
          "the curated row).", "<NA> = not derived"),
    Field("value_years", "Int64", "Years the stated value covers, as stated: the multiplier of "
          "a yearly rate, or the period of a total ('over five years').",
          "<NA> = no duration stated", aliases=("value years",)),
    Field("value_repeats", "string", "The pledge or campaign this value repeats, tops up or is "
          "also counted in, where known (curated overlaps file or the pledge's own text).",
          "<NA> = none known"),
    Field("value_already_counted_usd", "float64", "USD of this pledge's value already counted "
          "before (in an earlier pledge or campaign): all of a re-announcement, the earlier "
          "part of a top-up when its stated value includes it; de-duplicated value = "
          "estimated_value_usd - this.", "NaN = no value (or not derived); 0 = none known"),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(f.name for f in FIELDS)


def column_aliases() -> dict[str, str]:
    """``{normalised source column name: canonical field}`` for every field name and alias.

    Source names are normalised with :func:`normalise_column` (lower case, spaces/dashes to
    underscores), so ``"Pledge Title"`` and ``"pledge_title"`` both map to ``title``.
    """
    out: dict[str, str] = {}
    for f in FIELDS:
        for name in (f.name, *f.aliases):
            out.setdefault(normalise_column(name), f.name)
    return out


@functools.cache
def _currency_signs() -> tuple[tuple[str, str], ...]:
    """(sign, what a header holding it is normalised with) of every currency sign the money
    parser knows (``€`` -> ``eur``, ``c$`` -> ``cad``, ``¥`` -> ``jpy_or_cny``; the US
    dollar's, ``$`` and ``us$``, -> nothing, as before), longest first (``us$`` is not
    ``s$``): see :func:`normalise_column`."""
    from p2c_analysis import parsing  # parsing's tables; it imports no fields

    signs = {t: "" if c == "USD" else c.lower() for t, c in parsing.CURRENCY_TOKENS.items()
             if not t.replace(" ", "").isalpha()}
    signs.update({t: "_or_".join(re.findall(r"[A-Z]{3}", c)).lower()
                  for t, c in parsing.AMBIGUOUS_CURRENCY.items()})
    return tuple(sorted(signs.items(), key=lambda item: -len(item[0])))


def normalise_column(name: str) -> str:
    """Normalise a column header for matching: Unicode compatibility forms folded (NFKC:
    full-width letters, no-break spaces), invisible format characters dropped (zero-width
    spaces and joiners, soft hyphens, byte-order marks, direction marks: a header that
    looks like ``Title`` matches it), lower-cased, a plural written in brackets made plain
    (``Focus area(s)`` -> ``focus areas``, ``Countr(ies)``/``Country(ies)`` -> ``countries``),
    every run of other characters than letters and digits (spaces, dashes, dots, brackets,
    underscores) -> one ``_``, none at the ends. A currency sign other than the dollar's is
    its code (``Value (€)`` -> ``value_eur``, as ``Value (EUR)``): dropped, the header was
    ``value`` and its euros read as US dollars."""
    text = unicodedata.normalize("NFKC", str(name))
    text = without_invisible(text).lower()
    for sign, code in _currency_signs():
        text = text.replace(sign, f" {code} ")
    text = re.sub(r"(?<=[a-z])y?\(ies\)", "ies", text)
    text = re.sub(r"(?<=[a-z])\((e?s)\)", r"\1", text)
    return re.sub(r"[\W_]+", "_", text).strip("_")


# --- dtypes ----------------------------------------------------------------------------------

def _pandas_dtype(f: Field):
    if f.name == "status":
        return STATUS_DTYPE
    if f.dtype == "string":
        return pd.StringDtype()
    return f.dtype


def empty_frame() -> pd.DataFrame:
    """A zero-row canonical pledge frame with the canonical columns and dtypes."""
    return pd.DataFrame(
        {f.name: pd.Series([], dtype=_pandas_dtype(f)) for f in FIELDS}
    )


def is_missing(value: object) -> bool:
    """The package's one test of a missing value: ``None``, NaN, ``pd.NA``, ``NaT`` (what the
    registry calls ``<NA>``/NaN/NaT). A list or other container is not missing (an empty list
    means "none stated"); for cell *text* such as ``"TBD"`` see ``parsing.is_not_stated``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like: not a scalar missing value
        return False


def as_list(value: object) -> list:
    """A list cell from whatever is there: list/tuple/set/ndarray kept, missing -> []."""
    if isinstance(value, list):
        return value
    if isinstance(value, (tuple, set, np.ndarray)):
        return list(value)
    if value is None:
        return []
    try:
        if pd.isna(value):
            return []
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        return [p.strip() for p in value.replace("\n", ";").split(";") if p.strip()]
    return [value]


def _as_bool(value: object) -> bool:
    """A bool cell: missing -> False; otherwise :func:`p2c_analysis.parsing.parse_bool`
    (strict: ``true/false``, ``yes/no``, ``1/0``... read as meant, not as Python's
    ``bool("False") == True``); other values raise ``ValueError``."""
    from p2c_analysis.parsing import parse_bool  # parsing imports this module

    return bool(parse_bool(value, strict=True))


def coerce_canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Put a frame built by anyone into canonical column order and dtypes.

    Missing columns are added with their "missing" value (``<NA>``, ``NaN``, ``NaT``, ``[]``,
    ``"unknown"``, ``False``); extra columns are dropped. List fields become Python lists
    (a ``;``-joined string is split), ``status`` an ordered Categorical over :data:`STATUSES`
    (values outside it become ``"unknown"``), dates ``datetime64[ns]``, bools from bools,
    0/1 or yes/no text (:func:`p2c_analysis.parsing.parse_bool`, strict). Does not
    validate: use :func:`schema` for that.
    Raises ``ValueError`` naming the column when a cell cannot take the column's dtype.
    """
    out: dict[str, pd.Series] = {}
    index = df.index
    for f in FIELDS:
        if f.name in df.columns:
            s = df[f.name]
        else:
            s = pd.Series(pd.NA, index=index, dtype="object")
        try:
            out[f.name] = _coerce_column(f, s)
        except (TypeError, ValueError) as err:
            first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ValueError(f"coerce_canonical: column {f.name!r}: {first_line}") from None
    return pd.DataFrame(out, index=index).reset_index(drop=True)


def _coerce_column(f: Field, s: pd.Series) -> pd.Series:
    """One column of :func:`coerce_canonical` in the dtype of field ``f``."""
    if f.is_list:
        vals = [as_list(v) for v in s.tolist()]
        if f.item_type is int:
            vals = [[int(x) for x in v] for v in vals]
        return pd.Series(vals, index=s.index, dtype="object")
    if f.name == "status":
        st = s.astype("object").where(s.notna(), UNKNOWN)
        st = st.map(lambda v: str(v).strip().lower())
        return st.where(st.isin(STATUSES), UNKNOWN).astype(STATUS_DTYPE)
    if f.name in ("stakeholder_type", "pledge_type"):
        return s.astype("object").where(s.notna(), UNKNOWN).astype(pd.StringDtype())
    if f.dtype == "string":
        return s.astype(pd.StringDtype())
    if f.dtype == "bool":
        return pd.Series([_as_bool(v) for v in s.tolist()], index=s.index, dtype=bool)
    if f.dtype.startswith("datetime"):
        return pd.to_datetime(s).astype("datetime64[ns]")
    if f.dtype in ("Int64", "float64"):
        return pd.to_numeric(s).astype(f.dtype)
    return s.astype(f.dtype)  # pragma: no cover - every registry dtype is handled above


# --- pandera schema ---------------------------------------------------------------------------

def _list_check(f: Field) -> pa.Check:
    allowed = set(f.allowed)
    item_type = f.item_type

    def ok(cell: object) -> bool:
        if not isinstance(cell, list):
            return False
        for x in cell:
            if item_type is int:
                if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                    return False
            elif item_type is str and not isinstance(x, str):
                return False
            if allowed and x not in allowed:
                return False
        return True

    return pa.Check(ok, element_wise=True, error=f"{f.name}: every cell a list of allowed items")


def _column(f: Field) -> pa.Column:
    checks: list[pa.Check] = []
    if f.is_list:
        checks.append(_list_check(f))
    elif f.allowed and f.name != "status":
        checks.append(pa.Check.isin(list(f.allowed)))
    if f.name == "estimated_value_usd":
        checks.append(pa.Check.ge(0))
        checks.append(pa.Check(lambda s: ~np.isinf(s.astype("float64")),
                               error="not finite (inf)"))
    if f.name == "entity_country":
        checks.append(pa.Check.str_matches(r"^[A-Z]{3}$"))
    return pa.Column(
        _pandas_dtype(f),
        checks=checks,
        nullable=f.nullable,
        unique=f.name == "pledge_id",
        required=True,
        description=f.description,
        title=f.name,
    )


def _precision_consistent(df: pd.DataFrame) -> bool:
    return bool((df["announced_date"].isna() == df["announced_precision"].isna()).all())


def schema() -> pa.DataFrameSchema:
    """The pandera schema of the canonical pledge table, built from :data:`FIELDS`.

    Checks dtypes, column order, allowed values (also inside list cells), uniqueness of
    ``pledge_id``, ``estimated_value_usd >= 0`` and that ``announced_precision`` is missing
    exactly when ``announced_date`` is.
    """
    return pa.DataFrameSchema(
        {f.name: _column(f) for f in FIELDS},
        checks=[pa.Check(_precision_consistent,
                         error="announced_precision missing iff announced_date missing")],
        strict=True,
        ordered=True,
        name="canonical_pledges",
    )


def input_schema(*columns: str) -> pa.DataFrameSchema:
    """The part of :func:`schema` a function reads: the named columns with their dtypes
    (coerced, so a hand-made frame with plain ``str`` ids passes; never for booleans, where
    coercion would read the text ``"False"`` as True), allowed values, uniqueness of
    ``pledge_id`` and ``estimated_value_usd >= 0``; other columns may be present. List cells are
    not re-checked item by item (the loader's full schema did), which keeps the check cheap at
    platform scale."""
    return _input_schema(tuple(columns))


@functools.cache
def _input_schema(columns: tuple[str, ...]) -> pa.DataFrameSchema:
    out = {}
    for name in columns:
        f = FIELDS_BY_NAME[name]
        full = _column(f)
        checks = [] if f.is_list else list(full.checks)
        out[name] = pa.Column(full.dtype, checks=checks, nullable=f.nullable, unique=full.unique,
                              coerce=f.dtype != "bool", required=True, title=name)
    return pa.DataFrameSchema(out, strict=False, name=f"pledges ({', '.join(columns)})")


class PledgeTableError(ValueError):
    """A pledge table given to a function does not fit the canonical schema; one line naming
    the function, the column and the problem."""


def _one_line(err: Exception) -> str:
    first = getattr(err, "schema_errors", None)  # SchemaErrors: several, show the first
    text = str(first[0]) if first else str(err)
    return " ".join(text.split())[:300]


def _check_statuses(pledges: object) -> None:
    """A ``status`` column that is not yet the ordered categorical must hold only
    :data:`STATUSES` (or missing values): checked before the schema coerces it, since a value
    outside the categories would become missing (pandas 3 warns; pandas 4 raises)."""
    from pandera.errors import SchemaError

    if not isinstance(pledges, pd.DataFrame) or "status" not in pledges.columns or \
            isinstance(pledges["status"].dtype, pd.CategoricalDtype):
        return
    col = pledges["status"]
    bad = sorted({str(v) for v in col[col.notna()].unique()} - set(STATUSES))
    if bad:
        raise SchemaError(schema=None, data=pledges,
                          message=f"column 'status': values outside {list(STATUSES)}: "
                                  f"{', '.join(repr(b) for b in bad[:5])}")


def checked(*columns: str):
    """Decorator of the public functions that take a canonical pledge table as ``pledges``:
    the table is validated against :func:`input_schema` of ``columns`` (pandera) when the
    function is called, so the function body trusts it; a table that does not fit, or
    something else than a table (a file name, ``None``), raises :class:`PledgeTableError`
    (one line naming the function)."""
    from pandera.errors import SchemaError, SchemaErrors

    schema = input_schema(*columns)

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            given = bound.arguments["pledges"]
            if not isinstance(given, pd.DataFrame):  # a file name, None...: say what is meant
                plain = given is None or isinstance(given, (str, os.PathLike))
                shown = repr(given) if plain else type(given).__name__
                raise PledgeTableError(
                    f"pledges given to {fn.__name__}: a pledge table (pandas DataFrame) is "
                    f"needed, not {shown[:200]}; read a file with "
                    "p2c_analysis.pledges.load_pledges(path).valid")
            try:
                _check_statuses(bound.arguments["pledges"])
                bound.arguments["pledges"] = schema.validate(bound.arguments["pledges"])
            except (SchemaError, SchemaErrors) as err:
                raise PledgeTableError(f"pledges given to {fn.__name__}: {_one_line(err)}") \
                    from None
            return fn(*bound.args, **bound.kwargs)

        return wrapper

    return decorate


# --- docs -------------------------------------------------------------------------------------

def _fmt_allowed(values: Iterable) -> str:
    vals = list(values)
    if not vals:
        return ""
    if all(isinstance(v, int) for v in vals):
        return f"{min(vals)}..{max(vals)}"
    return ", ".join(f"`{v}`" for v in vals)


def docs_table() -> str:
    """Markdown table of the registry: column, dtype, list?, description, missing, allowed,
    source aliases. Used in the README and docs."""
    head = ("| column | dtype | list | description | missing means | allowed values "
            "| source column aliases |")
    lines = [head, "|---|---|---|---|---|---|---|"]
    for f in FIELDS:
        dtype = "ordered category" if f.name == "status" else f.dtype
        if f.is_list:
            dtype = f"list[{f.item_type.__name__}]"  # type: ignore[union-attr]
        aliases = ", ".join(f"`{a}`" for a in f.aliases)
        lines.append(
            f"| `{f.name}` | {dtype} | {'yes' if f.is_list else ''} | {f.description} "
            f"| {f.missing} | {_fmt_allowed(f.allowed)} | {aliases} |"
        )
    return "\n".join(lines) + "\n"


FIELDS_DOC = "docs/pledge_fields.md"


def docs_page() -> str:
    """The Markdown page ``docs/pledge_fields.md``, generated from the registry (a test checks
    that the committed page equals this, so the docs cannot drift from the schema)."""
    return (
        "# The canonical pledge table\n\n"
        "Generated from the field registry in `p2c_analysis/fields.py` by "
        "`python -m p2c_analysis.fields`; do not edit by hand. The pandera schema "
        "(`fields.schema()`) and the column mapping of the loaders are built from the same "
        "registry.\n\n" + docs_table() + "\n"
    )


if __name__ == "__main__":  # pragma: no cover - regenerate docs/pledge_fields.md
    from p2c_analysis import paths

    (paths.ROOT / FIELDS_DOC).write_text(docs_page(), encoding="utf-8")
    print(f"wrote {FIELDS_DOC}")

"""Country reference table, group membership as of a date, and the country-name resolver.

Built by code from the raw files (never edited):

- ``data/raw/country-codes.csv`` (UN M49 of Sept 2024: ISO codes, UN regions, LDC/LLDC/SIDS),
- ``data/raw/wdi_country_metadata_income_region_FY26.csv`` (WB region and FY26 income group),
- ``data/reference/itu_bdt_regions.csv`` (ITU-D region of 211 economies),
- ``data/reference/un_group_changes.csv`` (dated changes to the LDC/LLDC lists),
- ``data/harmonization/*.csv`` (our alias and short-name tables).

Group labels (see ``docs/architecture.md``): ``"World"``, ``"LDC"``, ``"LLDC"``, ``"SIDS"``,
the six ITU-D regions (bare names such as ``"Africa"``), the four World Bank income groups, UN
regions prefixed ``"UN "`` (``"UN Africa"``), UN sub-/intermediate regions by their M49 names
(``"Sub-Saharan Africa"``, ``"Caribbean"``), World Bank regions prefixed ``"WB "`` and custom
groups from ``data/harmonization/custom_regions.csv``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from p2c_analysis import cache, paths
from p2c_analysis.vocabulary import INCOME_GROUPS, ITU_REGIONS, STANDARD_GROUPS, UN_GROUPS

#: The M49 flags in country-codes.csv are those of this date; dated changes are applied from here.
LIST_BASELINE = dt.date(2024, 9, 1)

#: World Bank FY26 region name → our label (the long FY26 MENA name is shortened).
_WB_REGION_LABELS = {
    "Middle East, North Africa, Afghanistan & Pakistan": "WB Middle East & North Africa",
}


class UnknownCountryError(ValueError):
    """A country name or code that the resolver cannot map to an ISO3 code."""

    def __init__(self, name: str, suggestions: list[str] | None = None):
        self.name = name
        self.suggestions = suggestions or []
        close = ", ".join(repr(s) for s in self.suggestions)
        hint = f" (did you mean {close}?)" if close else ""
        super().__init__(f"unknown country {name!r}{hint}")


class UnknownGroupError(ValueError):
    """A group label that :func:`members` does not know."""

    def __init__(self, group: str):
        self.group = group
        super().__init__(f"unknown country group {group!r}")


# --------------------------------------------------------------------------------------------
# name normalisation
# --------------------------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"[’'`´ʼ‘]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_name(text: str) -> str:
    """Key used for matching names: accents, case, apostrophes, punctuation and extra spaces
    removed, ``&`` read as ``and``, a leading/trailing ``the`` dropped.

    >>> normalise_name("Côte d’Ivoire")
    'cote divoire'
    >>> normalise_name("  Congo (the) ")
    'congo'
    """
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().replace("&", " and ")
    s = _APOSTROPHES.sub("", s)
    s = _NON_ALNUM.sub(" ", s).strip()
    s = re.sub(r"^the ", "", s)
    s = re.sub(r" the$", "", s)
    return s


def _short_unterm(name: str) -> str:
    """UNTERM English Short without the trailing "(the)" and footnote stars."""
    return re.sub(r"\s*\(the\)\s*", " ", name).replace("*", "").strip()


# --------------------------------------------------------------------------------------------
# reference table
# --------------------------------------------------------------------------------------------


@functools.cache
def _country_codes() -> pd.DataFrame:
    return pd.read_csv(paths.track(paths.COUNTRY_CODES), keep_default_na=False, dtype=str)


@functools.cache
def _wdi_metadata() -> pd.DataFrame:
    return pd.read_csv(paths.track(paths.WDI_METADATA), encoding="utf-8-sig", dtype=str)


@cache.derived("countries.reference")
def reference() -> pd.DataFrame:
    """One row per economy: the union of the M49 countries/areas and the 217 WDI economies.

    Columns: ``iso3, iso2, m49`` (3-digit string), ``name`` (short English), ``un_region``,
    ``un_subregion``, ``un_intermediate_region``, ``itu_region``, ``wb_region``, ``income_group``
    (World Bank FY26), ``ldc``, ``lldc``, ``sids`` (bool: the M49 lists of Sept 2024; use
    :func:`members` for membership at another date), ``in_wdi`` (bool: a WDI economy, i.e. has
    WDI population data). Missing text is ``<NA>`` (e.g. no ITU-D region for economies without ITU
    data, no income group for Ethiopia and Venezuela in FY26).
    """
    cc = _country_codes()
    cc = cc[cc["ISO3166-1-Alpha-3"] != ""]
    out = pd.DataFrame(
        {
            "iso3": cc["ISO3166-1-Alpha-3"],
            "iso2": cc["ISO3166-1-Alpha-2"],
            "m49": cc["M49"].str.zfill(3),
            "name": [
                _short_unterm(u) if u else o
                for u, o in zip(cc["UNTERM English Short"], cc["official_name_en"], strict=True)
            ],
            "un_region": cc["Region Name"],
            "un_subregion": cc["Sub-region Name"],
            "un_intermediate_region": cc["Intermediate Region Name"],
            "ldc": cc["Least Developed Countries (LDC)"].eq("x"),
            "lldc": cc["Land Locked Developing Countries (LLDC)"].eq("x"),
            "sids": cc["Small Island Developing States (SIDS)"].eq("x"),
        }
    )
    md = _wdi_metadata()
    md = md[md["Region"].notna()]
    extra = md[~md["Country Code"].isin(out["iso3"])]  # XKX (Kosovo), CHI (Channel Islands)
    if len(extra):
        out = pd.concat(
            [
                out,
                pd.DataFrame(
                    {
                        "iso3": extra["Country Code"],
                        "name": extra["TableName"],
                        "ldc": False,
                        "lldc": False,
                        "sids": False,
                    }
                ),
            ],
            ignore_index=True,
        )
    wb = md.set_index("Country Code")
    out["wb_region"] = out["iso3"].map(wb["Region"]).replace(_WB_REGION_LABELS)
    out["income_group"] = out["iso3"].map(wb["IncomeGroup"])
    out["in_wdi"] = out["iso3"].isin(wb.index)
    itu = pd.read_csv(paths.track(paths.ITU_REGIONS), dtype=str).set_index("iso3")["itu_region"]
    out["itu_region"] = out["iso3"].map(itu)
    short = pd.read_csv(paths.track(paths.HARMONIZATION / "country_short_names.csv"), dtype=str)
    out["name"] = out["iso3"].map(short.set_index("iso3")["short_name"]).fillna(out["name"])
    text_cols = ["iso2", "m49", "un_region", "un_subregion", "un_intermediate_region"]
    for col in text_cols:
        out[col] = out[col].replace("", pd.NA)
    cols = [
        "iso3", "iso2", "m49", "name", "un_region", "un_subregion", "un_intermediate_region",
        "itu_region", "wb_region", "income_group", "ldc", "lldc", "sids", "in_wdi",
    ]  # fmt: skip
    out = out[cols].sort_values("iso3").reset_index(drop=True)
    for col in ("iso3", "iso2", "m49", "name", "un_region", "un_subregion",
                "un_intermediate_region", "itu_region", "wb_region", "income_group"):  # fmt: skip
        out[col] = out[col].astype("string")
    return out


def country_name(iso3: str) -> str:
    """Short English name of an economy (``iso3`` must be in :func:`reference`)."""
    names = _names()
    if iso3 not in names:
        raise UnknownCountryError(iso3)
    return names[iso3]


@functools.cache
def _names() -> dict[str, str]:
    ref = reference()
    return dict(zip(ref["iso3"], ref["name"], strict=True))


# --------------------------------------------------------------------------------------------
# resolver
# --------------------------------------------------------------------------------------------


@functools.cache
def _name_index() -> dict[str, str]:
    """Normalised name → ISO3, from every name column of the raw files (English, and the UN's
    French and Spanish official names: ``Maroc``, ``Marruecos``) plus our alias table.
    Names that map to two economies in the raw files are left out (ambiguous)."""
    cc = _country_codes()
    cc = cc[cc["ISO3166-1-Alpha-3"] != ""]
    pairs: list[tuple[str, str]] = []
    for col in ("official_name_en", "UNTERM English Short", "UNTERM English Formal",
                "CLDR display name", "official_name_fr", "official_name_es"):  # fmt: skip
        for name, iso3 in zip(cc[col], cc["ISO3166-1-Alpha-3"], strict=True):
            if name:
                pairs.append((name, iso3))
                pairs.append((_short_unterm(name), iso3))
    m49 = pd.read_csv(paths.track(paths.UNSD_M49), encoding="utf-8-sig", dtype=str)
    m49 = m49.dropna(subset=["ISO-alpha3 Code"])
    pairs += list(zip(m49["Country or Area"], m49["ISO-alpha3 Code"], strict=True))
    md = _wdi_metadata()
    md = md[md["Region"].notna()]
    pairs += list(zip(md["TableName"], md["Country Code"], strict=True))
    pairs += [(n, i) for i, n in _names().items()]

    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for name, iso3 in pairs:
        key = normalise_name(name)
        if not key:
            continue
        if key in index and index[key] != iso3:
            ambiguous.add(key)
        index.setdefault(key, iso3)
    for key in ambiguous:
        del index[key]
    # Our curated aliases win over anything derived.
    aliases = pd.read_csv(paths.track(paths.COUNTRY_ALIASES), dtype=str)
    for alias, iso3 in zip(aliases["alias"], aliases["iso3"], strict=True):
        index[normalise_name(alias)] = iso3
    return index


@functools.cache
def _code_index() -> dict[str, str]:
    """ISO2 / ISO3 / WDI code (upper case) → ISO3."""
    ref = reference()
    out = {i: i for i in ref["iso3"]}
    out.update({c: i for c, i in zip(ref["iso2"], ref["iso3"], strict=True) if isinstance(c, str)})
    return out


def try_resolve(name: object) -> str | None:
    """ISO3 code for a free-text country name or an ISO2/ISO3 code, or ``None`` if unknown.

    Handles UN, World Bank, ITU and press spellings ("Côte d’Ivoire", "Cote d'Ivoire",
    "Ivory Coast"; "Congo, Dem. Rep." vs "Congo"), ignoring case, accents, punctuation and
    extra spaces; a qualifier after a comma or in brackets is read before the name ("Korea,
    Republic of", "Congo (the Democratic Republic of the)", "Sudan (South)"). Missing input
    (``None``, NaN, blank) gives ``None``.
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    text = str(name).strip()
    if not text:
        return None
    compact = text.replace(".", "").strip()
    if 2 <= len(compact) <= 3 and compact.isalpha():
        code = _code_index().get(compact.upper())
        if code:
            return code
    return _by_name(text) or _by_name(_iso_order(text)) or _by_name(_qualifier_first(text))


#: A name in ISO 3166's order, its qualifier after a comma and ending in "of" (``Tanzania,
#: United Republic of``, ``Korea, Republic of``, ``Congo, The Democratic Republic of the``).
_ISO_ORDER = re.compile(r"(?P<name>[^,]+),\s*(?P<qualifier>[^,]+\bof(?:\s+the)?)\.?",
                        re.IGNORECASE)


def _iso_order(text: str) -> str:
    """``text`` with an ISO 3166 qualifier put back before the name (:data:`_ISO_ORDER`:
    ``Tanzania, United Republic of`` -> ``United Republic of Tanzania``); other text
    as is."""
    m = _ISO_ORDER.fullmatch(text)
    return f"{m['qualifier']} {m['name']}" if m else text


#: A name with its qualifier in brackets after it, as ISO 3166's short names, ITU's list and
#: sorted lists write it: ``Korea (the Democratic People's Republic of)``, ``Congo (Dem. Rep.
#: of the)``, ``Guinea (Equatorial)``, ``Korea (South)``.
_BRACKETED = re.compile(r"(?P<name>[^()]+?)\s*\(\s*(?:the\s+)?(?P<qualifier>[^()]+?)\s*\)",
                        re.IGNORECASE)


def _qualifier_first(text: str) -> str:
    """``text`` with a qualifier in brackets put back before the name (:data:`_BRACKETED`:
    ``Korea (Democratic People's Republic of)`` -> ``Democratic People's Republic of Korea``,
    ``Sudan (South)`` -> ``South Sudan``); other text as is. Read as "Korea" and "Sudan"
    with the brackets as a remark, such names were the other country of the name."""
    m = _BRACKETED.fullmatch(text)
    return f"{m['qualifier']} {m['name']}" if m else text


#: Abbreviations in the names of the UN, the World Bank and ITU (``Dem. Rep. of the Congo``,
#: ``Central African Rep.``, ``Micronesia, Fed. Sts.``), spelt out when a name is not known
#: as written (normalised words: :func:`normalise_name`).
_NAME_ABBREVIATIONS = {"rep": "republic", "dem": "democratic", "fed": "federated",
                       "sts": "states"}


def _by_name(text: str) -> str | None:
    """ISO3 of a country name as the indexes know it (case, accents, punctuation and spaces
    ignored; the abbreviations of :data:`_NAME_ABBREVIATIONS` spelt out when the name is not
    known as written), else ``None``."""
    key = normalise_name(text)
    found = _name_index().get(key) or _spaceless_index().get(key.replace(" ", ""))
    if found is None:
        full = " ".join(_NAME_ABBREVIATIONS.get(w, w) for w in key.split())
        found = _name_index().get(full) if full != key else None
    return found


@functools.cache
def _spaceless_index() -> dict[str, str]:
    """Fallback index with spaces removed too ("cote d ivoire" = "cote divoire")."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for key, iso3 in _name_index().items():
        k = key.replace(" ", "")
        if k in out and out[k] != iso3:
            clash.add(k)
        out.setdefault(k, iso3)
    return {k: v for k, v in out.items() if k not in clash}


#: Short names that name one economy for the resolver and, as often, another economy or a
#: group: ``name, iso3, read_as, alternative, if_meant, note`` (``if_meant``: what to write
#: for the alternative; the note says where each reading comes from).
AMBIGUOUS_NAMES = paths.HARMONIZATION / "ambiguous_country_names.csv"


@dataclass(frozen=True)
class AmbiguousName:
    """A short name the resolver reads as ``iso3`` (described as ``read_as``, e.g. "the
    Republic of the Congo") that may mean ``alternative`` (e.g. "the Democratic Republic of
    the Congo (COD)"); ``if_meant`` says what to write for it ("write DR Congo or COD")."""

    name: str
    iso3: str
    read_as: str
    alternative: str
    if_meant: str

    def note(self, text: str, where: str = "") -> str:
        """One line saying how ``text`` (a spelling of :attr:`name`) was read: ``"'Congo'
        read as the Republic of the Congo (COG), not the Democratic Republic of the Congo
        (COD): if that was meant, write DR Congo or COD"``; ``where`` follows the text
        (``" in target_countries"``)."""
        return (f"{text!r}{where} read as {self.read_as} ({self.iso3}), not "
                f"{self.alternative}: if that was meant, {self.if_meant}")


@functools.cache
def _ambiguous_index() -> dict[str, AmbiguousName]:
    """Normalised name → its row of :data:`AMBIGUOUS_NAMES`."""
    df = pd.read_csv(paths.track(AMBIGUOUS_NAMES), dtype=str, keep_default_na=False)
    return {normalise_name(r.name): AmbiguousName(r.name.strip(), r.iso3.strip(),
                                                  r.read_as.strip(), r.alternative.strip(),
                                                  r.if_meant.strip())
            for r in df.itertuples(index=False)}


def ambiguous_reading(name: object) -> AmbiguousName | None:
    """The entry of :data:`AMBIGUOUS_NAMES` when ``name`` (free text, compared as
    :func:`normalise_name` compares: ``"Congo (the)"`` is ``"Congo"``) is a short name that
    :func:`try_resolve` reads as one economy but may mean another or a group (``Congo``,
    ``Korea``); ``None`` otherwise (codes, full names, missing input). Resolution itself is
    unchanged: this says what it chose and what else was possible."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    entry = _ambiguous_index().get(normalise_name(str(name)))
    if entry is None or try_resolve(name) != entry.iso3:
        return None
    return entry


def resolve(name: object) -> str:
    """ISO3 code for ``name``; raises :class:`UnknownCountryError` naming the text otherwise
    (with close matches as suggestions)."""
    iso3 = try_resolve(name)
    if iso3 is None:
        key = normalise_name(str(name))
        close = difflib.get_close_matches(key, list(_name_index()), n=3, cutoff=0.8)
        suggestions = sorted({country_name(_name_index()[k]) for k in close})
        raise UnknownCountryError(str(name), suggestions)
    return iso3


def resolve_all(names: Iterable[object]) -> tuple[list[str | None], list[str]]:
    """Resolve many names. Returns ``(iso3 codes or None, unknown names)`` — unknown names are
    reported, never dropped silently (each appears once in the second list)."""
    codes: list[str | None] = []
    unknown: list[str] = []
    for n in names:
        c = try_resolve(n)
        codes.append(c)
        if c is None and n is not None and str(n).strip() and str(n) not in unknown:
            unknown.append(str(n))
    return codes, unknown


# --------------------------------------------------------------------------------------------
# regions and groups
# --------------------------------------------------------------------------------------------


@cache.derived("countries.static_groups")
def _static_groups() -> dict[str, tuple[str, ...]]:
    """Group label → member ISO3 for groups that don't change over time in our data."""
    ref = reference()
    groups: dict[str, tuple[str, ...]] = {"World": tuple(ref.loc[ref["in_wdi"], "iso3"])}

    def add(label: str, mask: pd.Series) -> None:
        groups[label] = tuple(sorted(ref.loc[mask.fillna(False), "iso3"]))

    for region in ITU_REGIONS:
        add(region, ref["itu_region"].eq(region))
    for income in INCOME_GROUPS:
        add(income, ref["income_group"].eq(income))
    for col, prefix in (("un_region", "UN "), ("wb_region", "WB ")):
        for value in ref[col].dropna().unique():
            label = value if str(value).startswith(prefix) else prefix + str(value)
            add(label, ref[col].eq(value))
    for col in ("un_subregion", "un_intermediate_region"):
        for value in ref[col].dropna().unique():
            add(str(value), ref[col].eq(value))
    custom = pd.read_csv(paths.track(paths.HARMONIZATION / "custom_regions.csv"), dtype=str)
    for label, sub in custom.groupby("label"):
        groups[str(label)] = tuple(sorted(sub["iso3"]))
    return groups


def group_labels() -> list[str]:
    """Every label :func:`members` accepts."""
    return [*UN_GROUPS, *sorted(_static_groups())]


@functools.cache
def _region_index() -> dict[str, str]:
    index = {normalise_name(label): label for label in group_labels()}
    aliases = pd.read_csv(paths.track(paths.REGION_ALIASES), dtype=str)
    for alias, label in zip(aliases["alias"], aliases["label"], strict=True):
        index[normalise_name(alias)] = label
    return index


def resolve_region(text: object) -> str | None:
    """Group label for a free-text region name ("Asia-Pacific" → "Asia & Pacific",
    "North Africa" → "Northern Africa", "LDCs" → "LDC"), or ``None`` when unknown.
    Bare continent-like names are ITU-D regions ("Africa" → ITU-D Africa); such a name, read
    one way where another is as likely, has its reading in :func:`ambiguous_region_reading`."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    return _region_index().get(_region_key(str(text)))


#: "All" before a group's name (``All LDCs``, ``all of the SIDS``): the group itself.
_ALL_OF = re.compile(r"all (?:of )?(?:the )?(?P<group>.+)")


def _region_key(text: str) -> str:
    """The key :func:`resolve_region` looks ``text`` up by: its :func:`normalise_name`, with
    a leading ``all`` (``all of the``) dropped when the rest names a group and the whole does
    not (``All LDCs`` is the group LDC: every least developed country)."""
    key = normalise_name(text)
    index = _region_index()
    if key not in index and (m := _ALL_OF.fullmatch(key)) and m["group"] in index:
        return m["group"]
    return key


@dataclass(frozen=True)
class AmbiguousRegion:
    """A region name :func:`resolve_region` reads as group ``label`` (described as
    ``read_as``, e.g. "the ITU-D region Africa (without North Africa...)") that may mean
    ``alternative`` ("the African continent"); ``if_meant`` says what to write for it
    ("write 'UN Africa'"). From the rows of ``region_aliases.csv`` with a ``read_as``."""

    name: str
    label: str
    read_as: str
    alternative: str
    if_meant: str

    def note(self, text: str, where: str = "") -> str:
        """One line saying how ``text`` was read, as :meth:`AmbiguousName.note` does (the
        group's label is in ``read_as``)."""
        return (f"{text!r}{where} read as {self.read_as}, not {self.alternative}: "
                f"if that was meant, {self.if_meant}")


@functools.cache
def _ambiguous_region_index() -> dict[str, AmbiguousRegion]:
    """Normalised alias → its reading, for the rows of the region alias table that have one."""
    df = pd.read_csv(paths.track(paths.REGION_ALIASES), dtype=str, keep_default_na=False)
    return {normalise_name(r.alias): AmbiguousRegion(r.alias.strip(), r.label.strip(),
                                                     r.read_as.strip(), r.alternative.strip(),
                                                     r.if_meant.strip())
            for r in df.itertuples(index=False) if r.read_as.strip()}


def ambiguous_region_reading(text: object) -> AmbiguousRegion | None:
    """The reading of a region name that :func:`resolve_region` reads as one group where
    another is as likely (``Africa``: ITU-D Africa, not the continent; ``Pacific``: UN Oceania,
    Australia and New Zealand included), from ``region_aliases.csv`` (columns ``read_as,
    alternative, if_meant``); ``None`` for any other text. Resolution is unchanged."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    entry = _ambiguous_region_index().get(_region_key(str(text)))
    if entry is None or resolve_region(text) != entry.label:
        return None
    return entry


def as_of_date(as_of: object = None) -> dt.date:
    """Normalise an ``as_of`` value to a date: an int year (or "YYYY") means 1 July of that year
    (mid-year, like WDI population), "YYYY-MM-DD" or a date/datetime/Timestamp is taken as is,
    ``None`` or "" means today in UTC, the run's day (as ``params.to_date("")``), not the
    local date."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        from p2c_analysis.params import utc_today

        return utc_today()
    if isinstance(as_of, bool):
        raise ValueError(f"as_of: {as_of!r} is not a date or year")
    if isinstance(as_of, int):
        return dt.date(as_of, 7, 1)
    if isinstance(as_of, pd.Timestamp | dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    text = str(as_of).strip()
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 7, 1)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as err:
        raise ValueError(f"as_of: {as_of!r} is not a date (YYYY-MM-DD) or a year") from err


@functools.cache
def _group_changes() -> pd.DataFrame:
    ch = pd.read_csv(paths.track(paths.UN_GROUP_CHANGES), dtype=str)
    ch["effective_date"] = pd.to_datetime(ch["effective_date"]).dt.date
    return ch


def members(group: str, as_of: object = None, include_scheduled: bool = False) -> list[str]:
    """Sorted ISO3 codes of a group's members as of a date.

    ``group`` is a label from :func:`group_labels` (free text is accepted through
    :func:`resolve_region`). For LDC and LLDC the M49 list of Sept 2024 is moved to ``as_of``
    with the dated changes in ``data/reference/un_group_changes.csv``: changes effective between
    the list date and ``as_of`` are applied, those after ``as_of`` but before the list date are
    reversed. Only rows with status ``effective`` count unless ``include_scheduled`` (the 2026
    graduations of Bangladesh, Lao PDR and Nepal were still ``scheduled`` in this data). SIDS
    and the other groups have no dated changes in our data (income groups are FY26 throughout).
    """
    label = group if group in UN_GROUPS or group in _static_groups() else resolve_region(group)
    if label is None:
        raise UnknownGroupError(group)
    if label in UN_GROUPS:
        listed, changes = _un_lists(reference(), _group_changes())[label]
        current = set(listed)
        when = as_of_date(as_of)
        for eff, change, iso3, status in changes:
            if status != "effective" and not include_scheduled:
                continue
            if LIST_BASELINE < eff <= when:  # happened after the list was drawn up
                (current.discard if change == "leave" else current.add)(iso3)
            elif when < eff <= LIST_BASELINE:  # not yet happened at as_of: reverse it
                (current.add if change == "leave" else current.discard)(iso3)
        return sorted(current)
    return list(_static_groups()[label])


#: ``_un_lists``' result for the last pair of tables it was given, with the tables themselves
#: (kept so that their ``id`` cannot be reused by other objects).
_UN_LISTS: dict[tuple[int, int], tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]] = {}


def _un_lists(
    ref: pd.DataFrame, changes: pd.DataFrame
) -> dict[str, tuple[frozenset[str], tuple[tuple[dt.date, str, str, str], ...]]]:
    """Per UN group (LDC, LLDC): the ISO3 codes of the M49 list of :data:`LIST_BASELINE` and
    its dated changes ``(effective_date, change, iso3, status)`` in file order, from
    :func:`reference` and the changes table. Computed once per pair of tables: :func:`members`
    is called for every group and year of a series (hundreds of times a report), and filtering
    the tables each time cost about 1 ms a call."""
    key = (id(ref), id(changes))
    held = _UN_LISTS.get(key)
    if held is None:
        lists = {}
        for label in UN_GROUPS:
            ch = changes[changes["group"].eq(label)]
            lists[label] = (
                frozenset(ref.loc[ref[label.lower()], "iso3"]),
                tuple(zip(ch["effective_date"], ch["change"], ch["iso3"], ch["status"],
                          strict=True)),
            )
        _UN_LISTS.clear()
        _UN_LISTS[key] = held = (ref, changes, lists)
    return held[2]


def unconfirmed_changes(group: str, as_of: object = None) -> pd.DataFrame:
    """The changes to ``group`` (LDC, LLDC) still ``scheduled`` in the data although their date
    is on or before ``as_of``: ``iso3, change, effective_date, note``. :func:`members` does not
    apply them (nothing confirms they took effect), so a list as of that date may hold a
    country that has since left it: a caller should say so."""
    label = group if group in UN_GROUPS or group in _static_groups() else resolve_region(group)
    if label not in UN_GROUPS:
        return pd.DataFrame(columns=["iso3", "change", "effective_date", "note"])
    ch = _group_changes()
    due = ch[ch["group"].eq(label) & ch["status"].eq("scheduled")
             & (ch["effective_date"] <= as_of_date(as_of))]
    return due[["iso3", "change", "effective_date", "note"]].reset_index(drop=True)


def memberships(
    groups: Iterable[str] | Mapping[str, Iterable[str]] | None = None, as_of: object = None
) -> dict[str, list[str]]:
    """``{label: sorted ISO3}`` for several groups as of a date (see :func:`members`).

    ``groups``: labels (default :data:`STANDARD_GROUPS`; one label alone is one group), or a
    mapping ``{label: [iso3, ...]}`` for custom lists (names and lower case resolved with
    :func:`try_resolve`, other codes kept as given; deduplicated, sorted). Members need not
    have data: a caller counting economies intersects with its own table (e.g. the Holy See
    is in ITU Europe but not a WDI economy)."""
    if groups is None:
        groups = STANDARD_GROUPS
    if isinstance(groups, str):  # one label: "LDC" is a group, not the groups "L", "D", "C"
        groups = [groups]
    if isinstance(groups, Mapping):  # custom lists: names and codes resolve() knows, else as is
        return {str(k): sorted({try_resolve(x) or str(x) for x in v})
                for k, v in groups.items()}
    return {str(g): members(str(g), as_of) for g in groups}


def groups_of(iso3: str, as_of: object = None) -> list[str]:
    """The standard groups (:data:`STANDARD_GROUPS`) an economy belongs to as of a date.
    ``iso3`` may be any name or code :func:`resolve` knows ("ken", "Kenya"); an unknown one
    raises :class:`UnknownCountryError` (it used to give no group, as for a real economy)."""
    iso3 = resolve(iso3)
    return [g for g in STANDARD_GROUPS if iso3 in set(members(g, as_of))]

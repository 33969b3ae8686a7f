"""The bundled public record of pledges as it was known on a given date.

The record is every pledge file in :data:`RECORD_FILES` (``public_pledges.csv`` and
``public_pledges_additions_2026-12.csv``) loaded through the same loader
(:func:`p2c_analysis.pledges.load_pledges`; rows set aside are kept and counted), with the public
status evidence (:mod:`p2c_analysis.evidence`) applied as of the date.

When a pledge enters the record (:func:`known_from`):

- a pledge with an announcement date is known from the **last day of its stated period**: a
  day-precision date on that day, ``2024-05`` on 31 May 2024, a bare year ``2025`` on
  31 December 2025 (we cannot show it was public earlier). ``date_basis = "announced"``;
- a pledge with **no announcement date** is known from its file's vintage
  (:data:`FILE_VINTAGES`: the date the file is known to have existed) with
  ``date_basis = "undated; known by <vintage>"``, so it appears only in records dated on or
  after that day (``undated="vintage"``, the default). ``undated="always"`` puts such pledges in
  every record instead (``date_basis = "undated; always included"``). Entering the record on
  that day says when the pledge was collected, not when it was made: a comparison of two dates
  calls it ``"first seen"``, not ``"new"`` (:mod:`p2c_analysis.changes`); so does a bare year
  or month that does not lie wholly between the two dates.

A pledge's value basis is read as it could be on the date: a curated overlap
(``data/harmonization/value_overlaps.csv``) that names a later event (its ``known_from``) is
not used before that day (:func:`p2c_analysis.values.known_on`).

A pledge whose id also occurs in an earlier file is set aside in ``quarantine``
(``duplicate pledge_id: ... (also in <file>)``), never merged silently.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from p2c_analysis import cache, countries, evidence, paths, values
from p2c_analysis.pledges import QUARANTINE_COLUMNS, load_pledges

RECORD_FILES: tuple[Path, ...] = (paths.PUBLIC_PLEDGES, paths.PUBLIC_PLEDGES_ADDITIONS)
#: Date by which each bundled pledge file is known to have existed: public_pledges.csv was
#: bundled on 2026-11-29 (the repository's first commit); the additions were collected in
#: December 2026 (data/pledges/README.md).
FILE_VINTAGES: dict[str, dt.date] = {
    paths.PUBLIC_PLEDGES.name: dt.date(2026, 11, 29),
    paths.PUBLIC_PLEDGES_ADDITIONS.name: dt.date(2026, 12, 1),
}
UNDATED_RULES: tuple[str, ...] = ("vintage", "always")
ANNOUNCED = "announced"
ALWAYS = "undated; always included"
KNOWN_FROM_COLUMNS: tuple[str, ...] = (
    "pledge_id", "title", "pledger", "source_file", "announced_date", "announced_precision",
    "known_from", "date_basis", "in_record",
)


@dataclass
class PublicRecord:
    """The public record as known on ``as_of``.

    ``pledges``: canonical pledge table of the pledges known by ``as_of`` with statuses from the
    evidence dated by then (plus ``status_source``, ``status_date_basis``; see
    :func:`p2c_analysis.evidence.apply_events`), in file order. ``known_from``: every valid
    pledge of the files (:data:`KNOWN_FROM_COLUMNS`), with the date it enters the record and
    ``in_record``. ``quarantine``: rows set aside by the loader, with ``source_file``.
    ``events`` / ``unmatched_evidence``: see :class:`p2c_analysis.evidence.EvidenceMatch`.
    ``n_read`` = rows read over all files = valid + quarantined. ``files``: ``{file name:
    sha256}`` of every file the record rests on.
    """

    as_of: dt.date
    pledges: pd.DataFrame
    known_from: pd.DataFrame
    quarantine: pd.DataFrame
    events: pd.DataFrame
    unmatched_evidence: pd.DataFrame
    n_read: int
    files: dict[str, str]

    @property
    def n_valid(self) -> int:
        """Valid pledges over all files (in the record or not yet)."""
        return len(self.known_from)

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantine)


def period_end(date: pd.Series, precision: pd.Series) -> pd.Series:
    """Last day of each stated period: ``"year"`` -> 31 Dec, ``"month"`` -> the month's last
    day, ``"day"`` (or missing precision) -> the date itself; NaT stays NaT."""
    d = pd.to_datetime(date).astype("datetime64[ns]")
    prec = precision.astype("object")
    year_end = d + pd.offsets.YearEnd(0)
    month_end = d + pd.offsets.MonthEnd(0)
    out = d.where(~prec.eq("year").to_numpy(), year_end)
    return out.where(~prec.eq("month").to_numpy(), month_end).astype("datetime64[ns]")


def stated_period_end(texts: pd.Series) -> pd.Series:
    """:func:`period_end` of dates stated as text (``"2016"`` -> 31 Dec 2016, ``"2020-08"``
    -> 31 Aug 2020, ``"2022-06-07"`` itself, as :func:`parsing.parse_date` reads them); NaT
    where the text is no date."""
    from p2c_analysis import parsing

    dates, precisions = [], []
    for text in texts.tolist():
        try:
            when, precision = parsing.parse_date(text)
        except (parsing.ParseError, TypeError, ValueError):
            when, precision = pd.NaT, None
        dates.append(when)
        precisions.append(precision)
    return period_end(pd.Series(dates, index=texts.index, dtype="datetime64[ns]"),
                      pd.Series(precisions, index=texts.index, dtype="object"))


def known_rows(table: pd.DataFrame, ends: pd.Series, as_of: object) -> pd.DataFrame:
    """The rows of ``table`` known on ``as_of`` (a date, ``YYYY-MM-DD`` text; ``None`` or
    ``""`` = every row): those whose stated period ended by then (``ends``, aligned with
    ``table``); a row with no readable date (NaT) is kept."""
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return table
    keep = ends.isna() | (ends <= pd.Timestamp(as_of))
    return table.loc[keep.to_numpy()].reset_index(drop=True)


def known_from(pledges: pd.DataFrame, vintage: dt.date, undated: str = "vintage") -> pd.DataFrame:
    """``known_from`` (datetime64, NaT = always) and ``date_basis`` of each pledge of one file
    of vintage ``vintage`` (see the module docstring); index of ``pledges``."""
    if undated not in UNDATED_RULES:
        raise ValueError(f"undated={undated!r}: expected one of {UNDATED_RULES}")
    end = period_end(pledges["announced_date"], pledges["announced_precision"])
    dated = end.notna()
    no_date = pd.Timestamp(vintage) if undated == "vintage" else pd.NaT
    basis = evidence.undated_basis(vintage) if undated == "vintage" else ALWAYS
    return pd.DataFrame({
        "known_from": end.where(dated, no_date).astype("datetime64[ns]"),
        "date_basis": pd.array([ANNOUNCED if d else basis for d in dated], dtype="string"),
    }, index=pledges.index)


@cache.derived("record.valid")
def _valid(files: tuple[tuple[str, int], ...]) -> pd.DataFrame:
    """The valid pledges of the record files (with ``source_file``), per file version: derived
    data (:mod:`p2c_analysis.cache`), so a process reads them from the cache instead of
    parsing and validating the files again."""
    return _load(files)[0]


@cache.derived("record.quarantine")
def _quarantine(files: tuple[tuple[str, int], ...]) -> pd.DataFrame:
    """The rows of the record files set aside (with ``source_file``), per file version."""
    return _load(files)[1]


@cache.replayed
def _load(files: tuple[tuple[str, int], ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All record files loaded: (valid with ``source_file``, quarantine with ``source_file``),
    once per process and file version for :func:`_valid` and :func:`_quarantine` (each still
    records the files it rests on, for the cache's key and the report's ``data_files.json``)."""
    valid, quarantine = [], []
    seen: dict[str, str] = {}
    for name, _mtime in files:
        path = Path(name)
        res = load_pledges(path)
        v = res.valid.assign(source_file=path.name)
        dup = v["pledge_id"].isin(list(seen)).to_numpy()
        q = res.quarantine.assign(source_file=path.name)
        if dup.any():  # an id already in an earlier file: set aside, never merged
            extra = pd.DataFrame({
                "source_row": -1,
                "reasons": [f"duplicate pledge_id: {pid!r} (also in {seen[pid]})"
                            for pid in v.loc[dup, "pledge_id"]],
                "raw": [json.dumps({"pledge_id": pid, "title": t}, ensure_ascii=False)
                        for pid, t in zip(v.loc[dup, "pledge_id"], v.loc[dup, "title"],
                                          strict=True)],
                "source_file": path.name,
            })
            q = pd.concat([q, extra], ignore_index=True)
            v = v[~dup]
        seen.update(dict.fromkeys(v["pledge_id"].tolist(), path.name))
        valid.append(v)
        quarantine.append(q)
    q = pd.concat(quarantine, ignore_index=True)[["source_file", *QUARANTINE_COLUMNS]]
    q = q.astype({"source_file": "string", "source_row": "int64", "reasons": "string",
                  "raw": "string"})
    return pd.concat(valid, ignore_index=True), q


def load_record_files(files: tuple[Path, ...] = RECORD_FILES) -> tuple[pd.DataFrame,
                                                                      pd.DataFrame, int]:
    """The record files loaded (cached per file version, on disk as derived data):
    ``(valid, quarantine, n_read)``; ``valid`` is the canonical table plus ``source_file``;
    copies, safe to modify. ``n_read`` = rows read = valid + quarantined (a pledge set aside
    as a duplicate of an earlier file's moves from one to the other)."""
    key = tuple((str(paths.track(p)), p.stat().st_mtime_ns) for p in files)
    valid, q = _valid(key), _quarantine(key)
    return valid.copy(), q.copy(), len(valid) + len(q)


def public_record(as_of: object, undated: str = "vintage",
                  evidence_path: str | Path | None = None) -> PublicRecord:
    """The bundled public record as known on ``as_of`` (a date, ``"YYYY-MM-DD"``; an int year
    means 1 July). See the module docstring for which pledges are in and
    :mod:`p2c_analysis.evidence` for statuses. ``evidence_path``: status evidence file
    (default ``data/pledges/status_evidence.csv``)."""
    when = countries.as_of_date(as_of)
    valid, quarantine, n_read = load_record_files()
    parts = []
    for name, part in valid.groupby("source_file", sort=False):
        parts.append(known_from(part, FILE_VINTAGES.get(str(name), evidence.EVIDENCE_VINTAGE),
                                undated))
    kf = pd.concat(parts).reindex(valid.index)
    in_record = kf["known_from"].isna() | (kf["known_from"] <= pd.Timestamp(when))
    table = pd.DataFrame({
        "pledge_id": valid["pledge_id"], "title": valid["title"], "pledger": valid["pledger"],
        "source_file": valid["source_file"].astype("string"),
        "announced_date": valid["announced_date"],
        "announced_precision": valid["announced_precision"],
        "known_from": kf["known_from"], "date_basis": kf["date_basis"],
        "in_record": in_record.astype(bool),
    })
    canonical = valid.drop(columns="source_file")
    ev_file = paths.STATUS_EVIDENCE if evidence_path is None else Path(evidence_path)
    match = evidence.match_evidence(canonical, evidence.load_evidence(ev_file))
    known = values.known_on(canonical[in_record.to_numpy()].reset_index(drop=True), when)
    pledges = evidence.apply_events(known, match.events, when)
    files = {p.name: paths.sha256(p) for p in (*RECORD_FILES, ev_file)}
    return PublicRecord(as_of=when, pledges=pledges, known_from=table.reset_index(drop=True),
                        quarantine=quarantine, events=match.events,
                        unmatched_evidence=match.unmatched, n_read=n_read, files=files)

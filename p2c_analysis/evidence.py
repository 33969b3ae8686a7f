"""Dated status events: what was known about a pledge's progress, and when.

A pledge's status is not one value but a history. Each piece of information is an **event**
(one row of :data:`EVENT_COLUMNS`): ``pledge_id``, ``status`` (one of ``STATUSES``), ``date``
(``datetime64[ns]``: when the information was public), ``date_basis``, ``evidence`` (text),
``url``, ``source_kind``, ``match_rule`` and ``evidence_row``. Two kinds of source
(:data:`SOURCE_KINDS`):

- ``"self-reported"``: the ``status`` / ``last_report_date`` columns of a pledge export (what the
  pledger reported on the platform), see :func:`self_reported_events`;
- ``"public evidence"``: a dated public report of progress (``data/pledges/status_evidence.csv``:
  ``pledger, pledge_title, status, evidence, evidence_date, evidence_url``), matched to a pledge
  by :func:`match_evidence`.

Rules
-----
- **Matching public evidence** to a pledge: normalised pledger + normalised title
  (``parsing.text_key``: case, accents kept, punctuation and ``&``/"and" normalised) must equal
  those of exactly one pledge (``match_rule = "pledger + title"``). A row that matches no pledge,
  or several, or cannot be read (unknown status, impossible date) is **not dropped**: it is
  listed in ``unmatched`` with its reason.
- **Undated evidence** (no visible date on the page) is kept and placed at the vintage of the
  evidence file: the data were collected in December 2026, so it is taken as *known by*
  :data:`EVIDENCE_VINTAGE` (2026-12-01), with ``date_basis = "undated; known by 2026-12-01"``
  (dated rows: ``date_basis = "stated"``). It therefore counts only for dates on or after
  2026-12-01, never earlier: we cannot show it was public before then. It gives the pledge its
  status (and means it has reported), but it **dates nothing**: such a report is never a
  *recent* report (:mod:`p2c_analysis.progress`), and a status move resting on it is not dated
  in a window (:mod:`p2c_analysis.changes`, ``status_change_undated``): the page may be older.
- **Status as of a date** (:func:`status_as_of`): the latest event on or before the date; with
  no event yet the status is ``"unknown"`` and ``last_report_date`` is NaT (never reported). The
  ``last_report_date`` as of the date is the date of that latest event (for an undated event,
  its placement date, flagged by ``status_date_basis``). Events on the same day: the one higher
  on the ladder (announced < in progress < completed < withdrawn) wins, then public evidence
  over self-reported, then file order, so the outcome never depends on row order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from p2c_analysis import countries, fields, parsing, paths
from p2c_analysis.vocabulary import STATUSES, UNKNOWN

SELF_REPORTED = "self-reported"
PUBLIC_EVIDENCE = "public evidence"
SOURCE_KINDS: tuple[str, ...] = (SELF_REPORTED, PUBLIC_EVIDENCE)
#: The evidence file was collected in December 2026: undated rows are known by this date.
EVIDENCE_VINTAGE = dt.date(2026, 12, 1)
STATED = "stated"
MATCH_RULE = "pledger + title"
EVENT_COLUMNS: tuple[str, ...] = (
    "pledge_id", "status", "date", "date_basis", "evidence", "url", "source_kind", "match_rule",
    "evidence_row",
)
UNMATCHED_COLUMNS: tuple[str, ...] = (
    "evidence_row", "pledger", "pledge_title", "status", "date", "date_basis", "evidence", "url",
    "reason",
)
#: Columns :func:`apply_events` adds after the canonical ones.
STATUS_COLUMNS: tuple[str, ...] = ("status_source", "status_date_basis")
_RAW_COLUMNS = ("pledger", "pledge_title", "status", "evidence", "evidence_date", "evidence_url")


def undated_basis(known_by: dt.date) -> str:
    """The ``date_basis`` text of an event with no visible date, placed at ``known_by``."""
    return f"undated; known by {known_by.isoformat()}"


def pledge_key(pledger: object, title: object) -> str:
    """The matching key of a pledge: normalised pledger and title joined by ``|`` (missing
    text is the empty string)."""
    def norm(text: object) -> str:
        return "" if parsing.is_not_stated(text) else parsing.text_key(str(text))
    return f"{norm(pledger)}|{norm(title)}"


@dataclass
class EvidenceMatch:
    """What :func:`match_evidence` made of the evidence rows: ``events`` (one row per matched
    evidence row, :data:`EVENT_COLUMNS`) and ``unmatched`` (every row that is not an event,
    :data:`UNMATCHED_COLUMNS`, with its ``reason``). ``len(events) + len(unmatched)`` is the
    number of evidence rows."""

    events: pd.DataFrame
    unmatched: pd.DataFrame


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame({
        "pledge_id": pd.Series([], dtype="string"),
        "status": pd.Series([], dtype=fields.STATUS_DTYPE),
        "date": pd.Series([], dtype="datetime64[ns]"),
        **{c: pd.Series([], dtype="string") for c in
           ("date_basis", "evidence", "url", "source_kind", "match_rule")},
        "evidence_row": pd.Series([], dtype="Int64"),
    })


def _events_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty_events()
    df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    return df.astype({"pledge_id": "string", "status": fields.STATUS_DTYPE,
                      "date": "datetime64[ns]", "date_basis": "string", "evidence": "string",
                      "url": "string", "source_kind": "string", "match_rule": "string",
                      "evidence_row": "Int64"})


def load_evidence(path: str | Path | None = None,
                  vintage: dt.date = EVIDENCE_VINTAGE) -> pd.DataFrame:
    """The public-evidence file, one row per line, nothing dropped.

    Columns ``evidence_row`` (spreadsheet row number, header = 1), ``pledger``, ``pledge_title``,
    ``status`` (parsed to one of ``STATUSES``; ``<NA>`` when the text is no known status),
    ``status_as_stated``, ``evidence``, ``date`` (datetime64; an undated row is placed at
    ``vintage``; NaT when the date text cannot be read), ``date_as_stated`` (``<NA>`` = no
    visible date), ``date_basis`` (``"stated"`` or ``"undated; known by <vintage>"``), ``url``,
    ``problem`` (``<NA>``, or why the row cannot become an event). Default file:
    ``data/pledges/status_evidence.csv``. Raises ``ValueError`` naming the file when a column
    is missing.
    """
    p = paths.track(paths.STATUS_EVIDENCE if path is None else path)
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in _RAW_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{p.name}: missing column(s) {', '.join(missing)}")
    rows = []
    for i, r in enumerate(raw.to_dict("records")):
        problems: list[str] = []
        status: str | None = None
        try:
            status = parsing.parse_status(r["status"])
        except parsing.ParseError as err:
            problems.append(str(err))
        date_text = parsing.clean_text(r["evidence_date"])
        date, basis = pd.Timestamp(vintage), undated_basis(vintage)
        if date_text is not None:
            basis = STATED
            try:
                parsed = parsing.parse_date(date_text)
                date = parsed[0] if parsed else pd.NaT
            except parsing.ParseError as err:
                date = pd.NaT
                problems.append(str(err))
        rows.append({
            "evidence_row": i + 2, "pledger": parsing.clean_text(r["pledger"]),
            "pledge_title": parsing.clean_text(r["pledge_title"]), "status": status,
            "status_as_stated": parsing.clean_text(r["status"]),
            "evidence": parsing.clean_text(r["evidence"]), "date": date,
            "date_as_stated": date_text, "date_basis": basis,
            "url": parsing.clean_text(r["evidence_url"]),
            "problem": "; ".join(problems) or None,
        })
    cols = ["evidence_row", "pledger", "pledge_title", "status", "status_as_stated", "evidence",
            "date", "date_as_stated", "date_basis", "url", "problem"]
    out = pd.DataFrame(rows, columns=cols)
    text = [c for c in cols if c not in ("evidence_row", "date")]
    return out.astype({"evidence_row": "int64", "date": "datetime64[ns]",
                       **dict.fromkeys(text, "string")})


def match_evidence(pledges: pd.DataFrame, evidence: pd.DataFrame | None = None) -> EvidenceMatch:
    """Turn public evidence rows into status events of ``pledges`` (a canonical pledge table).

    ``evidence``: a :func:`load_evidence` table (default: the bundled file). Each row matches
    the pledge with the same normalised pledger + title (see the module docstring); rows that
    match none or several pledges, or cannot be read, go to ``unmatched`` with the reason.
    Events are sorted by ``pledge_id``, ``date``, ``evidence_row``.
    """
    ev = load_evidence() if evidence is None else evidence
    keys = pd.Series([pledge_key(p, t) for p, t in
                      zip(pledges["pledger"].tolist(), pledges["title"].tolist(), strict=True)])
    ids_by_key = pd.Series(pledges["pledge_id"].astype(str).to_numpy()).groupby(
        keys.to_numpy()).agg(list).to_dict()
    pledger_keys = {k.split("|", 1)[0] for k in ids_by_key}
    events, unmatched = [], []
    for r in ev.to_dict("records"):
        key = pledge_key(r["pledger"], r["pledge_title"])
        ids = ids_by_key.get(key, [])
        if not pd.isna(r["problem"]):
            reason = f"unreadable: {r['problem']}"
        elif len(ids) == 1:
            reason = None
        elif ids:
            reason = f"ambiguous: matches {len(ids)} pledges ({', '.join(sorted(ids))})"
        elif key.split("|", 1)[0] in pledger_keys:
            reason = "no pledge with this title from this pledger"
        else:
            reason = "no pledge from this pledger"
        if reason is None:
            events.append({"pledge_id": ids[0], "status": r["status"], "date": r["date"],
                           "date_basis": r["date_basis"], "evidence": r["evidence"],
                           "url": r["url"], "source_kind": PUBLIC_EVIDENCE,
                           "match_rule": MATCH_RULE, "evidence_row": r["evidence_row"]})
        else:
            unmatched.append({c: r.get(c) for c in UNMATCHED_COLUMNS if c != "reason"}
                             | {"reason": reason})
    out = _events_frame(events).sort_values(["pledge_id", "date", "evidence_row"],
                                            kind="stable").reset_index(drop=True)
    um = pd.DataFrame(unmatched, columns=list(UNMATCHED_COLUMNS))
    um = um.astype({c: "string" for c in UNMATCHED_COLUMNS if c not in ("evidence_row", "date")}
                   | {"evidence_row": "int64", "date": "datetime64[ns]"})
    return EvidenceMatch(events=out, unmatched=um)


def self_reported_events(pledges: pd.DataFrame, known_by: object) -> pd.DataFrame:
    """Events from a pledge export's own ``status`` and ``last_report_date`` columns.

    One event per pledge that states a status other than ``"unknown"`` or a report date:
    dated by ``last_report_date`` (``date_basis = "stated"``); with no report date, placed at
    ``known_by`` (the date the export describes, e.g. a snapshot's ``as_of``) with
    ``date_basis = "undated; known by <known_by>"``. ``source_kind = "self-reported"``,
    ``match_rule = "pledge_id"`` (the row itself), ``evidence``/``url``/``evidence_row`` missing.
    """
    when = countries.as_of_date(known_by)
    st = pledges["status"].astype("object").where(pledges["status"].notna(), UNKNOWN)
    st = st.astype(str).where(st.astype(str).isin(STATUSES), UNKNOWN)
    rep = pd.to_datetime(pledges["last_report_date"]).astype("datetime64[ns]")
    keep = (st != UNKNOWN) | rep.notna()
    n = int(keep.sum())
    if n == 0:
        return _empty_events()
    dated = rep[keep].notna().to_numpy()
    df = pd.DataFrame({
        "pledge_id": pledges.loc[keep, "pledge_id"].astype(str).to_numpy(),
        "status": st[keep].to_numpy(),
        "date": rep[keep].fillna(pd.Timestamp(when)).to_numpy(),
        "date_basis": [STATED if d else undated_basis(when) for d in dated],
        "evidence": None, "url": None, "source_kind": SELF_REPORTED, "match_rule": "pledge_id",
        "evidence_row": None,
    })
    return _events_frame(df.to_dict("records"))


def reported_after(pledges: pd.DataFrame, as_of: object) -> pd.Series:
    """Bool per pledge (index of ``pledges``): its own ``last_report_date`` (the first day of
    the stated period, as the loader reads it) is after ``as_of`` (a date, or what
    ``countries.as_of_date`` reads), so neither that report nor the status it carries was known
    on ``as_of``. A missing report date (NaT) is never after: a status stated with no report
    date stays known (nothing shows it is later). Columns may be Arrow-backed."""
    day = pd.Timestamp(countries.as_of_date(as_of))
    rep = pd.to_datetime(pledges["last_report_date"])
    return (rep > day).fillna(False).astype(bool)


def split_reported_after(pledges: pd.DataFrame, as_of: object
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A pledge file's own statuses cut at ``as_of``, as :func:`status_as_of` cuts events:
    ``(known, later)``.

    ``known``: ``pledges`` (same rows, order and index) where a pledge whose
    ``last_report_date`` is after ``as_of`` (:func:`reported_after`) gets the status of a
    pledge with no event by then: ``status = "unknown"`` (not yet reported as of ``as_of``: an
    export holds one status per pledge, so no earlier one is known), ``last_report_date`` NaT
    (never reported by then) and, when the table has them, ``status_source`` /
    ``status_date_basis`` ``<NA>``. A status with no report date is kept as known on
    ``as_of``. ``later``: those pledges' rows as the file states them (their status and report
    date), a fresh index, nothing lost."""
    after = reported_after(pledges, as_of).to_numpy(dtype=bool)
    later = pledges.loc[after].reset_index(drop=True)
    if not after.any():
        return pledges, later
    known = pledges.copy()  # masked in place of each column: its dtype is kept (Arrow too)
    known["status"] = known["status"].mask(after, UNKNOWN)
    known["last_report_date"] = known["last_report_date"].mask(after)
    for col in STATUS_COLUMNS:
        if col in known.columns:
            known[col] = known[col].mask(after)
    return known, later


def _latest(events: pd.DataFrame, as_of: object) -> pd.DataFrame:
    """The winning event per pledge among those dated on or before ``as_of`` (``None``: all)."""
    ev = events
    if as_of is not None:
        ev = events[pd.to_datetime(events["date"]) <= pd.Timestamp(countries.as_of_date(as_of))]
    rank = ev["status"].astype(fields.STATUS_DTYPE).cat.codes
    rank = rank.where(ev["status"].astype(str) != UNKNOWN, -1)  # "unknown" never wins a tie
    kind = (ev["source_kind"] == PUBLIC_EVIDENCE).astype(int)
    order = pd.DataFrame({"i": range(len(ev)), "date": ev["date"].to_numpy(),
                          "rank": rank.to_numpy(), "kind": kind.to_numpy()})
    order = order.sort_values(["date", "rank", "kind", "i"], kind="stable")
    ev = ev.iloc[order["i"].to_numpy()]
    return ev.drop_duplicates("pledge_id", keep="last")


def status_as_of(events: pd.DataFrame, as_of: object) -> pd.DataFrame:
    """Status of each pledge with an event on or before ``as_of`` (see module docstring;
    ``as_of=None``: no cut-off, the latest event of all).

    Columns ``pledge_id, status, last_report_date, status_source, status_date_basis, evidence,
    url``, sorted by ``pledge_id``. Pledges with no event by then are absent (their status is
    ``"unknown"``, see :func:`apply_events`).
    """
    last = _latest(events, as_of)
    out = pd.DataFrame({
        "pledge_id": last["pledge_id"].astype("string").to_numpy(),
        "status": last["status"].astype(fields.STATUS_DTYPE).to_numpy(),
        "last_report_date": pd.to_datetime(last["date"]).astype("datetime64[ns]").to_numpy(),
        "status_source": last["source_kind"].astype("string").to_numpy(),
        "status_date_basis": last["date_basis"].astype("string").to_numpy(),
        "evidence": last["evidence"].astype("string").to_numpy(),
        "url": last["url"].astype("string").to_numpy(),
    })
    out["status"] = out["status"].astype(fields.STATUS_DTYPE)
    return out.sort_values("pledge_id", kind="stable").reset_index(drop=True)


def apply_events(pledges: pd.DataFrame, events: pd.DataFrame, as_of: object) -> pd.DataFrame:
    """``pledges`` with ``status`` and ``last_report_date`` as of ``as_of`` from ``events``
    (``as_of=None``: the latest event of all, no cut-off).

    Every pledge gets the status of its latest event on or before ``as_of`` (no event:
    ``"unknown"``, ``last_report_date`` NaT) whatever the table said before: pass
    :func:`self_reported_events` among ``events`` to keep the export's own statuses. Adds
    ``status_source`` (a :data:`SOURCE_KINDS` value, ``<NA>`` when no event) and
    ``status_date_basis`` (``"stated"``, ``"undated; known by ..."``, ``<NA>``) after the other
    columns. Rows and their order are unchanged.
    """
    st = status_as_of(events, as_of).set_index("pledge_id")
    got = st.reindex(pd.Index(pledges["pledge_id"].astype(str).to_numpy()))
    out = pledges.copy()
    out["status"] = pd.Series(got["status"].astype(object).to_numpy(),
                              index=out.index).fillna(UNKNOWN).astype(fields.STATUS_DTYPE)
    out["last_report_date"] = pd.to_datetime(got["last_report_date"].to_numpy()).astype(
        "datetime64[ns]")
    for col in STATUS_COLUMNS:
        out[col] = pd.array(got[col].astype(object).to_numpy(), dtype="string")
    return out


NO_REPORT = "no report"


def status_sources(pledges: pd.DataFrame) -> pd.DataFrame:
    """Pledges and USD per status and where the status comes from: ``status, source, pledges,
    usd`` with ``source`` one of ``"public evidence"``, ``"self-reported"`` (a status in the
    pledge data; a table without a ``status_source`` column is all self-reported) and
    ``"no report"`` (status unknown); ``usd`` NaN when no pledge of the row states a value.
    Statuses in ``STATUSES`` order; only non-empty rows."""
    status = pledges["status"].astype(str)
    source = (pledges["status_source"].astype("object") if "status_source" in pledges
              else pd.Series(pd.NA, index=pledges.index, dtype="object"))
    source = source.where(source.notna(), SELF_REPORTED).where(status != UNKNOWN, NO_REPORT)
    df = pd.DataFrame({"status": status, "source": source, "usd": pledges["estimated_value_usd"]})
    g = df.groupby(["status", "source"], sort=False)["usd"]
    out = pd.DataFrame({"pledges": g.size(), "usd": g.sum(min_count=1)}).reset_index()
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES), ordered=True)
    return out.sort_values(["status", "source"]).reset_index(drop=True)


def events_with_pledges(events: pd.DataFrame, pledges: pd.DataFrame,
                        as_of: object = None) -> pd.DataFrame:
    """The status events (:data:`EVENT_COLUMNS`) dated on or before ``as_of`` (``None`` = all)
    with each pledge's ``title`` and ``pledger``, newest first: what a reader needs to check a
    status against its source."""
    ev = events
    if as_of is not None:
        ev = ev[ev["date"] <= pd.Timestamp(countries.as_of_date(as_of))]
    out = ev.merge(pledges[["pledge_id", "title", "pledger"]], on="pledge_id", how="left")
    cols = ["date", "title", "pledger", "status", "source_kind", "date_basis", "evidence", "url"]
    return out.sort_values(["date", "pledge_id"], ascending=[False, True])[cols].reset_index(
        drop=True)


def evidence_ids(events: pd.DataFrame | None, as_of: object = None) -> set[str]:
    """Ids of the pledges with public evidence of progress dated on or before ``as_of``
    (``None`` = any date); empty when there are no events (a pledge file of one's own)."""
    if events is None or events.empty:
        return set()
    ev = events[events["source_kind"].eq(PUBLIC_EVIDENCE)]
    if as_of is not None:
        ev = ev[ev["date"] <= pd.Timestamp(countries.as_of_date(as_of))]
    return set(ev["pledge_id"].astype(str))

"""Benchmark: pledge quality at platform scale, ours (pyarrow/numpy) vs DuckDB SQL.

Generates ``--n`` synthetic pledges (:func:`p2c_analysis.synthetic.make_pledges`, all marked
``is_synthetic``; the ``beneficiaries``, ``sdgs`` and ``notes`` columns, which neither side reads,
are dropped to save memory) and gives each a synthetic title and description with quantities,
money, years, SDG numbers, percentages, ranges, vague quantities, country counts and the odd phone
number (:func:`synthetic_texts`). Then, side by side in one run:

- ours:   :func:`p2c_analysis.deliverables.extract` (deliverables, unparsed quantities, counts
          per pledge) + :func:`p2c_analysis.quality.score` (ingredients, SMART score, index,
          reasons, offline-rate ratio);
- DuckDB: the same extraction and scoring written in SQL, starting from the same pandas frame
          and the same rules: the regular expressions of ``deliverables`` (DuckDB's engine is
          RE2 too), the terms of ``data/harmonization/deliverable_terms.csv``, the rubric of
          ``data/harmonization/quality_rubric.toml`` (weights, modes, thresholds), the same
          country table and memberships (the Arrow conversion of the list columns is counted
          in DuckDB's time).

The script checks that both give the same score and index category for every pledge, the same
deliverables (pledge, quantity, unit) and the same number of unparsed quantities, then prints
the times (fastest of ``--repeat`` alternated runs), the ratio ours / DuckDB, and the peak
memory: ``ru_maxrss`` of this process (all stages so far: the
generator, ours, then DuckDB), the ``tracemalloc`` peak of one more run of ours alone, and the
peak RSS of a fresh process that reads the same pledges from Parquet and runs ours once (the
memory a real job needs, without the generator's leftovers).

Goal: ratio <= 2.0 and peak memory under 2 GB at 1,000,000 pledges.

    .venv/bin/python benchmarks/bench_quality.py --n 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from p2c_analysis import connectivity, countries, deliverables, memory, quality, synthetic
from p2c_analysis.vocabulary import STANDARD_GROUPS, TEXT_EXAMINED_CHARS

YEAR = 2024


def peak_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def hwm_mb() -> float:
    """Peak resident set size of this program (``VmHWM``), in MB: unlike ``ru_maxrss`` it
    starts afresh at ``exec``, so a child started by a large parent is measured alone."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return peak_mb()


def rss_mb() -> float:
    """Resident set size now, in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:  # pragma: no cover - not Linux
        return 0.0


class RssPeak:
    """Highest RSS seen while the block runs (sampled every 5 ms by a thread): the memory a
    step needs on top of what the process held before, which ``ru_maxrss`` cannot tell once
    an earlier step (the generator) peaked higher."""

    def __enter__(self) -> RssPeak:
        self.start = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


# --- synthetic texts ----------------------------------------------------------------------------

_DELIVERABLES = np.array([
    "people", "young people", "women and girls", "schools", "rural cell sites", "km of fibre",
    "hours of ICT training", "smartphones", "villages", "households", "teachers", "SMEs",
    "subscribers", "health centres", "community networks",
], dtype=object)
_VERBS = np.array(["Connect", "Train", "Reach", "Equip", "Bring broadband to", "Support",
                   "Provide digital skills to", "Build"], dtype=object)
_QUALIFIERS = np.array(["", "", "", "about ", "over ", "at least ", "up to ", "some "],
                       dtype=object)
_THEMES = np.array(["rural connectivity", "digital skills", "affordable devices",
                    "community networks", "satellite backhaul", "digital public goods",
                    "e-government services", "AI for health"], dtype=object)


def _fmt_quantity(rng: np.random.Generator, n: int) -> np.ndarray:
    """Quantities as written: '12,500', '3 million', 'two million', '2.5 million'."""
    base = rng.integers(1, 100_000, n)
    digits = pd.Series(base).map("{:,}".format).to_numpy(dtype=object)
    millions = (pd.Series(rng.integers(1, 120, n)).astype(str) + " million").to_numpy(object)
    words = np.array(["one million", "two million", "ten thousand", "five thousand"],
                     dtype=object)[rng.integers(0, 4, n)]
    decimal = (pd.Series(rng.integers(11, 99, n) / 10).astype(str) + " million").to_numpy(
        object)
    kind = rng.choice(4, n, p=[0.55, 0.25, 0.1, 0.1])
    return np.select([kind == 0, kind == 1, kind == 2], [digits, millions, words], decimal)


def _texts_chunk(rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array]:
    def pick(arr):
        return arr[rng.integers(0, len(arr), n)]

    def s(arr) -> pd.Series:
        return pd.Series(arr, dtype="str")

    q1, q2 = _fmt_quantity(rng, n), _fmt_quantity(rng, n)
    u1, u2 = pick(_DELIVERABLES), pick(_DELIVERABLES)
    year = s(rng.integers(2024, 2031, n).astype(str))
    usd = s(rng.integers(1, 900, n).astype(str))
    sdg = s(rng.integers(1, 18, n).astype(str))
    pct = s(rng.integers(5, 95, n).astype(str))
    ncountries = s(rng.integers(2, 60, n).astype(str))
    theme = s(pick(_THEMES))
    has_q_title = rng.random(n) < 0.6
    title = np.where(has_q_title,
                     (s(pick(_VERBS)) + " " + s(q1) + " " + s(u1) + " by " + year).to_numpy(),
                     ("USD " + usd + " million for " + theme).to_numpy())
    extra = rng.random(n)
    tail = np.select(
        [extra < 0.05, extra < 0.10, extra < 0.15, extra < 0.20],
        [" Contact +1 202 555 " + s(rng.integers(1000, 9999, n).astype(str)) + ".",
         " It will reach 10,000-20,000 learners.",
         " Millions of people stand to benefit.",
         " At least " + s(q2) + " by " + year + "."],
        default="")
    desc = ("The pledge commits to " + s(pick(_QUALIFIERS)) + s(q1) + " " + s(u1)
            + " and " + s(q2) + " " + s(u2) + " across " + ncountries + " countries by "
            + year + ", with USD " + usd + " million over five years. It supports SDG " + sdg
            + " and aims for " + pct + "% women among those reached." + s(tail))
    return (pa.array(title, type=pa.large_string()),
            pa.array(desc.to_numpy(), type=pa.large_string()))


def synthetic_texts(n: int, seed: int = 0, chunk: int = 100_000) -> tuple[pd.Series, pd.Series]:
    """(titles, descriptions) for ``n`` synthetic pledges: each names one or two quantified
    deliverables among money, years, SDG numbers, percentages and country counts; some have
    ranges, vague quantities, no unit, or a phone number. Vectorised, in chunks (memory);
    about 250 characters a pledge; Arrow-backed ``string`` Series."""
    rng = np.random.default_rng(seed + 1)
    titles, descs = [], []
    for lo in range(0, n, chunk):
        t, d = _texts_chunk(rng, min(chunk, n - lo))
        titles.append(t)
        descs.append(d)

    def series(chunks: list) -> pd.Series:
        arr = pa.concat_arrays(chunks) if chunks else pa.array([], pa.large_string())
        return pd.Series(pd.array(arr, dtype=pd.StringDtype()))

    return series(titles), series(descs)


# --- DuckDB -------------------------------------------------------------------------------------

def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duck_sql(pats: deliverables.Patterns, rubric: quality.Rubric) -> dict[str, str]:
    """The SQL of the baseline: extraction then scoring (same rules, see module docstring)."""
    groups = ", ".join(_sql_str(g) for g in deliverables.QUANTITY_GROUPS)
    q = _sql_str(pats.quantity)
    q_lower = _sql_str("^(?:" + pats.quantity.removeprefix("(?i)") + ")$")
    control = _sql_str(deliverables._CONTROL)
    number_ok = (f"regexp_matches(gr.number, {_sql_str(deliverables.WELL_FORMED_NUMBER)}) "
                 f"AND length(gr.number) <= {deliverables.MAX_NUMBER_CHARS} "
                 f"AND NOT (regexp_matches(gr.number, {_sql_str(deliverables.AMBIGUOUS_NUMBER)}) "
                 "AND trim(coalesce(gr.scale, '')) = '')")
    extract = f"""
CREATE OR REPLACE TEMP TABLE sent AS
WITH s AS (
  SELECT pos, field, string_split_regex(
           regexp_replace(left(coalesce(text, ''), {TEXT_EXAMINED_CHARS}), {control}, ' ', 'g'),
           {_sql_str(pats.sentence_end)}) AS parts
  FROM texts
)
SELECT pos, field, sno, trim(part) AS sentence,
       regexp_replace(part, {_sql_str(pats.skip)}, chr(1), 'g') AS neut
FROM (SELECT pos, field, unnest(parts) AS part, generate_subscripts(parts, 1) AS sno FROM s);

CREATE OR REPLACE TEMP TABLE q AS
WITH m AS (
  SELECT pos, field, sno, sentence, regexp_extract_all(neut, {q}) AS ms,
         string_split_regex(neut, {q}) AS gaps
  FROM sent WHERE regexp_matches(neut, {q})
), u AS (
  SELECT pos, field, sno, sentence, unnest(ms) AS m, generate_subscripts(ms, 1) AS k, gaps
  FROM m
), g AS (
  SELECT row_number() OVER () AS qid, pos, field, sno, k, sentence, m,
         regexp_extract(lower(m), {q_lower}, [{groups}]) AS gr,
         right(gaps[k], {deliverables.CONTEXT_CHARS}) AS before,
         regexp_replace(left(gaps[k + 1], {deliverables.CLAUSE_CHARS}),
                        {_sql_str(pats.clause_end)}, '') AS after
  FROM u
), w AS (
  SELECT qid, unnest(words) AS w, generate_subscripts(words, 1) AS r
  FROM (SELECT qid, list_slice(string_split_regex(trim(replace(after, ',', ' ')), '[ ]+'),
                               1, {deliverables.UNIT_WINDOW}) AS words FROM g)
), hit AS (
  SELECT w.qid,
         arg_min(v.unit, w.r) FILTER (WHERE v.unit IS NOT NULL) AS unit_hit,
         min(w.r) FILTER (WHERE v.unit IS NOT NULL) AS first_hit,
         min(w.r) FILTER (WHERE st.word IS NOT NULL) AS first_stop
  FROM w LEFT JOIN vocab v ON v.term = lower(w.w) LEFT JOIN stops st ON st.word = lower(w.w)
  GROUP BY w.qid
), c AS (
  SELECT g.*,
         CASE WHEN h.first_hit < coalesce(h.first_stop, 99) THEN h.unit_hit END AS unit0,
         CASE WHEN gr.number <> '' THEN
              CASE WHEN {number_ok} THEN CAST(replace(gr.number, ',', '') AS DOUBLE)
                                        * coalesce(sc.factor, 1.0) END
              ELSE wn.value * ws.factor END AS quantity,
         gr.number <> '' AND NOT ({number_ok}) AS malformed
  FROM g
  LEFT JOIN hit h ON h.qid = g.qid
  LEFT JOIN scales sc ON sc.word = trim(gr.scale)
  LEFT JOIN wordnums wn
    ON wn.word = regexp_replace(regexp_replace(gr.word_number, '[ ]+', ' ', 'g'),
                                '[ ][a-z]+$', '')
  LEFT JOIN scales ws ON ws.word = regexp_replace(gr.word_number, '^.*[ ]', '')
)
SELECT pos, field, sno, k, quantity, sentence, m,
       CASE WHEN unit0 = '(scope)' THEN NULL ELSE unit0 END AS unit0,
       coalesce(unit0 = '(scope)', false) AS scope,
       CASE WHEN gr.vague <> '' THEN 'vague quantity'
            WHEN malformed THEN 'malformed number'
            WHEN gr.range_high <> '' THEN 'range'
            WHEN unit0 IS NULL OR unit0 = '(scope)' THEN 'no known unit'
            WHEN NOT (quantity > 0 AND quantity <= {deliverables.MAX_QUANTITY})
                 THEN 'implausible number'
            ELSE '' END AS reason,
       regexp_matches(before, {_sql_str(pats.trained)}) AS bt,
       regexp_matches(before, {_sql_str(pats.connected)}) AS bc,
       regexp_matches(after, {_sql_str(pats.trained)}) AS aft_t,
       regexp_matches(after, {_sql_str(pats.connected)}) AS aft_c
FROM c;

CREATE OR REPLACE TEMP TABLE dl AS
SELECT pos, field, quantity,
       CASE WHEN unit0 = 'people' THEN
            CASE WHEN bt THEN 'people trained' WHEN bc THEN 'people connected'
                 WHEN aft_t THEN 'people trained' WHEN aft_c THEN 'people connected'
                 ELSE 'people reached' END
            ELSE unit0 END AS unit
FROM q WHERE NOT scope AND reason = ''
QUALIFY row_number() OVER (PARTITION BY pos, quantity,
                           CASE WHEN unit0 LIKE 'people%' THEN 'people' ELSE unit0 END
                           ORDER BY field, sno, k) = 1;
"""
    crit_sql, reason_sql, weights = [], [], []
    for c in rubric.criteria:
        parts = [f"CAST(i.{ing} AS DOUBLE)" for ing in c.ingredients]
        expr = (f"({' + '.join(parts)}) / {len(parts)}" if c.mode == "share"
                else f"CAST(greatest({', '.join('i.' + ing for ing in c.ingredients)}) "
                     "AS DOUBLE)")
        crit_sql.append(f"{c.weight} * {expr} AS {c.name}")
        weights.append(c.weight)
    total = sum(weights)
    score_expr = " + ".join(c.name for c in rubric.criteria)
    cases = " ".join(f"WHEN round(100.0 * ({score_expr}) / {total}, 9) >= {m - 1e-9} "
                     f"THEN {_sql_str(cat)}" for cat, m in rubric.index)
    for c in rubric.criteria:
        flags = ", ".join(f"CASE WHEN i.{ing} THEN '+{ing}' END" for ing in c.ingredients)
        reason_sql.append(f"'{c.name} ' || {c.name} || '/' || {c.weight} || ' ('"
                          f" || coalesce(concat_ws(', ', {flags}), 'none') || ')'")
    score = f"""
CREATE OR REPLACE TEMP TABLE nd AS SELECT pos, count(*) AS n FROM dl GROUP BY pos;

CREATE OR REPLACE TEMP TABLE tgt AS
SELECT pos, iso3, via FROM (
  SELECT pos, unnest(target_countries) AS iso3, 'country' AS via FROM p
  UNION ALL
  SELECT p.pos, mm.iso3, 'region' AS via
  FROM (SELECT pos, unnest(target_regions) AS label FROM p
        WHERE len(target_countries) = 0) AS p
  JOIN members mm ON mm.label = p.label
) GROUP BY pos, iso3, via;

CREATE OR REPLACE TEMP TABLE rel AS
SELECT t.pos,
       sum(CASE WHEN c.population IS NOT NULL AND c.offline IS NOT NULL
                THEN c.offline END)
       / sum(CASE WHEN c.population IS NOT NULL AND c.offline IS NOT NULL
                  THEN c.population END)
       / (SELECT sum(offline) / sum(population) FROM ct
          WHERE population IS NOT NULL AND offline IS NOT NULL) AS ratio,
       bool_or(t.via = 'country' AND t.iso3 IN (SELECT iso3 FROM priority)) AS prio_country
FROM tgt t LEFT JOIN ct c ON c.iso3 = t.iso3
GROUP BY t.pos;

CREATE OR REPLACE TEMP TABLE ing AS
SELECT p.pos,
  len(p.focus_areas) > 0 AS focus_area,
  len(p.target_countries) + len(p.target_regions) > 0 AS target_geography,
  coalesce(nd.n, 0) > 0 OR regexp_matches(left(coalesce(p.title, ''), {TEXT_EXAMINED_CHARS}),
                                         {_sql_str(pats.units_in_text)}) AS named_deliverable,
  coalesce(nd.n, 0) > 0 AS quantity,
  p.estimated_value_usd IS NOT NULL AS value,
  coalesce(p.value_basis = 'in_kind', false) OR p.pledge_type = 'In-kind' AS in_kind_resource,
  p.target_year IS NOT NULL AS target_year,
  p.value_years IS NOT NULL OR regexp_matches(
      left(coalesce(p.title, ''), {TEXT_EXAMINED_CHARS}) || ' '
      || left(coalesce(p.description, ''), {TEXT_EXAMINED_CHARS}),
      {_sql_str(quality.PERIOD_PATTERN)}) AS stated_period,
  coalesce(rel.prio_country, false)
    OR len(list_intersect(p.target_regions, (SELECT list(label) FROM prio_labels))) > 0
    AS priority_group,
  coalesce(rel.ratio, 0) > {rubric.offline_rate_ratio_above}
    AND len(p.target_countries) + len(p.target_regions) > 0 AS offline_ratio,
  p.source_url IS NOT NULL AS source_url,
  p.last_report_date IS NOT NULL AS reporting_record,
  false AS public_evidence
FROM p LEFT JOIN nd ON nd.pos = p.pos LEFT JOIN rel ON rel.pos = p.pos;

CREATE OR REPLACE TEMP TABLE sc AS
SELECT pos, round(100.0 * ({score_expr}) / {total}, 1) AS score,
       CASE {cases} END AS idx,
       concat_ws('; ', {', '.join(reason_sql)}) AS reasons
FROM (SELECT i.*, {', '.join(crit_sql)} FROM ing i) AS i;
"""
    return {"extract": extract, "score": score}


def duck(con, pledges: pd.DataFrame, sql: dict[str, str]) -> dict[str, float]:
    t0 = time.perf_counter()
    n = len(pledges)
    texts = pa.table({
        "pos": pa.array(np.concatenate([np.arange(n), np.arange(n)]).astype(np.int64)),
        "field": pa.array(np.repeat(np.array([0, 1], dtype=np.int8), n)),
        "text": pa.concat_arrays([pa.array(pledges["title"], type=pa.large_string()),
                                  pa.array(pledges["description"], type=pa.large_string())]),
    })

    def lists(col):
        return pa.array(pledges[col].to_numpy(), type=pa.list_(pa.string()))

    p = pa.table({
        "pos": pa.array(np.arange(n, dtype=np.int64)),
        "title": pa.array(pledges["title"], type=pa.large_string()),
        "description": pa.array(pledges["description"], type=pa.large_string()),
        "focus_areas": lists("focus_areas"), "target_countries": lists("target_countries"),
        "target_regions": lists("target_regions"),
        "estimated_value_usd": pa.array(pledges["estimated_value_usd"].to_numpy(),
                                        from_pandas=True),
        "value_basis": pa.array(pledges["value_basis"].astype(object), type=pa.string()),
        "pledge_type": pa.array(pledges["pledge_type"].astype(object), type=pa.string()),
        "target_year": pa.array(pledges["target_year"].astype("float64").to_numpy(),
                                from_pandas=True),
        "value_years": pa.array(pledges["value_years"].astype("float64").to_numpy(),
                                from_pandas=True),
        "source_url": pa.array(pledges["source_url"].astype(object), type=pa.string()),
        "last_report_date": pa.array(pledges["last_report_date"].to_numpy(),
                                     from_pandas=True),
    })
    t_arrow = time.perf_counter() - t0
    con.register("texts", texts)
    con.register("p", p)
    t1 = time.perf_counter()
    con.execute(sql["extract"])
    t_extract = time.perf_counter() - t1
    t2 = time.perf_counter()
    con.execute(sql["score"])
    t_score = time.perf_counter() - t2
    con.unregister("texts")
    con.unregister("p")
    return {"arrow": t_arrow, "extract": t_extract, "score": t_score}


def ours(pledges: pd.DataFrame, ct: pd.DataFrame, members: dict) -> tuple:
    t0 = time.perf_counter()
    ex = deliverables.extract(pledges)
    t_ex = time.perf_counter() - t0
    sc = quality.score(pledges, year=YEAR, extraction=ex, country_table=ct,
                       memberships=members)
    return ex, sc, t_ex, time.perf_counter() - t0


def _members(pledges: pd.DataFrame) -> dict:
    labels = sorted(set(pledges["target_regions"].explode().dropna().astype(str))
                    | set(STANDARD_GROUPS))
    return {lab: countries.members(lab, as_of=YEAR) for lab in labels}


def measure_alone(path: str) -> int:
    """In a fresh process: read the synthetic pledges written by the main run (Parquet), run
    our extraction + scoring once, print the whole process's peak RSS as JSON. This is the
    memory a real job needs: the pledge table, the package, and the step, without the
    generator's temporary copies (which the main process still holds)."""
    pledges = pd.read_parquet(path)
    for col in ("focus_areas", "target_countries", "target_regions"):
        pledges[col] = [list(x) for x in pledges[col]]  # lists, as the loader gives them
    gc.collect()
    memory.release()  # the reader's buffers: not part of the job
    data_mb = rss_mb()
    ct = connectivity.for_year(YEAR)
    ex, sc, t_e, t_o = ours(pledges, ct, _members(pledges))
    print(json.dumps({"data_mb": data_mb, "peak_mb": hwm_mb(), "seconds": t_o,
                      "deliverables": len(ex.deliverables), "scored": len(sc.table)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of synthetic pledges")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs of each side, alternated (fastest kept)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    ap.add_argument("--measure-alone", metavar="PARQUET",
                    help="only measure extract + score on these pledges (the fresh process)")
    args = ap.parse_args(argv)
    if args.measure_alone:
        return measure_alone(args.measure_alone)

    t0 = time.perf_counter()
    pledges = synthetic.make_pledges(args.n, seed=args.seed)
    # columns neither side reads (memory): beneficiaries and SDG lists, notes
    pledges = pledges.drop(columns=["beneficiaries", "sdgs", "notes"])
    gc.collect()
    title, desc = synthetic_texts(args.n, seed=args.seed)
    pledges["title"] = title.array
    pledges["description"] = desc.array
    del title, desc
    gc.collect()
    t_gen = time.perf_counter() - t0
    assert bool(pledges["is_synthetic"].all())
    ct = connectivity.for_year(YEAR)
    members = _members(pledges)
    rubric = quality.load_rubric()
    pats = deliverables.patterns()
    terms = deliverables.load_terms()
    text_mb = (pledges["title"].str.len().sum() + pledges["description"].str.len().sum()) / 1e6
    print(f"pledges: {args.n:,} synthetic (seed {args.seed}), {text_mb:,.0f} MB of title and "
          f"description text, generated in {t_gen:.2f} s; peak RSS after generation "
          f"{peak_mb():,.0f} MB")

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.register("ct", ct[["iso3", "population", "offline"]])
    con.register("members", pd.DataFrame([(k, i) for k, v in members.items() for i in v],
                                         columns=["label", "iso3"]))
    prio = sorted(set().union(*(members.get(g) or countries.members(g, as_of=YEAR)
                                for g in rubric.priority_groups)))
    con.register("priority", pd.DataFrame({"iso3": prio}))
    con.register("prio_labels", pd.DataFrame({"label": list(rubric.priority_groups)}))
    con.register("vocab", pd.DataFrame({
        "term": [*terms.units, *sorted(terms.scope)],
        "unit": [*terms.units.values(), *["(scope)"] * len(terms.scope)]}))
    con.register("stops", pd.DataFrame({"word": list(pats.stop_words)}))
    con.register("scales", pd.DataFrame({"word": list(deliverables._SCALES),
                                         "factor": list(deliverables._SCALES.values())}))
    con.register("wordnums", pd.DataFrame({"word": list(deliverables._WORD_NUMBERS),
                                           "value": list(deliverables._WORD_NUMBERS.values())}))
    sql = duck_sql(pats, rubric)

    t_ours = t_ex_ours = t_duck = float("inf")
    parts: dict[str, float] = {}
    peak_ours = 0.0
    step = None
    for _ in range(args.repeat):
        with RssPeak() as watch:
            ex, sc, t_e, t_o = ours(pledges, ct, members)
        if t_o < t_ours:
            t_ours, t_ex_ours = t_o, t_e
        if not peak_ours:
            peak_ours, step = peak_mb(), watch
        t1 = time.perf_counter()
        d_parts = duck(con, pledges, sql)
        t_d = time.perf_counter() - t1
        if t_d < t_duck:
            t_duck, parts = t_d, d_parts
    peak_all = peak_mb()

    tracemalloc.start()
    ours(pledges, ct, members)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    # same numbers?
    d_sc = con.execute("SELECT pos, score, idx FROM sc ORDER BY pos").df()
    t = sc.table
    assert len(d_sc) == len(t)
    assert np.allclose(d_sc["score"].to_numpy(float), t["score"].to_numpy(float), atol=1e-6), \
        "scores differ"
    assert (d_sc["idx"].to_numpy(object) == t["index"].astype(str).to_numpy(object)).all(), \
        "index categories differ"
    d_n = con.execute("SELECT pos, count(*) AS n FROM dl GROUP BY pos").df()
    mine_n = ex.per_pledge["deliverables"].to_numpy()
    theirs_n = np.zeros(len(t), dtype=np.int64)
    theirs_n[d_n["pos"].to_numpy()] = d_n["n"].to_numpy()
    assert (mine_n == theirs_n).all(), f"deliverables per pledge differ: " \
        f"{int((mine_n != theirs_n).sum())} pledges"
    d_dl = con.execute("SELECT pos, quantity, unit FROM dl ORDER BY pos, quantity, unit").df()
    m_dl = pd.DataFrame({
        "pos": pd.Index(pledges["pledge_id"]).get_indexer(ex.deliverables["pledge_id"]),
        "quantity": ex.deliverables["quantity"].to_numpy(float),
        "unit": ex.deliverables["unit"].astype(str).to_numpy(),
    }).sort_values(["pos", "quantity", "unit"], kind="stable").reset_index(drop=True)
    assert len(m_dl) == len(d_dl), (len(m_dl), len(d_dl))
    assert (m_dl["pos"].to_numpy() == d_dl["pos"].to_numpy()).all(), "pledges differ"
    assert np.allclose(m_dl["quantity"].to_numpy(), d_dl["quantity"].to_numpy(float)), \
        "quantities differ"
    assert (m_dl["unit"].to_numpy() == d_dl["unit"].astype(str).to_numpy()).all(), \
        "units differ"
    d_un = con.execute("SELECT count(*) FROM q WHERE NOT scope AND reason <> ''").fetchone()[0]
    assert d_un == len(ex.unparsed), (d_un, len(ex.unparsed))

    t_duck_query = parts["extract"] + parts["score"]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"deliverables: {len(ex.deliverables):,}; unparsed quantities: "
          f"{len(ex.unparsed):,}; pledges scored: {len(t):,} (same in both)")
    print(f"ours  : {t_ours:7.3f} s  (extract {t_ex_ours:.3f} s + score "
          f"{t_ours - t_ex_ours:.3f} s)")
    print(f"duckdb: {t_duck:7.3f} s  (arrow conversion {parts['arrow']:.3f} s, extraction "
          f"{parts['extract']:.3f} s, scoring {parts['score']:.3f} s; threads={threads})")
    print(f"ratio ours/duckdb: {t_ours / t_duck:.2f} (goal <= 2.0); "
          f"vs duckdb queries only: {t_ours / t_duck_query:.2f}")
    print(f"peak memory (ru_maxrss, whole process): after ours {peak_ours:,.0f} MB, "
          f"after duckdb {peak_all:,.0f} MB (goal < 2048 MB)")
    print(f"our first run, sampled RSS: {step.start:,.0f} MB before (the data), peak "
          f"{step.peak:,.0f} MB: {step.peak - step.start:,.0f} MB for extract + score")
    print(f"peak memory of our extract + score alone (tracemalloc): {traced_peak:,.0f} MB")
    print("numbers agree: score and index of every pledge; every deliverable (pledge, "
          "quantity, unit); number of unparsed quantities")
    alone = _measure_in_fresh_process(pledges)
    print(f"fresh process (reads the {args.n:,} pledges from Parquet, then extract + score): "
          f"{alone['data_mb']:,.0f} MB with the data loaded, peak {alone['peak_mb']:,.0f} MB "
          f"(goal < 2048 MB), {alone['seconds']:.1f} s")
    return 0


def _measure_in_fresh_process(pledges: pd.DataFrame) -> dict:
    """Write the pledges to a temporary Parquet file and run :func:`measure_alone` on it in
    a new interpreter; its JSON line."""
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/pledges.parquet"
        pledges.to_parquet(path)
        done = subprocess.run([sys.executable, __file__, "--measure-alone", path],
                              capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    raise SystemExit(main())

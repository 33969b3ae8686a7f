"""Benchmark: what changed between two pledge snapshots, ours (pyarrow/pandas) vs DuckDB SQL.

Builds two synthetic snapshots of ``--n`` pledges (:func:`p2c_analysis.synthetic.make_pledges`,
``is_synthetic=True`` throughout) with about 10 % of the pledges changed between them:

- 2.5 % no longer listed, 2.5 % new (ids ``NEW-...``);
- 2.5 % with a new status (one step up the ladder, or back down from completed, or a withdrawn
  pledge reinstated, or an unknown one first reported);
- 2.5 % with a new value: stated amount up or down (``USD x million`` text and USD both
  change), newly stated, no longer stated, restated in euros, and - among the 1 % of pledges
  stated in euros in both snapshots - a different USD figure for the same ``EUR x million``
  (a conversion effect only).

Both are written as Parquet in the snapshot store's format
(:func:`p2c_analysis.snapshots.write_pledges_parquet`). Then, in fresh processes, alternated:

- ours:   ``snapshots.read_pledges_parquet(backend="arrow")`` of both files,
          ``changes.match_pledges`` (by id) + ``changes.changes_by_pledge`` +
          ``changes.status_transitions``;
- DuckDB: the same comparison in SQL on the same files (full outer join on ``pledge_id``;
          change kind from the same compared fields, status change and ladder direction, value
          change kind with the stated amount read from the ``<CUR> <x> million`` text), the
          per-pledge table materialised, then the same from -> to table.

The script checks that both give the same counts (change kinds, value change kinds, status
changes, moved backwards, the transitions table), then prints each engine's fastest time over
``--repeat`` rounds, the ratio ours / DuckDB and the peak resident set size of each worker
process (``ru_maxrss``: reading, comparing and the interpreter; the generator runs in the parent
process and is not counted).

Goal: ratio <= 2 and peak memory under 1 GB at 100,000 pledges.

    .venv/bin/python benchmarks/bench_changes.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

EUR_RATE = 1.08  # USD per EUR in the synthetic data (a made-up rate, not a WDI rate)


def peak_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


# --- the two snapshots -------------------------------------------------------------------------

def _millions(usd: np.ndarray) -> pd.Series:
    return pd.Series(np.round(usd / 1e6, 3)).map(lambda x: f"{x:g}")


def make_pair(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two synthetic snapshots (before, after) with about 10 % of pledges changed."""
    from p2c_analysis import synthetic

    rng = np.random.default_rng(seed)
    before = synthetic.make_pledges(n, seed)
    valued = np.flatnonzero(before["estimated_value_usd"].notna().to_numpy())
    eur = rng.choice(valued, n // 100, replace=False)  # 1 % stated in euros in both
    eur_amount = before.loc[eur, "estimated_value_usd"].to_numpy() / EUR_RATE
    before.loc[eur, "value_as_stated"] = ("EUR " + _millions(eur_amount) + " million").to_numpy()
    before.loc[eur, "currency"] = "EUR"

    after = before.copy()
    k = n // 40  # 2.5 %
    order = rng.permutation(np.setdiff1d(np.arange(n), eur))
    gone, status_rows, value_rows = order[:k], order[k:2 * k], order[2 * k:3 * k]
    step = {"announced": "in progress", "in progress": "completed", "completed": "in progress",
            "withdrawn": "announced", "unknown": "announced"}
    st = after.loc[status_rows, "status"].astype(str).map(step)
    after["status"] = after["status"].astype(object)
    after.loc[status_rows, "status"] = st.to_numpy()
    after["status"] = pd.Categorical(after["status"], dtype=before["status"].dtype)
    after.loc[status_rows, "last_report_date"] = pd.Timestamp("2026-03-31")
    _change_values(after, value_rows, rng)
    conv = eur[: len(eur) // 2]  # same EUR text, another USD figure
    after.loc[conv, "estimated_value_usd"] = after.loc[conv, "estimated_value_usd"] * 1.02
    new = synthetic.make_pledges(k, seed + 1)
    new["pledge_id"] = "NEW-" + new["pledge_id"].astype(str)
    after = pd.concat([after.drop(index=gone), new], ignore_index=True)
    return before, after


def _change_values(df: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Five kinds of value change, one fifth of ``rows`` each."""
    parts = np.array_split(rows, 5)
    usd = df["estimated_value_usd"]
    for kind, part in zip(("up", "down", "newly", "gone", "eur"), parts, strict=True):
        if kind in ("up", "down"):
            part = part[usd.loc[part].notna().to_numpy()]
            new = usd.loc[part].to_numpy() * (1.5 if kind == "up" else 0.5)
            df.loc[part, "estimated_value_usd"] = new
            df.loc[part, "value_as_stated"] = ("USD " + _millions(new) + " million").to_numpy()
        elif kind == "newly":
            part = part[usd.loc[part].isna().to_numpy()]
            new = np.round(rng.uniform(1, 50, len(part)), 1) * 1e6
            df.loc[part, "estimated_value_usd"] = new
            df.loc[part, "value_as_stated"] = ("USD " + _millions(new) + " million").to_numpy()
            df.loc[part, "currency"] = "USD"
        elif kind == "gone":
            part = part[usd.loc[part].notna().to_numpy()]
            df.loc[part, ["value_as_stated", "currency"]] = None
            df.loc[part, "estimated_value_usd"] = np.nan
        else:
            part = part[usd.loc[part].notna().to_numpy()]
            amount = usd.loc[part].to_numpy() / EUR_RATE
            df.loc[part, "value_as_stated"] = ("EUR " + _millions(amount) + " million").to_numpy()
            df.loc[part, "currency"] = "EUR"


# --- the two engines ---------------------------------------------------------------------------

def run_ours(before: Path, after: Path) -> tuple[float, dict]:
    from p2c_analysis import changes, snapshots

    t0 = time.perf_counter()
    cols = changes.COMPARISON_COLUMNS
    b = snapshots.read_pledges_parquet(before, backend="arrow", columns=cols)
    a = snapshots.read_pledges_parquet(after, backend="arrow", columns=cols)
    ch = changes.changes_by_pledge(b, a)
    tr = changes.status_transitions(ch)
    seconds = time.perf_counter() - t0
    return seconds, _counts(ch, tr)


COMPARED = ("title", "pledger", "stakeholder_type", "entity_country", "pledge_type",
            "focus_areas", "target_countries", "target_regions", "is_global", "announced_date",
            "target_year", "last_report_date", "beneficiaries", "sdgs", "description",
            "source_url")

SQL = """
WITH b AS (SELECT * FROM read_parquet($before)), a AS (SELECT * FROM read_parquet($after)),
j AS (
  SELECT b.pledge_id AS idb, a.pledge_id AS ida,
         CASE WHEN b.pledge_id IS NULL THEN NULL
              WHEN b.status IN ('announced','in progress','completed','withdrawn','unknown')
              THEN b.status ELSE 'unknown' END AS sb,
         CASE WHEN a.pledge_id IS NULL THEN NULL
              WHEN a.status IN ('announced','in progress','completed','withdrawn','unknown')
              THEN a.status ELSE 'unknown' END AS sa,
         b.estimated_value_usd AS ub, a.estimated_value_usd AS ua,
         coalesce(b.currency, 'USD') AS cb, coalesce(a.currency, 'USD') AS ca,
         b.value_as_stated AS tb, a.value_as_stated AS ta,
         {fields_differ} AS fields_differ
  FROM b FULL OUTER JOIN a ON b.pledge_id = a.pledge_id
),
k AS (
  SELECT *,
    list_position(['announced','in progress','completed'], sb) AS rb,
    list_position(['announced','in progress','completed'], sa) AS ra,
    CASE WHEN tb IS NOT NULL AND tb = ta THEN NULL
         ELSE coalesce(TRY_CAST(regexp_extract(tb, '([0-9.]+) million', 1) AS DOUBLE) * 1e6, ub)
    END AS amt_b,
    CASE WHEN tb IS NOT NULL AND tb = ta THEN NULL
         ELSE coalesce(TRY_CAST(regexp_extract(ta, '([0-9.]+) million', 1) AS DOUBLE) * 1e6, ua)
    END AS amt_a
  FROM j
),
v AS (
  SELECT *,
    CASE WHEN idb IS NULL OR ida IS NULL THEN NULL
         WHEN ub IS NULL AND ua IS NULL THEN 'unchanged'
         WHEN ub IS NULL THEN 'newly stated'
         WHEN ua IS NULL THEN 'no longer stated'
         WHEN cb <> ca THEN 'restated in another currency'
         WHEN (tb IS NOT NULL AND tb = ta) OR abs(amt_a - amt_b) <= 1e-9 * abs(amt_b)
           THEN CASE WHEN abs(ua - ub) <= 1e-9 * abs(ub) THEN 'unchanged'
                     ELSE 'conversion only' END
         WHEN amt_a > amt_b THEN 'up'
         ELSE 'down' END AS value_change,
    CASE WHEN idb IS NULL OR ida IS NULL THEN NULL
         WHEN sb = sa THEN 'unchanged'
         WHEN sa = 'withdrawn' THEN 'withdrawn'
         WHEN sb = 'withdrawn' AND ra IS NOT NULL THEN 'reinstated'
         WHEN sa = 'unknown' THEN 'no longer reported'
         WHEN sb = 'unknown' THEN 'first reported'
         WHEN ra > rb THEN 'forward'
         ELSE 'backward' END AS status_change,
    coalesce(rb IS NOT NULL AND ra IS NOT NULL AND ra < rb, false) AS moved_backwards
  FROM k
)
SELECT coalesce(ida, idb) AS pledge_id, idb, ida,
  CASE WHEN idb IS NULL THEN 'new' WHEN ida IS NULL THEN 'no longer listed'
       WHEN fields_differ OR sb <> sa OR value_change <> 'unchanged' THEN 'changed'
       ELSE 'unchanged' END AS change,
  sb AS status_before, sa AS status_after, status_change, moved_backwards, value_change,
  CASE WHEN ida IS NULL THEN ub ELSE ua END AS usd
FROM v
ORDER BY pledge_id, idb NULLS LAST
"""


def _sql() -> str:
    differ = " OR ".join(f"b.{f} IS DISTINCT FROM a.{f}" for f in COMPARED)
    return SQL.replace("{fields_differ}", f"({differ})")


def run_duckdb(before: Path, after: Path, threads: int) -> tuple[float, dict]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    t0 = time.perf_counter()
    sql = _sql().replace("$before", f"'{before}'").replace("$after", f"'{after}'")
    per_pledge = con.sql(sql).to_arrow_table()
    con.register("ch", per_pledge)
    tr = con.execute("""
        SELECT coalesce(status_before, 'not listed') AS status_before,
               coalesce(status_after, 'not listed') AS status_after,
               count(*) AS pledges, sum(coalesce(usd, 0)) AS value_usd
        FROM ch GROUP BY ALL""").df()
    seconds = time.perf_counter() - t0
    ch = per_pledge.to_pandas()
    return seconds, _counts(ch, tr)


def _counts(ch: pd.DataFrame, tr: pd.DataFrame) -> dict:
    """What both engines must agree on (plain Python types, sorted)."""
    def vc(col: str) -> dict:
        s = ch[col].astype(object).where(ch[col].notna(), "<NA>")
        return {str(k): int(v) for k, v in sorted(s.value_counts().items())}
    trans = sorted((str(r.status_before), str(r.status_after), int(r.pledges),
                    round(float(r.value_usd), -3)) for r in tr.itertuples(index=False))
    return {"rows": len(ch), "change": vc("change"), "value_change": vc("value_change"),
            "status_change": vc("status_change"),
            "moved_backwards": int(ch["moved_backwards"].sum()), "transitions": trans}


def worker(engine: str, folder: Path, repeat: int, threads: int) -> None:
    """One engine, ``repeat`` times, in this (fresh) process; prints a JSON line."""
    times, counts = [], None
    for _ in range(repeat):
        if engine == "ours":
            s, counts = run_ours(folder / "before.parquet", folder / "after.parquet")
        else:
            s, counts = run_duckdb(folder / "before.parquet", folder / "after.parquet", threads)
        times.append(s)
    print(json.dumps({"engine": engine, "times": times, "peak_mb": peak_mb(),
                      "counts": counts}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="pledges per snapshot")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (engines alternated)")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    ap.add_argument("--worker", choices=("ours", "duckdb"), help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.folder, 1, args.threads)
        return

    from p2c_analysis import snapshots

    t0 = time.perf_counter()
    before, after = make_pair(args.n, args.seed)
    assert before["is_synthetic"].all() and after["is_synthetic"].all()
    with tempfile.TemporaryDirectory(prefix="bench_changes_") as tmp:
        folder = Path(tmp)
        snapshots.write_pledges_parquet(before, folder / "before.parquet")
        snapshots.write_pledges_parquet(after, folder / "after.parquet")
        print(f"synthetic snapshots: {len(before):,} and {len(after):,} pledges "
              f"(generated and written in {time.perf_counter() - t0:.1f} s)")
        results: dict[str, list[dict]] = {"ours": [], "duckdb": []}
        for _ in range(args.repeat):
            for engine in ("ours", "duckdb"):
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", engine, "--folder", str(folder),
                     "--threads", str(args.threads)],
                    check=True, capture_output=True, text=True)
                results[engine].append(json.loads(out.stdout.strip().splitlines()[-1]))
    ours, duck = results["ours"], results["duckdb"]
    if ours[0]["counts"] != duck[0]["counts"]:
        raise SystemExit("ours and DuckDB disagree:\n" + json.dumps(ours[0]["counts"])
                         + "\n" + json.dumps(duck[0]["counts"]))
    c = ours[0]["counts"]
    print(f"both agree: {c['rows']:,} rows; change {c['change']}")
    print(f"  value change {c['value_change']}")
    print(f"  status change {c['status_change']}; moved backwards {c['moved_backwards']}")
    t_ours = min(t for r in ours for t in r["times"])
    t_duck = min(t for r in duck for t in r["times"])
    print(f"ours   {t_ours:.3f} s (fastest of {args.repeat}), peak RSS "
          f"{max(r['peak_mb'] for r in ours):,.0f} MB")
    print(f"DuckDB {t_duck:.3f} s ({args.threads} threads), peak RSS "
          f"{max(r['peak_mb'] for r in duck):,.0f} MB")
    print(f"ratio ours / DuckDB: {t_ours / t_duck:.2f} (goal <= 2)")


if __name__ == "__main__":
    main()

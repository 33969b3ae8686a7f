"""Benchmark: pledge allocation and coverage-by-group metrics, ours (pandas/numpy) vs DuckDB.

Generates ``--n`` synthetic pledges (:func:`p2c_analysis.synthetic.make_pledges`), then in the
same run:

- ours:   ``gaps.allocate`` (long pledge x country table) + ``gaps.coverage_by_group``
          (pledges targeting, pledge units, allocated USD per standard group);
- DuckDB: the same allocation (unnest targets, expand regions to all their members, those
          without data weighing 0, offline weights with the same equal fallback; pledges
          without targets kept apart: ``is_global`` ones as one ``GLOBAL`` row, the others -
          targets not stated - as one
          ``UNSTATED`` row; targets win over ``is_global``) materialised as a table, then the
          same group sums, starting from the same pandas frame (the Arrow conversion of the
          list columns is counted in DuckDB's time; the query-only time is printed too).

Both use the 2024 country table and the standard groups as of 2024 (membership lists are
built once, outside the timings). The script asserts that both give the same numbers, then
prints the times (fastest of ``--repeat`` alternated runs), the ratio ours / DuckDB and the
peak memory: ``ru_maxrss`` of this process (``resource.getrusage(RUSAGE_SELF)``, peak resident
set size, all stages so far included: the generator, then ours, then DuckDB), and the
``tracemalloc`` peak of one more run of ours alone (Python and numpy allocations).

Goal: ratio <= 2.0 and peak memory under 2 GB at 1,000,000 pledges.

    .venv/bin/python benchmarks/bench_allocation.py --n 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from p2c_analysis import connectivity, countries, gaps, quality, synthetic
from p2c_analysis.vocabulary import (
    GLOBAL_ISO3,
    GLOBAL_LABEL,
    STANDARD_GROUPS,
    UNSTATED_ISO3,
    UNSTATED_LABEL,
)

AS_OF = 2024


def peak_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


ALLOC_SQL = """
CREATE OR REPLACE TEMP TABLE alloc AS
WITH tc AS (
    SELECT pid, unnest(target_countries) AS iso3 FROM p WHERE len(target_countries) > 0
), tr AS (
    SELECT pid, unnest(target_regions) AS label FROM p
    WHERE len(target_countries) = 0 AND len(target_regions) > 0
), t AS (
    -- a region reaches all its members (gaps.reaching); a pledge has country or region rows
    SELECT DISTINCT pid, iso3, via FROM (
        SELECT pid, iso3, 0 AS via FROM tc
        UNION ALL
        SELECT tr.pid, m.iso3, 1 AS via FROM tr JOIN m ON tr.label = m.label
    )
), w AS (
    -- a region member without data (not in c) weighs 0 (gaps._region_outside)
    SELECT t.pid, t.iso3,
           CASE WHEN t.via = 1 AND c.iso3 IS NULL THEN 0.0 ELSE coalesce(c.offline, 0.0) END AS w
    FROM t LEFT JOIN c ON t.iso3 = c.iso3
), tot AS (
    SELECT pid, sum(w) AS tw, count(*) AS n FROM w GROUP BY pid
)
SELECT w.pid, w.iso3,
       CASE WHEN tot.tw > 0 THEN w.w / tot.tw ELSE 1.0 / tot.n END AS weight,
       p.value * (CASE WHEN tot.tw > 0 THEN w.w / tot.tw ELSE 1.0 / tot.n END) AS usd,
       false AS is_global_row, false AS is_unstated_row
FROM w JOIN tot ON w.pid = tot.pid JOIN p ON w.pid = p.pid
UNION ALL
SELECT pid, CASE WHEN is_global THEN 'GLOBAL' ELSE 'UNSTATED' END AS iso3, 1.0 AS weight,
       value AS usd, is_global AS is_global_row, NOT is_global AS is_unstated_row
FROM p WHERE len(target_countries) = 0 AND len(target_regions) = 0
"""

GROUP_SQL = """
SELECT g.grp AS "group",
       count(DISTINCT a.pid) AS pledges_targeting,
       count(DISTINCT CASE WHEN a.usd IS NOT NULL THEN a.pid END) AS pledges_with_value,
       -- members with no one offline keep their pledges, not their USD or units (gaps.py)
       coalesce(sum(CASE WHEN c.offline = 0 THEN 0.0 ELSE a.weight END), 0.0) AS pledge_units,
       coalesce(sum(CASE WHEN c.offline = 0 THEN 0.0 ELSE a.usd END), 0.0) AS allocated_usd
FROM alloc a JOIN g ON a.iso3 = g.iso3 LEFT JOIN c ON a.iso3 = c.iso3
GROUP BY g.grp
"""


def duck(con, pledges: pd.DataFrame):
    t0 = time.perf_counter()
    p = pa.table({
        "pid": pa.array(np.arange(len(pledges), dtype=np.int64)),
        "target_countries": pa.array(pledges["target_countries"].to_numpy(),
                                     type=pa.list_(pa.string())),
        "target_regions": pa.array(pledges["target_regions"].to_numpy(),
                                   type=pa.list_(pa.string())),
        "value": pa.array(pledges["estimated_value_usd"].to_numpy(), from_pandas=True),
        "is_global": pa.array(pledges["is_global"].to_numpy(dtype=bool, na_value=False)),
    })
    t_arrow = time.perf_counter() - t0
    con.register("p", p)
    t1 = time.perf_counter()
    con.execute(ALLOC_SQL)
    t_alloc = time.perf_counter() - t1
    t2 = time.perf_counter()
    cov = con.execute(GROUP_SQL).df()
    t_group = time.perf_counter() - t2
    con.unregister("p")
    return cov, {"arrow": t_arrow, "alloc": t_alloc, "group": t_group}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of synthetic pledges")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each side, alternated (fastest kept)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    pledges = synthetic.make_pledges(args.n, seed=args.seed)
    t_gen = time.perf_counter() - t0
    ct = connectivity.for_year(AS_OF)
    labels = sorted(set(pledges["target_regions"].explode().dropna().astype(str))
                    | set(STANDARD_GROUPS))
    members = {lab: countries.members(lab, as_of=AS_OF) for lab in labels}
    groups = {g: members[g] for g in STANDARD_GROUPS}
    print(f"pledges: {args.n:,} synthetic (seed {args.seed}), generated in {t_gen:.2f} s; "
          f"peak RSS after generation {peak_mb():,.0f} MB")

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.register("c", ct[["iso3", "offline"]])
    con.register("m", pd.DataFrame([(k, i) for k, v in members.items() for i in v],
                                   columns=["label", "iso3"]))
    con.register("g", pd.DataFrame([(k, i) for k, v in groups.items() for i in v],
                                   columns=["grp", "iso3"]))

    # alternate the two sides so that load from other processes hits both alike
    t_ours = t_alloc_ours = t_duck = float("inf")
    parts: dict[str, float] = {}
    peak_ours = 0.0
    for _ in range(args.repeat):
        t1 = time.perf_counter()
        alloc = gaps.allocate(pledges, ct, method="offline", memberships=members, year=AS_OF)
        t_a = time.perf_counter() - t1
        cov = gaps.coverage_by_group(pledges, groups, ct, method="offline",
                                     memberships=members, year=AS_OF)
        t_o = time.perf_counter() - t1
        if t_o < t_ours:
            t_ours, t_alloc_ours = t_o, t_a
        if not peak_ours:  # before DuckDB has run at all
            peak_ours = peak_mb()
        t1 = time.perf_counter()
        dcov, d_parts = duck(con, pledges)
        t_d = time.perf_counter() - t1
        if t_d < t_duck:
            t_duck, parts = t_d, d_parts
    n_alloc_duck = con.execute("SELECT count(*) FROM alloc").fetchone()[0]
    peak_all = peak_mb()

    # our own allocations, traced once more (Python + numpy heap; Arrow buffers not traced)
    tracemalloc.start()
    gaps.allocate(pledges, ct, method="offline", memberships=members, year=AS_OF)
    gaps.coverage_by_group(pledges, groups, ct, method="offline", memberships=members,
                           year=AS_OF)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    # same numbers?
    assert len(alloc) == n_alloc_duck, (len(alloc), n_alloc_duck)
    mine = cov[~cov["group"].isin([GLOBAL_LABEL, UNSTATED_LABEL, gaps.NO_ONE_OFFLINE_LABEL])
               ].set_index("group")
    theirs = dcov.set_index("group").reindex(mine.index)
    for col in ("pledges_targeting", "pledges_with_value"):
        assert (mine[col].to_numpy() == theirs[col].fillna(0).to_numpy()).all(), col
    for col in ("pledge_units", "allocated_usd"):
        assert np.allclose(mine[col].to_numpy(), theirs[col].fillna(0).to_numpy(),
                           rtol=1e-9, atol=1e-6), col
    # the pseudo-rows: same global / not-stated pledges and USD on both sides
    d_pseudo = con.execute(
        "SELECT iso3, count(*) AS n, coalesce(sum(usd), 0.0) AS usd FROM alloc "
        "WHERE iso3 IN ('GLOBAL', 'UNSTATED') GROUP BY iso3").df().set_index("iso3")
    for iso, flag in ((GLOBAL_ISO3, "is_global_row"), (UNSTATED_ISO3,
                                                            "is_unstated_row")):
        rows = alloc[alloc[flag]]
        n_d = int(d_pseudo.at[iso, "n"]) if iso in d_pseudo.index else 0
        usd_d = float(d_pseudo.at[iso, "usd"]) if iso in d_pseudo.index else 0.0
        assert len(rows) == n_d, (iso, len(rows), n_d)
        assert np.isclose(rows["usd"].sum(), usd_d, rtol=1e-9), iso
    # and the allocation sums back to each pledge's value
    positions = quality.pledge_positions(pledges, alloc["pledge_id"])
    sums = np.bincount(positions, weights=alloc["usd"].fillna(0).to_numpy(),
                       minlength=len(pledges))
    vals = np.nan_to_num(pledges["estimated_value_usd"].to_numpy())
    assert np.allclose(sums, vals, rtol=1e-9, atol=1e-3)

    t_duck_query = parts["alloc"] + parts["group"]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"allocation rows: {len(alloc):,} (same in both)")
    print(f"ours  : {t_ours:7.3f} s  (allocate {t_alloc_ours:.3f} s + coverage_by_group "
          f"{max(t_ours - t_alloc_ours, 0):.3f} s)")
    print(f"duckdb: {t_duck:7.3f} s  (arrow conversion {parts['arrow']:.3f} s, allocation "
          f"{parts['alloc']:.3f} s, group sums {parts['group']:.3f} s; "
          f"threads={threads})")
    print(f"ratio ours/duckdb: {t_ours / t_duck:.2f} (goal <= 2.0); "
          f"vs duckdb query only: {t_ours / t_duck_query:.2f}")
    print(f"peak memory (ru_maxrss, whole process): after ours {peak_ours:,.0f} MB, "
          f"after duckdb {peak_all:,.0f} MB (goal < 2048 MB)")
    print(f"peak memory of our allocate + coverage_by_group alone (tracemalloc): "
          f"{traced_peak:,.0f} MB")
    print("numbers agree: pledges_targeting, pledges_with_value, pledge_units, allocated_usd "
          f"for {len(mine)} groups; pseudo-rows: {int(alloc['is_global_row'].sum()):,} global, "
          f"{int(alloc['is_unstated_row'].sum()):,} not stated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Semantic search at 100,000 chunks: HNSW recall@10 and latency beside the exact scan.

    .venv/bin/python bench/semantic_search.py [--chunks 100000] [--queries 100]

Fills ``chunks`` with clustered 256-dimension unit vectors (Gaussian clusters around
random centroids, made in SQL), spread over ten owners' documents, under a model of its
own; then builds that model's HNSW index as the registry defines it. For each query
(drawn from the same clusters) it runs the app's own SQL (``lectern.ai.retrieval``):
through the index, and as an exact scan (index scans off, same statement). Recall@10 is
the share of the exact top 10 that the index found.

The filtered runs keep one owner's rows (10%), as visibility does: with pgvector's
iterative scan (what the app uses) and with the single pass, where the filter starves
the result.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

K = 10
OWNERS = 10
CLUSTERS = 500
# Noise per dimension around a centroid of N(0, 1) entries: a chunk is about 45 degrees
# from its centroid, so neighbours are near-ties, as with real text embeddings.
NOISE = 1.0
BATCH = 20_000
NOISE_POOL = 4096


@dataclass
class BenchModel:
    """A registry entry for the bench's vectors, so its index is built the app's way."""

    name: str
    dimensions: int
    provider: str = "bench"
    max_batch: int = 1


def fill(engine: Any, chunks: int, dims: int) -> tuple[int, list[Any], float, float]:
    """Load the rows, then build the index; (model id, owner ids, load s, build s)."""
    from sqlalchemy import text

    from lectern.embeddings.registry import embedding_expression, ensure_model, index_name

    model_id = ensure_model(BenchModel(f"bench-clustered-{dims}", dims), engine=engine)
    with engine.begin() as conn:
        # Loading into a built HNSW graph is far slower than building it once afterwards.
        conn.execute(text(f"DROP INDEX IF EXISTS {index_name(model_id)}"))
        conn.execute(text("SELECT setseed(0.42)"))
        owners = list(
            conn.execute(
                text(
                    "INSERT INTO users (id, email) SELECT gen_random_uuid(),"
                    " 'sem-' || i || '-' || gen_random_uuid() || '@bench.invalid'"
                    " FROM generate_series(1, CAST(:n AS int)) AS i RETURNING id"
                ),
                {"n": OWNERS},
            ).scalars()
        )
        conn.execute(
            text(
                "CREATE TABLE bench_docs AS SELECT row_number() OVER () - 1 AS n,"
                " gen_random_uuid() AS id, o AS owner_id FROM unnest(CAST(:o AS uuid[])) AS o"
            ),
            {"o": owners},
        )
        conn.execute(
            text(
                "INSERT INTO documents (id, owner_id, filename, content_type, size_bytes,"
                " object_key, status) SELECT id, owner_id, 'bench.txt', 'text/plain', 1,"
                " 'documents/bench/' || id, 'ready' FROM bench_docs"
            )
        )
        # Centroids, and a pool of noise vectors: a chunk is a centroid plus two of them,
        # which is as random as fresh noise per row and twenty times faster to make.
        for table, rows, scale in (
            ("bench_centroids", CLUSTERS, 1.0),
            ("bench_noise", NOISE_POOL, NOISE / math.sqrt(2)),
        ):
            conn.execute(
                text(
                    f"CREATE TABLE {table} AS SELECT n,"
                    " CAST(ARRAY(SELECT CAST(:scale AS float8) * random_normal() + 0 * n"
                    " FROM generate_series(1, CAST(:d AS int))) AS vector) AS v"
                    " FROM generate_series(0, CAST(:rows AS int) - 1) AS n"
                ),
                {"d": dims, "rows": rows, "scale": scale},
            )
    started = time.perf_counter()
    for low in range(0, chunks, BATCH):
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO chunks (id, source_type, document_id, owner_id, position,"
                    " content, token_count, source_version, model_id, embedding)"
                    " SELECT gen_random_uuid(), 'document', d.id, d.owner_id, i,"
                    " 'bench chunk ' || i, 8, 'bench', :model,"
                    " l2_normalize(c.v + a.v + b.v)"
                    " FROM generate_series(CAST(:low AS int), CAST(:high AS int)) AS i"
                    # Owner and cluster independent: each owner has a tenth of every cluster.
                    " JOIN bench_docs AS d ON d.n = mod(i / CAST(:clusters AS int), CAST(:owners AS int))"
                    " JOIN bench_centroids AS c ON c.n = mod(i, CAST(:clusters AS int))"
                    # Distinct (a, b) pairs for every row: b moves on with each lap of a.
                    " JOIN bench_noise AS a ON a.n = mod(i, CAST(:pool AS int))"
                    " JOIN bench_noise AS b"
                    " ON b.n = mod(7 * i + i / CAST(:pool AS int), CAST(:pool AS int))"
                ),
                {
                    "model": model_id,
                    "pool": NOISE_POOL,
                    "low": low,
                    "high": min(low + BATCH, chunks) - 1,
                    "owners": OWNERS,
                    "clusters": CLUSTERS,
                },
            )
    loaded = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(text("SET LOCAL max_parallel_maintenance_workers = 4"))
        # The registry's index (same name, expression, operator class and predicate).
        conn.execute(
            text(
                f"CREATE INDEX {index_name(model_id)} ON chunks"
                f" USING hnsw ({embedding_expression(dims)} vector_cosine_ops)"
                f" WHERE model_id = {int(model_id)}"
            )
        )
    built = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE chunks"))
    return model_id, owners, loaded - started, built - loaded


def queries(engine: Any, count: int, dims: int) -> list[str]:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.7)"))
        return list(
            conn.execute(
                text(
                    "SELECT CAST(l2_normalize(c.v + CAST(ARRAY(SELECT CAST(:noise AS float8)"
                    " * random_normal() + 0 * q FROM generate_series(1, CAST(:d AS int)))"
                    " AS vector)) AS text)"
                    " FROM generate_series(1, CAST(:n AS int)) AS q"
                    " JOIN bench_centroids AS c ON c.n = mod(q * 104729, CAST(:clusters AS int))"
                ),
                {"noise": NOISE, "d": dims, "n": count, "clusters": CLUSTERS},
            ).scalars()
        )


@dataclass
class Run:
    ids: list[list[Any]]
    times_ms: list[float]
    plan: str


def run(
    engine: Any,
    sql: str,
    params: dict[str, Any],
    vectors: list[str],
    *,
    exact: bool = False,
    mode: str | None = None,
    ef: int | None = None,
) -> Run:
    """Time the statement per query, with the app's scan settings unless told otherwise."""
    from sqlalchemy import text

    from lectern.ai.retrieval import configure_scan

    statement = text(sql)
    limits = {"k": K}

    def prepare(conn: Any) -> None:
        configure_scan(conn, K)
        if mode is not None:
            conn.execute(text(f"SET LOCAL hnsw.iterative_scan = {mode}"))
        if ef is not None:
            conn.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef)}"))
        if exact:
            conn.execute(text("SET LOCAL enable_indexscan = off"))

    ids: list[list[Any]] = []
    times: list[float] = []
    with engine.connect() as conn:
        with conn.begin():
            prepare(conn)
            explain = text("EXPLAIN " + sql)
            plan = "\n".join(
                conn.execute(explain, {**params, "query": vectors[0], **limits}).scalars()
            )
            for vector in vectors[:10]:  # warm the cache and the plan
                conn.execute(statement, {**params, "query": vector, **limits}).all()
        for vector in vectors:
            with conn.begin():
                prepare(conn)
                start = time.perf_counter()
                rows = conn.execute(statement, {**params, "query": vector, **limits}).all()
                times.append((time.perf_counter() - start) * 1e3)
            ids.append([r.id for r in rows])
    return Run(ids, times, plan)


def recall(found: list[list[Any]], truth: list[list[Any]]) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return hits / sum(len(t) for t in truth)


def used(plan: str, model_id: int) -> str:
    from lectern.embeddings.registry import index_name

    if index_name(model_id) in plan:
        return "hnsw"
    if "Bitmap" in plan:
        return "btree+sort"
    return "seq+sort"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--dims", type=int, default=256)
    args = parser.parse_args()

    from bench.harness import bulk_engine, embedded_stack
    from lectern.ai.retrieval import ef_search, nearest_sql

    with embedded_stack():
        engine = bulk_engine()
        model_id, owners, load_s, build_s = fill(engine, args.chunks, args.dims)
        print(
            f"{args.chunks:,} chunks x {args.dims} dims ({CLUSTERS} clusters): "
            f"load {load_s:.1f} s ({args.chunks / load_s:,.0f} rows/s), "
            f"HNSW build {build_s:.1f} s"
        )
        vectors = queries(engine, args.queries, args.dims)
        everyone = nearest_sql(model_id, args.dims, "TRUE")
        one_owner = nearest_sql(model_id, args.dims, "source_type = 'document' AND owner_id = :me")
        mine = {"me": owners[0]}

        exact = run(engine, everyone, {}, vectors, exact=True)
        app = f"ef_search={ef_search(K)}"
        rows = [
            ("exact scan", exact),
            (f"hnsw (app: {app})", run(engine, everyone, {}, vectors)),
            ("hnsw ef_search=40 (pgvector default)", run(engine, everyone, {}, vectors, ef=40)),
        ]
        exact_f = run(engine, one_owner, mine, vectors, exact=True)
        rows_f = [
            ("exact (owner filter)", exact_f),
            (f"iterative relaxed (app: {app})", run(engine, one_owner, mine, vectors)),
            ("iterative strict", run(engine, one_owner, mine, vectors, mode="strict_order")),
            ("iterative relaxed, ef_search=40", run(engine, one_owner, mine, vectors, ef=40)),
            ("single pass (iterative off)", run(engine, one_owner, mine, vectors, mode="off")),
            ("single pass, ef_search=40", run(engine, one_owner, mine, vectors, mode="off", ef=40)),
        ]
        engine.dispose()

    for title, base, table in (
        (f"all rows, k={K}, {len(vectors)} queries", exact, rows),
        (f"one owner's rows (10%), k={K}", exact_f, rows_f),
    ):
        base_ms = statistics.median(base.times_ms)
        print(f"\n{title}")
        print(
            f"{'method':38} {'plan':>10} {'recall@10':>9} {'hits':>5} {'median ms':>9} {'x exact':>8}"
        )
        for name, result in table:
            median = statistics.median(result.times_ms)
            hits = statistics.mean(len(i) for i in result.ids)
            print(
                f"{name:38} {used(result.plan, model_id):>10} {recall(result.ids, base.ids):9.3f}"
                f" {hits:5.1f} {median:9.2f} {base_ms / median:8.1f}"
            )


if __name__ == "__main__":
    main()

"""Full-text search over 100,000 lessons: the Postgres adapter beside Typesense and two
baselines, in the same run.

    .venv/bin/python bench/fulltext_search.py [--lessons 100000] [--runs 21] [--words 250]

Fills ``search_entries`` (COPY, 10,000 a batch) and, with the same lessons, the real
Typesense 0.24.1 of the local stack (the adapter's JSONL imports, 500 a request):
lessons of ``--words`` words on average drawn from a 5,000-word vocabulary (real
course words first, then made-up ones) with Zipf frequencies, spread over 2,000
courses, 90% published. Then VACUUM ANALYZE (which also merges the GIN pending list,
as autovacuum would).

Times ``PostgresIndex.search`` (synonym lookup, websearch + prefix tsquery, GIN match,
ts_rank_cd, count, ts_headline of the top 20) and ``TypesenseIndex.search`` (one
``multi_search`` over HTTP with the search-only key: the same visibility filter, typo
tolerance, prefix, count and highlights of the top 20) for the same one-word and
three-word queries, as an admin (every match is visible and ranked: the heavy case)
and as a learner enrolled in 20 courses. Beside them, for the admin: the Postgres
statement with index scans disabled (the stored tsvector, no GIN), and a naive
``ILIKE '%word%'`` scan over title and body. Prints median and p95 milliseconds, what
each found, and the ratios: Postgres / Typesense, and baseline / Postgres.
Without Typesense (not x86-64 Linux) its columns stay empty.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

BATCH = 10_000
COURSES = 2_000
VOCABULARY_SIZE = 5_000
REAL_WORDS = """
cell membrane nucleus mitochondria ribosome protein enzyme substrate receptor hormone
insulin glucose glycogen lipid fatty acid amino peptide chromosome gene allele mutation
mitosis meiosis cytoplasm organelle vesicle transport diffusion osmosis gradient pump
heart atrium ventricle valve artery vein capillary pressure rhythm cardiac output blood
plasma platelet clotting immune antibody antigen lymphocyte macrophage inflammation
neuron synapse axon dendrite potential neurotransmitter reflex brain cortex memory
kidney nephron filtration urine liver bile digestion stomach intestine absorption lung
alveolus ventilation oxygen carbon dioxide respiration photosynthesis chlorophyll
light energy metabolism catabolism anabolism pathway cycle krebs electron chain atp
equation function variable derivative integral limit matrix vector algebra geometry
probability statistics distribution sample mean variance hypothesis test regression
algorithm complexity recursion sorting search graph tree node edge network protocol
database query index transaction memory process thread compiler syntax grammar verb
noun sentence clause tense vocabulary essay argument evidence source history economy
market price demand supply inflation policy government law rights contract theory
model system structure function example exercise summary review introduction chapter
lesson student learn study practice question answer explain describe compare analyze
important common different similar simple complex basic advanced first second third
""".split()  # noqa: SIM905 - a word list reads best as text
SYLLABLES = "ka lo mi ne ru ta se vo pi da zu ke ro ma li no sa te be gu".split()  # noqa: SIM905


def vocabulary() -> list[str]:
    rng = random.Random(3)
    words = list(dict.fromkeys(REAL_WORDS))
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        made = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if made not in seen:
            seen.add(made)
            words.append(made)
    return words


def zipf_weights(n: int) -> list[float]:
    """Cumulative weights of rank r ~ 1 / (r + 2): a natural-language word frequency mix."""
    cumulative, total = [], 0.0
    for rank in range(n):
        total += 1 / (rank + 2)
        cumulative.append(total)
    return cumulative


def lessons_batches(lessons: int, words: int, vocab: list[str]) -> Iterator[list[Any]]:
    """The lessons, 10,000 a batch, as IndexDocs."""
    from lectern.search.port import IndexDoc

    rng = random.Random(5)
    weights = zipf_weights(len(vocab))
    courses = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(COURSES)]
    owners = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(200)]
    for start in range(0, lessons, BATCH):
        batch = []
        for g in range(start, min(lessons, start + BATCH)):
            title = " ".join(rng.choices(vocab, cum_weights=weights, k=3 + g % 3)).title()
            n = words // 2 + rng.randrange(words)
            chosen = rng.choices(vocab, cum_weights=weights, k=n)
            # Sentences of about twelve words.
            body = " ".join(w + "." if i % 12 == 11 else w for i, w in enumerate(chosen))
            batch.append(
                IndexDoc(
                    type="lesson",
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    title=title,
                    body=body,
                    course_id=courses[g % COURSES],
                    owner_id=owners[g % len(owners)],
                    published=rng.random() < 0.9,
                )
            )
        yield batch


def fill(url: str, lessons: int, words: int, vocab: list[str], typesense: Any | None) -> None:
    """Text made here, streamed into Postgres with COPY and into Typesense by the adapter's
    imports, 10,000 lessons a batch."""
    import csv
    import io

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    spent = {"postgres": 0.0, "typesense": 0.0}
    # COPY goes through the driver's own connection, so it is the driver's commit that
    # ends each batch (SQLAlchemy's would see no transaction of its own and do nothing).
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET statement_timeout = 0")
        done = 0
        for batch in lessons_batches(lessons, words, vocab):
            t0 = time.perf_counter()
            buffer = io.StringIO()
            out = csv.writer(buffer)
            for d in batch:
                out.writerow(
                    [
                        d.type,
                        d.id,
                        d.title,
                        d.body,
                        d.course_id,
                        d.owner_id,
                        "t" if d.published else "f",
                    ]
                )
            buffer.seek(0)
            cursor.execute(
                "COPY search_entries"
                " (entity_type, entity_id, title, body, course_id, owner_id, published)"
                " FROM STDIN WITH (FORMAT csv)",
                stream=buffer,
            )
            raw.commit()
            spent["postgres"] += time.perf_counter() - t0
            if typesense is not None:
                t0 = time.perf_counter()
                refused = typesense.upsert(batch)
                assert not refused, list(refused.values())[:3]
                spent["typesense"] += time.perf_counter() - t0
            done += len(batch)
            print(
                f"  {done:>9,} lessons  (Postgres {spent['postgres']:5.1f} s,"
                f" Typesense {spent['typesense']:5.1f} s)",
                flush=True,
            )
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t0 = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE search_entries"))
        size = conn.execute(
            text("SELECT pg_size_pretty(pg_total_relation_size('search_entries'))")
        ).scalar()
        rows = conn.execute(text("SELECT count(*) FROM search_entries")).scalar()
    assert rows == lessons, f"search_entries holds {rows} lessons, not {lessons}"
    if typesense is not None:
        held = typesense.client.get(f"/collections/{typesense.collection}").json()
        assert held["num_documents"] == lessons, held["num_documents"]
    print(
        f"  vacuumed and analyzed in {time.perf_counter() - t0:.1f} s;"
        f" search_entries with indexes: {size}"
    )
    engine.dispose()


def timed(fn: Callable[[int], Any], runs: int) -> list[float]:
    fn(-1)  # warm the cache and the connection
    samples = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def queries(vocab: list[str], runs: int) -> dict[str, list[str]]:
    rng = random.Random(11)

    weights = zipf_weights(len(vocab))

    def skewed() -> str:
        return rng.choices(vocab, cum_weights=weights)[0]

    # One word: spread over common and mid-frequency words (ranks 5..800).
    one = [vocab[rng.randrange(5, 800)] for _ in range(runs + 1)]
    # Three words drawn like the text itself, so some co-occur often and some rarely.
    three = [" ".join(skewed() for _ in range(3)) for _ in range(runs + 1)]
    return {"1 word": one, "3 words": three}


def open_typesense() -> tuple[Any, Any] | None:
    """The stack's Typesense: an admin client to fill it, and the search-only one the
    search function uses (its key registered as the migrate function does)."""
    if "LECTERN_TYPESENSE_URL" not in os.environ:
        return None
    from lectern.core.cache import reset_cached_clients
    from lectern.search.factory import (
        ensure_search_key,
        get_typesense_index,
        get_typesense_search_index,
    )

    os.environ["LECTERN_SEARCH_BACKEND"] = "typesense"
    os.environ["LECTERN_TYPESENSE_COLLECTION"] = "lectern_bench"
    reset_cached_clients()  # the settings were read before
    assert ensure_search_key()
    writer = get_typesense_index()
    writer.ensure_schema({})
    # A 500-lesson import at 100,000 lessons may take longer than a route's 5 s.
    writer.client.timeout = httpx_timeout(120.0)  # type: ignore[attr-defined]
    reader = get_typesense_search_index()
    return writer, reader


def httpx_timeout(seconds: float) -> Any:
    import httpx

    return httpx.Timeout(seconds, connect=2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--words", type=int, default=250)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack(
        typesense=True,
        LECTERN_DB_STATEMENT_TIMEOUT_MS="600000",
        POWERTOOLS_METRICS_DISABLED="true",
    ) as stack:
        vocab = vocabulary()
        typesense = open_typesense()
        if typesense is None:
            print(f"no Typesense ({stack.typesense_skipped}): Postgres and baselines only")
        print(f"filling {args.lessons:,} lessons ...")
        fill(
            os.environ["LECTERN_DATABASE_URL"],
            args.lessons,
            args.words,
            vocab,
            typesense[0] if typesense else None,
        )
        rows, plan_uses_gin = run(args, vocab, typesense[1] if typesense else None)

    print()
    print(f"{args.lessons:,} lessons, ~{args.words} words each, median of {args.runs} queries")
    header = (
        f"{'query':18} {'Postgres ms':>11} {'p95':>7} {'found':>6} "
        f"{'Typesense ms':>12} {'p95':>7} {'found':>6} {'PG/TS':>6} "
        f"{'no GIN ms':>9} {'ratio':>7} {'ILIKE ms':>9} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, ours, found, ts, ts_found, no_gin, ilike in rows:
        mid = statistics.median(ours)
        line = f"{name:18} {mid:11.2f} {p95(ours):7.2f} {statistics.median(found):6.0f} "
        if ts:
            ts_mid = statistics.median(ts)
            line += (
                f"{ts_mid:12.2f} {p95(ts):7.2f} {statistics.median(ts_found):6.0f} "
                f"{mid / ts_mid:5.1f}x "
            )
        else:
            line += f"{'-':>12} {'-':>7} {'-':>6} {'-':>6} "
        if no_gin:
            line += (
                f"{statistics.median(no_gin):9.1f} {statistics.median(no_gin) / mid:6.1f}x "
                f"{statistics.median(ilike):9.1f} {statistics.median(ilike) / mid:6.1f}x"
            )
        print(line)
    print("PG/TS = Postgres median / Typesense median (> 1: Typesense is faster)")
    print("ratio = baseline median / Postgres median (> 1: the Postgres adapter is faster)")
    print("found: median matches; Typesense also counts typo and prefix matches of its own")
    for kind, n in plan_uses_gin.items():
        print(f"{kind}: {n} of {args.runs} admin plans use the GIN index")
    print("(a seq scan is chosen for words most lessons hold: ranking every match dominates)")


Row = tuple[str, list[float], list[int], list[float], list[int], list[float], list[float]]


def run(
    args: argparse.Namespace, vocab: list[str], typesense: Any | None
) -> tuple[list[Row], dict[str, int]]:
    from sqlalchemy import text

    from lectern.db.engine import get_sessionmaker
    from lectern.search.port import Viewer
    from lectern.search.postgres import PostgresIndex

    rows: list[Row] = []
    asked = queries(vocab, args.runs)
    with get_sessionmaker()() as db:
        courses = [
            r[0] for r in db.execute(text("SELECT DISTINCT course_id FROM search_entries LIMIT 20"))
        ]
        viewers = {
            "admin": Viewer(user_id=uuid.uuid4(), is_admin=True),
            "learner": Viewer(user_id=uuid.uuid4(), enrolled_course_ids=tuple(courses)),
        }
        index = PostgresIndex(db)
        for kind, words in asked.items():
            for who, viewer in viewers.items():
                found: list[int] = []

                def ours(
                    i: int,
                    words: list[str] = words,
                    viewer: Viewer = viewer,
                    found: list[int] = found,
                ) -> None:
                    _hits, n = index.search(words[i + 1], ["lesson"], viewer, 20)
                    if i >= 0:
                        found.append(n)
                    db.rollback()

                mine = timed(ours, args.runs)
                ts_times: list[float] = []
                ts_found: list[int] = []
                if typesense is not None:

                    def theirs(
                        i: int,
                        words: list[str] = words,
                        viewer: Viewer = viewer,
                        found: list[int] = ts_found,
                    ) -> None:
                        _hits, n = typesense.search(words[i + 1], ["lesson"], viewer, 20)
                        if i >= 0:
                            found.append(n)

                    ts_times = timed(theirs, args.runs)
                no_gin, ilike = (
                    baselines(db, index, words, viewer, args.runs) if who == "admin" else ([], [])
                )
                rows.append((f"{kind}, {who}", mine, found, ts_times, ts_found, no_gin, ilike))
                ts_note = f", Typesense {statistics.median(ts_times):.2f} ms" if ts_times else ""
                print(
                    f"  {kind}, {who}: Postgres {statistics.median(mine):.2f} ms{ts_note}",
                    flush=True,
                )

        uses_gin = gin_plans(db, index, asked, viewers["admin"])
    return rows, uses_gin


def baselines(
    db: Any, index: Any, words: list[str], viewer: Any, runs: int
) -> tuple[list[float], list[float]]:
    """The Postgres statement without its GIN index, and a naive ILIKE scan."""
    from sqlalchemy import text

    def without_gin(i: int) -> None:
        db.execute(text("SET enable_bitmapscan = off"))
        db.execute(text("SET enable_indexscan = off"))
        index.search(words[i + 1], ["lesson"], viewer, 20)
        db.rollback()
        db.execute(text("RESET enable_bitmapscan"))
        db.execute(text("RESET enable_indexscan"))
        db.commit()

    def naive(i: int) -> None:
        terms = words[i + 1].split()
        where = " AND ".join(f"(title ILIKE :p{j} OR body ILIKE :p{j})" for j in range(len(terms)))
        db.execute(
            text(
                "SELECT entity_id, title, left(body, 200), count(*) OVER ()"
                f" FROM search_entries WHERE entity_type = 'lesson' AND {where}"
                " ORDER BY entity_id LIMIT 20"
            ),
            {f"p{j}": f"%{t}%" for j, t in enumerate(terms)},
        ).all()
        db.rollback()

    return timed(without_gin, runs), timed(naive, runs)


def gin_plans(db: Any, index: Any, asked: dict[str, list[str]], viewer: Any) -> dict[str, int]:
    """How many of each kind's queries the planner runs on the GIN index, as the adapter
    sends them (its session settings included)."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
        seen.append((statement, params))

    engine = db.get_bind()
    uses_gin: dict[str, int] = {}
    for kind, words in asked.items():
        uses_gin[kind] = 0
        for query in words[1:]:
            seen.clear()
            event.listen(engine, "before_cursor_execute", record)
            index.search(query, ["lesson"], viewer, 20)
            event.remove(engine, "before_cursor_execute", record)
            statement, params = next((s, p) for s, p in seen if "ts_rank_cd" in s)
            cursor = db.connection().connection.cursor()
            cursor.execute("EXPLAIN " + statement, params)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            uses_gin[kind] += "ix_search_entries_document" in plan
            db.rollback()
    return uses_gin


if __name__ == "__main__":
    main()

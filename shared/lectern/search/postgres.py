"""The Postgres full-text adapter: ``search_entries`` with its generated, weighted tsvector.

A query is rewritten word by word through ``search_synonyms`` (common student typos),
then matched as ``websearch_to_tsquery`` (quotes, ``or``, ``-word``), OR'ed with the same
query whose last word is a prefix (``to_tsquery('mito:*')``), so results appear while the
user is still typing. Ranked by ``ts_rank_cd`` (title weighs A, body B); the snippet is a
``ts_headline`` of the first ``HEADLINE_CHARS`` of the body, for the returned rows only.
The ``@@`` match uses the GIN index on ``document``; visibility is a filter on its result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TSQUERY, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lectern.search.models import SearchEntry, SearchSynonym
from lectern.search.port import (
    MARK_END,
    MARK_START,
    EntityType,
    Hit,
    IndexDoc,
    Key,
    Viewer,
    rules_for,
    safe_snippet,
)

# ts_headline parses the whole text it is given; the cap bounds its cost per hit.
HEADLINE_CHARS = 8000
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=12, "
    'ShortWord=3, MaxFragments=2, FragmentDelimiter=" … "'
)
# ts_rank_cd normalization 1: divide by 1 + log(length), so long lessons do not win on
# size alone.
RANK_NORMALIZATION = 1
MAX_PREFIX_CHARS = 64

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_TRAILING_WORD = re.compile(r"(^|[^\w'-])([^\W_]+)$")
_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")


# -- the query, in plain functions (unit-tested) -------------------------------------------


def query_words(query: str) -> list[str]:
    """The lower-cased words of a query, as the synonyms table is keyed."""
    return [m.group(0).lower() for m in _WORD.finditer(query)]


def rewrite(query: str, synonyms: Mapping[str, str]) -> str:
    """Replace each word that is a known typo by the word the index knows; keep the rest
    of the query (quotes, ``or``, ``-``) as typed."""
    if not synonyms:
        return query
    return _WORD.sub(lambda m: synonyms.get(m.group(0).lower(), m.group(0)), query)


def split_prefix(query: str) -> tuple[str, str | None]:
    """The query without its last word, and that word when it may be a prefix.

    Only a bare trailing word qualifies: not one inside an open quote, not an
    excluded ``-word``, not the ``or`` operator. The word holds letters and digits only,
    so it cannot carry tsquery syntax into ``to_tsquery``.
    """
    typed = query.rstrip()
    if typed != query or typed.count('"') % 2:
        return query, None
    match = _TRAILING_WORD.search(typed)
    if match is None:
        return query, None
    word = match.group(2)
    if word.lower() == "or" or len(word) > MAX_PREFIX_CHARS:
        return query, None
    return typed[: match.start(2)].rstrip(), word.lower()


def tsquery_sql(query: str) -> ColumnElement[Any]:
    """websearch(query) || (websearch(head) && prefix(last word)), as one tsquery."""
    full = func.websearch_to_tsquery(_CONFIG, query, type_=TSQUERY)
    head, prefix = split_prefix(query)
    if prefix is None:
        return full
    with_prefix = func.websearch_to_tsquery(_CONFIG, head, type_=TSQUERY).op(
        "&&", return_type=TSQUERY
    )(func.to_tsquery(_CONFIG, prefix + ":*", type_=TSQUERY))
    return full.op("||", return_type=TSQUERY)(with_prefix)


def visibility_sql(viewer: Viewer, types: Sequence[EntityType]) -> ColumnElement[bool]:
    """The rows of these types this viewer may find, by each type's registered rule."""
    e = SearchEntry
    if viewer.is_admin:
        return true()
    me = viewer.user_id
    clauses: list[ColumnElement[bool]] = []
    for entity_type, rule in rules_for(types).items():
        admitted: list[ColumnElement[bool]] = []
        if rule.published:
            admitted.append(e.published.is_(True))
        if me is not None and rule.owner:
            admitted.append(e.owner_id == me)
        if me is not None and rule.enrolled and viewer.enrolled_course_ids:
            admitted.append(
                and_(e.published.is_(True), e.course_id.in_(viewer.enrolled_course_ids))
            )
        if admitted:
            clauses.append(and_(e.entity_type == entity_type, or_(*admitted)))
    return or_(*clauses) if clauses else false()


# -- the adapter ----------------------------------------------------------------------------


def _row(doc: IndexDoc) -> dict[str, Any]:
    return {
        "entity_type": doc.type,
        "entity_id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "course_id": doc.course_id,
        "owner_id": doc.owner_id,
        "published": doc.published,
    }


class PostgresIndex:
    """``search_entries`` through the caller's session: nothing here commits."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def ensure_schema(self, synonyms: Mapping[str, str]) -> None:
        """The table and its synonyms come with the migrations."""

    def check(self) -> None:
        self.db.execute(select(1))

    def _write(self, rows: list[dict[str, Any]]) -> None:
        stmt = insert(SearchEntry).values(rows)
        new = stmt.excluded
        columns = ("title", "body", "course_id", "owner_id", "published")
        stmt = stmt.on_conflict_do_update(
            index_elements=[SearchEntry.entity_type, SearchEntry.entity_id],
            set_={**{c: new[c] for c in columns}, "updated_at": func.now()},
            # An unchanged entry is not rewritten: no new tsvector, no GIN churn, when a
            # course change re-sends all its lessons.
            where=tuple_(*(SearchEntry.__table__.c[c] for c in columns)).is_distinct_from(
                tuple_(*(new[c] for c in columns))
            ),
        )
        self.db.execute(stmt)

    def upsert(self, docs: Sequence[IndexDoc]) -> dict[Key, str]:
        unique = {doc.key: doc for doc in docs}
        if not unique:
            return {}
        try:
            with self.db.begin_nested():
                self._write([_row(d) for d in unique.values()])
            return {}
        except DBAPIError:
            pass
        # One entry broke the batch: write them one by one, so only that one fails.
        failed: dict[Key, str] = {}
        for key, doc in unique.items():
            try:
                with self.db.begin_nested():
                    self._write([_row(doc)])
            except DBAPIError as exc:
                failed[key] = f"{type(exc.orig).__name__}: {str(exc.orig)[:200]}"
        return failed

    def delete(self, keys: Sequence[Key]) -> None:
        if keys:
            self.db.execute(
                delete(SearchEntry).where(
                    tuple_(SearchEntry.entity_type, SearchEntry.entity_id).in_(list(keys))
                )
            )

    def synonyms_for(self, query: str) -> dict[str, str]:
        words = sorted(set(query_words(query)))
        if not words:
            return {}
        rows = self.db.execute(
            select(SearchSynonym.term, SearchSynonym.replacement).where(
                SearchSynonym.term.in_(words)
            )
        )
        return {term: replacement for term, replacement in rows}

    def search(
        self, query: str, types: Sequence[EntityType], viewer: Viewer, limit: int
    ) -> tuple[list[Hit], int]:
        if not types:
            return [], 0
        tsq = tsquery_sql(rewrite(query, self.synonyms_for(query)))
        # The tsvectors live in TOAST: a sequential scan must detoast every row to test
        # @@, which the planner does not charge for, so it picks that scan for matches of
        # a few percent of the table (60 ms instead of 5 at 100,000 lessons). Random reads
        # cost about what sequential ones do on SSD storage (Neon): say so, for this
        # transaction only.
        self.db.execute(text("SET LOCAL random_page_cost = 1.1"))
        e = SearchEntry
        rank = func.ts_rank_cd(e.document, tsq, RANK_NORMALIZATION, type_=Float).label("rank")
        top = (
            select(
                e.entity_type,
                e.entity_id,
                e.title,
                e.body,
                rank,
                func.count().over().label("found"),
            )
            .where(e.document.op("@@")(tsq), e.entity_type.in_(list(types)))
            .where(visibility_sql(viewer, types))
            .order_by(rank.desc(), e.entity_type, e.entity_id)
            .limit(limit)
            .subquery("top")
        )
        snippet = func.ts_headline(
            _CONFIG, func.left(top.c.body, HEADLINE_CHARS), tsq, HEADLINE_OPTIONS
        )
        rows = self.db.execute(
            select(
                top.c.entity_type, top.c.entity_id, top.c.title, top.c.rank, top.c.found, snippet
            ).order_by(top.c.rank.desc(), top.c.entity_type, top.c.entity_id)
        ).all()
        hits = [
            Hit(
                type=r.entity_type,
                id=r.entity_id,
                title=r.title,
                snippet=safe_snippet(r[5] or ""),
                score=round(float(r.rank), 6),
            )
            for r in rows
        ]
        return hits, int(rows[0].found) if rows else 0

"""The Typesense adapter (Typesense 30 HTTP API, through httpx).

- One collection (``LECTERN_TYPESENSE_COLLECTION``): id ``<type>:<uuid>``, type, title,
  body, course_id, owner_id, published. Its synonyms are a synonym set
  (``<collection>-synonyms``) of one-way items: the typo is the root, the word the index
  knows its synonym.
- Writes are ``POST .../documents/import?action=upsert`` (JSONL). Typesense answers 200
  even when some lines fail: each result line is read, and a ``success: false`` line
  fails its document only.
- Deletes are per id; 404 means it is already gone.
- Searches go through ``POST /multi_search`` so a long visibility filter (many enrolled
  courses) travels in the body, not the URL; ``filter_by`` carries the same rules as the
  Postgres adapter. Typo tolerance and prefix matching are Typesense's.
- Any transport error, timeout, 5xx or unexpected answer is ``DependencyUnavailable``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic_settings import SettingsConfigDict

from lectern.config import SettingsGroup
from lectern.core.secrets import secret_or_value
from lectern.errors import DependencyUnavailable
from lectern.search.port import (
    MARK_END,
    MARK_START,
    EntityType,
    Hit,
    IndexDoc,
    Key,
    Viewer,
    doc_id,
    entity_types,
    rules_for,
    safe_snippet,
)

if TYPE_CHECKING:
    import httpx

API_KEY_HEADER = "X-TYPESENSE-API-KEY"
# Title matches count three times a body match.
QUERY_BY = "title,body"
QUERY_BY_WEIGHTS = "3,1"
IMPORT_BATCH = 500


def schema(collection: str) -> dict[str, Any]:
    return {
        "name": collection,
        "fields": [
            {"name": "type", "type": "string", "facet": True},
            {"name": "title", "type": "string"},
            {"name": "body", "type": "string"},
            {"name": "course_id", "type": "string", "optional": True},
            {"name": "owner_id", "type": "string"},
            {"name": "published", "type": "bool"},
        ],
        "synonym_sets": [synonym_set_name(collection)],
    }


def synonym_set_name(collection: str) -> str:
    return f"{collection}-synonyms"


def document(doc: IndexDoc) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": doc.doc_id,
        "type": doc.type,
        "title": doc.title,
        "body": doc.body,
        "owner_id": str(doc.owner_id),
        "published": doc.published,
    }
    if doc.course_id is not None:
        out["course_id"] = str(doc.course_id)
    return out


def _quoted(value: object) -> str:
    # Backticks make a filter value literal (ids hold '-' and ':').
    return f"`{value}`"


def _any_of(values: Sequence[object]) -> str:
    return "[" + ",".join(_quoted(v) for v in values) + "]"


def filter_by(types: Sequence[EntityType], viewer: Viewer) -> str:
    """Typesense's ``filter_by`` for the registered visibility rules of these types."""
    if viewer.is_admin:
        return f"type:{_any_of(types)}"
    me = _quoted(viewer.user_id) if viewer.user_id is not None else None
    clauses: list[str] = []
    for entity_type, rule in rules_for(types).items():
        admitted: list[str] = []
        if rule.published:
            admitted.append("published:=true")
        if me is not None and rule.owner:
            admitted.append(f"owner_id:={me}")
        if me is not None and rule.enrolled and viewer.enrolled_course_ids:
            admitted.append(f"(published:=true && course_id:{_any_of(viewer.enrolled_course_ids)})")
        if admitted:
            either = admitted[0] if len(admitted) == 1 else f"({' || '.join(admitted)})"
            clauses.append(f"type:={entity_type} && {either}")
    if not clauses:
        # An empty filter_by would match everything: the caller asks only for types the
        # viewer may see some of.
        raise ValueError(f"no entry of {list(types)} is visible to this viewer")
    if len(clauses) == 1 and me is None:
        return clauses[0]
    return " || ".join(f"({clause})" for clause in clauses)


def _key(document_id: str) -> tuple[EntityType, uuid.UUID]:
    entity_type, _, raw = document_id.partition(":")
    if entity_type not in entity_types():
        raise ValueError(f"not a Lectern document id: {document_id!r}")
    return entity_type, uuid.UUID(raw)


class TypesenseSettings(SettingsGroup):
    """The Typesense cluster, read only when ``LECTERN_SEARCH_BACKEND=typesense``."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_TYPESENSE_")

    url: str | None = None
    api_key: str | None = None
    api_key_secret: str | None = None
    collection: str = "lectern"


class TypesenseIndex:
    def __init__(
        self,
        url: str,
        api_key: str,
        collection: str,
        *,
        timeout_seconds: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        self.collection = collection
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={API_KEY_HEADER: api_key},
            timeout=httpx.Timeout(timeout_seconds, connect=2.0),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: TypesenseSettings, *, secret_max_age: int) -> TypesenseIndex:
        if not settings.url:
            raise DependencyUnavailable("search", "LECTERN_TYPESENSE_URL is not set")
        key = secret_or_value(
            secret=settings.api_key_secret,
            value=settings.api_key,
            dependency="search",
            setting="LECTERN_TYPESENSE_API_KEY",
            max_age=secret_max_age,
        )
        return cls(settings.url, key, settings.collection)

    def close(self) -> None:
        self.client.close()

    # -- HTTP ---------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> httpx.Response:
        import httpx

        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("search", f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code not in ok:
            raise DependencyUnavailable(
                "search", f"{method} {path}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise DependencyUnavailable("search", "Typesense answered with invalid JSON") from exc

    # -- the port -----------------------------------------------------------------------

    def check(self) -> None:
        body = self._json(self._send("GET", "/health"))
        if not (isinstance(body, dict) and body.get("ok") is True):
            raise DependencyUnavailable("search", "Typesense /health is not ok")

    def ensure_schema(self, synonyms: Mapping[str, str]) -> None:
        name = synonym_set_name(self.collection)
        items = [
            {"id": f"typo-{term}", "root": term, "synonyms": [replacement]}
            for term, replacement in sorted(synonyms.items())
        ]
        # The set first: the collection names it.
        self._send("PUT", f"/synonym_sets/{name}", json={"items": items})
        found = self._send("GET", f"/collections/{self.collection}", ok=(200, 404))
        if found.status_code == 404:
            # 409: another drain made it meanwhile.
            self._send("POST", "/collections", json=schema(self.collection), ok=(201, 409))
            return
        current = self._json(found)
        if name not in (current.get("synonym_sets") or []):
            self._send("PATCH", f"/collections/{self.collection}", json={"synonym_sets": [name]})

    def upsert(self, docs: Sequence[IndexDoc]) -> dict[Key, str]:
        unique = list({doc.key: doc for doc in docs}.values())
        failed: dict[Key, str] = {}
        for start in range(0, len(unique), IMPORT_BATCH):
            batch = unique[start : start + IMPORT_BATCH]
            failed.update(self._import(batch))
        return failed

    def _import(self, batch: Sequence[IndexDoc]) -> dict[Key, str]:
        body = "\n".join(json.dumps(document(d), separators=(",", ":")) for d in batch)
        response = self._send(
            "POST",
            f"/collections/{self.collection}/documents/import",
            params={"action": "upsert"},
            content=body.encode(),
            headers={"Content-Type": "text/plain"},
        )
        lines = [line for line in response.text.splitlines() if line.strip()]
        if len(lines) != len(batch):
            raise DependencyUnavailable(
                "search", f"import answered {len(lines)} lines for {len(batch)} documents"
            )
        failed: dict[Key, str] = {}
        # One result line per document, in the order sent.
        for doc, line in zip(batch, lines, strict=True):
            try:
                result = json.loads(line)
            except ValueError:
                failed[doc.key] = f"unreadable import result: {line[:200]}"
                continue
            if not (isinstance(result, dict) and result.get("success") is True):
                error = result.get("error") if isinstance(result, dict) else None
                failed[doc.key] = str(error or line)[:500]
        return failed

    def delete(self, keys: Sequence[Key]) -> None:
        for entity_type, entity_id in dict.fromkeys(keys):
            self._send(
                "DELETE",
                f"/collections/{self.collection}/documents/{doc_id(entity_type, entity_id)}",
                ok=(200, 404),
            )

    def search(
        self, query: str, types: Sequence[EntityType], viewer: Viewer, limit: int
    ) -> tuple[list[Hit], int]:
        if not types:
            return [], 0
        params = {
            "collection": self.collection,
            "q": query,
            "query_by": QUERY_BY,
            "query_by_weights": QUERY_BY_WEIGHTS,
            "prefix": "true,true",
            "filter_by": filter_by(types, viewer),
            "per_page": limit,
            "page": 1,
            "include_fields": "id,type,title",
            "highlight_fields": "body,title",
            "highlight_start_tag": MARK_START,
            "highlight_end_tag": MARK_END,
            "highlight_affix_num_tokens": 12,
        }
        answer = self._json(self._send("POST", "/multi_search", json={"searches": [params]}))
        try:
            result = answer["results"][0]
        except (KeyError, IndexError, TypeError) as exc:
            raise DependencyUnavailable("search", "multi_search answered no result") from exc
        if "error" in result:
            raise DependencyUnavailable(
                "search", f"search refused: {result.get('code')} {result['error']}"[:300]
            )
        try:
            hits = [_hit(h) for h in result.get("hits", [])]
            return hits, int(result.get("found", len(hits)))
        except (KeyError, ValueError, TypeError) as exc:
            raise DependencyUnavailable("search", "unexpected search hit shape") from exc


def _hit(raw: Mapping[str, Any]) -> Hit:
    doc = raw["document"]
    entity_type, entity_id = _key(str(doc["id"]))
    return Hit(
        type=entity_type,
        id=entity_id,
        title=str(doc.get("title", "")),
        snippet=safe_snippet(_snippet(raw)),
        score=float(raw.get("text_match", 0)),
    )


def _snippet(raw: Mapping[str, Any]) -> str:
    highlight = raw.get("highlight") or {}
    for name in ("body", "title"):
        field = highlight.get(name)
        if isinstance(field, dict) and field.get("snippet"):
            return str(field["snippet"])
    for item in raw.get("highlights") or []:
        if isinstance(item, dict) and item.get("snippet"):
            return str(item["snippet"])
    return ""

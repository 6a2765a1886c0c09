"""The Typesense adapter (Typesense's HTTP API, through httpx).

- One collection (``LECTERN_TYPESENSE_COLLECTION``): id ``<type>:<uuid>``, type, title,
  body, course_id, owner_id, published.
- Its synonyms are one-way items: the typo is the root, the word the index knows its
  synonym. Typesense 30 and later keep them in a synonym set (``<collection>-synonyms``)
  that the collection names; earlier servers keep them in the collection
  (``/collections/{c}/synonyms/{id}``). Which one is read from ``GET /debug`` once per
  client, that is once per container.
- Writes are ``POST .../documents/import?action=upsert`` (JSONL). Typesense answers 200
  even when some lines fail: each result line is read, and a ``success: false`` line
  fails its document only.
- Deletes are per id; 404 means it is already gone.
- Searches go through ``POST /multi_search`` so a long visibility filter (many enrolled
  courses) travels in the body, not the URL; ``filter_by`` carries the same rules as the
  Postgres adapter. Typo tolerance and prefix matching are Typesense's.
- Every word must match (no dropping of words that find nothing), as in the Postgres
  adapter.
- The drain and the migration use the admin key; searches use a key that may only
  search this collection (``ensure_search_key`` registers it).
- Any transport error, timeout, 5xx or unexpected answer is ``DependencyUnavailable``.
"""

from __future__ import annotations

import json
import re
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
# Typesense 30 replaced per-collection synonyms with synonym sets.
SYNONYM_SETS_SINCE = 30
# The synonyms Lectern writes, told apart from any someone added by hand.
SYNONYM_ID_PREFIX = "typo-"
SEARCH_KEY_ACTIONS = ("documents:search",)
SEARCH_KEY_DESCRIPTION = "lectern search-only"
TOKEN_SEPARATORS = ("<", ">", "/", "-")
_VERSION = re.compile(r"v?(\d+)\.\d+")


def schema(collection: str, *, synonym_sets: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": collection,
        "fields": [
            {"name": "type", "type": "string", "facet": True},
            {"name": "title", "type": "string"},
            {"name": "body", "type": "string"},
            {"name": "course_id", "type": "string", "optional": True},
            {"name": "owner_id", "type": "string"},
            {"name": "published", "type": "bool"},
        ],
        # Typesense drops punctuation inside a word, so "<b>mitosis</b>" would be one
        # token "bmitosisb"; Postgres' parser sees tags and hyphens as breaks. Fixed at
        # creation: a collection made without them needs a re-index into a new one.
        "token_separators": list(TOKEN_SEPARATORS),
    }
    if synonym_sets:
        out["synonym_sets"] = [synonym_set_name(collection)]
    return out


def synonym_set_name(collection: str) -> str:
    return f"{collection}-synonyms"


def synonym_items(synonyms: Mapping[str, str]) -> list[dict[str, Any]]:
    """One one-way item per typo: searching the root also searches its replacement."""
    return [
        {"id": f"{SYNONYM_ID_PREFIX}{term}", "root": term, "synonyms": [replacement]}
        for term, replacement in sorted(synonyms.items())
    ]


def major_version(version: str) -> int | None:
    """The major version in Typesense's ``/debug`` answer ("0.24.1" → 0, "30.1" → 30)."""
    match = _VERSION.match(version.strip())
    return int(match.group(1)) if match else None


def search_key_description(collection: str) -> str:
    return f"{SEARCH_KEY_DESCRIPTION} ({collection})"


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
    # The admin key: the drain and the migration.
    api_key: str | None = None
    api_key_secret: str | None = None
    # A key that may only search the collection: GET /v1/search and the health check.
    search_api_key: str | None = None
    search_api_key_secret: str | None = None
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
        self._synonym_sets: bool | None = None
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={API_KEY_HEADER: api_key},
            timeout=httpx.Timeout(timeout_seconds, connect=2.0),
            transport=transport,
        )

    @classmethod
    def from_settings(
        cls, settings: TypesenseSettings, *, secret_max_age: int, search_only: bool = False
    ) -> TypesenseIndex:
        """The admin client, or with ``search_only`` the one holding the search-only key."""
        if not settings.url:
            raise DependencyUnavailable("search", "LECTERN_TYPESENSE_URL is not set")
        key = read_key(settings, secret_max_age=secret_max_age, search_only=search_only)
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

    def server_version(self) -> str:
        body = self._json(self._send("GET", "/debug"))
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str):
            raise DependencyUnavailable("search", "Typesense /debug named no version")
        return version

    def uses_synonym_sets(self) -> bool:
        """Whether the server keeps synonyms in sets (30 and later): asked once."""
        if self._synonym_sets is None:
            major = major_version(self.server_version())
            # An unnumbered build ("nightly") is newer than every release.
            self._synonym_sets = major is None or major >= SYNONYM_SETS_SINCE
        return self._synonym_sets

    def ensure_schema(self, synonyms: Mapping[str, str]) -> None:
        items = synonym_items(synonyms)
        if self.uses_synonym_sets():
            self._ensure_with_synonym_set(items)
        else:
            self._create_collection(schema(self.collection, synonym_sets=False))
            self._sync_collection_synonyms(items)

    def _create_collection(self, wanted: dict[str, Any]) -> httpx.Response | None:
        """The collection as it is, or None when it had to be made."""
        found = self._send("GET", f"/collections/{self.collection}", ok=(200, 404))
        if found.status_code == 200:
            return found
        # 409: another drain made it meanwhile.
        self._send("POST", "/collections", json=wanted, ok=(201, 409))
        return None

    def _ensure_with_synonym_set(self, items: list[dict[str, Any]]) -> None:
        name = synonym_set_name(self.collection)
        # The set first: the collection names it.
        self._send("PUT", f"/synonym_sets/{name}", json={"items": items})
        found = self._create_collection(schema(self.collection))
        if found is None:
            return
        current = self._json(found)
        if name not in (current.get("synonym_sets") or []):
            self._send("PATCH", f"/collections/{self.collection}", json={"synonym_sets": [name]})

    def _sync_collection_synonyms(self, items: list[dict[str, Any]]) -> None:
        """Make the collection's synonyms Lectern's: write the changed ones, delete the
        ones no longer wanted. A steady run is one GET."""
        from urllib.parse import quote

        path = f"/collections/{self.collection}/synonyms"
        listed = self._json(self._send("GET", path))
        current = listed.get("synonyms") if isinstance(listed, dict) else None
        if not isinstance(current, list):
            raise DependencyUnavailable("search", "Typesense listed no synonyms")
        ours = {
            str(s["id"]): s
            for s in current
            if isinstance(s, dict) and str(s.get("id", "")).startswith(SYNONYM_ID_PREFIX)
        }
        wanted = {item["id"]: item for item in items}
        for synonym_id, item in wanted.items():
            have = ours.get(synonym_id)
            if have is None or (have.get("root"), have.get("synonyms")) != (
                item["root"],
                item["synonyms"],
            ):
                body = {"root": item["root"], "synonyms": item["synonyms"]}
                self._send("PUT", f"{path}/{quote(synonym_id, safe='')}", json=body)
        for synonym_id in sorted(ours.keys() - wanted.keys()):
            self._send("DELETE", f"{path}/{quote(synonym_id, safe='')}", ok=(200, 404))

    def ensure_search_key(self, value: str) -> None:
        """Register ``value`` as a key that may only search this collection (this client
        must hold the admin key). Run again, it changes nothing."""
        if not value:
            raise ValueError("the search key is empty")
        description = search_key_description(self.collection)
        wanted = {
            "description": description,
            "actions": list(SEARCH_KEY_ACTIONS),
            "collections": [self.collection],
            "value": value,
        }
        created = self._send("POST", "/keys", json=wanted, ok=(200, 201, 409))
        if created.status_code != 409:
            return
        # The value is registered already. Typesense shows only its first four
        # characters: a key of ours with that prefix and this scope is it.
        listed = self._json(self._send("GET", "/keys"))
        keys = listed.get("keys") if isinstance(listed, dict) else None
        if not isinstance(keys, list):
            raise DependencyUnavailable("search", "Typesense listed no keys")
        same_prefix = [
            k for k in keys if isinstance(k, dict) and k.get("value_prefix") == value[:4]
        ]
        if any(
            k.get("actions") == wanted["actions"] and k.get("collections") == wanted["collections"]
            for k in same_prefix
        ):
            return
        # Registered with another scope (the collection renamed, older actions). Replaced
        # only when it is surely that key: the one key with this prefix, and one of ours;
        # another stage's key on the same cluster may share a prefix.
        if len(same_prefix) == 1 and str(same_prefix[0].get("description", "")).startswith(
            SEARCH_KEY_DESCRIPTION
        ):
            self._send("DELETE", f"/keys/{same_prefix[0]['id']}", ok=(200, 404))
            if self._send("POST", "/keys", json=wanted, ok=(200, 201, 409)).status_code != 409:
                return
        raise ValueError(
            "LECTERN_TYPESENSE_SEARCH_API_KEY is registered in Typesense with another scope; "
            "delete that key or choose another value"
        )

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
        # JSON lines end at "\n" only: splitlines() also breaks at U+2028 or NEL, which a
        # result echoing a document may hold.
        lines = [line for line in response.text.split("\n") if line.strip()]
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
            # Every word must match, as in Postgres: no falling back to fewer words.
            "drop_tokens_threshold": 0,
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


def read_key(settings: TypesenseSettings, *, secret_max_age: int, search_only: bool) -> str:
    if search_only:
        return secret_or_value(
            secret=settings.search_api_key_secret,
            value=settings.search_api_key,
            dependency="search",
            setting="LECTERN_TYPESENSE_SEARCH_API_KEY",
            max_age=secret_max_age,
        )
    return secret_or_value(
        secret=settings.api_key_secret,
        value=settings.api_key,
        dependency="search",
        setting="LECTERN_TYPESENSE_API_KEY",
        max_age=secret_max_age,
    )


def _hit(raw: Mapping[str, Any]) -> Hit:
    doc = raw["document"]
    entity_type, entity_id = _key(str(doc["id"]))
    return Hit(
        type=entity_type,
        id=entity_id,
        title=str(doc.get("title", "")),
        snippet=safe_snippet(_snippet(raw)),
        # Typesense's 64-bit text_match; as a float its lowest bits (the field weight
        # that puts a title match over a body match) may round away, but the hits come
        # in Typesense's own order.
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

"""Every failure leaves as problem+json with a stable type, and never with a trace."""

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from lectern.api.app import create_app
from lectern.errors import Conflict, DependencyUnavailable, InvalidField, RateLimited

router = APIRouter()


class Body(BaseModel):
    size: int
    title: str


@router.post("/echo")
def echo(body: Body) -> Body:
    return body


@router.get("/conflict")
def conflict() -> None:
    raise Conflict("already enrolled")


@router.get("/limited")
def limited() -> None:
    raise RateLimited(42)


@router.get("/invalid")
def invalid() -> None:
    raise InvalidField("size", "must be at most 200")


@router.get("/kv-down")
def kv_down() -> None:
    raise DependencyUnavailable("kv", "connect timeout to 10.0.0.1")


@router.get("/db-down")
def db_down() -> None:
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


@router.get("/secret/{token}")
def secret(token: str) -> None:
    raise Conflict("x")


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(router), raise_server_exceptions=False)


def _assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:lectern:problem:{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_schema_errors_name_each_field(client):
    body = _assert_problem(client.post("/echo", json={"size": "big"}), 422, "validation-error")
    assert {e["field"] for e in body["errors"]} == {"size", "title"}
    assert "size" in body["detail"] and "title" in body["detail"]


def test_malformed_json_is_a_422_not_a_500(client):
    response = client.post(
        "/echo", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = _assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body"]


def test_domain_errors_map_once(client):
    assert _assert_problem(client.get("/conflict"), 409, "conflict")["detail"] == "already enrolled"
    invalid = _assert_problem(client.get("/invalid"), 422, "validation-error")
    assert invalid["errors"] == [{"field": "size", "message": "must be at most 200"}]


def test_rate_limit_carries_retry_after(client):
    response = client.get("/limited")
    _assert_problem(response, 429, "rate-limited")
    assert response.headers["retry-after"] == "42"


def test_dependency_outage_is_503_naming_it_without_internals(client):
    body = _assert_problem(client.get("/kv-down"), 503, "dependency-unavailable")
    assert body["dependency"] == "kv"
    assert "10.0.0.1" not in body["detail"]
    body = _assert_problem(client.get("/db-down"), 503, "dependency-unavailable")
    assert body["dependency"] == "database"


def test_unexpected_errors_are_500_without_a_trace(client):
    response = client.get("/boom")
    body = _assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "An unexpected error occurred."


def test_unknown_route_is_problem_json(client):
    _assert_problem(client.get("/nope"), 404, "not-found")


def test_request_id_is_echoed_or_made(client):
    given = client.get("/conflict", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/conflict", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


def test_each_request_is_logged_with_status_and_route_without_its_path_or_query(client):
    import io
    import logging

    from lectern.observability import get_logger

    logger = get_logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    level = logger.log_level
    logger.setLevel("INFO")
    try:
        client.get("/conflict?token=secret-token-value", headers={"x-request-id": "req-42"})
        client.get("/secret/path-token-value")
        client.get("/no/such/path-token-value")
    finally:
        logger.setLevel(level)
        logger.removeHandler(handler)
    lines = [line for line in stream.getvalue().splitlines() if '"request"' in line]
    assert len(lines) == 3, "one request log line per request"
    assert '"status":409' in lines[0] and '"request_id":"req-42"' in lines[0]
    assert '"route":"/conflict"' in lines[0]
    assert '"route":"/secret/{token}"' in lines[1]
    assert '"route":"(unmatched)"' in lines[2] and '"status":404' in lines[2]
    assert "token-value" not in stream.getvalue()


def test_cors_allows_only_the_configured_origins(monkeypatch):
    from lectern.config import get_settings

    monkeypatch.setenv("LECTERN_CORS_ORIGINS", '["https://app.example.com"]')
    get_settings.cache_clear()
    try:
        cors_client = TestClient(create_app(router), raise_server_exceptions=False)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
    }
    allowed = cors_client.options(
        "/echo", headers={"origin": "https://app.example.com", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    denied = cors_client.options("/echo", headers={"origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in denied.headers
    simple = cors_client.get("/conflict", headers={"origin": "https://app.example.com"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "email"), "email"),
        (("query", "limit"), "limit"),
        (("body", "options", 0, "text"), "options.0.text"),
        # Fields that share a name with a location are still named.
        (("body", "query"), "query"),
        (("body", "path", "header"), "path.header"),
        (("body",), "body"),
    ],
)
def test_field_names_drop_only_the_location(loc, field):
    from lectern.api.errors import _field_name

    assert _field_name(loc) == field

"""The audit trail through the handlers: a role change made over HTTP is read back by an
admin with its request id and source address; only admins read it; pages and filters."""

from __future__ import annotations

from tests.e2e.conftest import invoke
from tests.factories import new_account


def test_an_admin_reads_back_a_role_change_with_its_request_id_and_address():
    admin = new_account("admin")
    user = new_account("student")
    changed = invoke(
        "users",
        "PATCH",
        f"/v1/admin/users/{user.id}",
        body={"role": "instructor"},
        token=admin.token,
        headers={"x-request-id": "req-e2e-audit"},
        source_ip="192.0.2.44",
    )
    assert changed.status == 200
    reply = invoke("audit", "GET", "/v1/admin/audit", token=admin.token, query=f"target={user.id}")
    assert reply.status == 200
    [row] = [r for r in reply.body["items"] if r["action"] == "identity.role_changed"]
    assert row["actor_id"] == str(admin.id) and row["target_id"] == str(user.id)
    assert row["request_id"] == "req-e2e-audit" and row["source_ip"] == "192.0.2.44"
    assert row["details"] == {"from": "student", "to": "instructor"}


def test_only_admins_read_the_trail():
    for role in ("student", "instructor"):
        account = new_account(role)
        assert invoke("audit", "GET", "/v1/admin/audit", token=account.token).status == 403
    assert invoke("audit", "GET", "/v1/admin/audit").status == 401


def test_pages_follow_the_cursor_and_filters_apply():
    admin = new_account("admin")
    user = new_account("student")
    for _ in range(3):
        assert invoke("users", "GET", "/v1/me/export", token=user.token).status == 200
    seen = []
    cursor = ""
    while True:
        query = f"actor={user.id}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = invoke("audit", "GET", "/v1/admin/audit", token=admin.token, query=query)
        assert page.status == 200
        seen += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert [r["action"] for r in seen] == ["identity.exported"] * 3
    times = [r["occurred_at"] for r in seen]
    assert times == sorted(times, reverse=True) and len({r["id"] for r in seen}) == 3
    later = invoke(
        "audit",
        "GET",
        "/v1/admin/audit",
        token=admin.token,
        query=f"actor={user.id}&from=2999-01-01T00:00:00Z",
    )
    assert later.status == 200 and later.body["items"] == []


def test_bad_filters_are_422_naming_the_field():
    admin = new_account("admin")
    for query, field in (
        ("actor=nope", "actor"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("from=2026-01-01T00:00:00", "from"),
        ("cursor=garbage", "cursor"),
    ):
        reply = invoke("audit", "GET", "/v1/admin/audit", token=admin.token, query=query)
        assert reply.status == 422, (query, reply.body)
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert field in str(reply.body), (query, reply.body)


def test_the_statements_route_says_when_pg_stat_statements_is_missing():
    admin = new_account("admin")
    reply = invoke("audit", "GET", "/v1/admin/db/statements", token=admin.token)
    # The embedded server has no pg_stat_statements: the answer says so.
    assert reply.status == 200
    assert reply.body["available"] is False and reply.body["items"] == []
    assert "pg_stat_statements" in reply.body["reason"]
    student = new_account("student")
    assert invoke("audit", "GET", "/v1/admin/db/statements", token=student.token).status == 403
    bad = invoke("audit", "GET", "/v1/admin/db/statements", token=admin.token, query="limit=0")
    assert bad.status == 422 and "limit" in str(bad.body)


def test_a_time_filter_must_be_rfc_3339_text():
    # The fuzz run found ``to=0.5`` read as a Unix time (1970) and answered 200.
    admin = new_account("admin")
    for query in ("to=0.5", "from=1700000000"):
        reply = invoke("audit", "GET", "/v1/admin/audit", token=admin.token, query=query)
        assert reply.status == 422, query
        assert reply.body["errors"][0]["field"] == query.split("=")[0]

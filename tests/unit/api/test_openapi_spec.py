"""The checked-in OpenAPI spec is the code's; `make openapi` refreshes it."""

from local.openapi import SPEC_PATH, build_spec, render


def test_checked_in_spec_matches_the_code():
    assert SPEC_PATH.read_text() == render(build_spec()), "run `make openapi` and commit"


def test_spec_documents_bearer_auth_and_problem_errors():
    spec = build_spec()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    me = spec["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"HTTPBearer": []}]
    register_body = spec["components"]["schemas"]["RegisterIn"]
    assert register_body["additionalProperties"] is False
    assert set(register_body["required"]) == {"email", "password", "name"}
    for name in ("RegisterIn", "LoginIn", "MagicLinkIn"):
        assert spec["components"]["schemas"][name]["properties"]["email"]["format"] == "email"


def _calls(dependant) -> set:  # type: ignore[no-untyped-def]
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def test_a_token_is_optional_in_the_spec_exactly_where_the_route_takes_none():
    # The fuzz run's ignored-auth check reads this: a route that serves anonymous callers
    # but whose spec demands a token looks like one that ignores its auth.
    from fastapi.routing import APIRoute

    from lectern.api.deps import _optional_principal, _principal
    from local.devapp import all_routers

    spec = build_spec()
    optional, required = set(), set()
    for route in (r for router in all_routers() for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        calls = _calls(route.dependant)
        for method in route.methods:
            key = (method.lower(), route.path)
            if _optional_principal in calls:
                optional.add(key)
            elif _principal in calls:
                required.add(key)
    assert optional == {("get", "/v1/courses"), ("get", "/v1/courses/{id}"), ("get", "/v1/search")}
    for method, path in optional:
        assert spec["paths"][path][method]["security"] == [{"HTTPBearer": []}, {}], path
    for method, path in required:
        assert spec["paths"][path][method]["security"] == [{"HTTPBearer": []}], path


def test_no_query_or_path_parameter_is_nullable():
    # A URL has no null: an optional parameter is left out. The fuzz run took `tag=x`
    # (a one-element array on the wire) for the "not an array" case of anyOf[array, null].
    spec = build_spec()
    params = [
        p
        for operations in spec["paths"].values()
        for operation in operations.values()
        for p in operation.get("parameters", [])
    ]
    assert params
    for p in params:
        assert {"type": "null"} not in p["schema"].get("anyOf", []), p["name"]
    tag = next(p for p in spec["paths"]["/v1/courses"]["get"]["parameters"] if p["name"] == "tag")
    assert tag["schema"]["type"] == "array" and tag["schema"]["maxItems"] == 20


def test_operation_ids_are_unique_snake_case_and_named_by_context():
    # Client generators name a function per operation id: a duplicate loses one of them.
    import re

    spec = build_spec()
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id), operation_id
    by_route = {
        (method, path): op["operationId"]
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    assert by_route["post", "/v1/auth/login"] == "auth_login"
    assert by_route["post", "/v1/auth/magic-link"] == "auth_magic_link"
    assert by_route["get", "/v1/courses"] == "courses_list"
    assert by_route["get", "/v1/courses/{id}"] == "courses_get"
    assert by_route["get", "/v1/me"] == "users_me"
    assert by_route["get", "/v1/me/teams"] == "teams_my_teams"


def test_schema_names_are_not_module_qualified():
    # FastAPI qualifies two models of one name with their modules
    # (lectern__identity__schemas__AcceptedOut); generators then drop or mangle them.
    names = build_spec()["components"]["schemas"]
    assert not [name for name in names if "__" in name]
    assert {"MailAcceptedOut", "EventsAcceptedOut"} <= set(names)


def test_spec_names_the_local_and_the_deployed_servers():
    servers = build_spec()["servers"]
    assert servers[0]["url"] == "http://127.0.0.1:8000"
    deployed = servers[1]
    # Every {variable} in the URL has a default, or a generator cannot fill it in.
    assert set(deployed["variables"]) == {"api_id", "region"}
    assert all(f"{{{name}}}" in deployed["url"] for name in deployed["variables"])

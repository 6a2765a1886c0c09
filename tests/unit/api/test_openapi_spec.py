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

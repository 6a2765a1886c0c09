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

"""Badges through the Lambda handler: an author's badge, awarded by a real lesson
completion, listed for the learner, served publicly as an Open Badges 3.0 credential
that checks out against what the 1EdTech schema requires and whose proof verifies with
the key the issuer publishes (fetched from the API, nothing else); revoked, it is 404."""

from __future__ import annotations

import re

from lectern.badges import signing
from tests.e2e.conftest import invoke
from tests.factories import new_account

ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _ok(reply, status=201):
    assert reply.status == status, reply.body
    return reply.body


def _course(owner):
    course = _ok(invoke("courses", "POST", "/v1/courses", token=owner.token, body={"title": "B"}))
    module = _ok(
        invoke(
            "courses",
            "POST",
            f"/v1/courses/{course['id']}/modules",
            token=owner.token,
            body={"title": "M"},
        )
    )
    lesson = _ok(
        invoke(
            "courses",
            "POST",
            f"/v1/modules/{module['id']}/lessons",
            token=owner.token,
            body={"title": "L", "content": "# L"},
        )
    )
    _ok(invoke("courses", "POST", f"/v1/courses/{course['id']}/publish", token=owner.token), 200)
    return course, lesson


def _earn(author, learner):
    course, lesson = _course(author)
    badge = _ok(
        invoke(
            "badges",
            "POST",
            "/v1/badges",
            token=author.token,
            body={
                "name": "Cell biologist",
                "description": "Finished the course on cells.",
                "image_url": "https://img.example/cell.png",
                "rule": {"type": "course_completed", "course_id": course["id"]},
            },
        )
    )
    _ok(invoke("progress", "POST", f"/v1/courses/{course['id']}/enroll", token=learner.token))
    _ok(
        invoke("progress", "POST", f"/v1/lessons/{lesson['id']}/complete", token=learner.token), 200
    )
    return badge


def _check_schema(credential, assertion_id):
    """What the OB 3.0 JSON schema of an OpenBadgeCredential requires of it."""
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert any(
        c.startswith("https://purl.imsglobal.org/spec/ob/v3p0/context")
        for c in credential["@context"]
    )
    assert credential["id"].endswith(f"/v1/badges/assertions/{assertion_id}")
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(credential["type"])
    issuer = credential["issuer"]
    assert issuer["id"].startswith("http") and "Profile" in issuer["type"]
    assert ISO_STAMP.match(credential["validFrom"])
    subject = credential["credentialSubject"]
    assert "AchievementSubject" in subject["type"]
    achievement = subject["achievement"]
    for field in ("id", "type", "name", "description", "criteria"):
        assert field in achievement, field
    assert "Achievement" in achievement["type"]
    assert achievement["criteria"]["narrative"]
    identity = subject["identifier"][0]
    assert identity["type"] == "IdentityObject" and identity["hashed"] is True
    assert identity["identityHash"].startswith("sha256$") and identity["salt"]


def _verify_with_published_key(credential):
    """As an outside verifier: the key from the issuer profile the proof names, nothing
    Lectern holds privately."""
    proof = credential["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["proofPurpose"] == "assertionMethod"
    profile = invoke("badges", "GET", "/v1/badges/issuer")
    assert profile.status == 200 and profile.headers["content-type"].startswith(
        "application/ld+json"
    )
    assert (
        proof["verificationMethod"].split("#")[0]
        == profile.body["id"]
        == credential["issuer"]["id"]
    )
    method = next(
        m for m in profile.body["verificationMethod"] if m["id"] == proof["verificationMethod"]
    )
    assert method["type"] == "Multikey"
    key = signing.public_from_multibase(method["publicKeyMultibase"])
    assert signing.verify_proof(credential, key)
    # The JWK Set carries the same key.
    jwks = _ok(invoke("badges", "GET", "/v1/badges/keys"), 200)
    assert jwks["keys"][0]["kid"] == method["id"] and jwks["keys"][0]["crv"] == "Ed25519"
    return key


def test_an_earned_badge_is_a_verifiable_open_badges_credential_until_revoked():
    author = new_account("instructor", "Badge Author")
    learner = new_account("student", "Badge Earner")
    badge = _earn(author, learner)
    assert badge["criteria"].startswith("Complete every lesson of the course")

    mine = _ok(invoke("badges", "GET", "/v1/me/badges", token=learner.token), 200)["items"]
    # (Badges other tests made for any course or some XP may be earned too.)
    assertion_id = next(m["assertion_id"] for m in mine if m["badge"]["id"] == badge["id"])

    reply = invoke("badges", "GET", f"/v1/badges/assertions/{assertion_id}")  # no sign-in
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"].startswith("application/ld+json")
    credential = reply.body
    _check_schema(credential, assertion_id)
    assert learner.user.email not in str(credential)  # never the address
    key = _verify_with_published_key(credential)
    # A credential altered in transit fails.
    forged = {**credential, "credentialSubject": {**credential["credentialSubject"], "type": ["X"]}}
    assert not signing.verify_proof(forged, key)
    # The same bytes every time.
    assert invoke("badges", "GET", f"/v1/badges/assertions/{assertion_id}").body == credential
    achievement = _ok(invoke("badges", "GET", f"/v1/badges/{badge['id']}"), 200)
    assert achievement["id"] == credential["credentialSubject"]["achievement"]["id"]

    # Revoked: gone for everyone; the learner's list drops it.
    refused = invoke(
        "badges", "DELETE", f"/v1/badges/assertions/{assertion_id}", token=learner.token
    )
    assert refused.status == 403
    _ok(
        invoke("badges", "DELETE", f"/v1/badges/assertions/{assertion_id}", token=author.token), 204
    )
    assert invoke("badges", "GET", f"/v1/badges/assertions/{assertion_id}").status == 404
    left = _ok(invoke("badges", "GET", "/v1/me/badges", token=learner.token), 200)["items"]
    assert badge["id"] not in [m["badge"]["id"] for m in left]


def test_unknown_assertion_is_404_and_bad_rules_are_422_naming_the_field():
    import uuid

    assert invoke("badges", "GET", f"/v1/badges/assertions/{uuid.uuid4()}").status == 404
    author = new_account("instructor")
    for rule in ({"type": "xp"}, {"type": "streak_days", "threshold": 0}, {"type": "nope"}):
        reply = invoke(
            "badges",
            "POST",
            "/v1/badges",
            token=author.token,
            body={"name": "N", "description": "D", "rule": rule},
        )
        assert reply.status == 422, reply.body
        assert any("rule" in e["field"] for e in reply.body["errors"]), reply.body
    learner = new_account("student")
    reply = invoke(
        "badges",
        "POST",
        "/v1/badges",
        token=learner.token,
        body={"name": "N", "description": "D", "rule": {"type": "xp", "threshold": 10}},
    )
    assert reply.status == 403

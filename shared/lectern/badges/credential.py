"""An award as an Open Badges 3.0 ``OpenBadgeCredential`` (JSON-LD), and the issuer.

Every id is a URL under the API (``badges.base_url``): the credential
(``/v1/badges/assertions/{id}``, where it is served), its achievement
(``/v1/badges/{id}``) and the issuer profile (``/v1/badges/issuer``), which lists the
verification method the proof names, as a ``Multikey``. The learner is an
``IdentityObject``: the salted hash of their email, never the address.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from lectern.badges import signing
from lectern.config import get_settings

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
# The Multikey verification method's own context, for the issuer profile.
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


def stamp(at: datetime) -> str:
    """An XML Schema dateTimeStamp in UTC, to the second (what OB 3.0 shows)."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _base() -> str:
    return get_settings().badges.base_url.rstrip("/")


def issuer_id() -> str:
    return f"{_base()}/v1/badges/issuer"


def credential_url(award_id: uuid.UUID) -> str:
    return f"{_base()}/v1/badges/assertions/{award_id}"


def achievement_url(badge_id: uuid.UUID) -> str:
    return f"{_base()}/v1/badges/{badge_id}"


def key_id() -> str:
    """The verification method: the issuer profile, and the key's own multibase value as
    its fragment (a new key is a new id, so an old credential still names its own)."""
    public = signing.signing_key().public_key()
    return f"{issuer_id()}#{signing.public_multibase(public)}"


def _issuer() -> dict[str, Any]:
    settings = get_settings().badges
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.issuer_name,
        "url": settings.issuer_homepage,
    }


def achievement(
    badge_id: uuid.UUID, name: str, description: str, criteria: str, image_url: str | None
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": achievement_url(badge_id),
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria},
        "creator": _issuer(),
    }
    if image_url:
        found["image"] = {"id": image_url, "type": "Image"}
    return found


def open_badge_credential(
    award_id: uuid.UUID,
    awarded_at: datetime,
    identity_hash: str,
    identity_salt: str,
    badge: dict[str, Any],
) -> dict[str, Any]:
    """The signed credential of one award (the same bytes every time it is served)."""
    issued = stamp(awarded_at)
    document: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": credential_url(award_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge["name"],
        "issuer": _issuer(),
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash,
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": identity_salt,
                }
            ],
            "achievement": badge,
        },
    }
    return signing.add_proof(
        document, signing.signing_key(), verification_method=key_id(), created=issued
    )


def issuer_profile() -> dict[str, Any]:
    """The issuer, with the public key a verifier checks proofs with."""
    public = signing.signing_key().public_key()
    return {
        "@context": [*CONTEXTS, MULTIKEY_CONTEXT],
        **_issuer(),
        "verificationMethod": [
            {
                "id": key_id(),
                "type": "Multikey",
                "controller": issuer_id(),
                "publicKeyMultibase": signing.public_multibase(public),
            }
        ],
        "assertionMethod": [key_id()],
    }


def key_set() -> dict[str, Any]:
    """The same key as a JWK Set, for verifiers that read keys that way."""
    public = signing.signing_key().public_key()
    return {"keys": [signing.jwk(public, key_id())]}

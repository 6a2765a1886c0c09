"""Signing Open Badges 3.0 credentials: an Ed25519 Data Integrity proof, ``eddsa-jcs-2022``.

Why this cryptosuite: it is a W3C Recommendation (Data Integrity EdDSA Cryptosuites v1.0)
that Open Badges 3.0 accepts, and it canonicalizes with JCS (RFC 8785), so a verifier
needs only the published public key and a JSON library, no JSON-LD context documents
(which ``eddsa-rdfc-2022`` would have it fetch or pin).

The proof (vc-di-eddsa section 3.3): the proof options without ``proofValue``, given the
document's ``@context``, and the document without ``proof`` are each canonicalized and
hashed with SHA-256; Ed25519 signs the proof options' hash followed by the document's;
``proofValue`` is that signature in multibase base58btc (``z…``). The key is published as
a ``Multikey`` (``publicKeyMultibase``: the ed25519-pub multicodec 0xed01 and the 32
bytes) in the issuer profile, and as a JWK (OKP, Ed25519) in the key set.

The key: in AWS a Secrets Manager secret holding the PKCS#8 PEM
(``openssl genpkey -algorithm ed25519``); locally a PEM file in ``.local-data/`` made on
first use.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lectern.config import get_settings
from lectern.core.cache import cached_client
from lectern.core.secrets import secret_or_value
from lectern.errors import DependencyUnavailable

CRYPTOSUITE = "eddsa-jcs-2022"
_ED25519_PUB = b"\xed\x01"  # the multicodec prefix of an Ed25519 public key
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# --- encodings ----------------------------------------------------------------------------


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = _B58[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON of what credentials hold (objects, arrays, strings,
    integers, booleans, null): members sorted by their UTF-16 code units, no spaces."""
    return _jcs(value).encode("utf-8")


def _jcs(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(k)}:{_jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("credentials carry no floating-point numbers")
    return json.dumps(value, ensure_ascii=False)


def public_multibase(key: Ed25519PublicKey) -> str:
    return "z" + base58btc(_ED25519_PUB + _raw(key))


def public_from_multibase(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ValueError("not a base58btc multibase value")
    decoded = base58btc_decode(value[1:])
    if not decoded.startswith(_ED25519_PUB) or len(decoded) != 34:
        raise ValueError("not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


def jwk(key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    x = base64.urlsafe_b64encode(_raw(key)).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- the proof ----------------------------------------------------------------------------


def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in options.items() if k != "proofValue"}
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(unsecured)).digest()


def add_proof(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """The document with its ``DataIntegrityProof`` (deterministic: Ed25519 is)."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options))
    return {**document, "proof": {**options, "proofValue": "z" + base58btc(signature)}}


def verify_proof(document: dict[str, Any], key: Ed25519PublicKey) -> bool:
    """Whether the document's proof is this key's signature of it as it stands."""
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        key.verify(base58btc_decode(value[1:]), _hash_data(document, proof))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- the key ------------------------------------------------------------------------------


def _load(pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise DependencyUnavailable("badge-signing-key", "the badge key is not a PEM key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise DependencyUnavailable("badge-signing-key", "the badge key is not an Ed25519 key")
    return key


def _local_key(path: Path) -> str:
    """The local key, made on first use (readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text()
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    return path.read_text()


@cached_client(maxsize=4)
def _key_from_pem(pem: str) -> Ed25519PrivateKey:
    return _load(pem)


def signing_key() -> Ed25519PrivateKey:
    """The issuer's key: the secret in AWS, the configured value, or locally the file."""
    settings = get_settings()
    badges = settings.badges
    local = None
    if settings.is_local and not badges.signing_key_secret and not badges.signing_key:
        local = _local_key(Path(badges.signing_key_file))
    pem = secret_or_value(
        secret=badges.signing_key_secret,
        value=badges.signing_key or local,
        dependency="badge-signing-key",
        setting="LECTERN_BADGES_SIGNING_KEY",
        max_age=settings.aws.secret_max_age_seconds,
    )
    return _key_from_pem(pem)

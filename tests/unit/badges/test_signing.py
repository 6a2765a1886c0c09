"""The eddsa-jcs-2022 proof and its encodings: JCS (RFC 8785) canonical form, base58btc,
the Multikey form of the key; a proof verifies with the public key alone and fails for
any change to the document or the proof, or another key."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lectern.badges import signing


def test_jcs_sorts_members_by_utf16_code_units_and_leaves_no_space():
    # RFC 8785 3.2.3: sorted by UTF-16 code units, so U+1F600 (a surrogate pair, D83D)
    # comes before U+FB01 (FB01), unlike a sort by code points.
    value = {"\ufb01": 1, "\U0001f600": 2, "b": [True, None, "é"], "a": {"z": 1, "y": "\n"}}
    assert (
        signing.jcs(value)
        == ('{"a":{"y":"\\n","z":1},"b":[true,null,"é"],"\U0001f600":2,"\ufb01":1}').encode()
    )
    with pytest.raises(TypeError):
        signing.jcs({"x": 1.5})


def test_base58btc_round_trips_with_leading_zero_bytes():
    for data in (b"", b"\0\0\x01", b"hello world", bytes(range(40))):
        assert signing.base58btc_decode(signing.base58btc(data)) == data
    assert signing.base58btc(b"hello world") == "StV1DL6CwTryKyV"


def test_multikey_form_of_the_public_key():
    key = Ed25519PrivateKey.generate().public_key()
    value = signing.public_multibase(key)
    assert value.startswith("z6Mk")  # what every Ed25519 Multikey looks like
    assert signing.public_from_multibase(value).public_bytes_raw() == key.public_bytes_raw()


def test_a_proof_verifies_with_the_public_key_alone_and_fails_for_any_change():
    key = Ed25519PrivateKey.generate()
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"name": "Ann"},
    }
    signed = signing.add_proof(
        document,
        key,
        verification_method="https://x.example/issuer#k",
        created="2026-01-01T00:00:00Z",
    )
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert signing.verify_proof(signed, key.public_key())
    assert (
        signing.add_proof(
            document,
            key,
            verification_method="https://x.example/issuer#k",
            created="2026-01-01T00:00:00Z",
        )
        == signed
    )  # deterministic

    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["name"] = "Bob"
    assert not signing.verify_proof(changed, key.public_key())
    moved = copy.deepcopy(signed)
    moved["proof"]["created"] = "2027-01-01T00:00:00Z"
    assert not signing.verify_proof(moved, key.public_key())
    assert not signing.verify_proof(signed, Ed25519PrivateKey.generate().public_key())
    broken = copy.deepcopy(signed)
    broken["proof"]["proofValue"] = "z0OIl"  # not base58
    assert not signing.verify_proof(broken, key.public_key())

import base64
import re

from argon2 import PasswordHasher

from lectern.identity import passwords
from lectern.identity.tokens import hash_token, new_token


def test_tokens_carry_at_least_256_random_bits_and_differ():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    raw = base64.urlsafe_b64decode(next(iter(tokens)) + "=")
    assert len(raw) * 8 >= 256


def test_token_hash_is_sha256_hex_and_stable():
    token = new_token()
    assert hash_token(token) == hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token(token))
    assert token not in hash_token(token)


def test_password_hash_is_argon2id_with_owasp_minimum_parameters():
    encoded = passwords.hash_password("correct horse battery")
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", encoded)
    assert match, encoded
    memory, time_cost, parallelism = map(int, match.groups())
    assert memory >= 19456
    assert time_cost >= 2
    assert parallelism >= 1


def test_password_verification():
    encoded = passwords.hash_password("correct horse battery")
    assert passwords.verify_password(encoded, "correct horse battery")
    assert not passwords.verify_password(encoded, "correct horse batterY")
    assert not passwords.verify_password("not-a-hash", "whatever")


def test_unknown_account_verification_fails_even_with_the_dummy_password():
    assert not passwords.verify_password(None, "lectern-timing-equalizer")
    assert not passwords.verify_password(None, "anything at all")


def test_weaker_hashes_are_flagged_for_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw-pw-pw-pw")
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("pw-pw-pw-pw"))


def test_the_precomputed_dummy_hash_uses_the_current_parameters():
    """If the argon2 parameters change, the dummy must be remade, or timing would differ."""
    assert not passwords.needs_rehash(passwords.DUMMY_HASH)

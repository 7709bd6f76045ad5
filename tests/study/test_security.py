"""Login tokens are stored hashed; CSRF tokens are bound to one login and one study secret."""

from __future__ import annotations

from sciplan.study.security import (
    csrf_ok,
    csrf_token,
    hash_token,
    new_secret,
    new_token,
)


def test_tokens_are_random_and_only_their_hash_is_kept():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert hash_token(a) == hash_token(a) and hash_token(a) != hash_token(b)
    assert a not in hash_token(a) and len(hash_token(a)) == 64


def test_csrf_tokens_check_out_only_for_their_own_login_and_secret():
    secret, login, other = new_secret(), hash_token(new_token()), hash_token(new_token())
    token = csrf_token(secret, login)
    assert csrf_ok(secret, login, token)
    assert not csrf_ok(secret, other, token)
    assert not csrf_ok(new_secret(), login, token)
    assert not csrf_ok(secret, login, "")
    assert not csrf_ok(secret, login, None)

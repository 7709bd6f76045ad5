"""Login tokens (only their hashes are stored) and CSRF tokens bound to a login."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_token", "hash_token", "new_secret", "csrf_token", "csrf_ok"]


def new_token() -> str:
    """A fresh random login token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token.

    A plain SHA-256 suffices: the tokens are 256 random bits, so unlike passwords they
    cannot be guessed from their hash and need no slow, salted hashing.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh server secret for the study (keys the CSRF tokens)."""
    return secrets.token_hex(32)


def csrf_token(secret: str, token_hash: str) -> str:
    """The CSRF token for one login: an HMAC of its token hash, so it needs no server state."""
    return hmac.new(secret.encode("ascii"), b"csrf|" + token_hash.encode("ascii"), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, token_hash: str, given: str | None) -> bool:
    """Whether `given` is the CSRF token of this login (constant-time comparison)."""
    if not given or not given.isascii():  # compare_digest refuses non-ASCII str
        return False
    return hmac.compare_digest(csrf_token(secret, token_hash), given)

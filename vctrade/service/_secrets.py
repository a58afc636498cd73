"""Client secrets and scope names: the stored form of a token client's secret, and what a scope may be spelt as.

The configuration checks them when it is read (``[[auth.client]]``), the token endpoint when a client asks for a
token (``vctrade.service._oauth``): both take them from here. A secret is stored only as
``scrypt:v1:<salt>:<hash>`` (N=2^15, r=8, p=1, 16-byte salt, 32-byte hash, base64url), made by ``vctrade
hash-secret``, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

from vctrade._encoding import b64url_decode, b64url_encode
from vctrade.errors import ConfigError, EncodingError, InputError

__all__ = ["SCOPE_TOKEN", "MIN_SECRET_LENGTH", "hash_client_secret", "check_secret_hash", "verify_client_secret"]

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

_HASH_VERSION = "scrypt:v1"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_SALT_BYTES = 16
MIN_SECRET_LENGTH = 16


def _scrypt(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)


def hash_client_secret(secret: str) -> str:
    """The stored form of a client secret (``scrypt:v1:<salt>:<hash>``); the secret itself is never stored.

    A secret shorter than 16 characters is refused (:class:`~vctrade.errors.InputError`).
    """
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        raise InputError(f"a client secret needs at least {MIN_SECRET_LENGTH} characters")
    salt = os.urandom(_SALT_BYTES)
    return f"{_HASH_VERSION}:{b64url_encode(salt)}:{b64url_encode(_scrypt(secret, salt))}"


def _decode_secret_hash(secret_hash: str) -> tuple[bytes, bytes]:
    """(salt, hash) of a stored secret; ValueError if it is not one of the known format."""
    parts = secret_hash.split(":")
    if len(parts) != 4 or f"{parts[0]}:{parts[1]}" != _HASH_VERSION:
        raise ValueError(f"not a {_HASH_VERSION}:<salt>:<hash> secret hash")
    try:
        salt, digest = b64url_decode(parts[2]), b64url_decode(parts[3])
    except EncodingError:
        raise ValueError("its salt or hash is not base64url") from None
    if len(salt) != _SALT_BYTES or len(digest) != _SCRYPT["dklen"]:
        raise ValueError(f"its salt must be {_SALT_BYTES} bytes and its hash {_SCRYPT['dklen']}")
    return salt, digest


def check_secret_hash(secret_hash: Any) -> None:
    """Raise :class:`~vctrade.errors.ConfigError` unless ``secret_hash`` is a stored secret this version reads."""
    if not isinstance(secret_hash, str):
        raise ConfigError("secret_hash must be a string (vctrade hash-secret makes one)")
    try:
        _decode_secret_hash(secret_hash)
    except ValueError as exc:
        raise ConfigError(f"secret_hash is {exc} (vctrade hash-secret makes one)") from None


def verify_client_secret(secret: str, secret_hash: str) -> bool:
    """Whether ``secret`` is the one ``secret_hash`` was made from (constant-time; False for a malformed hash)."""
    try:
        salt, digest = _decode_secret_hash(secret_hash)
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(secret, salt), digest)

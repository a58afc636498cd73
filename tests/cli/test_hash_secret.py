"""`vctrade hash-secret`: the secret_hash of a token client, from stdin; a short secret is refused."""

from __future__ import annotations

import subprocess

from vctrade.service._oauth import verify_client_secret

from ..conftest import VCTRADE


def _hash(secret: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VCTRADE, "hash-secret"], input=secret + "\n", capture_output=True, text=True, timeout=60)


def test_the_printed_hash_verifies_the_secret_and_only_it() -> None:
    made = _hash("correct horse battery staple")
    assert made.returncode == 0, made.stderr
    stored = made.stdout.strip()
    assert stored.startswith("scrypt:v1:") and "correct horse" not in stored
    assert verify_client_secret("correct horse battery staple", stored)
    assert not verify_client_secret("correct horse battery stapler", stored)
    assert _hash("correct horse battery staple").stdout.strip() != stored  # salted


def test_a_short_secret_is_refused() -> None:
    refused = _hash("too-short")
    assert refused.returncode == 2 and refused.stderr.strip() == "error: a client secret needs at least 16 characters"
    assert refused.stdout == ""

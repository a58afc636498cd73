"""The default resolver: malformed did:key and unknown DID methods are refused."""

from __future__ import annotations

import pytest

from vctrade.did import default_resolver
from vctrade.errors import InvalidDID, UnsupportedError


@pytest.mark.parametrize(
    "did",
    [
        "did:key:",
        "did:key:abc",
        "did:key:z",
        "did:key:z6Mk",  # too short to be an Ed25519 key
        "did:key:zQ3s",  # secp256k1 prefix, no key
        "did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",  # X25519 is not a signing key
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2x",  # trailing garbage
    ],
)
def test_malformed_did_keys_are_refused(did: str) -> None:
    with pytest.raises(InvalidDID):
        default_resolver().resolve(did)


def test_unknown_did_method() -> None:
    with pytest.raises(UnsupportedError, match="did:nope is not supported"):
        default_resolver().resolve("did:nope:123")

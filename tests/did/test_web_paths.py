"""did:web path segments are judged after percent-decoding: none may become a dot segment, a separator or empty in the
URL a server decodes or the file path document_path gives (``did:web:x:%2E%2E%2F%2E%2E`` was ``../../did.json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade.did import (
    create_did_web_document,
    did_to_url,
    did_web,
    document_path,
    network_resolver,
    write_did_document,
)
from vctrade.errors import InvalidDID

HOSTILE = [
    "did:web:cbp.example:%2E%2E%2F%2E%2E",  # ../..
    "did:web:cbp.example:%2e%2e",  # ..
    "did:web:cbp.example:%2E",  # .
    "did:web:cbp.example:aeo:%2E%2E:%2E%2E:etc",
    "did:web:cbp.example:a%2Fb",  # a/b: one segment, two folders
    "did:web:cbp.example:%2Fetc",  # an absolute path once decoded
    "did:web:cbp.example:..%5C..%5Cwindows",  # ..\..\windows
    "did:web:cbp.example:a%00b",  # a NUL byte
    "did:web:cbp.example::aeo",  # an empty segment
    "did:web:cbp.example:aeo:",
]


@pytest.mark.parametrize("did", HOSTILE)
def test_url_and_file_path_refuse_decoded_dots_separators_and_empties(did: str) -> None:
    with pytest.raises(InvalidDID, match="path segment"):
        document_path(did)
    with pytest.raises(InvalidDID, match="path segment"):
        did_to_url(did)


def test_did_web_and_the_document_writer_refuse_them_too(tmp_path: Path) -> None:
    with pytest.raises(InvalidDID):
        did_web("cbp.example", ["..", "x"])
    with pytest.raises(InvalidDID):
        create_did_web_document("did:web:cbp.example:%2E%2E%2F%2E%2E", [Key.generate()])
    with pytest.raises(InvalidDID):
        write_did_document(tmp_path / "site", {"id": "did:web:cbp.example:%2E%2E%2F%2E%2E"})
    assert not (tmp_path / "site").exists() and not (tmp_path / "did.json").exists()
    # What stays allowed: percent-encoded characters that are not separators, a literal % (written %25).
    assert document_path("did:web:cbp.example:customs%20aeo:v%252E1") == "customs aeo/v%2E1/did.json"
    assert did_to_url("did:web:cbp.example:customs%20aeo") == "https://cbp.example/customs%20aeo/did.json"


def test_a_credential_naming_such_a_did_is_not_fetched(https_server: Any) -> None:
    """The resolver refuses before any request: the server never sees /%2E%2E%2F.../did.json."""
    key = Key.generate()
    did = f"did:web:127.0.0.1%3A{https_server.port}:%2E%2E%2Fsecret"
    signed = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                   "credentialSubject": {"id": "did:example:acme"}}, key, verification_method=f"{did}#k")
    result = verify(signed, resolver=network_resolver(https_server.policy()))
    check = next(c for c in result.checks if c.name == "proof.verification-method")
    assert (check.status, check.code) == ("failed", "invalid_did") and "path segment" in check.message
    assert sum(https_server.hits.values()) == 0

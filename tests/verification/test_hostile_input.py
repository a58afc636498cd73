"""Hostile and malformed input: bounded work, clear failures, never a crash of verify."""

from __future__ import annotations

from datetime import datetime

import pytest

from vctrade import Key, sign, verify


def test_deeply_nested_document_fails_cleanly(now: datetime) -> None:
    nested: dict = {"id": "did:example:x"}
    for _ in range(3000):
        nested = {"n": nested}
    text = '{"a":' * 100000 + "1" + "}" * 100000
    assert not verify(text, now=now).verified
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:i",
        "credentialSubject": nested,
    }
    assert not verify(document, now=now).verified


def test_a_failing_resolver_never_crashes_verify() -> None:
    class BrokenResolver:
        """A resolver with a bug: verify must still answer, undecided."""

        def dereference(self, did_url: str) -> None:
            raise RuntimeError("resolver bug")

        def resolve(self, did: str) -> None:
            raise RuntimeError("resolver bug")

    key = Key.generate()
    signed = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                   "credentialSubject": {"id": "did:example:x"}}, key)
    result = verify(signed, resolver=BrokenResolver())
    assert not result.verified and result.undecided
    assert "RuntimeError: resolver bug" in result.checks[-1].message


@pytest.mark.parametrize("context", ["", "x", "relative/context"])
def test_relative_context_urls_fail_cleanly(context: str) -> None:
    key = Key.generate()
    signed = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                   "credentialSubject": {"id": "did:example:x"}}, key)
    signed["@context"].append(context)
    result = verify(signed)
    jsonld = next(c for c in result.checks if c.name == "json-ld")
    assert jsonld.status == "failed" and "JSON-LD processing failed" in jsonld.message
    assert not any(c.code == "internal_error" for c in result.all_checks())

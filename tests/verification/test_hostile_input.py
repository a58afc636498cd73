"""Hostile and malformed input: bounded work, clear failures, never a crash of verify."""

from __future__ import annotations

import copy
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


def test_random_mutations_never_reach_the_safety_net(now: datetime) -> None:
    """A small, seeded fuzz: every mutation is judged by a named check, none by the catch-all."""
    import random

    from vctrade.status import StatusFiles

    rng = random.Random(7)
    key = Key.generate()
    base = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:1", "type": ["VerifiableCredential"], "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:x", "a": [1, {"b": "c"}], "n": 1.5}}
    documents = [sign(base, key), sign(base, key, suite="eddsa-jcs-2022")]
    junk = [None, 0, -1, 1e308, "", "x", [], {}, [None], {"@id": 5}, {"@context": 7}, "did:key:z", True, {"@type": []}]

    def mutate(node: object, depth: int = 0) -> None:
        if isinstance(node, dict) and node:
            name = rng.choice(list(node))
            if rng.random() < 0.3 or depth > 4:
                node[name] = rng.choice(junk)
            else:
                mutate(node[name], depth + 1)
            if rng.random() < 0.1:
                node[rng.choice(["@context", "proof", "issuer", "type", "@id"])] = rng.choice(junk)
        elif isinstance(node, list) and node:
            index = rng.randrange(len(node))
            if rng.random() < 0.3 or depth > 4:
                node[index] = rng.choice(junk)
            else:
                mutate(node[index], depth + 1)

    for _ in range(300):
        document = copy.deepcopy(rng.choice(documents))
        mutate(document)
        result = verify(document, now=now, status_source=StatusFiles({}))
        assert not any(c.code == "internal_error" for c in result.all_checks()), document

"""Hostile and malformed input: bounded work, clear failures, never a crash of verify."""

from __future__ import annotations

import copy

import pytest
from support import FIXED_NOW

from vctrade import Key, sign, verify
from vctrade.did import default_resolver
from vctrade.errors import InvalidDID, UnsupportedError
from vctrade.errors import CanonicalizationLimitError
from vctrade.jsonld import DocumentLoader, canonize, default_loader


def _poison_dataset(size: int) -> dict:
    """A JSON-LD document whose blank nodes form symmetric cliques (the RDFC "poison graph")."""
    nodes = [{"@id": f"_:b{i}", "http://example.org/p": [{"@id": f"_:b{j}"} for j in range(size) if j != i]} for i in range(size)]
    return {"@graph": nodes}


def test_poison_graph_hits_the_work_bound_quickly() -> None:
    with pytest.raises(CanonicalizationLimitError, match="work bound"):
        canonize(_poison_dataset(10))


def test_ordinary_blank_nodes_canonicalize() -> None:
    document = {"@graph": [{"@id": "_:a", "http://example.org/p": {"@id": "_:b"}}, {"@id": "_:b", "http://example.org/q": "x"}]}
    assert canonize(document).count("_:c14n") == 3


def test_poisoned_credential_fails_verification_instead_of_hanging() -> None:
    key = Key.generate()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:x", "ring": _poison_dataset(8)["@graph"]},
    }
    with pytest.raises(CanonicalizationLimitError):
        sign(credential, key)
    signed = sign({**credential, "credentialSubject": {"id": "did:example:x"}}, key)
    signed["credentialSubject"] = credential["credentialSubject"]
    result = verify(signed, now=FIXED_NOW)
    signature = next(c for c in result.checks if c.name == "proof.signature")
    assert signature.status == "failed" and signature.code == "canonicalization_limit"


def test_deeply_nested_document_fails_cleanly() -> None:
    nested: dict = {"id": "did:example:x"}
    for _ in range(3000):
        nested = {"n": nested}
    text = '{"a":' * 100000 + "1" + "}" * 100000
    assert not verify(text, now=FIXED_NOW).verified
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:i",
        "credentialSubject": nested,
    }
    assert not verify(document, now=FIXED_NOW).verified


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


def test_loader_refuses_to_replace_a_bundled_context() -> None:
    from vctrade.errors import ContextError

    with pytest.raises(ContextError, match="refusing to replace"):
        DocumentLoader({"https://www.w3.org/ns/credentials/v2": {"@context": {"x": "https://evil.example/x"}}})


def test_tampered_bundled_context_is_detected(tmp_path) -> None:
    from vctrade.errors import ContextError

    loader = DocumentLoader()
    index = {"https://example.org/ctx": {"file": "ctx.jsonld", "sha256": "0" * 64}}
    (tmp_path / "ctx.jsonld").write_text('{"@context": {}}')
    loader._dir, loader._index = tmp_path, index  # a damaged installation
    with pytest.raises(ContextError, match="pinned sha256"):
        loader.document("https://example.org/ctx")


def test_every_bundled_context_matches_its_pin() -> None:
    loader = DocumentLoader()
    for url in loader._index:
        assert "@context" in loader.document(url)


def test_user_added_context_is_used(tmp_path) -> None:
    context = tmp_path / "trade.json"
    context.write_text('{"@context": {"@protected": true, "grade": "https://trade.example/vocab#grade"}}')
    loader = DocumentLoader({"https://trade.example/v1": str(context)})
    key = Key.generate()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://trade.example/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:x", "grade": "A"},
    }
    signed = sign(credential, key, loader=loader)
    assert verify(signed, loader=loader).verified
    without = verify(signed)
    assert not without.verified and without.undecided  # unknown context: could not decide


def test_processed_contexts_are_cached_per_loader() -> None:
    calls: list[str] = []

    class CountingLoader(DocumentLoader):
        def document(self, url: str) -> dict:
            calls.append(url)
            return super().document(url)

    loader = CountingLoader()
    key = Key.generate()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:x", "n": 1},
    }
    signed = sign(credential, key, loader=loader)
    first = len(calls)
    for _ in range(3):
        assert verify(copy.deepcopy(signed), loader=loader).verified
    assert first >= 2 and len(calls) == first  # no context was loaded or processed again
    assert default_loader() is default_loader()


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


def test_random_mutations_never_reach_the_safety_net() -> None:
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
        result = verify(document, now=FIXED_NOW, status_source=StatusFiles({}))
        assert not any(c.code == "internal_error" for c in result.all_checks()), document

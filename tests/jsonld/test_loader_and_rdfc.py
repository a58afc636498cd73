"""The pinned context loader and RDFC canonicalization: bundled contexts pinned and cached, poison graphs bounded."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from vctrade import Key, sign, verify
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


def test_poisoned_credential_fails_verification_instead_of_hanging(now: datetime) -> None:
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
    result = verify(signed, now=now)
    signature = next(c for c in result.checks if c.name == "proof.signature")
    assert signature.status == "failed" and signature.code == "canonicalization_too_costly"


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
    assert len(loader._index) >= 15  # every context in contexts/index.json, read and checked against its sha256
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
        def _shared_document(self, url: str) -> dict:  # every reader of a context reads it through here
            calls.append(url)
            return super()._shared_document(url)

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


def test_an_operation_expands_a_document_once_and_keeps_nothing_after() -> None:
    """Inside expansion_scope (verify, sign) a document is expanded once; the expansions end with the scope."""
    from vctrade.jsonld._jsonld import _memoized_expansion, expansion_scope

    loader = DocumentLoader()
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:x"}}
    with expansion_scope():
        first = _memoized_expansion(document, loader)
        with expansion_scope():  # nested: the outer scope's memo
            assert _memoized_expansion(document, loader) is first
        assert _memoized_expansion(json.loads(json.dumps(document)), loader) is first  # an equal copy
        assert _memoized_expansion({**document, "id": "urn:x:other"}, loader) is not first
    assert not loader.expansions  # nothing left in the loader's own memo
    assert _memoized_expansion(document, loader) is not first

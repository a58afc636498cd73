"""Issue 13, item 7: a legacy (Linked Data) proof's own @context is honoured.

DIDKit (SpruceID) writes ``"proof": {"@context": ["https://w3id.org/security/suites/ed25519-2020/v1"], …}`` when the
document's context lacks the suite's, and canonicalizes the proof options under that context (jsonld-signatures
does the same: a proof's own @context replaces the document's). vctrade canonicalized them under the document's
context, so the signature failed. The fixture was signed by DIDKit 0.3.3 (fixtures/interop/README.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade.di import add_proof, get_suite, verify_proofs
from vctrade.did import default_resolver
from vctrade.errors import SigningError
from vctrade.jsonld import default_loader

ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"


@pytest.fixture
def didkit_vc(fixtures_dir: Path, load_json: Callable[[Path], Any]) -> dict[str, Any]:
    document: dict[str, Any] = load_json(fixtures_dir / "interop" / "didkit-ed25519signature2020-proof-context.json")
    return document


def _signature(result: Any) -> tuple[str, str]:
    check = next(c for c in result.checks if c.name == "proof.signature")
    return check.status, check.code


def test_didkit_fixture_has_the_shape_of_the_issue(didkit_vc: dict[str, Any]) -> None:
    assert didkit_vc["@context"] == ["https://www.w3.org/2018/credentials/v1"]
    assert didkit_vc["proof"]["@context"] == [ED25519_2020]
    assert didkit_vc["proof"]["type"] == "Ed25519Signature2020"


def test_a_didkit_ed25519signature2020_proof_with_its_own_context_verifies(didkit_vc: dict[str, Any],
                                                                         now: datetime) -> None:
    result = verify(didkit_vc, now=now)
    assert result.verified, result.failures


@pytest.mark.parametrize("member,value", [("created", "2024-05-01T12:00:01Z"), ("proofPurpose", "authentication")])
def test_the_proof_options_are_still_signed(didkit_vc: dict[str, Any], member: str, value: str, now: datetime) -> None:
    tampered = copy.deepcopy(didkit_vc)
    tampered["proof"][member] = value
    purpose = value if member == "proofPurpose" else "assertionMethod"
    checks, signers = verify_proofs(tampered, resolver=default_resolver(), loader=default_loader(), now=now,
                                    skew=timedelta(0), purpose=purpose)
    assert signers == [] and checks[-1].name == "proof.signature" and checks[-1].code == "signature_invalid"


def test_the_document_is_still_signed(didkit_vc: dict[str, Any], now: datetime) -> None:
    tampered = copy.deepcopy(didkit_vc)
    tampered["credentialSubject"]["id"] = "did:example:someone-else"
    result = verify(tampered, now=now)
    assert not result.verified and _signature(result) == ("failed", "signature_invalid")


def test_a_proof_context_that_is_not_pinned_is_undecided(didkit_vc: dict[str, Any], now: datetime) -> None:
    tampered = copy.deepcopy(didkit_vc)
    tampered["proof"]["@context"] = ["https://unknown.example/suite/v1"]
    result = verify(tampered, now=now)
    assert not result.verified and result.undecided and _signature(result) == ("error", "unknown_context")


@pytest.mark.parametrize("proof_context", [
    [ED25519_2020, {"created": "https://evil.example/created"}],
    [{"@vocab": "https://evil.example/#"}, ED25519_2020],
    {"@context": ED25519_2020},
    [],
], ids=["appended-term", "vocab", "object", "empty"])
def test_a_proof_context_must_be_context_urls(didkit_vc: dict[str, Any], proof_context: Any, now: datetime) -> None:
    # An inline context could re-map the proof's members without changing the signed statements: refused.
    tampered = copy.deepcopy(didkit_vc)
    tampered["proof"]["@context"] = proof_context
    result = verify(tampered, now=now)
    assert not result.verified and _signature(result) == ("failed", "invalid_proof_context")


def _v1_credential(key: Key) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
            "issuer": key.did, "issuanceDate": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:importer-7"}}


@pytest.mark.parametrize("suite", ["Ed25519Signature2020", "Ed25519Signature2018"])
def test_add_proof_writes_the_suite_context_into_the_proof_when_asked(suite: str, now: datetime) -> None:
    key = Key.generate("Ed25519")
    document = _v1_credential(key)
    signed = add_proof(document, key, get_suite(suite), verification_method=key.did_key_verification_method,
                       loader=default_loader(), created=now, proof_context=True)
    assert signed["@context"] == document["@context"]  # the document is left as it was
    assert signed["proof"]["@context"] == [get_suite(suite).suite_context or get_suite(suite).context]
    assert verify(signed, now=now).verified


def test_add_proof_default_is_unchanged(now: datetime) -> None:
    key = Key.generate("Ed25519")
    document = {**_v1_credential(key), "@context": ["https://www.w3.org/2018/credentials/v1", ED25519_2020]}
    signed = add_proof(document, key, get_suite("Ed25519Signature2020"),
                       verification_method=key.did_key_verification_method, loader=default_loader(), created=now)
    assert "@context" not in signed["proof"]
    assert verify(signed, now=now).verified


@pytest.mark.parametrize("suite,key_type", [("eddsa-rdfc-2022", "Ed25519"), ("eddsa-jcs-2022", "Ed25519"),
                                            ("JsonWebSignature2020", "Ed25519")])
def test_proof_context_is_refused_where_it_cannot_work(suite: str, key_type: str, now: datetime) -> None:
    # Data Integrity proofs use the document's context; jws-2020/v1 does not define `type` on its own.
    key = Key.generate(key_type)
    with pytest.raises(SigningError):
        add_proof(_v1_credential(key), key, get_suite(suite), verification_method=key.did_key_verification_method,
                  loader=default_loader(), created=now, proof_context=True)


def test_a_data_integrity_proof_context_is_not_taken_in_place_of_the_documents(now: datetime) -> None:
    # Only legacy suites honour a proof-level @context; a DataIntegrityProof's options use the document's.
    key = Key.generate("Ed25519")
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": key.did, "credentialSubject": {"id": "did:example:importer-7"}}
    signed = add_proof(document, key, get_suite("eddsa-rdfc-2022"), verification_method=key.did_key_verification_method,
                       loader=default_loader(), created=now)
    assert verify(signed, now=now).verified
    signed["proof"]["@context"] = ["https://w3id.org/security/data-integrity/v2"]
    assert verify(signed, now=now).verified  # ignored for the proof options, as before

"""Every check the verifier makes, each made to fail by a test."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from vctrade import Key, StaticResolver, sign, verify
from vctrade import VerificationResult
from vctrade.status import StatusFiles

UNSIGNED: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:2b0c7f59-0f8e-4a43-9b77-4c5b7e0d7a11",
    "type": ["VerifiableCredential", "ExampleCredential"],
    "validFrom": "2024-01-01T00:00:00Z",
    "validUntil": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:acme", "name": "ACME"},
}
CREATED = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def ed_key() -> Key:
    return Key.generate("Ed25519")


@pytest.fixture(scope="module")
def signed(ed_key: Key) -> dict[str, Any]:
    return sign(UNSIGNED, ed_key, created=CREATED)


def check(result: VerificationResult, name: str):
    found = [c for c in result.checks if c.name == name]
    assert found, f"no check {name}: {[c.name for c in result.checks]}"
    return found[0]


def test_a_good_credential_passes_every_check(signed: dict[str, Any], now: datetime) -> None:
    result = verify(signed, now=now)
    assert result.verified, result.failures
    names = [c.name for c in result.checks]
    assert names == [
        "structure", "json-ld", "proof.suite", "proof.purpose", "proof.created", "proof.verification-method",
        "proof.authorized", "proof.key-type", "proof.signature", "issuer", "validity-period",
    ]


def test_verify_does_not_mutate_and_sign_does_not_mutate(ed_key: Key, now: datetime) -> None:
    original = copy.deepcopy(UNSIGNED)
    signed = sign(UNSIGNED, ed_key, created=CREATED)
    assert UNSIGNED == original and "proof" not in UNSIGNED and "issuer" not in UNSIGNED
    before = copy.deepcopy(signed)
    verify(signed, now=now)
    assert signed == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update({"@context": ["https://example.org/ctx"]}), "first @context"),
        (lambda d: d.pop("@context"), "@context is missing"),
        (lambda d: d.update({"type": ["ExampleCredential"]}), "VerifiableCredential"),
        (lambda d: d.update({"issuer": "not a url"}), "issuer must be a URL"),
        (lambda d: d.update({"issuer": {"name": "no id"}}), "issuer must be a URL"),
        (lambda d: d.pop("credentialSubject"), "credentialSubject"),
        (lambda d: d.update({"credentialSubject": []}), "credentialSubject"),
        (lambda d: d.update({"validFrom": "2024-01-01"}), "validFrom"),
        (lambda d: d.update({"validUntil": "2024-13-01T00:00:00Z"}), "validUntil"),
        (lambda d: d.update({"id": "no-scheme"}), "id must be a URL"),
    ],
)
def test_structure_fails(signed: dict[str, Any], change, message: str, now: datetime) -> None:
    document = copy.deepcopy(signed)
    change(document)
    result = verify(document, now=now)
    assert not result.verified
    structure = check(result, "structure")
    assert structure.status == "failed" and message in structure.message


def test_vc11_requires_issuance_date(ed_key: Key, now: datetime) -> None:
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": ed_key.did,
        "credentialSubject": {"id": "did:example:acme"},
    }
    assert "issuanceDate is required" in check(verify(document, now=now), "structure").message


@pytest.mark.parametrize("bad", ["not json", "[1, 2]", '"a string"', "", b"\xff\xfe"])
def test_non_objects_fail_structure_without_raising(bad: str | bytes, now: datetime) -> None:
    result = verify(bad, now=now)
    assert not result.verified and result.checks[0].name == "structure" and result.checks[0].status == "failed"


def test_undefined_term_fails_jsonld_and_names_the_term(ed_key: Key, now: datetime) -> None:
    document = copy.deepcopy(UNSIGNED)
    document["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    document["credentialSubject"] = {"id": "did:example:acme", "grade": "A"}
    from vctrade.errors import JsonLdSafetyError

    with pytest.raises(JsonLdSafetyError, match="'grade' at credentialSubject.grade"):
        sign(document, ed_key)
    # Signed as JCS (which alone would not notice), then verified: safe mode still fails it.
    signed = sign(UNSIGNED, ed_key, suite="eddsa-jcs-2022", created=CREATED)
    signed["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    result = verify(signed, now=now)
    jsonld = check(result, "json-ld")
    assert jsonld.status == "failed" and jsonld.code == "undefined_term"


def test_undefined_type_fails_jsonld(signed: dict[str, Any], now: datetime) -> None:
    document = copy.deepcopy(signed)
    document["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    document["credentialSubject"] = {"id": "did:example:acme"}
    jsonld = check(verify(document, now=now), "json-ld")
    assert jsonld.status == "failed" and "ExampleCredential" in jsonld.message


def test_unknown_context_is_an_error_not_a_fetch(signed: dict[str, Any], now: datetime) -> None:
    document = copy.deepcopy(signed)
    document["@context"].append("https://contexts.example/unknown/v1")
    result = verify(document, now=now)
    jsonld = check(result, "json-ld")
    assert jsonld.status == "error" and jsonld.code == "unknown_context"
    assert check(result, "proof.signature").status == "error"
    assert not result.verified


def test_unknown_suite_fails(signed: dict[str, Any], now: datetime) -> None:
    document = copy.deepcopy(signed)
    document["proof"]["cryptosuite"] = "eddsa-rdfc-2099"
    assert check(verify(document, now=now), "proof.suite").status == "failed"
    document["proof"]["type"] = "RsaSignature2018"
    assert check(verify(document, now=now), "proof.suite").code == "unknown_suite"


def test_missing_proof_and_malformed_proof_fail(signed: dict[str, Any], now: datetime) -> None:
    document = copy.deepcopy(signed)
    del document["proof"]
    assert check(verify(document, now=now), "proof").code == "no_proof"
    document["proof"] = "not an object"
    assert check(verify(document, now=now), "proof.structure").status == "failed"
    document["proof"] = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    assert "proofValue" in check(verify(document, now=now), "proof.structure").message


def test_wrong_purpose_fails(ed_key: Key, now: datetime) -> None:
    document = sign(UNSIGNED, ed_key, created=CREATED, proof_purpose="authentication")
    purpose = check(verify(document, now=now), "proof.purpose")
    assert purpose.status == "failed" and purpose.code == "wrong_purpose"


def test_created_in_the_future_fails_beyond_the_skew(ed_key: Key, now: datetime) -> None:
    document = sign(UNSIGNED, ed_key, created=now + timedelta(minutes=4))
    assert verify(document, now=now).verified  # inside the 5-minute default skew
    document = sign(UNSIGNED, ed_key, created=now + timedelta(minutes=6))
    assert check(verify(document, now=now), "proof.created").code == "created_in_future"
    assert verify(document, now=now, skew=timedelta(minutes=10)).verified


def test_malformed_created_fails(signed: dict[str, Any], now: datetime) -> None:
    document = copy.deepcopy(signed)
    document["proof"]["created"] = "yesterday"
    assert check(verify(document, now=now), "proof.created").code == "invalid_created"


def test_expired_proof_fails(ed_key: Key, now: datetime) -> None:
    document = sign(UNSIGNED, ed_key, created=CREATED, expires=now - timedelta(days=1))
    expires = check(verify(document, now=now), "proof.expires")
    assert expires.status == "failed" and expires.code == "proof_expired"


def test_previous_proof_must_exist(ed_key: Key, now: datetime) -> None:
    first = sign(UNSIGNED, ed_key, created=CREATED, proof_id="urn:uuid:first")
    chained = sign(first, ed_key, created=CREATED, previous_proof="urn:uuid:first")
    assert verify(chained, now=now).verified
    broken = copy.deepcopy(chained)
    broken["proof"][1]["previousProof"] = "urn:uuid:missing"
    assert check(verify(broken, now=now), "proof[1].previous-proof").code == "previous_proof_missing"


def test_every_proof_of_a_set_must_verify(ed_key: Key, now: datetime) -> None:
    both = sign(sign(UNSIGNED, ed_key, created=CREATED), ed_key, suite="eddsa-jcs-2022", created=CREATED)
    assert verify(both, now=now).verified
    both["proof"][1]["proofValue"] = sign(UNSIGNED, ed_key, suite="eddsa-jcs-2022")["proof"]["proofValue"]
    result = verify(both, now=now)
    assert check(result, "proof[0].signature").status == "passed"
    assert check(result, "proof[1].signature").status == "failed"
    assert not result.verified


@pytest.mark.parametrize(
    "vm",
    ["did:key:z6MkBAD#z6MkBAD", "did:unknown:abc#1", "not-a-did", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme#wrong"],
)
def test_unresolvable_verification_method_fails(signed: dict[str, Any], vm: str, now: datetime) -> None:
    document = copy.deepcopy(signed)
    document["proof"]["verificationMethod"] = vm
    method = check(verify(document, now=now), "proof.verification-method")
    assert method.status == "failed"


def _controller_document(key: Key, did: str, relationships: list[str], controller: str | None = None) -> dict[str, Any]:
    vm = {"id": f"{did}#key-1", "type": "Multikey", "controller": controller or did, "publicKeyMultibase": key.public_multibase}
    return {"id": did, "verificationMethod": [vm], **{r: [vm["id"]] for r in relationships}}


def test_method_not_authorized_for_assertion_fails(ed_key: Key, now: datetime) -> None:
    did = "did:example:customs"
    resolver = StaticResolver([_controller_document(ed_key, did, ["authentication"])])
    document = sign(UNSIGNED, ed_key, verification_method=f"{did}#key-1", created=CREATED)
    result = verify(document, now=now, resolver=resolver)
    assert check(result, "proof.authorized").code == "not_authorized"
    ok = StaticResolver([_controller_document(ed_key, did, ["assertionMethod"])])
    assert verify(document, now=now, resolver=ok).verified


def test_method_controlled_by_another_fails(ed_key: Key, now: datetime) -> None:
    did = "did:example:customs"
    resolver = StaticResolver([_controller_document(ed_key, did, ["assertionMethod"], controller="did:example:other")])
    document = sign(UNSIGNED, ed_key, verification_method=f"{did}#key-1", created=CREATED)
    assert check(verify(document, now=now, resolver=resolver), "proof.authorized").code == "controller_mismatch"


def test_key_type_must_fit_the_suite(ed_key: Key, now: datetime) -> None:
    p256 = Key.generate("P-256")
    document = sign(UNSIGNED, p256, created=CREATED)
    document["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    key_type = check(verify(document, now=now), "proof.key-type")
    assert key_type.status == "failed" and key_type.code == "key_type_mismatch"


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
def test_tampering_breaks_the_signature(ed_key: Key, suite: str, now: datetime) -> None:
    document = sign(UNSIGNED, ed_key, suite=suite, created=CREATED)
    document["credentialSubject"]["name"] = "EVIL"
    assert check(verify(document, now=now), "proof.signature").code == "signature_invalid"


def test_undecodable_proof_value_fails(signed: dict[str, Any], now: datetime) -> None:
    document = copy.deepcopy(signed)
    document["proof"]["proofValue"] = "z0OIl"  # not base58
    assert check(verify(document, now=now), "proof.signature").status == "failed"
    document["proof"]["proofValue"] = "mAAAA"
    assert check(verify(document, now=now), "proof.signature").status == "failed"


def test_issuer_must_be_the_signer(ed_key: Key, now: datetime) -> None:
    other = Key.generate("Ed25519")
    document = sign(UNSIGNED, ed_key, created=CREATED)
    resigned = sign({**{k: v for k, v in document.items() if k != "proof"}, "issuer": other.did}, other, created=CREATED)
    assert verify(resigned, now=now).verified
    # Claim the issuer is someone else, keep a valid signature by ed_key: issuer binding fails.
    forged = sign({**UNSIGNED}, ed_key, created=CREATED)
    forged_copy = {**forged, "issuer": other.did}
    result = verify(forged_copy, now=now)
    assert check(result, "issuer").status == "failed" and not result.verified


def test_validity_period(signed: dict[str, Any]) -> None:
    too_early = verify(signed, now=datetime(2023, 12, 31, 23, 50, tzinfo=timezone.utc))
    assert "not valid yet" in check(too_early, "validity-period").message
    within_skew = verify(signed, now=datetime(2023, 12, 31, 23, 56, tzinfo=timezone.utc))
    assert check(within_skew, "validity-period").status == "passed"
    expired = verify(signed, now=datetime(2025, 1, 1, 0, 6, tzinfo=timezone.utc))
    assert "expired" in check(expired, "validity-period").message


def test_vc11_validity_uses_issuance_and_expiration(ed_key: Key, now: datetime) -> None:
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2024-01-01T00:00:00Z",
        "expirationDate": "2024-03-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:acme"},
    }
    signed = sign(document, ed_key, created=CREATED - timedelta(days=200))
    assert "https://w3id.org/security/data-integrity/v2" in signed["@context"]
    assert verify(signed, now=datetime(2024, 2, 1, tzinfo=timezone.utc)).verified
    assert "expired" in check(verify(signed, now=now), "validity-period").message


def test_credential_status_that_cannot_be_checked_is_never_a_pass(ed_key: Key, now: datetime) -> None:
    document = copy.deepcopy(UNSIGNED)
    document["credentialStatus"] = {
        "id": "https://status.example/1#5", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "5", "statusListCredential": "https://status.example/1",
    }
    offline = StatusFiles({})  # no file for the list: its status cannot be known
    result = verify(sign(document, ed_key, created=CREATED), now=now, status_source=offline)
    status = check(result, "status.revocation")
    assert status.status == "error" and status.code == "status_unavailable"
    assert not result.verified and result.undecided


def test_naive_clock_is_misuse() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(UNSIGNED, now=datetime(2024, 1, 1))


def test_result_serializes_to_one_json_object(signed: dict[str, Any], now: datetime) -> None:
    data = json.loads(json.dumps(verify(signed, now=now).to_dict()))
    assert data["verified"] is True
    assert set(data["checks"][0]) == {"name", "status", "code", "message"}


def test_issuer_dependent_terms_are_named_not_called_defined(ed_key: Key, now: datetime) -> None:
    """The traceability context maps undefined terms to issuer-dependent IRIs (@vocab): signed, but the json-ld
    check names them instead of saying every term is defined."""
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/traceability/v1"],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:acme", "type": "Organization", "name": "ACME", "quantty": 3},
    }
    result = verify(sign(document, ed_key, suite="Ed25519Signature2020", created=CREATED), now=now)
    jsonld = check(result, "json-ld")
    assert jsonld.status == "passed" and jsonld.code == "jsonld_issuer_dependent"
    assert "quantty" in jsonld.message and "name" not in jsonld.message.split(":")[-1]
    assert check(verify(sign(UNSIGNED, ed_key, created=CREATED), now=now), "json-ld").code == "jsonld_ok"

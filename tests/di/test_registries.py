"""Adding a cryptosuite or a DID method is adding one object: registered by name, used by sign and verify."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from vctrade import Key, sign, verify
from vctrade.di import SUITES, Cryptosuite, JcsTransform, get_suite, register_suite
from vctrade.did import DID_METHODS, DIDDocument, register_method

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],
    "credentialSubject": {"id": "did:example:acme"},
}


class ToyJcsSuite(JcsTransform, Cryptosuite):
    """A suite that exists only in this test: Ed25519 over JCS under another name."""

    name = "toy-jcs-2026"
    key_types = frozenset({"Ed25519"})


@pytest.fixture
def toy_suite() -> Iterator[Cryptosuite]:
    suite = register_suite(ToyJcsSuite())
    yield suite
    SUITES.pop(suite.name)


def test_a_registered_suite_signs_and_verifies(toy_suite: Cryptosuite) -> None:
    key = Key.generate("Ed25519")
    signed = sign(CREDENTIAL, key, suite="toy-jcs-2026", created=NOW)
    assert signed["proof"]["cryptosuite"] == "toy-jcs-2026" and get_suite("toy-jcs-2026") is toy_suite
    result = verify(signed, now=NOW)
    assert result.verified, result.failures
    # The same proof under another registered suite's name is another signing input: it fails.
    signed["proof"]["cryptosuite"] = "eddsa-jcs-2022"
    assert not verify(signed, now=NOW).verified


def test_an_unregistered_suite_is_a_failed_check(toy_suite: Cryptosuite) -> None:
    signed = sign(CREDENTIAL, Key.generate("Ed25519"), suite="toy-jcs-2026", created=NOW)
    SUITES.pop("toy-jcs-2026")
    try:
        check = next(c for c in verify(signed, now=NOW).checks if c.name == "proof.suite")
        assert check.status == "failed" and check.code == "unknown_suite"
    finally:
        SUITES["toy-jcs-2026"] = toy_suite


class StaticMethod:
    """A DID method that exists only in this test: ``did:toy:<name>`` resolves from a table."""

    name = "toy"

    def __init__(self) -> None:
        self.documents: dict[str, DIDDocument] = {}

    def resolve(self, did: str) -> DIDDocument:
        return self.documents[did]


def test_a_registered_did_method_resolves_for_signing_and_verifying() -> None:
    key = Key.generate("P-256")
    did = "did:toy:cbp"
    method = StaticMethod()
    method.documents[did] = DIDDocument({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": did,
        "verificationMethod": [{"id": f"{did}#k1", "type": "Multikey", "controller": did,
                                "publicKeyMultibase": key.public_multibase}],
        "assertionMethod": [f"{did}#k1"],
    })
    register_method(method)
    try:
        signed = sign(CREDENTIAL, key, verification_method=f"{did}#k1", created=NOW)
        assert signed["issuer"] == did
        result = verify(signed, now=NOW)
        assert result.verified, result.failures
    finally:
        DID_METHODS.pop("toy")
    unresolvable = next(c for c in verify(signed, now=NOW).checks if c.name == "proof.verification-method")
    assert unresolvable.status == "failed" and "did:toy is not supported" in unresolvable.message

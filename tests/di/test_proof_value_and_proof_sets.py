"""Issue 12: only the canonical spelling of a proofValue verifies (item 7), and a proof set over a document that is
too costly to canonicalize is refused once, not once per proof (item 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade.di import get_suite

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:acme", "name": "ACME Steel"},
}


def _signature(result: Any, name: str = "proof.signature") -> tuple[str, str]:
    check = next(c for c in result.checks if c.name == name)
    return check.status, check.code


@pytest.mark.parametrize("suite,key_type", [("eddsa-rdfc-2022", "Ed25519"), ("ecdsa-jcs-2019", "P-384")])
@pytest.mark.parametrize("respell", [
    lambda value: value + " ",
    lambda value: value + "\n",
    lambda value: value + "\t\r\n",
    lambda value: value[:1] + " " + value[1:],
    lambda value: value[:10] + "0" + value[10:],  # 0, O, I and l are not in the base58btc alphabet
    lambda value: value[:10] + "l" + value[10:],
], ids=["space", "newline", "whitespace", "space-after-z", "zero", "ell"])
def test_a_respelled_proof_value_fails(suite: str, key_type: str, respell: Any, now: datetime) -> None:
    # Trailing whitespace used to verify: the base58 decoder strips it before decoding.
    signed = sign(CREDENTIAL, Key.generate(key_type), suite=suite, created=now)
    assert verify(signed, now=now).verified
    forged = {**signed, "proof": {**signed["proof"], "proofValue": respell(signed["proof"]["proofValue"])}}
    result = verify(forged, now=now)
    assert not result.verified and _signature(result) == ("failed", "invalid_proof_value")


def test_a_proof_set_over_a_poison_document_is_canonicalized_once(now: datetime,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    suite = get_suite("eddsa-rdfc-2022")
    signed = sign(CREDENTIAL, Key.generate(), suite=suite, created=now)
    ring = [{"id": f"_:n{i}", "next": {"id": f"_:n{(i + 1) % 200}"}} for i in range(200)]
    forged = {**signed, "credentialSubject": {"id": "did:example:acme", "ring": ring},
              "proof": [{**signed["proof"], "id": f"urn:proof:{i}"} for i in range(50)]}
    transforms: list[int] = []
    original = type(suite).transform

    def counting(self: Any, document: dict[str, Any], key_type: str, loader: Any) -> bytes:
        transforms.append(1)
        return original(self, document, key_type, loader)

    monkeypatch.setattr(type(suite), "transform", counting)
    result = verify(forged, now=now)
    assert _signature(result, "proof[49].signature") == ("failed", "canonicalization_too_costly")
    assert len(transforms) == 1

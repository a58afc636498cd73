"""Issue 12, item 8: a JCS proof signs its own @context, so what a document appends to it must not change the meaning.

The signed bytes do not cover entries appended after the proof's @context: an inline object is refused, a pinned
context URL is allowed (the Data Integrity algorithms only require the proof's @context to be a prefix) as long as
the document says the same with it. RDFC proofs canonicalize the whole @context and are not affected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade.jsonld import DocumentLoader

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
JCS_SUITES = [("eddsa-jcs-2022", "Ed25519"), ("ecdsa-jcs-2019", "P-256")]
APPENDED = {
    "language": {"@language": "fr"},
    "vocab": {"@vocab": "https://evil.example/vocab#"},
    "base": {"@base": "https://evil.example/"},
    "direction": {"@direction": "rtl"},
}


def _signed(suite: str, key_type: str, now: datetime, contexts: list[Any] | None = None,
            loader: DocumentLoader | None = None, subject: dict[str, Any] | None = None) -> dict[str, Any]:
    credential = {
        "@context": contexts or CONTEXTS,
        "type": ["VerifiableCredential"],
        "credentialSubject": subject or {"id": "did:example:acme", "name": "ACME Steel"},
    }
    return sign(credential, Key.generate(key_type), suite=suite, created=now, loader=loader)


def _appended(signed: dict[str, Any], *entries: Any) -> dict[str, Any]:
    return {**signed, "@context": [*signed["@context"], *entries]}


def _signature(result: Any) -> tuple[str, str]:
    check = next(c for c in result.checks if c.name == "proof.signature")
    return check.status, check.code


@pytest.mark.parametrize("suite,key_type", JCS_SUITES)
@pytest.mark.parametrize("appended", APPENDED.values(), ids=APPENDED.keys())
def test_an_appended_inline_context_fails(suite: str, key_type: str, appended: dict[str, str], now: datetime) -> None:
    signed = _signed(suite, key_type, now)
    assert verify(signed, now=now).verified
    result = verify(_appended(signed, appended), now=now)
    assert not result.verified and _signature(result) == ("failed", "unsigned_context")


@pytest.mark.parametrize("suite,key_type", JCS_SUITES)
def test_an_appended_pinned_context_url_still_verifies(suite: str, key_type: str, now: datetime) -> None:
    signed = _signed(suite, key_type, now)
    assert verify(_appended(signed, "https://w3id.org/security/data-integrity/v2"), now=now).verified


def test_an_appended_unknown_context_url_is_undecided(now: datetime) -> None:
    result = verify(_appended(_signed("eddsa-jcs-2022", "Ed25519", now), "https://unknown.example/ctx"), now=now)
    assert not result.verified and result.undecided
    assert _signature(result) == ("error", "unknown_context")


def test_an_appended_pinned_context_that_redefines_a_term_fails(now: datetime) -> None:
    first = {"@context": {"grade": "https://first.example/grade"}}
    second = {"@context": {"grade": "https://second.example/grade"}}
    loader = DocumentLoader({"https://first.example/ctx": first, "https://second.example/ctx": second})
    signed = _signed("eddsa-jcs-2022", "Ed25519", now, ["https://www.w3.org/ns/credentials/v2", "https://first.example/ctx"],
                     loader, {"id": "did:example:acme", "grade": "A"})
    assert verify(signed, now=now, loader=loader).verified
    result = verify(_appended(signed, "https://second.example/ctx"), now=now, loader=loader)
    assert _signature(result) == ("failed", "unsigned_context")


def test_rdfc_proofs_are_unaffected(now: datetime) -> None:
    # RDFC signs the canonical form under the whole @context: an appended object breaks the signature itself,
    # and an inline context that was there when signing is signed and verifies.
    signed = _signed("eddsa-rdfc-2022", "Ed25519", now)
    assert _signature(verify(_appended(signed, APPENDED["language"]), now=now)) == ("failed", "signature_invalid")
    inline = _signed("eddsa-rdfc-2022", "Ed25519", now, [*CONTEXTS, {"@language": "fr"}])
    assert verify(inline, now=now).verified

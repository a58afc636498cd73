"""The presentation exchange's behaviour, framework aside: available → prove → submissions, and every refusal."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key
from vctrade.di import sign
from vctrade.did import StaticResolver, create_did_web_document
from vctrade.errors import RequestError
from vctrade.service import ServiceConfig
from vctrade.service._app import Service
from vctrade.service._exchange import ChallengeRefused, Exchange, verification_report
from vctrade.service._oauth import Caller
from vctrade.verification import verify

ORG = "did:web:127.0.0.1%3A8443:traceability"
PARTNER = Caller("partner-org", frozenset({"submit:presentations"}), "client")
STEEL = "https://vctrade.dev/workflows/steel-import/v1"


class Clock:
    """A clock the test moves by hand (starting now: the credentials' proofs are checked against it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def make_config(folder: Path, key_type: str = "Ed25519") -> tuple[ServiceConfig, Key]:
    key = Key.generate(key_type)
    key.save(folder / "org.jwk")
    config = ServiceConfig.from_dict({
        "server": {"max_body_bytes": 200_000},
        "auth": {"tokens": ["admin-token"]},
        "issuer": [{"name": "org", "key": "org.jwk", "did": ORG}],
        "traceability": {"issuer": "org", "did": ORG, "challenge_ttl_seconds": 300, "store": "exchange.sqlite"},
    }, folder)
    return config, key


def make_exchange(folder: Path, clock: Clock, key_type: str = "Ed25519", **options: Any) -> tuple[Exchange, Key]:
    config, key = make_config(folder, key_type)
    service = Service(config)
    # The organisation's did:web document, as its service publishes it (served over HTTPS in test_exchange_http).
    service.resolver = StaticResolver([create_did_web_document(ORG, [key], ["org"])])
    return Exchange(config, service, clock=clock, **options), key


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exchange(tmp_path: Path, clock: Clock) -> Exchange:
    return make_exchange(tmp_path, clock)[0]


@pytest.fixture
def org_key(exchange: Exchange) -> Key:
    return exchange.signer.key


def credential(key: Key, **extra: Any) -> dict[str, Any]:
    """A VC 1.1 credential issued by the organisation (as /credentials/issue would)."""
    unsigned = {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:uuid:5b6f0a8e-credential",
                "type": ["VerifiableCredential"], "issuer": ORG, "issuanceDate": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:123"}} | extra
    return sign(unsigned, key, suite="Ed25519Signature2018" if key.key_type == "Ed25519" else "JsonWebSignature2020",
                verification_method=f"{ORG}#org")


def presentation(key: Key, workflow: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                                "type": ["VerifiablePresentation"], "holder": ORG,
                                "verifiableCredential": [credential(key)]}
    if workflow is not None:
        document["@context"].append("https://w3id.org/traceability/v1")
        document["type"].append("TraceablePresentation")
        document["workflow"] = workflow
    return document


def refusal(attempt: Callable[[], Any]) -> str:
    """The code of the ChallengeRefused (a 400) that ``attempt`` raises."""
    with pytest.raises(ChallengeRefused) as refused:
        attempt()
    return refused.value.code


def exchange_round(exchange: Exchange, key: Key, caller: Caller = PARTNER, *, workflow: str | None = None,
                   document: dict[str, Any] | None = None, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """available → prove; the grant ({domain, challenge}) and the signed presentation."""
    asked = exchange.available({"workflow": {"definition": [workflow]}} if workflow else {}, caller)
    assert asked.status == 200, asked.body
    grant = asked.body
    proved = exchange.prove({"presentation": document or presentation(key),
                             "options": {"challenge": grant["challenge"], "domain": grant["domain"]} | options})
    assert proved.status == 201, proved.body
    return grant, proved.body


def test_available_prove_submit_stores_the_verified_submission(exchange: Exchange, org_key: Key) -> None:
    grant, vp = exchange_round(exchange, org_key, document=presentation(
        org_key, {"definition": [STEEL], "instance": ["urn:uuid:shipment-1"]}))
    assert grant["domain"] == "127.0.0.1:8443"  # the organisation's did:web host
    assert vp["proof"]["challenge"] == grant["challenge"] and vp["proof"]["domain"] == grant["domain"]
    assert vp["proof"]["type"] == "Ed25519Signature2018" and vp["proof"]["proofPurpose"] == "authentication"
    assert vp["proof"]["verificationMethod"] == f"{ORG}#org" and vp["holder"] == ORG
    assert vp["workflow"]["instance"] == ["urn:uuid:shipment-1"]  # the client's members are kept
    # The steel-import workflow's cross-document checks run (nested): a lone test credential is no shipment.
    refused = exchange.submit(vp, PARTNER)
    assert refused.status == 400 and any(e.startswith("workflow[0].shipment.") for e in refused.body["errors"])
    assert exchange.store.submissions() == []  # not stored, challenge still unused

    grant, vp = exchange_round(exchange, org_key)
    accepted = exchange.submit(vp, PARTNER)
    assert accepted.status == 200, accepted.body
    assert accepted.body["verified"] is True and accepted.body["errors"] == [] and accepted.body["warnings"] == []
    assert {"proof", "holder", "credential[0].proof"} <= set(accepted.body["checks"])
    [stored] = exchange.store.submissions()
    assert (stored.challenge, stored.client_id, stored.presentation) == (grant["challenge"], "partner-org", vp)


def test_the_verifiable_presentation_wrapper_is_accepted_too(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key)
    assert exchange.submit({"verifiablePresentation": vp}, PARTNER).status == 200


def test_the_same_challenge_again_is_refused(exchange: Exchange, org_key: Key) -> None:
    grant, vp = exchange_round(exchange, org_key)
    assert exchange.submit(vp, PARTNER).status == 200
    assert refusal(lambda: exchange.submit(vp, PARTNER)) == "challenge_used"
    # Re-signed with the same challenge: still the same, used, challenge.
    resigned = exchange.prove({"presentation": presentation(org_key),
                               "options": {"challenge": grant["challenge"], "domain": grant["domain"]}})
    assert refusal(lambda: exchange.submit(resigned.body, PARTNER)) == "challenge_used"
    assert len(exchange.store.submissions()) == 1


def test_an_expired_challenge_is_refused(exchange: Exchange, org_key: Key, clock: Clock) -> None:
    _, vp = exchange_round(exchange, org_key)
    clock.now += 300
    assert refusal(lambda: exchange.submit(vp, PARTNER)) == "challenge_expired"
    assert exchange.store.submissions() == []


def test_a_challenge_this_service_never_handed_out_is_refused(exchange: Exchange, org_key: Key) -> None:
    vp = exchange.prove({"presentation": presentation(org_key),
                         "options": {"challenge": "made-up", "domain": exchange.domain}}).body
    assert refusal(lambda: exchange.submit(vp, PARTNER)) == "unknown_challenge"
    unsigned = presentation(org_key)
    assert refusal(lambda: exchange.submit(unsigned, PARTNER)) == "unknown_challenge"


def test_a_challenge_for_another_domain_is_refused_with_the_checks(exchange: Exchange, org_key: Key) -> None:
    grant, _ = exchange_round(exchange, org_key)
    elsewhere = exchange.prove({"presentation": presentation(org_key),
                                "options": {"challenge": grant["challenge"], "domain": "verifier.example"}}).body
    refused = exchange.submit(elsewhere, PARTNER)
    assert refused.status == 400 and refused.body["verified"] is False
    assert any(e.startswith("proof.domain:") and "127.0.0.1:8443" in e for e in refused.body["errors"])
    no_domain = exchange.prove({"presentation": presentation(org_key), "options": {"challenge": grant["challenge"]}})
    assert exchange.submit(no_domain.body, PARTNER).status == 400
    assert exchange.store.challenge(grant["challenge"]).value == grant["challenge"]  # still unused


def test_a_tampered_presentation_is_refused_with_the_checks(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key)
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:mallory"
    refused = exchange.submit(tampered, PARTNER)
    assert refused.status == 400 and refused.body["verified"] is False
    assert any(e.startswith("credential[0].proof.signature:") for e in refused.body["errors"])
    assert "credential[0].proof" in refused.body["checks"]
    assert exchange.submit(vp, PARTNER).status == 200  # the untouched one still answers the challenge


def test_a_challenge_handed_to_another_client_is_refused(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key)
    other = Caller("other-org", frozenset({"submit:presentations"}), "client")
    assert refusal(lambda: exchange.submit(vp, other)) == "challenge_not_yours"
    assert exchange.submit(vp, PARTNER).status == 200


def test_a_challenge_for_a_workflow_needs_a_presentation_naming_it(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key, workflow=STEEL)
    refused = exchange.submit(vp, PARTNER)
    assert refused.status == 400
    assert any(e.startswith("exchange.workflow:") for e in refused.body["errors"])
    challenge = exchange.store.challenge(vp["proof"]["challenge"])
    assert challenge.workflow == STEEL


@pytest.mark.parametrize("body", [{"workflow": "x"}, {"workflow": {"definition": []}},
                                  {"workflow": {"definition": ["a", "b"]}}, {"workflow": {"definition": 3}},
                                  {"query": "QueryByExample"}])
def test_available_refuses_a_malformed_request(exchange: Exchange, body: dict[str, Any]) -> None:
    with pytest.raises(RequestError):
        exchange.available(body, PARTNER)


def test_available_takes_the_profiles_query(exchange: Exchange) -> None:
    query = {"query": [{"type": "QueryByExample", "credentialQuery": [{"type": ["VerifiableCredential"],
                                                                       "reason": "We want to present credentials."}]}]}
    answer = exchange.available(query, PARTNER)
    assert answer.status == 200 and set(answer.body) == {"domain", "challenge"}


def test_a_full_store_answers_503_with_retry_after(tmp_path: Path, clock: Clock) -> None:
    exchange, _ = make_exchange(tmp_path, clock, max_challenges=2)
    exchange.available({}, PARTNER)
    clock.now += 100
    exchange.available({}, PARTNER)
    full = exchange.available({}, PARTNER)
    assert full.status == 503 and full.headers == {"Retry-After": "200"}
    assert (full.body["code"], full.body["reason"]) == (503, "store_full")


def test_prove_signs_with_json_web_signature_2020_when_asked(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key, type="JsonWebSignature2020")
    assert vp["proof"]["type"] == "JsonWebSignature2020"
    assert "https://w3id.org/security/suites/jws-2020/v1" in vp["@context"]
    assert exchange.submit(vp, PARTNER).status == 200


def test_prove_defaults_to_json_web_signature_2020_for_a_p256_organisation(tmp_path: Path, clock: Clock) -> None:
    exchange, key = make_exchange(tmp_path, clock, "P-256")
    _, vp = exchange_round(exchange, key)
    assert vp["proof"]["type"] == "JsonWebSignature2020"
    assert exchange.submit(vp, PARTNER).status == 200


def test_prove_sets_the_holder_when_the_presentation_has_none(exchange: Exchange, org_key: Key) -> None:
    document = presentation(org_key)
    del document["holder"]
    proved = exchange.prove({"presentation": document, "options": {"challenge": "c"}})
    assert proved.body["holder"] == ORG and "holder" not in document  # the caller's document is untouched


def _with(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return document | changes


@pytest.mark.parametrize("make_body, words", [
    (lambda p: {"options": {"challenge": "c"}}, "presentation"),
    (lambda p: {"presentation": p}, "options"),
    (lambda p: {"presentation": p, "options": {}}, "challenge"),
    (lambda p: {"presentation": p, "options": {"challenge": ""}}, "challenge"),
    (lambda p: {"presentation": p, "options": {"challenge": "c", "domain": 7}}, "domain"),
    (lambda p: {"presentation": p, "options": {"challenge": "c", "type": "Ed25519Signature2020"}}, "options.type"),
    (lambda p: {"presentation": _with(p, holder="did:web:someone-else.example"), "options": {"challenge": "c"}},
     "holder"),
    (lambda p: {"presentation": _with(p, proof={"type": "Ed25519Signature2018"}), "options": {"challenge": "c"}},
     "already has a proof"),
    (lambda p: {"presentation": _with(p, verifiableCredential=[{"@context": [], "type": ["VerifiableCredential"]}]),
                "options": {"challenge": "c"}}, "signed"),
    (lambda p: {"presentation": _with(p, type=["NotAPresentation"]), "options": {"challenge": "c"}}, "cannot sign"),
    (lambda p: {"presentation": _with(p, workflow={"definition": ["x"]}), "options": {"challenge": "c"}},
     "cannot sign"),
])
def test_prove_refuses_what_it_would_not_sign(exchange: Exchange, org_key: Key,
                                             make_body: Callable[[dict[str, Any]], dict[str, Any]], words: str) -> None:
    with pytest.raises(RequestError, match=words):
        exchange.prove(make_body(presentation(org_key)))


def test_prove_signs_a_holder_object_naming_the_organisation(exchange: Exchange, org_key: Key) -> None:
    proved = exchange.prove({"presentation": _with(presentation(org_key), holder={"id": ORG}),
                             "options": {"challenge": "c"}})
    assert proved.status == 201 and proved.body["holder"] == {"id": ORG}


def test_presentations_receives_an_unsigned_presentation_from_an_authenticated_client(
        exchange: Exchange, org_key: Key) -> None:
    unsigned = presentation(org_key)  # as the profile's OAuth tutorial sends it: a TraceablePresentation, no proof
    unsigned["@context"].append("https://w3id.org/traceability/v1")
    unsigned["type"].append("TraceablePresentation")
    # Naming a holder that did not sign it: refused (the holder is not proven; the client is not the holder).
    refused = exchange.receive(unsigned, PARTNER)
    assert refused.status == 400 and any(e.startswith("holder:") for e in refused.body["errors"])
    del unsigned["holder"]
    answer = exchange.receive(unsigned, PARTNER)
    assert answer.status == 200 and answer.body["verified"] is True, answer.body
    assert "sender" in answer.body["checks"] and "proof" not in answer.body["checks"]
    [stored] = exchange.store.submissions()
    assert (stored.endpoint, stored.challenge, stored.client_id) == ("presentations", None, "partner-org")
    # A workflow no installed plug-in knows: its documents were not checked against each other, so not accepted.
    unsigned["workflow"] = {"definition": ["urn:example:unknown-workflow"], "instance": ["urn:uuid:instance-1"]}
    refused = exchange.receive(unsigned, PARTNER)
    assert refused.status == 400 and any(e.startswith("workflow[0].workflow:") for e in refused.body["errors"])
    assert len(exchange.store.submissions()) == 1


def test_presentations_refuses_a_credential_that_does_not_verify(exchange: Exchange, org_key: Key) -> None:
    unsigned = presentation(org_key)
    del unsigned["holder"]
    unsigned["verifiableCredential"][0]["credentialSubject"] = "did:example:123"  # not an object, and tampered
    refused = exchange.receive(unsigned, Caller(None, frozenset(), "token"))
    assert refused.status == 400 and refused.body["verified"] is False
    assert any(e.startswith("credential[0].structure:") for e in refused.body["errors"])
    assert exchange.store.submissions() == []


def test_presentations_verifies_a_signed_presentation_as_it_is(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key)
    answer = exchange.receive(vp, PARTNER)
    assert answer.status == 200 and "sender" not in answer.body["checks"]
    forged = copy.deepcopy(vp)
    forged["holder"] = "did:web:someone-else.example"
    assert exchange.receive(forged, PARTNER).status == 400


def test_presentations_refuses_a_malformed_presentation(exchange: Exchange) -> None:
    refused = exchange.receive({"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["Presentation"]},
                               PARTNER)
    assert refused.status == 400 and refused.body["checks"] == ["structure"]
    assert exchange.store.submissions() == []


@pytest.mark.parametrize("body", [[], "a presentation", {"verifiablePresentation": "x"}])
def test_a_submission_must_be_a_presentation_object(exchange: Exchange, body: Any) -> None:
    with pytest.raises(RequestError):
        exchange.submit(body if isinstance(body, dict) else {"verifiablePresentation": body}, PARTNER)
    with pytest.raises(RequestError):
        exchange.receive(body if isinstance(body, dict) else {"verifiablePresentation": body}, PARTNER)


def test_verify_checks_challenge_and_domain_without_consuming_anything(exchange: Exchange, org_key: Key) -> None:
    grant, vp = exchange_round(exchange, org_key)
    assert exchange.submit(vp, PARTNER).status == 200
    # After the submission used the challenge: verify still answers (the presentations-verify tutorial does this).
    answer = exchange.verify({"verifiablePresentation": vp, "options": grant})
    assert answer.status == 200 and answer.body["verified"] is True
    wrong = exchange.verify({"verifiablePresentation": vp,
                             "options": {"challenge": "other", "domain": grant["domain"]}})
    assert wrong.status == 200 and wrong.body["verified"] is False
    assert any(e.startswith("proof.challenge:") for e in wrong.body["errors"])
    credential_only = exchange.verify({"verifiablePresentation": vp["verifiableCredential"][0]})
    assert credential_only.body["verified"] is False
    assert any("wrong_document_type" in e or "a presentation is expected" in e for e in credential_only.body["errors"])


@pytest.mark.parametrize("body", [{}, {"verifiablePresentation": 3}, {"verifiablePresentation": {}},
                                  {"verifiablePresentation": {"type": []}, "options": []},
                                  {"verifiablePresentation": {"type": []}, "options": {"challenge": 1}},
                                  {"verifiablePresentation": {"type": []}, "options": {"domain": ["d"]}}])
def test_verify_refuses_a_malformed_request(exchange: Exchange, body: dict[str, Any]) -> None:
    with pytest.raises(RequestError):
        exchange.verify(body)


def test_the_report_names_nested_checks_after_their_document(exchange: Exchange, org_key: Key) -> None:
    _, vp = exchange_round(exchange, org_key)
    result = verify(vp, resolver=exchange.service.resolver, challenge=vp["proof"]["challenge"],
                    domain=vp["proof"]["domain"])
    report = verification_report(result)
    assert report["verified"] is True and report["warnings"] == [] and report["errors"] == []
    assert report["checks"][:2] == ["structure", "json-ld"] and len(report["checks"]) == len(set(report["checks"]))
    assert "credential[0].proof" in report["checks"] and "credential[0].issuer" in report["checks"]


def test_a_submission_undecided_because_every_fetch_slot_is_busy_is_a_503_and_keeps_its_challenge(
        tmp_path: Path, clock: Clock) -> None:
    config, key = make_config(tmp_path)
    config.max_pending_verifications = 1
    service = Service(config)  # its own resolver: the organisation's did:web is fetched through the service's slots
    exchange = Exchange(config, service, clock=clock)
    grant = exchange.available({}, PARTNER).body
    vp = exchange.prove({"presentation": presentation(key), "options": grant}).body
    with service.options.fetch.slots.hold("https://elsewhere.example/.well-known/did.json"):  # the one slot, taken
        busy = exchange.submit(vp, PARTNER)
        verifying = exchange.verify({"verifiablePresentation": vp, "options": grant})
    for answer in (busy, verifying):
        assert answer.status == 503 and answer.headers == {"Retry-After": "10"}, answer.body
        assert answer.body["reason"] == "busy" and answer.body["verified"] is False
    assert exchange.store.challenge(grant["challenge"]).value == grant["challenge"]  # free for another try

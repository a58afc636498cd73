"""Issue 13, item 9: the pilots' legacy suites, Ed25519Signature2018 and JsonWebSignature2020 (detached JWS).

Both are Linked Data proofs over RDFC-1.0 (URDNA2015) whose signature is a detached JWS with an unencoded payload
(RFC 7797): the JWS signing input is ``base64url(header) + "." + sha256(canonical proof options) ||
sha256(canonical document)``, and the proof's ``jws`` is ``header..signature``. Vectors (fixtures/interop/README.md):

- Credo (Aries Framework JavaScript, jsonld-signatures) Ed25519Signature2018 credential, its bad-signature twin and a
  presentation: openwallet-foundation/credo-ts @6ecab7a8, packages/core/src/modules/vc/__tests__/fixtures.ts;
- the JsonWebSignature2020 specification's test vector vc_0 / issuer_0: w3c-ccg/lds-jws2020 @76467a88, docs/index.html;
- DIDKit 0.3.3 (SpruceID) Ed25519Signature2018 and JsonWebSignature2020 (EdDSA and ES256) credentials.

vctrade verifies them whenever a proof says so, signs them only when asked by name, and applies its strict JOSE
checks to the detached JWS: header exactly {alg, b64, crit}, ``b64`` false, ``crit`` exactly ["b64"], an ``alg``
the suite allows that fits the key, canonical base64url, the algorithm's signature length.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade._encoding import b64url_decode, b64url_encode
from vctrade.di import default_suite_for, get_suite
from vctrade.did import StaticResolver
from vctrade.errors import SigningError
from vctrade.jsonld import default_loader

INTEROP = Path(__file__).resolve().parent.parent.parent / "fixtures" / "interop"
DIDKIT = ["didkit-ed25519signature2018.json", "didkit-jsonwebsignature2020-ed25519.json",
          "didkit-jsonwebsignature2020-p256.json"]
CREDO_CHALLENGE = "7bf32d0b-39d4-41f3-96b6-45de52988e4c"
V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"
STANDARD_HEADER = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


def _interop(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((INTEROP / name).read_text(encoding="utf-8"))
    return document


def _signature(result: Any, label: str = "proof") -> tuple[str, str]:
    check = next(c for c in result.checks if c.name == f"{label}.signature")
    return check.status, check.code


# -- vectors from other implementations ---------------------------------------------------------------------------


def test_credo_ed25519signature2018_credential_verifies(now: datetime) -> None:
    result = verify(_interop("credo-ed25519signature2018-vc.json"), now=now)
    assert result.verified, result.failures


def test_credo_bad_signature_fails(now: datetime) -> None:
    result = verify(_interop("credo-ed25519signature2018-vc-bad-signature.json"), now=now)
    assert not result.verified and _signature(result) == ("failed", "signature_invalid")


def test_credo_ed25519signature2018_presentation_verifies(now: datetime) -> None:
    presentation = _interop("credo-ed25519signature2018-vp.json")
    assert presentation["proof"]["proofPurpose"] == "authentication"
    result = verify(presentation, now=now, challenge=CREDO_CHALLENGE)
    assert result.verified, result.failures
    assert not verify(presentation, now=now, challenge="another-challenge").verified


def test_the_jws2020_specification_vector_verifies(now: datetime) -> None:
    vc = _interop("lds-jws2020-spec-vc_0.json")
    issuer = _interop("lds-jws2020-spec-issuer_0.json")
    # issuer_0 lists its key under the pre-DID-core member `publicKey`; the same key as `verificationMethod`:
    controller = {"id": issuer["id"], "verificationMethod": issuer["publicKey"],
                  "assertionMethod": issuer["assertionMethod"]}
    assert controller["verificationMethod"][0]["type"] == "JsonWebKey2020"
    result = verify(vc, now=now, resolver=StaticResolver([controller]))
    assert result.verified, result.failures
    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["degree"]["name"] = "Master of Science and Arts"
    result = verify(tampered, now=now, resolver=StaticResolver([controller]))
    assert _signature(result) == ("failed", "signature_invalid")


@pytest.mark.parametrize("name", DIDKIT)
def test_didkit_credentials_verify(name: str, now: datetime) -> None:
    result = verify(_interop(name), now=now)
    assert result.verified, result.failures


@pytest.mark.parametrize("name", DIDKIT + ["credo-ed25519signature2018-vc.json"])
def test_a_changed_document_fails(name: str, now: datetime) -> None:
    tampered = _interop(name)
    tampered["issuanceDate"] = "2030-01-01T00:00:00Z"
    assert _signature(verify(tampered, now=now)) == ("failed", "signature_invalid")


# -- signing: only when asked -------------------------------------------------------------------------------------


def test_they_are_never_the_default() -> None:
    assert default_suite_for("Ed25519").name == "eddsa-rdfc-2022"
    assert default_suite_for("P-256").name == "ecdsa-rdfc-2019"


def _credential(context: list[str], key: Key) -> dict[str, Any]:
    credential: dict[str, Any] = {"@context": context, "type": ["VerifiableCredential"],
                                  "credentialSubject": {"id": "did:example:importer-7"}}
    if context[0] == V1:
        credential["issuanceDate"] = "2024-01-01T00:00:00Z"
    return credential


@pytest.mark.parametrize("suite,key_type,context", [
    ("Ed25519Signature2018", "Ed25519", [V1]),
    ("JsonWebSignature2020", "Ed25519", [V1]),
    ("JsonWebSignature2020", "P-256", [V1]),
    ("JsonWebSignature2020", "Ed25519", [V2]),
    ("JsonWebSignature2020", "P-256", [V2]),
])
def test_sign_when_asked_by_name_round_trips(suite: str, key_type: str, context: list[str], now: datetime) -> None:
    key = Key.generate(key_type)
    signed = sign(_credential(context, key), key, suite=suite, created=now)
    proof = signed["proof"]
    assert proof["type"] == suite and "proofValue" not in proof and "cryptosuite" not in proof
    header, empty, _ = proof["jws"].split(".")
    assert empty == ""
    assert json.loads(b64url_decode(header)) == {"alg": key.jose_alg, "b64": False, "crit": ["b64"]}
    assert verify(signed, now=now).verified


def test_a_jsonwebkey2020_verification_method_signs_and_verifies(now: datetime) -> None:
    key = Key.generate("P-256")
    did = "did:example:pilot-exporter"
    controller = {"id": did, "verificationMethod": [{"id": f"{did}#jwk", "type": "JsonWebKey2020", "controller": did,
                                                     "publicKeyJwk": key.to_jwk()}], "assertionMethod": [f"{did}#jwk"]}
    signed = sign(_credential([V1], key), key, suite="JsonWebSignature2020", verification_method=f"{did}#jwk",
                  created=now)
    assert signed["issuer"] == did
    assert verify(signed, now=now, resolver=StaticResolver([controller])).verified


@pytest.mark.parametrize("suite,key_type", [("Ed25519Signature2018", "P-256"), ("JsonWebSignature2020", "P-384"),
                                            ("JsonWebSignature2020", "secp256k1")])
def test_a_key_the_suite_does_not_sign_with_is_refused(suite: str, key_type: str) -> None:
    key = Key.generate(key_type)
    with pytest.raises(SigningError):
        sign(_credential([V1], key), key, suite=suite)


# -- strict checks on the detached JWS ----------------------------------------------------------------------------


def _resigned(signed: dict[str, Any], key: Key, header: dict[str, Any] | bytes) -> dict[str, Any]:
    """``signed`` with its jws replaced by one over the same signed data but under ``header``, by ``key``: a valid
    signature, so only vctrade's header checks can refuse it."""
    proof = signed["proof"]
    chosen = get_suite(proof["type"])
    options = {k: v for k, v in proof.items() if k != "jws"}
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    loader = default_loader()
    data = chosen.hash(chosen.proof_config(options, unsecured, key.key_type, loader),
                       chosen.transform(unsecured, key.key_type, loader), key.key_type)
    encoded = b64url_encode(header if isinstance(header, bytes) else json.dumps(header).encode())
    signature = b64url_encode(key.sign(encoded.encode() + b"." + data))
    return {**signed, "proof": {**proof, "jws": f"{encoded}..{signature}"}}


@pytest.fixture
def signed_2018(now: datetime) -> tuple[dict[str, Any], Key]:
    key = Key.generate("Ed25519")
    return sign(_credential([V1], key), key, suite="Ed25519Signature2018", created=now), key


def test_the_resigning_helper_makes_valid_proofs(signed_2018: tuple[dict[str, Any], Key], now: datetime) -> None:
    signed, key = signed_2018
    assert verify(_resigned(signed, key, STANDARD_HEADER), now=now).verified  # the control for the tests below
    assert verify(_resigned(signed, key, {"crit": ["b64"], "b64": False, "alg": "EdDSA"}), now=now).verified


BAD_HEADERS: dict[str, tuple[dict[str, Any] | bytes, str]] = {
    "b64-true": ({"alg": "EdDSA", "b64": True, "crit": ["b64"]}, "invalid_jws_header"),
    "b64-string": ({"alg": "EdDSA", "b64": "false", "crit": ["b64"]}, "invalid_jws_header"),
    "no-b64": ({"alg": "EdDSA", "crit": ["b64"]}, "invalid_jws_header"),
    "no-crit": ({"alg": "EdDSA", "b64": False}, "invalid_jws_header"),
    "crit-more": ({"alg": "EdDSA", "b64": False, "crit": ["b64", "exp"]}, "invalid_jws_header"),
    "crit-string": ({"alg": "EdDSA", "b64": False, "crit": "b64"}, "invalid_jws_header"),
    "extra-member": ({"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "k"}, "invalid_jws_header"),
    "alg-none": ({"alg": "none", "b64": False, "crit": ["b64"]}, "invalid_jws_alg"),
    "alg-hs256": ({"alg": "HS256", "b64": False, "crit": ["b64"]}, "invalid_jws_alg"),
    "alg-es256-in-2018": ({"alg": "ES256", "b64": False, "crit": ["b64"]}, "invalid_jws_alg"),
    "no-alg": ({"b64": False, "crit": ["b64"], "x": 1}, "invalid_jws_header"),
    "duplicate-member": (b'{"alg":"EdDSA","b64":false,"b64":false,"crit":["b64"]}', "invalid_jws_header"),
    "not-an-object": (b'["alg","EdDSA"]', "invalid_jws_header"),
    "not-json": (b"alg=EdDSA", "invalid_jws_header"),
}


@pytest.mark.parametrize("header,code", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_bad_header_is_refused_even_with_a_valid_signature(signed_2018: tuple[dict[str, Any], Key],
                                                             header: dict[str, Any] | bytes, code: str,
                                                             now: datetime) -> None:
    signed, key = signed_2018
    result = verify(_resigned(signed, key, header), now=now)
    assert not result.verified and _signature(result) == ("failed", code)


def test_an_alg_that_does_not_fit_the_key_is_refused(now: datetime) -> None:
    key = Key.generate("Ed25519")
    signed = sign(_credential([V1], key), key, suite="JsonWebSignature2020", created=now)
    result = verify(_resigned(signed, key, {"alg": "ES256", "b64": False, "crit": ["b64"]}), now=now)
    assert _signature(result) == ("failed", "jws_alg_key_mismatch")


def _with_jws(signed: dict[str, Any], jws: Any) -> dict[str, Any]:
    return {**signed, "proof": {**signed["proof"], "jws": jws}}


def test_the_jws_shape_is_strict(signed_2018: tuple[dict[str, Any], Key], now: datetime) -> None:
    signed, _ = signed_2018
    header, _, signature = signed["proof"]["jws"].split(".")
    payload = b64url_encode(b"{}")
    for jws, code in [
        (f"{header}.{payload}.{signature}", "invalid_jws"),  # not detached
        (f"{header}..{signature}=", "invalid_jws"),  # padded base64url
        (f"{header}..{signature[:-1]}", "invalid_jws"),  # not canonical base64url
        (f"{header}..", "invalid_jws"),  # no signature
        (f"..{signature}", "invalid_jws"),  # no header
        (f"{header}..{signature}.x", "invalid_jws"),  # four parts
        (f"{header}=..{signature}", "invalid_jws_header"),  # padded header
        (f"{header}..{b64url_encode(b64url_decode(signature)[:63])}", "signature_invalid"),  # too short
        (f"{header}..{b64url_encode(b64url_decode(signature) + b'0')}", "signature_invalid"),  # too long
    ]:
        assert _signature(verify(_with_jws(signed, jws), now=now)) == ("failed", code), jws
    assert _signature(verify(signed, now=now)) == ("passed", "signature_valid")


@pytest.mark.parametrize("value", [None, 42, ["a..b"]])
def test_a_jws_that_is_not_a_string_is_refused(signed_2018: tuple[dict[str, Any], Key], value: Any,
                                               now: datetime) -> None:
    signed, _ = signed_2018
    result = verify(_with_jws(signed, value), now=now)
    assert not result.verified
    assert next(c for c in result.checks if c.name == "proof.structure").code == "invalid_proof"


def test_a_proof_value_does_not_stand_in_for_the_jws(signed_2018: tuple[dict[str, Any], Key], now: datetime) -> None:
    signed, _ = signed_2018
    proof = {k: v for k, v in signed["proof"].items() if k != "jws"} | {"proofValue": "z3FXQjecWufY46"}
    result = verify({**signed, "proof": proof}, now=now)
    assert not result.verified
    assert next(c for c in result.checks if c.name == "proof.structure").code == "invalid_proof"


def test_the_proof_type_picks_the_suite_not_the_header(now: datetime) -> None:
    # A JsonWebSignature2020 proof relabelled Ed25519Signature2018 is not accepted.
    name = "didkit-jsonwebsignature2020-ed25519.json"
    relabelled = _interop(name)
    relabelled["proof"]["type"] = "Ed25519Signature2018"
    assert not verify(relabelled, now=now).verified

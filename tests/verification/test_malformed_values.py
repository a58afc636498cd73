"""Malformed values are forgeries, judged by a failed check that names the field — never the catch-all.

Each of these once escaped to verify()'s safety net (``internal_error``: exit 3, HTTP 503, "could not decide") or was
reported as undecided: a ``credentialSchema`` whose id is an object, a 3,000-deep object, a 5,000-digit number,
NaN, a lone surrogate, a ``statusListIndex`` of "²" (a digit to ``str.isdigit``, not to ``int``), disclosures nested
in disclosures, and the same in a status list fetched over HTTPS or read from a file.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cbor2
import pytest

from vctrade import Key, VerificationResult, sign, verify
from vctrade._encoding import b64url_encode
from vctrade.jose import encode_jws, sign_cose, sign_vc_jwt
from vctrade.model._json import MAX_DEPTH
from vctrade.status import HttpsStatusSource, StatusFiles

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREATED = NOW - timedelta(days=1)
DIGITS_5000 = "9" * 5000


def _credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "type": ["VerifiableCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:acme", "quantity": 1200},
        **extra,
    }


@pytest.fixture(scope="module")
def key() -> Key:
    return Key.generate("Ed25519")


def _verify(document: Any, **options: Any) -> VerificationResult:
    result = verify(document, now=NOW, status_source=options.pop("status_source", StatusFiles({})), **options)
    assert not result.verified
    assert not [c for c in result.all_checks() if c.code == "internal_error"], result.all_checks()
    return result


def _failed(result: VerificationResult, name: str) -> Any:
    found = [c for c in result.all_checks() if c.name == name]
    assert found and found[0].status == "failed", result.all_checks()
    return found[0]


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"id": "did:example:acme"}
    for _ in range(depth):
        node = {"n": node}
    return node


# -- credentialSchema ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("schema", "field"), [
    ({"id": {}}, "credentialSchema"),
    ({"id": {}, "type": "JsonSchema"}, "credentialSchema"),
    ({"id": "https://vctrade.dev/schemas/x", "type": ["JsonSchema"]}, "credentialSchema"),
    ([{"id": []}, 5], "credentialSchema[0]"),
    # beside a well-formed entry nobody bundled (undecided on its own), the malformed one still fails the check
    ([{"id": "https://schemas.example/a.json", "type": "JsonSchema"}, "https://schemas.example/b.json"], "credentialSchema[1]"),
])
def test_a_malformed_credential_schema_is_failed_naming_it(key: Key, schema: Any, field: str) -> None:
    forged = sign(_credential(), key, created=CREATED)
    forged["credentialSchema"] = schema  # (an issuer's JSON-LD processor would refuse to sign most of these)
    check = _failed(_verify(forged), "schema")
    assert check.code == "invalid_schema_reference" and check.message.startswith(field + " ")


def test_a_well_formed_unknown_schema_stays_undecided(key: Key) -> None:
    schema = {"id": "https://schemas.example/aeo.json", "type": "JsonSchema"}
    result = _verify(sign(_credential(credentialSchema=schema), key, created=CREATED))
    check = next(c for c in result.checks if c.name == "schema")
    assert (check.status, check.code) == ("error", "unknown_schema") and result.undecided


# -- depth, numbers, text: the structure check, before anything walks the document -------------------


def test_a_3000_deep_object_is_a_failed_structure_check_naming_the_field(key: Key) -> None:
    signed = sign(_credential(), key, created=CREATED)
    signed["credentialSubject"]["claim"] = _deep(3000)
    check = _failed(_verify(signed), "structure")
    assert check.message.startswith("credentialSubject.claim.n.n") and f"more than {MAX_DEPTH} levels" in check.message
    text = json.dumps(_credential(credentialSubject=_deep(900)))  # as text: parsed, then refused before any walk
    assert f"more than {MAX_DEPTH} levels" in _failed(_verify(text), "structure").message


def test_the_depth_limit_leaves_real_documents_alone(key: Key) -> None:
    deep_enough = _credential(credentialSubject={"id": "did:example:acme", "claim": _deep(50)})
    assert verify(sign(deep_enough, key, suite="eddsa-jcs-2022", created=CREATED), now=NOW).verified


@pytest.mark.parametrize("as_text", [True, False])
def test_a_5000_digit_number_is_a_failed_structure_check_naming_the_field(key: Key, as_text: bool) -> None:
    signed = sign(_credential(), key, created=CREATED)
    if as_text:  # Python refuses to read (or print) an integer of more than 4,300 digits
        document: Any = json.dumps(signed).replace('"quantity": 1200', f'"quantity": {DIGITS_5000}')
    else:
        signed["credentialSubject"]["quantity"] = int(DIGITS_5000[:4000]) * 10**1000
        document = signed
    check = _failed(_verify(document), "structure")
    assert check.message.startswith("credentialSubject.quantity:")


@pytest.mark.parametrize(("value", "words"), [
    (float("nan"), "NaN"), (float("inf"), "NaN, Infinity"), ("\ud800", "lone surrogate"),
])
def test_values_that_are_not_json_are_failed_naming_the_field(key: Key, value: Any, words: str) -> None:
    signed = sign(_credential(), key, created=CREATED)
    signed["credentialSubject"]["quantity"] = value
    check = _failed(_verify(signed), "structure")
    assert check.message.startswith("credentialSubject.quantity") and words in check.message


def test_a_member_name_that_is_not_a_string_is_failed(key: Key) -> None:
    signed = sign(_credential(), key, created=CREATED)
    signed["credentialSubject"][7] = "x"
    assert "member name must be a string" in _failed(_verify(signed), "structure").message


# -- the same inside JOSE and COSE -------------------------------------------------------------------


def test_a_vc_jwt_with_a_5000_digit_number_names_the_field(key: Key) -> None:
    token = sign_vc_jwt(_credential(), key, now=CREATED.timestamp())
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    text = json.dumps(body).replace('"quantity": 1200', f'"quantity": {DIGITS_5000}')
    forged = f"{header}.{b64url_encode(text.encode())}.{signature}"
    assert "credentialSubject.quantity" in _failed(_verify(forged), "structure").message


def test_a_cose_payload_3000_deep_names_the_field(key: Key) -> None:
    cose = cbor2.loads(sign_cose(_credential(), key, verification_method=key.did_key_verification_method))
    protected, unprotected, payload, signature = cose.value
    deep = json.loads(payload)
    deep["credentialSubject"] = {"claim": "PLACEHOLDER"}
    text = json.dumps(deep).replace('"PLACEHOLDER"', '{"n":' * 800 + "1" + "}" * 800).encode()
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, text, signature]))
    check = _failed(_verify(forged), "structure")
    assert "credentialSubject.claim.n" in check.message and "levels deep" in check.message


def test_a_cose_header_with_a_huge_integer_is_failed(key: Key) -> None:
    cose = cbor2.loads(sign_cose(_credential(), key, verification_method=key.did_key_verification_method))
    _, unprotected, payload, signature = cose.value
    protected = cbor2.dumps({1: 10**5000, 4: key.did_key_verification_method.encode(), 16: "application/vc+cose"})
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))
    assert _failed(_verify(forged), "cose.header").code == "alg_not_allowed"


def test_disclosures_nested_a_thousand_deep_are_failed(key: Key) -> None:
    """Each disclosure is small and shallow; nested one in the next, they build a document no walk survives."""
    inner: dict[str, Any] = {"name": "x"}
    disclosures = []
    for n in range(1000):
        disclosure = b64url_encode(json.dumps([f"salt{n}", "n", inner]).encode())
        disclosures.append(disclosure)
        inner = {"_sd": [b64url_encode(hashlib.sha256(disclosure.encode()).digest())]}
    payload = {**_credential(), "credentialSubject": {"id": "did:example:acme", **inner}, "issuer": key.did,
               "iss": key.did, "_sd_alg": "sha-256"}
    token = encode_jws({"kid": key.did_key_verification_method, "typ": "vc+sd-jwt", "cty": "vc"}, payload, key)
    result = _verify("~".join([token, *disclosures]) + "~")
    check = _failed(result, "sd-jwt.disclosures")
    assert f"more than {MAX_DEPTH} levels deep" in check.message


# -- statusListIndex ----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", ["²", "١٢", "12 ", "+12", "-1", "1_000", "0x10", "9" * 13])
def test_a_status_list_index_that_is_not_ascii_digits_is_failed_naming_it(key: Key, index: str) -> None:
    status = {"id": "https://status.example/1#12", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
              "statusListIndex": index, "statusListCredential": "https://status.example/1"}
    check = _failed(_verify(sign(_credential(credentialStatus=status), key, created=CREATED)), "status[0]")
    assert check.code == "invalid_status_entry" and "statusListIndex" in check.message


# -- hostile status lists: undecided or failed, never the catch-all ---------------------------------


@pytest.mark.parametrize("body", [
    b'{"id": ' + DIGITS_5000.encode() + b"}",
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
])
def test_a_hostile_status_list_is_judged_over_https_and_from_a_file(
        key: Key, body: bytes, tmp_path: Path, https_server: Any) -> None:
    https_server.routes["/status/1"] = dict(body=body)
    url = https_server.url("/status/1")
    status = {"id": f"{url}#12", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
              "statusListIndex": "12", "statusListCredential": url}
    credential = sign(_credential(credentialStatus=status), key, created=CREATED)
    (tmp_path / "list.json").write_bytes(body)
    for source in (HttpsStatusSource(https_server.policy()), StatusFiles({url: tmp_path / "list.json"})):
        result = _verify(credential, status_source=source)
        check = next(c for c in result.checks if c.name == "status.revocation")
        # JSON that cannot be read is a list that cannot be had (undecided); JSON read but not plain is a bad list.
        assert (check.status, check.code) in (("error", "status_unavailable"), ("error", "http_error"),
                                              ("failed", "status_list_unverified"))


def test_a_status_list_with_a_5000_digit_number_names_the_field(key: Key, tmp_path: Path) -> None:
    url = "https://status.example/1"
    status = {"id": f"{url}#12", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
              "statusListIndex": "12", "statusListCredential": url}
    credential = sign(_credential(credentialStatus=status), key, created=CREATED)
    (tmp_path / "list.json").write_text(json.dumps(_credential(id=url)).replace("1200", DIGITS_5000))
    check = next(c for c in _verify(credential, status_source=StatusFiles({url: tmp_path / "list.json"})).checks
                 if c.name == "status.revocation")
    assert (check.status, check.code) == ("failed", "status_list_unverified")
    assert "credentialSubject.quantity" in check.message


# -- dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", [
    "0001-01-01T00:00:00+01:00",  # in UTC before year 1: Python overflows
    "9999-12-31T23:59:59-01:00",  # in UTC after year 9999
    "2026-01-01T00:00:00Z\n",  # a regex "$" takes the newline
    "٢٠٢٦-01-01T00:00:00Z",  # digits to "\d", not to XML Schema
])
def test_a_date_that_is_not_an_xml_schema_date_time_is_failed_naming_it(key: Key, moment: str) -> None:
    forged = sign(_credential(), key, created=CREATED)
    forged["validFrom"] = moment
    check = _failed(_verify(forged), "structure")
    assert check.message.startswith("validFrom:")

"""The values the shared decoders read beyond JOSE keep one spelling each: keys in DID documents, status lists.

A key in a DID document with whitespace base58 would skip, or a status list whose base64url sets unused bits, is
refused: fail closed on anything but the canonical encoding (the spec vectors, all canonical, still verify).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, StaticResolver, sign, verify
from vctrade.status import Bitstring, StatusFiles, status_entry, status_list_credential

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREATED = NOW - timedelta(days=1)
DID = "did:web:customs.example"
METHOD = f"{DID}#key-1"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _credential(**extra: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:5b8e2f1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
            "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme"}, **extra}


def _did_document(public_multibase: str) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": DID,
            "verificationMethod": [{"id": METHOD, "type": "Multikey", "controller": DID,
                                    "publicKeyMultibase": public_multibase}],
            "assertionMethod": [METHOD]}


@pytest.mark.parametrize("spelling", ["{} ", " {}", "{}\n", "{}\t"])
def test_a_did_document_key_with_whitespace_is_not_read(spelling: str) -> None:
    key = Key.generate("Ed25519")
    signed = sign(_credential(issuer=DID), key, verification_method=METHOD, created=CREATED)
    assert verify(signed, now=NOW, resolver=StaticResolver([_did_document(key.public_multibase)])).verified
    resolver = StaticResolver([_did_document(spelling.format(key.public_multibase))])
    result = verify(signed, now=NOW, resolver=resolver)
    assert not result.verified
    assert not any(c.code == "internal_error" for c in result.all_checks())


def _twin(segment: str) -> str:
    lenient = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return next(segment[:-1] + c for c in ALPHABET if c != segment[-1]
                and base64.urlsafe_b64decode(segment[:-1] + c + "=" * (-len(segment) % 4)) == lenient)


@pytest.mark.parametrize("legacy", [False, True])
def test_a_status_list_whose_encoding_is_not_canonical_is_refused(tmp_path: Path, legacy: bool) -> None:
    key, url = Key.generate("Ed25519"), "https://status.example/1"
    bits = Bitstring()
    bits[14] = True  # a list whose encoding is 70 characters: the last one carries 4 unused bits
    encoded = bits.encode()[1:]
    assert len(encoded) % 4 == 2
    status_list = status_list_credential(url, key.did, "revocation", bits, valid_from=CREATED,
                                         valid_until=NOW + timedelta(days=1))
    if legacy:
        status_list.update({"@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
                            "type": ["VerifiableCredential", "StatusList2021Credential"], "issuanceDate": status_list.pop("validFrom")})
        status_list.pop("validUntil")
        status_list["credentialSubject"] = {"id": f"{url}#list", "type": "StatusList2021", "statusPurpose": "revocation",
                                            "encodedList": encoded}
        entry = {"id": f"{url}#7", "type": "StatusList2021Entry", "statusPurpose": "revocation",
                 "statusListIndex": "7", "statusListCredential": url}
        credential = sign({**_credential(), "@context": status_list["@context"], "issuanceDate": "2026-01-01T00:00:00Z",
                           "credentialStatus": entry}, key, created=CREATED)
    else:
        credential = sign(_credential(credentialStatus=status_entry(url, 7, "revocation")), key, created=CREATED)
    files = StatusFiles({url: tmp_path / "list.json"})
    subject = status_list["credentialSubject"]
    (tmp_path / "list.json").write_text(json.dumps(sign(status_list, key, created=CREATED)))
    assert verify(credential, now=NOW, status_source=files).verified
    # The issuer's own list, signed as it is, but with the same bytes spelled another way.
    subject["encodedList"] = ("" if legacy else "u") + _twin(encoded)
    (tmp_path / "list.json").write_text(json.dumps(sign(status_list, key, created=CREATED)))
    result = verify(credential, now=NOW, status_source=files)
    check = next(c for c in result.checks if c.name == "status.revocation")
    assert (check.status, check.code) == ("failed", "invalid_status_list")
    assert "not canonical base64url" in check.message

"""RevocationList2020 (the trade pilots' status method): read, bound to its URL, revoked means failed."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vctrade import Key, sign, verify
from vctrade.status import Bitstring, StatusFiles

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREATED = datetime(2026, 5, 1, tzinfo=timezone.utc)
LIST_URL = "https://cbp.example/credentials/status/3"
CONTEXTS = ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc-revocation-list-2020/v1"]


def _list(key: Key, revoked: set[int], url: str = LIST_URL, list_type: str = "RevocationList2020Credential",
          extra_contexts: tuple[str, ...] = ()) -> dict[str, Any]:
    bits = Bitstring()
    for index in revoked:
        bits[index] = True
    return sign({
        "@context": [*CONTEXTS, *extra_contexts], "id": url, "type": ["VerifiableCredential", list_type],
        "issuanceDate": "2026-05-01T00:00:00Z",
        "credentialSubject": {"id": f"{url}#list", "type": "RevocationList2020",
                              "encodedList": bits.encode()[1:]},  # bare base64url, no multibase prefix
    }, key, created=CREATED)


def _credential(key: Key, index: int) -> dict[str, Any]:
    return sign({
        "@context": CONTEXTS + ["https://www.w3.org/2018/credentials/examples/v1"],
        "id": "urn:uuid:1b7cd1a4-7f0e-4f5e-9b1e-3c1b2a0f9d11", "type": ["VerifiableCredential"],
        "issuanceDate": "2026-05-01T00:00:00Z", "credentialSubject": {"id": "did:example:acme"},
        "credentialStatus": {"id": f"{LIST_URL}#{index}", "type": "RevocationList2020Status",
                             "revocationListIndex": str(index), "revocationListCredential": LIST_URL},
    }, key, created=CREATED)


def _status(credential: dict[str, Any], status_list: dict[str, Any], tmp_path: Path) -> Any:
    (tmp_path / "list.json").write_text(json.dumps(status_list))
    result = verify(credential, now=NOW, status_source=StatusFiles({LIST_URL: tmp_path / "list.json"}))
    return result, next(c for c in result.checks if c.name.startswith("status"))


def test_a_credential_not_on_the_list_verifies(tmp_path: Path) -> None:
    key = Key.generate("Ed25519")
    result, check = _status(_credential(key, 94567), _list(key, {3, 94566, 94568}), tmp_path)
    assert result.verified, result.failures
    assert check.name == "status.revocation" and check.code == "not_revocation"


def test_a_revoked_credential_fails(tmp_path: Path) -> None:
    key = Key.generate("Ed25519")
    result, check = _status(_credential(key, 94567), _list(key, {94567}), tmp_path)
    assert not result.verified and check.status == "failed" and check.code == "revoked"


def test_the_list_must_be_the_one_named_and_of_its_type(tmp_path: Path) -> None:
    key = Key.generate("Ed25519")
    _, other = _status(_credential(key, 5), _list(key, set(), url="https://cbp.example/credentials/status/4"), tmp_path)
    assert other.status == "failed" and other.code == "status_list_not_bound"
    _, wrong_type = _status(_credential(key, 5), _list(key, set(), list_type="StatusList2021Credential",
                                                               extra_contexts=("https://w3id.org/vc/status-list/2021/v1",)), tmp_path)
    assert wrong_type.status == "failed" and "RevocationList2020Credential" in wrong_type.message


def test_a_malformed_entry_fails_naming_the_field(tmp_path: Path) -> None:
    key = Key.generate("Ed25519")
    credential = _credential(key, 5)
    credential["credentialStatus"]["revocationListIndex"] = "５"  # a fullwidth digit: not an ASCII index
    result, check = _status(credential, _list(key, set()), tmp_path)
    assert check.status == "failed" and "revocationListIndex" in check.message

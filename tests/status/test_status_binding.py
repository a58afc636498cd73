"""A status list is believed only for the URL it was fetched for, and only once it is valid.

Whoever serves one list of an issuer (the host, a CDN, a wrong ``--status-file`` mapping) could otherwise serve
another valid list of the same issuer, in which a revoked credential's bit is clear; and a list dated in the future
is not yet the issuer's word. Both for Bitstring Status List and StatusList2021, over a real HTTPS server and from
files.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, VerificationResult, sign, verify
from vctrade._encoding import b64url_encode
from vctrade.status import Bitstring, HttpsStatusSource, StatusFiles, status_entry, status_list_credential

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
SIGNED_AT = NOW - timedelta(days=1)
REVOKED_INDEX = 4242


@dataclass
class Issuer:
    """An issuer that keeps two revocation lists on one HTTPS server: its credential is revoked in the first."""

    key: Key
    server: Any
    folder: Path

    def url(self, path: str) -> str:
        return str(self.server.url(path))

    def publish(self, path: str, document: dict[str, Any]) -> Path:
        """Serve ``document`` at ``path`` and write it to a file (for StatusFiles)."""
        body = json.dumps(document).encode()
        self.server.routes[path] = dict(body=body)
        file = self.folder / path.strip("/").replace("/", "-")
        file.write_bytes(body)
        return file

    def bitstring_list(self, path: str, *, revoked: bool, list_id: str | None = None,
                       valid_from: datetime = SIGNED_AT) -> dict[str, Any]:
        bits = Bitstring()
        bits[REVOKED_INDEX] = revoked
        unsigned = status_list_credential(list_id or self.url(path), self.key.did, "revocation", bits,
                                          valid_from=valid_from, valid_until=valid_from + timedelta(days=7))
        return sign(unsigned, self.key, created=SIGNED_AT)

    def legacy_list(self, path: str, *, revoked: bool, list_id: str | None = None,
                    issued: datetime = SIGNED_AT) -> dict[str, Any]:
        bits = Bitstring()
        bits[REVOKED_INDEX] = revoked
        url = list_id or self.url(path)
        return sign({
            "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
            "id": url,
            "type": ["VerifiableCredential", "StatusList2021Credential"],
            "issuanceDate": issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentialSubject": {"id": f"{url}#list", "type": "StatusList2021", "statusPurpose": "revocation",
                                  "encodedList": b64url_encode(gzip.compress(bytes(bits._bytes), mtime=0))},
        }, self.key, created=SIGNED_AT)

    def credential(self, path: str) -> dict[str, Any]:
        return sign({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:3f1f2d8e-8a40-4f5e-9d4c-7b6a5e4d3c2b",
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:acme"},
            "credentialStatus": status_entry(self.url(path), REVOKED_INDEX, "revocation"),
        }, self.key, created=SIGNED_AT)

    def legacy_credential(self, path: str) -> dict[str, Any]:
        url = self.url(path)
        return sign({
            "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
            "type": ["VerifiableCredential"],
            "issuanceDate": "2026-05-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:acme"},
            "credentialStatus": {"id": f"{url}#{REVOKED_INDEX}", "type": "StatusList2021Entry", "statusPurpose": "revocation",
                                 "statusListIndex": str(REVOKED_INDEX), "statusListCredential": url},
        }, self.key, created=SIGNED_AT)

    def verify(self, document: dict[str, Any], source: Any = None, now: datetime = NOW) -> VerificationResult:
        return verify(document, now=now, status_source=source or HttpsStatusSource(self.server.policy()))


@pytest.fixture
def issuer(tmp_path: Path, make_https_server: Callable[..., Any]) -> Iterator[Issuer]:
    with make_https_server() as server:
        yield Issuer(Key.generate(), server, tmp_path)


def status_check(result: VerificationResult) -> Any:
    (check,) = [c for c in result.checks if c.name.startswith("status")]
    return check


def test_the_genuine_lists_revoke_over_https_and_from_files(issuer: Issuer) -> None:
    file = issuer.publish("/status/1", issuer.bitstring_list("/status/1", revoked=True))
    credential = issuer.credential("/status/1")
    for source in (None, StatusFiles({issuer.url("/status/1"): file})):
        check = status_check(issuer.verify(credential, source))
        assert (check.status, check.code) == ("failed", "revoked")


def test_another_list_of_the_same_issuer_served_for_the_url_does_not_unrevoke(issuer: Issuer) -> None:
    issuer.publish("/status/1", issuer.bitstring_list("/status/1", revoked=True))
    other = issuer.bitstring_list("/status/2", revoked=False)  # valid, signed by the same issuer, for status/2
    credential = issuer.credential("/status/1")
    # The server (or a CDN in front of it) answers status/1 with status/2.
    file = issuer.publish("/status/1", other)
    result = issuer.verify(credential)
    check = status_check(result)
    assert not result.verified
    assert (check.status, check.code) == ("failed", "status_list_not_bound")
    assert issuer.url("/status/1") in check.message and issuer.url("/status/2") in check.message
    # The same list given by a wrong --status-file mapping.
    offline = issuer.verify(credential, StatusFiles({issuer.url("/status/1"): file}))
    assert (status_check(offline).status, status_check(offline).code) == ("failed", "status_list_not_bound")


def test_a_statuslist2021_list_is_bound_to_its_url_too(issuer: Issuer) -> None:
    credential = issuer.legacy_credential("/2021/1")
    issuer.publish("/2021/1", issuer.legacy_list("/2021/1", revoked=True))
    assert status_check(issuer.verify(credential)).code == "revoked"
    issuer.publish("/2021/1", issuer.legacy_list("/2021/2", revoked=False))
    result = issuer.verify(credential)
    assert not result.verified
    assert (status_check(result).status, status_check(result).code) == ("failed", "status_list_not_bound")


def test_a_list_without_an_id_is_not_bound(issuer: Issuer) -> None:
    unbound = issuer.bitstring_list("/status/1", revoked=False)
    del unbound["proof"], unbound["id"]
    issuer.publish("/status/1", sign(unbound, issuer.key, created=SIGNED_AT))
    check = status_check(issuer.verify(issuer.credential("/status/1")))
    assert (check.status, check.code) == ("failed", "status_list_not_bound")


def test_a_list_valid_only_from_the_future_is_undecided(issuer: Issuer) -> None:
    credential = issuer.credential("/status/1")
    # The issuer's next list, published early (or replayed from a clock that runs ahead): bit clear, valid in two days.
    issuer.publish("/status/1", issuer.bitstring_list("/status/1", revoked=False, valid_from=NOW + timedelta(days=2)))
    result = issuer.verify(credential)
    check = status_check(result)
    assert not result.verified and result.undecided
    assert (check.status, check.code) == ("error", "status_list_not_yet_valid")
    assert "valid only from" in check.message
    # Within the clock skew (5 minutes by default) it is the current list.
    issuer.publish("/status/1", issuer.bitstring_list("/status/1", revoked=False, valid_from=NOW + timedelta(minutes=2)))
    assert issuer.verify(credential).verified


def test_a_statuslist2021_list_issued_in_the_future_is_undecided(issuer: Issuer) -> None:
    credential = issuer.legacy_credential("/2021/1")
    issuer.publish("/2021/1", issuer.legacy_list("/2021/1", revoked=False, issued=NOW + timedelta(days=2)))
    result = issuer.verify(credential)
    assert not result.verified and result.undecided
    assert (status_check(result).status, status_check(result).code) == ("error", "status_list_not_yet_valid")
    issuer.publish("/2021/1", issuer.legacy_list("/2021/1", revoked=False))
    assert issuer.verify(credential).verified


def test_a_wrong_list_is_failed_even_when_it_is_also_from_the_future(issuer: Issuer) -> None:
    """What makes a list wrong is reported before what makes it untimely: failed, not undecided."""
    credential = issuer.credential("/status/1")
    issuer.publish("/status/1", issuer.bitstring_list("/status/2", revoked=False, valid_from=NOW + timedelta(days=2)))
    assert status_check(issuer.verify(credential)).code == "status_list_not_bound"


def test_a_status_entry_with_several_types_is_checked_by_the_one_vctrade_knows(issuer: Issuer) -> None:
    """VCDM 2.0 lets any typed object carry one or more types: an array is read, not refused as malformed."""
    issuer.publish("/lists/1", issuer.bitstring_list("/lists/1", revoked=True))
    entry = {**status_entry(issuer.url("/lists/1"), REVOKED_INDEX, "revocation"),
             "type": ["BitstringStatusListEntry", "ExampleStatusEntry"]}
    credential = sign({"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                       "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme"},
                       "credentialStatus": entry}, issuer.key, created=SIGNED_AT)
    result = issuer.verify(credential)
    assert [c.status for c in result.checks if c.name == "structure"] == ["passed"]
    assert status_check(result).code == "revoked"
    unsigned = {key: value for key, value in credential.items() if key != "proof"}
    unknown = sign({**unsigned, "credentialStatus": {**entry, "type": ["ExampleStatusEntry"]}}, issuer.key,
                   created=SIGNED_AT)
    check = status_check(issuer.verify(unknown))
    assert check.status != "passed" and "['ExampleStatusEntry'] is not supported" in check.message


def test_a_numeric_status_index_is_named_as_a_number(issuer: Issuer) -> None:
    entry = {**status_entry(issuer.url("/lists/1"), REVOKED_INDEX, "revocation"), "statusListIndex": 0}
    credential = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                       "credentialSubject": {"id": "did:example:acme"}, "credentialStatus": entry},
                      issuer.key, created=SIGNED_AT)
    message = status_check(issuer.verify(credential)).message
    assert message.endswith("got 0") and "'0'" not in message

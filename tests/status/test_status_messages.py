"""Bitstring Status List status messages: statusSize > 1 with statusMessage, statusReference, the "message" purpose.

Multi-bit values at index × statusSize, most significant bit first, at the ends of real (signed, published) lists
and across byte boundaries; the entry/list consistency the verifier checks; the registry's message lists, set_status
and its audit log; and the whole flow from the command line.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from vctrade import Key, VerificationResult, sign, verify
from vctrade._result import PASSED, Check
from vctrade.errors import RegistryError
from vctrade.model import format_datetime
from vctrade.status import (
    MIN_ENTRIES,
    Bitstring,
    Registry,
    StatusFiles,
    check_status,
    status_entry,
    status_list_credential,
)

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
SIGNED_AT = NOW - timedelta(days=1)
URL = "https://cbp.example/status/ctpat-messages"
CTPAT = ["certified", "suspended pending review", "reinstated", "revoked"]
REFERENCE = "https://cbp.example/ctpat/status-codes"


# -- the bitstring ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 4, 8])
def test_first_and_last_entries_of_a_multibit_list(size: int) -> None:
    bits = Bitstring(MIN_ENTRIES * size)
    top = (1 << size) - 1
    bits.set_value(0, size, top)
    bits.set_value(MIN_ENTRIES - 1, size, 1)
    assert bits.entries(size) == MIN_ENTRIES
    assert bits.value(0, size) == top and bits.value(1, size) == 0
    assert bits.value(MIN_ENTRIES - 1, size) == 1 and bits.value(MIN_ENTRIES - 2, size) == 0
    # Index 0 is the left-most bits of byte 0; the last entry ends at the right-most bit of the last byte.
    raw = bytes(bits._bytes)
    assert raw[0] == (top << (8 - size)) & 0xFF and raw[-1] == 0x01
    with pytest.raises(IndexError):
        bits.value(MIN_ENTRIES, size)
    with pytest.raises(ValueError):
        bits.set_value(1, size, top + 1)


def test_values_at_byte_boundaries_most_significant_bit_first() -> None:
    bits = Bitstring(64)
    bits.set_value(3, 2, 0b10)  # bits 6-7: the end of byte 0
    bits.set_value(4, 2, 0b01)  # bits 8-9: the start of byte 1
    assert bytes(bits._bytes[:2]) == bytes([0b00000010, 0b01000000])
    bits = Bitstring(64)
    bits.set_value(1, 4, 0xA)  # the low nibble of byte 0
    bits.set_value(2, 4, 0x5)  # the high nibble of byte 1
    assert bytes(bits._bytes[:2]) == bytes([0x0A, 0x50])
    bits = Bitstring(64)
    bits.set_value(2, 3, 0b101)  # bits 6, 7 | 8: one value across the byte boundary
    assert bytes(bits._bytes[:2]) == bytes([0b00000010, 0b10000000])
    assert bits.value(2, 3) == 0b101 and bits.value(1, 3) == 0 and bits.value(3, 3) == 0
    bits = Bitstring(64)
    bits.set_value(1, 8, 0xC3)
    assert bits._bytes[1] == 0xC3 and bits.value(1, 8) == 0xC3 and bits[8] and not bits[10]


def test_a_message_entry_carries_size_messages_and_reference() -> None:
    entry = status_entry(URL, 7, "message", status_size=2, messages=CTPAT, reference=[REFERENCE])
    assert entry["statusSize"] == 2 and entry["statusReference"] == REFERENCE
    assert entry["statusMessage"] == [{"status": "0x0", "message": "certified"},
                                      {"status": "0x1", "message": "suspended pending review"},
                                      {"status": "0x2", "message": "reinstated"},
                                      {"status": "0x3", "message": "revoked"}]
    assert "statusSize" not in status_entry(URL, 7, "revocation")  # 1-bit entries are as before
    with pytest.raises(ValueError):
        status_entry(URL, 7, "message", status_size=2, messages=CTPAT[:3])


# -- verifying against real lists --------------------------------------------------------------------


class World:
    """An issuer with signed status lists in files and credentials that point into them."""

    def __init__(self, folder: Path) -> None:
        self.key = Key.generate()
        self.folder = folder
        self.files: dict[str, Path] = {}

    def publish(self, url: str, purpose: str, bits: Bitstring, **subject: Any) -> None:
        unsigned = status_list_credential(url, self.key.did, purpose, bits, valid_from=SIGNED_AT,
                                          valid_until=SIGNED_AT + timedelta(days=7))
        unsigned["credentialSubject"].update(subject)
        path = self.folder / f"list-{len(self.files)}.json"
        path.write_text(json.dumps(sign(unsigned, self.key, created=SIGNED_AT)))
        self.files[url] = path

    def credential(self, *entries: dict[str, Any]) -> dict[str, Any]:
        return sign({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:6c1f2d8e-8a40-4f5e-9d4c-7b6a5e4d3c2b",
            "type": ["VerifiableCredential"],
            "issuer": self.key.did,
            "credentialSubject": {"id": "did:example:acme"},
            "credentialStatus": list(entries) if len(entries) > 1 else entries[0],
        }, self.key, created=SIGNED_AT)

    def verify(self, credential: dict[str, Any]) -> VerificationResult:
        return verify(credential, now=NOW, status_source=StatusFiles(self.files))


def _status(result: VerificationResult) -> list[Check]:
    return [c for c in result.checks if c.name.startswith("status")]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_message_values_at_the_ends_of_a_real_list_are_reported(world: World) -> None:
    bits = Bitstring(MIN_ENTRIES * 2)
    bits.set_value(0, 2, 1)
    bits.set_value(MIN_ENTRIES - 1, 2, 3)
    world.publish(URL, "message", bits)
    for index, value, text in ((0, "0x1", "suspended pending review"), (MIN_ENTRIES - 1, "0x3", "revoked"),
                               (1, "0x0", "certified")):
        result = world.verify(world.credential(status_entry(URL, index, "message", status_size=2, messages=CTPAT,
                                                            reference=[REFERENCE])))
        [check] = _status(result)
        assert check.name == "status.message" and check.status == PASSED and check.code == "status_message"
        assert f"{value} {text!r}" in check.message and REFERENCE in check.message
        # "message" conveys information (spec: statusPurpose table): it does not by itself fail the credential.
        assert result.verified, result.checks


@pytest.mark.parametrize("size", [4, 8])
def test_wider_values_read_msb_first(world: World, size: int) -> None:
    messages = [f"code {v:#x}" for v in range(1 << size)]
    value = 0b1010 if size == 4 else 0xA5
    bits = Bitstring(MIN_ENTRIES * size)
    bits.set_value(MIN_ENTRIES - 1, size, value)
    world.publish(URL, "message", bits)
    [check] = _status(world.verify(world.credential(
        status_entry(URL, MIN_ENTRIES - 1, "message", status_size=size, messages=messages))))
    assert check.status == PASSED and check.message.startswith(f"{value:#x} 'code {value:#x}'")


def test_revocation_and_suspension_still_fail_beside_a_message(world: World) -> None:
    revoked, messages = Bitstring(), Bitstring(MIN_ENTRIES * 2)
    revoked[42] = True
    messages.set_value(42, 2, 2)
    world.publish("https://cbp.example/status/r", "revocation", revoked)
    world.publish(URL, "message", messages)
    result = world.verify(world.credential(status_entry("https://cbp.example/status/r", 42, "revocation"),
                                           status_entry(URL, 42, "message", status_size=2, messages=CTPAT)))
    by_name = {c.name: c for c in _status(result)}
    assert by_name["status.revocation"].code == "revoked" and not result.verified
    assert by_name["status.message"].status == PASSED and "'reinstated'" in by_name["status.message"].message


def test_an_entry_wider_than_its_list_is_refused(world: World) -> None:
    """A 1-bit list (131,072 bits) read with statusSize 2 has 65,536 entries: the spec's STATUS_LIST_LENGTH_ERROR."""
    world.publish(URL, "message", Bitstring())
    [check] = _status(world.verify(world.credential(status_entry(URL, 5, "message", status_size=2, messages=CTPAT))))
    assert check.status == "failed" and check.code == "status_list_too_short" and "65536 entries of 2 bits" in check.message


def _unchecked(document: dict[str, Any]) -> VerificationResult:
    return VerificationResult(checks=(Check("proof", PASSED, "ok", "stub"),))


def test_a_list_that_states_another_status_size_or_other_messages_is_refused() -> None:
    bits = Bitstring(MIN_ENTRIES * 2)
    issuer = "did:example:cbp"
    listed = status_list_credential(URL, issuer, "message", bits, valid_from=SIGNED_AT, valid_until=NOW + timedelta(days=1))
    credential = {"issuer": issuer, "credentialStatus": status_entry(URL, 3, "message", status_size=2, messages=CTPAT)}

    class Source:
        def get(self, url: str) -> dict[str, Any]:
            return listed

    def run() -> Check:
        [check] = check_status(credential, source=Source(), verify_list=_unchecked, now=NOW)
        return check

    assert run().status == PASSED
    listed["credentialSubject"]["statusSize"] = 1
    assert run().code == "status_size_mismatch"
    listed["credentialSubject"]["statusSize"] = 2
    listed["credentialSubject"]["statusMessages"] = [{"status": f"0x{v}", "message": m}
                                                     for v, m in enumerate(["certified", "x", "reinstated", "revoked"])]
    assert run().code == "status_message_mismatch"


@pytest.mark.parametrize(("change", "problem"), [
    (lambda e: e.pop("statusMessage"), "needs statusMessage"),
    (lambda e: e["statusMessage"].pop(2), "array of 4 entries"),  # the message of 0x2 is missing
    (lambda e: e["statusMessage"][2].update(status="0x1"), "twice"),
    (lambda e: e["statusMessage"][2].update(status="0x4"), "does not fit"),
    (lambda e: e["statusMessage"][2].update(status="2"), "0x and hex digits"),
    (lambda e: e.update(statusSize=0), "greater than zero"),
    (lambda e: e.update(statusSize=True), "greater than zero"),
    (lambda e: e.update(statusSize="2"), "greater than zero"),
    (lambda e: e.update(statusSize=40), "above 16"),
    (lambda e: e.update(statusReference=7), "statusReference"),
])
def test_malformed_message_entries_fail(world: World, change: Callable[[dict[str, Any]], Any], problem: str) -> None:
    bits = Bitstring(MIN_ENTRIES * 2)
    bits.set_value(9, 2, 2)
    world.publish(URL, "message", bits)
    entry = status_entry(URL, 9, "message", status_size=2, messages=CTPAT)
    change(entry)
    result = world.verify(world.credential(entry))
    [check] = _status(result)
    assert check.status == "failed" and check.code == "invalid_status_entry" and problem in check.message
    assert not result.verified


def test_a_value_the_issuer_calls_undefined_fails(world: World) -> None:
    bits = Bitstring(MIN_ENTRIES * 2)
    bits.set_value(9, 2, 3)
    world.publish(URL, "message", bits)
    [check] = _status(world.verify(world.credential(
        status_entry(URL, 9, "message", status_size=2, messages=[*CTPAT[:3], "undefined"]))))
    assert check.status == "failed" and check.code == "undefined_status"


# -- the registry -----------------------------------------------------------------------------------


def credential(issuer: str, number: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": f"did:example:trader{number}"},
    }


def test_registry_message_lists_set_status_and_publish(tmp_path: Path, registry_location: str) -> None:
    key = Key.generate()
    key.save(tmp_path / "cbp.jwk")
    registry = Registry(registry_location)  # an SQLite file, then a PostgreSQL database (tests/status/conftest.py)
    registry.create_list("https://cbp.example/status/r", key.did, "revocation", tmp_path / "cbp.jwk")
    made = registry.create_list(URL, key.did, "message", tmp_path / "cbp.jwk", status_size=2,
                                messages={0: "certified", 1: "suspended pending review", 2: "reinstated", 3: "revoked"},
                                reference=REFERENCE)
    assert made.status_size == 2 and made.messages == tuple(CTPAT) and made.reference == (REFERENCE,)
    unsigned = credential(key.did, 1)
    entries = registry.allocate(unsigned)
    assert [e["statusPurpose"] for e in entries] == ["revocation", "message"]
    assert entries[1] == status_entry(URL, int(entries[1]["statusListIndex"]), "message", status_size=2,
                                      messages=CTPAT, reference=[REFERENCE])
    issued = sign({**unsigned, "credentialStatus": entries}, key, created=SIGNED_AT)
    registry.record(issued)

    registry.set_status(issued["id"], "message", 1, "annual validation overdue")
    with pytest.raises(RegistryError, match="already has message status 0x1"):
        registry.set_status(issued["id"], "message", 1)
    with pytest.raises(RegistryError, match="does not fit"):
        registry.set_status(issued["id"], "message", 4)
    registry.set_status(issued["id"], "revocation", 1, "fraud")
    with pytest.raises(RegistryError, match="final"):
        registry.set_status(issued["id"], "revocation", 0)
    record = registry.credential_status(issued["id"])
    assert record["status"]["message"] == {"list": URL, "index": int(entries[1]["statusListIndex"]), "set": True,
                                           "value": "0x1", "statusSize": 2, "message": "suspended pending review"}
    history = record["history"]
    assert [e["action"] for e in history] == ["issue", "set", "revoke"]
    assert history[1]["reason"] == '0x1 "suspended pending review": annual validation overdue'
    assert registry.verify_log() is None
    assert "statusSize 2: 0x0 certified, 0x1 suspended pending review" in registry.log()[1]["reason"]

    moment = NOW - timedelta(hours=1)
    registry._clock = lambda: moment
    registry.publish(tmp_path / "site", lambda unsigned, status_list: sign(unsigned, key, created=moment))
    published = json.loads((tmp_path / "site/status/ctpat-messages").read_text())
    assert published["id"] == URL and published["credentialSubject"]["statusPurpose"] == "message"
    assert Bitstring.decode(published["credentialSubject"]["encodedList"]).entries(2) == MIN_ENTRIES
    files = StatusFiles({URL: tmp_path / "site/status/ctpat-messages",
                         "https://cbp.example/status/r": tmp_path / "site/status/r"})
    result = verify(issued, now=NOW, status_source=files)
    checks = {c.name: c for c in result.checks}
    assert checks["status.message"].status == PASSED and "0x1 'suspended pending review'" in checks["status.message"].message
    assert checks["status.revocation"].code == "revoked"
    registry.close()


def test_registry_refuses_inconsistent_lists(tmp_path: Path, registry_location: str) -> None:
    registry = Registry(registry_location)
    args = ("did:example:cbp", "message", tmp_path / "k.jwk")
    kw: dict[str, Any] = {"verification_method": "did:example:cbp#1"}
    for options, problem in (
        ({"status_size": 2}, "needs a message for each of the 4 values"),
        ({"status_size": 2, "messages": CTPAT[:3]}, "missing 0x3"),
        ({"status_size": 2, "messages": {**dict(enumerate(CTPAT)), 4: "x"}}, "not a value: 4"),
        ({"status_size": 9, "messages": CTPAT}, "1-8 bits"),
        ({"status_size": 2, "messages": CTPAT, "reference": "ftp://x"}, "statusReference"),
    ):
        with pytest.raises(RegistryError, match=problem):
            registry.create_list(URL, *args, **kw, **options)
    with pytest.raises(RegistryError, match='purpose "message"'):
        registry.create_list(URL, "did:example:cbp", "revocation", tmp_path / "k.jwk", status_size=2, messages=CTPAT, **kw)


def test_a_registry_from_before_status_messages_gets_the_columns(tmp_path: Path) -> None:
    """A version-1 registry whose status_lists predates statusSize is rebuilt in place (ids, entries, log kept)."""
    path = tmp_path / "registry.sqlite"
    with Registry(path) as registry:
        registry.create_list("https://cbp.example/status/r", "did:example:cbp", "revocation", tmp_path / "k.jwk",
                             verification_method="did:example:cbp#1")
        registry.allocate(credential("did:example:cbp", 1))
        registry.record(credential("did:example:cbp", 1))
        registry.revoke(credential("did:example:cbp", 1)["id"])
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript("""
        PRAGMA foreign_keys = OFF;
        BEGIN;
        CREATE TABLE old_lists (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, issuer TEXT NOT NULL,
            purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')), size INTEGER NOT NULL,
            key_file TEXT NOT NULL, verification_method TEXT NOT NULL, created TEXT NOT NULL, published TEXT);
        INSERT INTO old_lists SELECT id, url, issuer, purpose, size, key_file, verification_method, created, published
            FROM status_lists;
        DROP TABLE status_lists;
        ALTER TABLE old_lists RENAME TO status_lists;
        COMMIT;
    """)
    old.close()
    with Registry(path) as registry:
        assert registry.verify_log() is None
        assert registry.log()[-1]["action"] == "migrate" and "status_size" in registry.log()[-1]["reason"]
        assert registry.credential_status(credential("did:example:cbp", 1)["id"])["status"]["revocation"]["set"]
        assert registry.status_lists()[0].status_size == 1
        registry.create_list(URL, "did:example:cbp", "message", tmp_path / "k.jwk", status_size=1,
                             messages=["valid", "under review"], verification_method="did:example:cbp#1")
        assert registry._db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with Registry(path) as registry:
        assert [e["action"] for e in registry.log()].count("migrate") == 1


# -- the command line -------------------------------------------------------------------------------


def test_message_list_flow_from_the_command_line(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                 load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    env = {"VCTRADE_HOME": str(tmp_path / "home")}
    key = str(fixtures_dir / "keys/cbp.jwk")
    messages = [f"--message={v}" for v in ("0x0=certified", "0x1=suspended pending review", "0x2=reinstated", "0x3=revoked")]
    created = run_cli("status", "init", "--key", key, "--url", URL, "--purpose", "message", "--status-size", "2",
                      *messages, "--reference", REFERENCE, env=env)
    assert created.returncode == 0, created.stderr
    incomplete = run_cli("status", "init", "--key", key, "--url", URL + "-2", "--purpose", "message",
                         "--status-size", "2", *messages[:3], env=env)
    assert incomplete.returncode == 2 and "missing 0x3" in incomplete.stderr

    now = datetime.now(timezone.utc)  # published lists live from now: verify on the real clock
    window = ("--valid-from", format_datetime(now - timedelta(days=1)), "--valid-until", format_datetime(now + timedelta(days=300)))
    issued = run_cli("issue", "aeo", "--key", key, "--from", str(fixtures_dir / "aeo/acme-ctpat.yaml"), *window,
                     "-o", str(tmp_path / "aeo.json"), env=env)
    assert issued.returncode == 0, issued.stderr
    document = load_json(tmp_path / "aeo.json")
    entry = document["credentialStatus"]
    assert entry["statusPurpose"] == "message" and entry["statusSize"] == 2 and entry["statusReference"] == REFERENCE
    assert [m["message"] for m in entry["statusMessage"]] == ["certified", "suspended pending review", "reinstated", "revoked"]

    changed = run_cli("status", "set", document["id"], "--value", "0x1", "--reason", "site visit pending", env=env)
    assert changed.returncode == 0 and "suspended pending review" in changed.stdout, changed.stderr
    too_wide = run_cli("status", "set", document["id"], "--value", "0x4", env=env)
    assert too_wide.returncode == 2 and "does not fit" in too_wide.stderr
    assert run_cli("status", "publish", "-o", str(tmp_path / "site"), env=env).returncode == 0

    verified = run_cli("verify", str(tmp_path / "aeo.json"), "--json",
                       "--status-file", f"{URL}={tmp_path / 'site/status/ctpat-messages'}", env=env)
    assert verified.returncode == 0, verified.stdout
    [check] = [c for c in json.loads(verified.stdout)["checks"] if c["name"] == "status.message"]
    assert check["status"] == "passed" and "0x1 'suspended pending review'" in check["message"]

    shown = run_cli("status", "show", document["id"], env=env)
    assert shown.returncode == 0 and "0x1 'suspended pending review'" in shown.stdout
    assert '0x1 "suspended pending review": site visit pending' in shown.stdout
    assert run_cli("status", "log", "--verify", env=env).returncode == 0

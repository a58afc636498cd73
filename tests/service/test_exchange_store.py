"""The presentation exchange's store: single-use, expiring, bounded challenges and the submissions they admit."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from vctrade.errors import ConfigError, OperationalError, RequestTooLarge
from vctrade.service._exchange import (
    SCHEMA_VERSION,
    ChallengeRefused,
    ExchangeStore,
    StoreFull,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def presentation(challenge: str = "c", instance: str = "urn:uuid:1") -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/traceability/v1"],
            "id": "urn:uuid:vp", "type": ["VerifiablePresentation", "TraceablePresentation"],
            "holder": "did:web:partner.example",
            "workflow": {"definition": ["https://vctrade.dev/workflows/steel-import/v1"], "instance": [instance]},
            "proof": {"challenge": challenge}}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> ExchangeStore:
    return ExchangeStore(tmp_path / "state" / "exchange.sqlite", ttl_seconds=300, clock=clock, max_challenges=3,
                         max_presentation_bytes=10_000)


def test_the_store_is_created_on_first_use_private_versioned_and_in_wal_mode(store: ExchangeStore) -> None:
    assert not store.path.exists()  # nothing is touched until the first operation
    store.issue("verifier.example", None, "partner")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"challenges", "submissions"} <= tables


def test_a_challenge_is_128_random_bits_bound_to_domain_workflow_and_client(store: ExchangeStore, clock: Clock) -> None:
    first = store.issue("verifier.example", "https://vctrade.dev/workflows/steel-import/v1", "partner")
    second = store.issue("verifier.example", None, None)
    assert first.value != second.value and len(first.value) == 22  # 16 bytes, base64url
    assert (first.domain, first.workflow, first.client_id) == (
        "verifier.example", "https://vctrade.dev/workflows/steel-import/v1", "partner")
    assert (first.created_at, first.expires_at) == (clock.now, clock.now + 300)
    assert store.challenge(first.value) == first


@pytest.mark.parametrize("value", ["never-handed-out", "", None, 42, ["x"], "x" * 1000])
def test_a_challenge_the_store_never_handed_out_is_unknown(store: ExchangeStore, value: Any) -> None:
    with pytest.raises(ChallengeRefused) as refused:
        store.challenge(value)
    assert refused.value.code == "unknown_challenge"


def test_accepting_a_submission_consumes_its_challenge_once(store: ExchangeStore, clock: Clock) -> None:
    challenge = store.issue("verifier.example", None, "partner")
    clock.now += 10
    accepted = store.accept(presentation(challenge.value), challenge=challenge, client_id="partner",
                            endpoint="submissions")
    assert store.submission(accepted.id) == accepted
    assert accepted.workflow_instance == ("urn:uuid:1",) and accepted.received_at == clock.now
    assert accepted.workflow_definition == ("https://vctrade.dev/workflows/steel-import/v1",)
    for attempt in (lambda: store.challenge(challenge.value),
                    lambda: store.accept(presentation(challenge.value), challenge=challenge, client_id="partner",
                                         endpoint="submissions")):
        with pytest.raises(ChallengeRefused) as refused:
            attempt()
        assert refused.value.code == "challenge_used"
    assert [s.id for s in store.submissions()] == [accepted.id]


def test_a_challenge_expires_after_its_ttl(store: ExchangeStore, clock: Clock) -> None:
    challenge = store.issue("verifier.example", None, "partner")
    clock.now += 299.9
    assert store.challenge(challenge.value) == challenge
    clock.now += 0.1
    for attempt in (lambda: store.challenge(challenge.value),
                    lambda: store.accept(presentation(), challenge=challenge, client_id="partner",
                                         endpoint="submissions")):
        with pytest.raises(ChallengeRefused) as refused:
            attempt()
        assert refused.value.code == "challenge_expired"
    assert store.submissions() == []


def test_a_presentation_received_without_a_challenge_is_stored_with_its_client(store: ExchangeStore) -> None:
    accepted = store.accept(presentation(), challenge=None, client_id="partner", endpoint="presentations")
    assert (accepted.challenge, accepted.client_id, accepted.endpoint) == (None, "partner", "presentations")
    assert store.submission(accepted.id) == accepted
    assert store.submission(accepted.id + 1) is None


def test_live_challenges_are_capped_expired_ones_make_room_first(store: ExchangeStore, clock: Clock) -> None:
    old = store.issue("verifier.example", None, "a")
    clock.now += 200
    store.issue("verifier.example", None, "b")
    store.issue("verifier.example", None, "c")
    with pytest.raises(StoreFull) as full:
        store.issue("verifier.example", None, "d")
    assert full.value.retry_after == pytest.approx(100)  # when the oldest live one expires
    clock.now += 100  # the oldest has expired: it gives way
    store.issue("verifier.example", None, "d")
    with pytest.raises(ChallengeRefused) as refused:
        store.challenge(old.value)
    assert refused.value.code == "unknown_challenge"  # dropped, so no longer known even as expired


def test_a_full_store_keeps_every_live_challenge_answerable(store: ExchangeStore) -> None:
    live = [store.issue("verifier.example", None, "a") for _ in range(3)]
    with pytest.raises(StoreFull):
        store.issue("verifier.example", None, "b")
    assert [store.challenge(c.value) for c in live] == live


def test_one_challenge_two_concurrent_submissions_exactly_one_wins(tmp_path: Path) -> None:
    store = ExchangeStore(tmp_path / "exchange.sqlite", ttl_seconds=300)
    challenge = store.issue("verifier.example", None, "partner")
    racers = 8
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def submit(number: int) -> None:
        # Each racer has its own store object (its own connections), as separate worker processes would.
        mine = ExchangeStore(store.path, ttl_seconds=300)
        barrier.wait()
        try:
            mine.accept(presentation(challenge.value, f"urn:uuid:{number}"), challenge=challenge, client_id="partner",
                        endpoint="submissions")
            outcomes.append("accepted")
        except ChallengeRefused as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["accepted"] + ["challenge_used"] * (racers - 1)
    assert len(store.submissions()) == 1


def test_a_presentation_over_the_size_cap_is_not_stored(store: ExchangeStore) -> None:
    challenge = store.issue("verifier.example", None, "partner")
    big = presentation(challenge.value) | {"padding": "x" * 10_000}
    with pytest.raises(RequestTooLarge):
        store.accept(big, challenge=challenge, client_id="partner", endpoint="submissions")
    assert store.challenge(challenge.value) == challenge  # refused: the challenge stays unused


def test_a_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "exchange.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="newer"):
        ExchangeStore(path, ttl_seconds=300).issue("verifier.example", None, None)


def test_a_database_of_something_else_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE credentials (id TEXT)")
    with pytest.raises(ConfigError, match="something else"):
        ExchangeStore(path, ttl_seconds=300).issue("verifier.example", None, None)


def test_a_store_that_cannot_be_opened_is_an_operational_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OperationalError):
        ExchangeStore(tmp_path / "a-file" / "exchange.sqlite", ttl_seconds=300).issue("verifier.example", None, None)


@pytest.mark.parametrize("ttl", [0, -1, float("inf"), float("nan")])
def test_the_ttl_must_be_a_positive_number(tmp_path: Path, ttl: float) -> None:
    with pytest.raises(ConfigError):
        ExchangeStore(tmp_path / "exchange.sqlite", ttl_seconds=ttl)

"""Presentations: challenge, domain and holder checked; each presented credential verified; present() refuses bad input."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from vctrade import Key, present, sign, verify
from vctrade.errors import InvalidDocument

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the `trade` fixture (tests/conftest.py) signs a day before
CREATED = NOW - timedelta(days=1)


def test_presentation_checks_challenge_domain_and_holder(trade: dict[str, Any], fixture_key: Callable[[str], Key]) -> None:
    vp = present([trade["coo"]], trade["importer"], challenge="7c1f", domain="cbp.example", created=CREATED)
    assert not verify(vp, now=NOW, challenge="other", domain="cbp.example").verified
    assert not verify(vp, now=NOW, challenge="7c1f", domain="other.example").verified
    stolen = copy.deepcopy(vp)
    stolen["holder"] = fixture_key("aceros-del-norte").did  # claims another holder than the signer
    result = verify(stolen, now=NOW, challenge="7c1f")
    assert next(c for c in result.checks if c.name == "holder").status == "failed"
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["goods"][0]["hsCode"] = "7208.38"
    result = verify(tampered, now=NOW, challenge="7c1f")
    assert not result.verified and not result.nested[0].verified
    signed_as_credential = sign({**{k: v for k, v in vp.items() if k != "proof"}}, trade["importer"],
                                kind="VerifiablePresentation", created=CREATED)  # assertionMethod, not authentication
    assert next(c for c in verify(signed_as_credential, now=NOW).checks if c.name == "proof.purpose").status == "failed"


def test_present_refuses_unsigned_or_no_credentials(trade: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="at least one"):
        present([], trade["importer"])
    with pytest.raises(InvalidDocument, match="signed credential"):
        present([{k: v for k, v in trade["coo"].items() if k != "proof"}], trade["importer"])

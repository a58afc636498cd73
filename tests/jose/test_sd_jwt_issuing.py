"""Issuing an SD-JWT through the one issuance path (issue #17, fix 10): a claim the credential's schema or rules need
cannot be made disclosable (every presentation hiding it would fail), nor can what verifiers judge a credential by."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from vctrade import Key, issue, verify
from vctrade.errors import InputError
from vctrade.jose import disclose, issue_sd_jwt

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
ISSUER = Key.generate()


def test_a_required_claim_is_refused_naming_the_requirement(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    request = trade_request("aeo", "acme-ctpat")
    with pytest.raises(InputError) as raised:
        issue(request, ISSUER, trade_type="aeo", format="sd-jwt",
              disclosable=["/credentialSubject/legalName", "/credentialSubject/sviNumber"])
    message = str(raised.value)
    assert "/credentialSubject/legalName — credentialSubject: 'legalName' is required" in message
    assert "sviNumber" not in message


def test_a_claim_a_rule_needs_is_refused(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    request = trade_request("origin", "cafta-apparel")  # one shipment: its invoiceNumber stands for a blanket period
    with pytest.raises(InputError, match="invoiceNumber"):
        issue(request, ISSUER, trade_type="origin", format="sd-jwt", disclosable=["/credentialSubject/invoiceNumber"])


def test_claims_hidden_together_are_judged_together(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    request = trade_request("origin", "usmca-steel")
    goods = [f"/credentialSubject/goods/{index}" for index in range(3)]
    issue(request, ISSUER, trade_type="origin", format="sd-jwt", disclosable=goods[:2])  # one good always remains
    with pytest.raises(InputError, match="hidden together"):
        issue(request, ISSUER, trade_type="origin", format="sd-jwt", disclosable=goods)


def test_an_optional_claim_hidden_still_verifies(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    request = trade_request("aeo", "acme-ctpat")
    request["validFrom"], request["validUntil"] = "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
    token = issue(request, ISSUER, trade_type="aeo", format="sd-jwt", disclosable=["/credentialSubject/sviNumber"]).secured
    assert isinstance(token, str)
    hidden = disclose(token, [])
    result = verify(hidden, now=NOW)
    assert result.verified, result.failures


@pytest.mark.parametrize("claim", ["validFrom", "validUntil", "credentialStatus", "credentialSchema"])
def test_what_verifiers_judge_a_credential_by_cannot_be_hidden(claim: str, credential: Callable[..., dict[str, Any]]) -> None:
    document = credential(validUntil="2027-01-01T00:00:00Z", credentialSchema={"id": "https://x.example/s", "type": "JsonSchema"},
                          credentialStatus={"id": "https://x.example/status#1", "type": "BitstringStatusListEntry",
                                            "statusPurpose": "revocation", "statusListIndex": "1",
                                            "statusListCredential": "https://x.example/status"})
    with pytest.raises(InputError, match=f"/{claim} cannot be made disclosable: verifiers need it"):
        issue_sd_jwt(document, ISSUER, disclosable=[f"/{claim}"])

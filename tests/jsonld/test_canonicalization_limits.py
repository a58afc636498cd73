"""Issue 12, item 2: JSON-LD expansion and RDFC-1.0 are bounded, and a document over a bound is a failed check.

Each attack below used to cost seconds to minutes of CPU (or, with JCS, to escape as an internal error); each
is now refused by one of the DocumentLoader's limits, and legitimate trade documents stay far inside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade._demo import example_request
from vctrade.di import get_suite
from vctrade.errors import CanonicalizationLimitError
from vctrade.jsonld import DocumentLoader, canonize
from vctrade.trade import build_origin_credential

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]


def _credential(subject: dict[str, Any], contexts: list[Any] | None = None) -> dict[str, Any]:
    return {"@context": contexts or CONTEXTS, "type": ["VerifiableCredential"], "credentialSubject": subject}


def _forged(subject: dict[str, Any], now: datetime, suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
    """A credential signed over a small subject, then given ``subject`` instead (what an attacker sends)."""
    signed = sign(_credential({"id": "did:example:x", "name": "ok"}), Key.generate(), suite=suite, created=now)
    return {**signed, "credentialSubject": subject}


def _cycles(count: int, length: int) -> list[dict[str, Any]]:
    """``count`` disjoint rings of ``length`` blank nodes: every node looks alike until the rings are walked."""
    return [{"id": f"_:c{c}n{i}", "next": {"id": f"_:c{c}n{(i + 1) % length}"}}
            for c in range(count) for i in range(length)]


def _checks(result: Any) -> dict[str, tuple[str, str]]:
    return {check.name: (check.status, check.code) for check in result.checks}


def _message(result: Any, name: str) -> str:
    return next(check.message for check in result.checks if check.name == name)


def test_two_rings_of_200_blank_nodes_fail_on_the_work_bound(now: datetime) -> None:
    # 16 KiB that took ~30 s to verify: RDFC-1.0 walked each ring from each of its 400 nodes.
    result = verify(_forged({"id": "did:example:x", "ring": _cycles(2, 200)}, now), now=now)
    assert _checks(result)["proof.signature"] == ("failed", "canonicalization_too_costly")
    assert "max_rdfc_work" in _message(result, "proof.signature")  # the work bound, long before the clock
    assert not result.verified and not result.undecided


def test_twenty_thousand_alike_blank_nodes_are_refused_before_rdfc() -> None:
    # Over a minute before: 20,000 blank nodes all alike, in one property.
    document = _credential({"id": "did:example:x", "item": [{"name": "x"} for _ in range(20_000)]})
    with pytest.raises(CanonicalizationLimitError, match="max_blank_nodes") as refused:
        canonize(document, DocumentLoader())
    assert refused.value.code == "canonicalization_too_costly"


def test_a_context_repeated_300_times_fails_fast(now: datetime) -> None:
    # 11 KiB that verified after ~12 s of CPU: every repetition re-processed the whole traceability context.
    forged = _forged({"id": "did:example:x", "name": "ok"}, now)
    forged["@context"] = [*forged["@context"], *["https://w3id.org/traceability/v1"] * 300]
    result = verify(forged, now=now)
    checks = _checks(result)
    assert checks["json-ld"] == ("failed", "canonicalization_too_costly")
    assert checks["proof.signature"] == ("failed", "canonicalization_too_costly")
    assert "max_context_terms" in _message(result, "json-ld")  # the term allowance, long before the clock


def test_many_values_of_one_property_convert_to_rdf_in_linear_time() -> None:
    # pyld's node map compared each value with every earlier one: 8,000 strings (~100 KiB) took ~14 s.
    document = _credential({"id": "did:example:x", "tag": [f"t{i}" for i in range(8_000)]})
    assert canonize(document, DocumentLoader(max_seconds=1.0)).count("\n") == 8_002


def test_a_document_nested_past_max_json_depth_is_a_failed_check(now: datetime) -> None:
    inner: dict[str, Any] = {"name": "x"}
    for _ in range(80):
        inner = {"nested": inner}
    checks = _checks(verify(_forged({"id": "did:example:x", "deep": inner}, now), now=now))
    assert checks["json-ld"] == ("failed", "document_too_deep")
    assert checks["proof.signature"] == ("failed", "document_too_deep")


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "ecdsa-jcs-2019"])
def test_jcs_refuses_a_3000_deep_document_instead_of_recursing(suite: str) -> None:
    # rfc8785 recursed once per level: RecursionError, which verify() reported as internal_error.
    deep: dict[str, Any] = {"name": "x"}
    for _ in range(3_000):
        deep = {"nested": deep}
    with pytest.raises(CanonicalizationLimitError) as refused:
        get_suite(suite).transform({"credentialSubject": deep}, "P-256" if "ecdsa" in suite else "Ed25519",
                                   DocumentLoader())
    assert refused.value.code == "document_too_deep"


def test_a_document_with_too_many_values_is_refused_before_expansion() -> None:
    document = _credential({"id": "did:example:x", "tag": ["t"] * 50})
    with pytest.raises(CanonicalizationLimitError) as refused:
        canonize(document, DocumentLoader(max_json_values=40))
    assert refused.value.code == "document_too_large"


def test_signing_a_poison_document_is_refused() -> None:
    with pytest.raises(CanonicalizationLimitError, match="work bound"):
        sign(_credential({"id": "did:example:x", "ring": _cycles(2, 200)}), Key.generate())


def test_usmca_certificate_with_1000_goods_lines_is_far_inside_every_limit() -> None:
    # The largest trade document in use, against every count limit cut to a fifth: it still canonicalizes.
    request = example_request("origin", "usmca-steel")
    lines = request["declaration"]["goods"]
    request["declaration"]["goods"] = [{**lines[i % len(lines)], "description": f"lot {i}"} for i in range(1_000)]
    credential = build_origin_credential(request, "did:example:issuer")
    defaults = DocumentLoader()
    tight = DocumentLoader(
        max_json_depth=defaults.max_json_depth // 5,
        max_json_values=defaults.max_json_values // 5,
        max_context_terms=defaults.max_context_terms // 5,
        context_terms_per_value=defaults.context_terms_per_value // 5,
        max_blank_nodes=defaults.max_blank_nodes // 5,
        max_quads=defaults.max_quads // 5,
        max_rdfc_work=defaults.max_rdfc_work // 5,
    )
    assert canonize(credential, tight).count("\n") > 10_000

"""Certificates (certifications) of origin: USMCA and other agreements, or non-preferential origin."""

from __future__ import annotations

from typing import Any

from vctrade.errors import InvalidDocument
from vctrade.model._credentials import parse_datetime
from vctrade.trade._build import finish_credential, typed, with_address
from vctrade.trade._registry import (
    TRADE_CONTEXT,
    TRADE_VOCAB,
    TradeType,
    register_trade_type,
)
from vctrade.trade._schema import add_months, bundled_schema, period_problems

__all__ = ["ORIGIN", "ORIGIN_SCHEMA", "build_origin_credential", "USMCA_CERTIFICATION_STATEMENT"]

ORIGIN_SCHEMA = "https://vctrade.dev/schemas/certificate-of-origin/v1"
MAX_BLANKET_MONTHS = 12
_FIELDS = ("id", "issuerName", "validFrom", "validUntil", "declaration")

# USMCA Annex 5-A, element 9: the certification statement the signature attests.
USMCA_CERTIFICATION_STATEMENT = (
    "I certify that the goods described in this document qualify as originating and the information contained "
    "in this document is true and accurate. I assume responsibility for proving such representations and agree "
    "to maintain and present upon request or to make available during a verification visit, documentation "
    "necessary to support this certification."
)
_PARTIES = ("exporterDetails", "importerDetails")


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned certificate of origin from a request.

    ``request`` holds ``declaration`` (``agreement``, ``certifierRole``,
    ``certifier``, ``exporterDetails``, ``producerDetails``, ``importerDetails``,
    ``goods``, optional ``invoiceNumber`` and ``certificationStatement``) and,
    for a blanket certificate, ``validFrom``/``validUntil`` (at most 12 months).
    USMCA certificates get the USMCA certification statement when none is given.
    """
    declaration = request.get("declaration")
    if not isinstance(declaration, dict):
        raise InvalidDocument("the request needs a 'declaration' mapping (agreement, certifier, parties, goods)")
    subject: dict[str, Any] = {"type": "OriginDeclaration", **declaration}
    for party in _PARTIES:
        if party in subject:
            subject[party] = with_address(subject[party], "Organization")
    subject["producerDetails"] = with_address(subject.get("producerDetails"), "Organization")
    if subject["producerDetails"] is None:
        del subject["producerDetails"]
    if isinstance(subject.get("certifier"), dict):
        subject["certifier"] = with_address(subject["certifier"], "Person")
    if isinstance(subject.get("goods"), list):
        subject["goods"] = [typed(good, "TradeGood") for good in subject["goods"]]
    agreement = subject.get("agreement")
    if agreement == "USMCA":
        subject.setdefault("certificationStatement", USMCA_CERTIFICATION_STATEMENT)
    types = ["CertificateOfOrigin", *(["USMCACertificationOfOrigin"] if agreement == "USMCA" else [])]
    return finish_credential(
        request,
        types=types,
        subject=subject,
        issuer=issuer,
        schema_id=ORIGIN_SCHEMA,
        context=TRADE_CONTEXT,
        name=f"{agreement} certificate of origin" if agreement else "Certificate of origin",
        credential_status=credential_status,
        allowed_top_level=set(_FIELDS),
    )


def _origin_rules(credential: dict[str, Any]) -> list[str]:
    """A blanket period of at most 12 months, or an invoice number for a single shipment."""
    problems = period_problems(credential)
    if problems:
        return problems
    start, end = credential.get("validFrom"), credential.get("validUntil")
    subject = credential.get("credentialSubject")
    invoice = subject.get("invoiceNumber") if isinstance(subject, dict) else None
    if invoice is not None:
        return []
    if start is None or end is None:
        return ["a certificate of origin needs a blanket period (validFrom and validUntil) "
                "or, for a single shipment, credentialSubject.invoiceNumber"]
    if parse_datetime(end) > add_months(parse_datetime(start), MAX_BLANKET_MONTHS):
        return [f"the blanket period {start} to {end} is longer than {MAX_BLANKET_MONTHS} months"]
    return []


def _summary(credential: dict[str, Any]) -> str:
    found = credential.get("credentialSubject")
    subject: dict[str, Any] = found if isinstance(found, dict) else {}
    certifier = subject.get("certifier", {})
    who = certifier.get("name", "?") if isinstance(certifier, dict) else "?"
    goods = subject.get("goods")
    count = len(goods) if isinstance(goods, list) else 0
    scope = f"invoice {subject['invoiceNumber']}" if subject.get("invoiceNumber") else "blanket period"
    return (f"{subject.get('agreement', '?')} certificate of origin: {count} good(s), {scope}; "
            f"certified by the {subject.get('certifierRole', '?')} ({who})")


ORIGIN = register_trade_type(TradeType(
    name="origin",
    title="certificate of origin (USMCA, CAFTA-DR, non-preferential …), signed by its certifier",
    type_iri=f"{TRADE_VOCAB}CertificateOfOrigin",
    schema=bundled_schema(ORIGIN_SCHEMA, "certificate-of-origin-v1.json"),
    builder=_build,
    rules=_origin_rules,
    request_fields=_FIELDS,
    aliases=("USMCACertificationOfOrigin",),
    summary=_summary,
))


def build_origin_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The certificate of origin for ``request``, validated (see :data:`ORIGIN`)."""
    return ORIGIN.build(request, issuer, credential_status)

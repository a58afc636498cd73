"""Certificates (certifications) of origin: USMCA and other agreements, or non-preferential origin."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidDocument
from ._common import finish_credential, typed, with_address
from .validation import ORIGIN_SCHEMA

__all__ = ["build_origin_credential", "USMCA_CERTIFICATION_STATEMENT"]

# USMCA Annex 5-A, element 9: the certification statement the signature attests.
USMCA_CERTIFICATION_STATEMENT = (
    "I certify that the goods described in this document qualify as originating and the information contained "
    "in this document is true and accurate. I assume responsibility for proving such representations and agree "
    "to maintain and present upon request or to make available during a verification visit, documentation "
    "necessary to support this certification."
)
_PARTIES = ("exporterDetails", "importerDetails")


def build_origin_credential(
    request: dict[str, Any],
    issuer: str,
    *,
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
        name=f"{agreement} certificate of origin" if agreement else "Certificate of origin",
        credential_status=credential_status,
        allowed_top_level={"id", "issuerName", "validFrom", "validUntil", "declaration"},
    )

"""AEO / C-TPAT certification credentials, issued by a customs authority to a trader."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidDocument
from ._common import finish_credential, with_address
from .validation import AEO_SCHEMA

__all__ = ["build_aeo_credential", "AEO_PROGRAMME_NAMES"]

AEO_PROGRAMME_NAMES = {
    "C-TPAT": "U.S. Customs-Trade Partnership Against Terrorism",
    "EU-AEO": "European Union Authorised Economic Operator",
    "MX-OEA": "Mexico Operador Económico Autorizado",
    "CA-PIP": "Canada Partners in Protection",
}


def build_aeo_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned AEO certification credential from a request.

    ``request`` holds ``subject`` (the trader: ``id`` DID, ``legalName``,
    ``address``, identifiers, ``aeoProgramme``, ``tradeRole``, ``tier`` or
    ``aeoType``, ``dateOfLastValidation``, ``issuingCountry``…) and the
    credential's ``validFrom``/``validUntil``; optional ``issuerName`` and ``id``.
    ``credential_status`` is the revocation/suspension hook.
    """
    subject = request.get("subject")
    if not isinstance(subject, dict):
        raise InvalidDocument("the request needs a 'subject' mapping describing the certified trader")
    programme = subject.get("aeoProgramme")
    types = ["AEOCertificate", *(["CTPATCertificate"] if programme == "C-TPAT" else [])]
    name = f"{AEO_PROGRAMME_NAMES.get(str(programme), str(programme))} certification"
    return finish_credential(
        request,
        types=types,
        subject=with_address(subject, "AuthorizedEconomicOperator"),
        issuer=issuer,
        schema_id=AEO_SCHEMA,
        name=name,
        credential_status=credential_status,
        allowed_top_level={"id", "issuerName", "validFrom", "validUntil", "subject"},
    )

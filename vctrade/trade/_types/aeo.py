"""AEO / C-TPAT certification credentials, issued by a customs authority to a trader."""

from __future__ import annotations

from typing import Any

from vctrade.errors import InvalidDocument
from vctrade.trade._build import finish_credential, with_address
from vctrade.trade._registry import (
    TRADE_CONTEXT,
    TRADE_VOCAB,
    TradeType,
    register_trade_type,
)
from vctrade.trade._schema import bundled_schema, period_problems

__all__ = ["AEO", "AEO_SCHEMA", "build_aeo_credential", "AEO_PROGRAMME_NAMES"]

AEO_SCHEMA = "https://vctrade.dev/schemas/aeo-certificate/v1"
_FIELDS = ("id", "issuerName", "validFrom", "validUntil", "subject")

AEO_PROGRAMME_NAMES = {
    "C-TPAT": "U.S. Customs-Trade Partnership Against Terrorism",
    "EU-AEO": "European Union Authorised Economic Operator",
    "MX-OEA": "Mexico Operador Económico Autorizado",
    "CA-PIP": "Canada Partners in Protection",
}


def _build(
    request: dict[str, Any],
    issuer: str,
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
        context=TRADE_CONTEXT,
        name=name,
        credential_status=credential_status,
        allowed_top_level=set(_FIELDS),
    )


def _summary(credential: dict[str, Any]) -> str:
    found = credential.get("credentialSubject")
    subject: dict[str, Any] = found if isinstance(found, dict) else {}
    level = subject.get("tier") or subject.get("aeoType") or ""
    return (f"{subject.get('aeoProgramme', 'AEO')} {level} certification of "
            f"{subject.get('legalName', subject.get('id', '?'))} ({subject.get('tradeRole', '?')})").replace("  ", " ")


AEO = register_trade_type(TradeType(
    name="aeo",
    title="AEO / C-TPAT certification, issued by a customs authority to a trader",
    type_iri=f"{TRADE_VOCAB}AEOCertificate",
    schema=bundled_schema(AEO_SCHEMA, "aeo-certificate-v1.json"),
    builder=_build,
    rules=period_problems,
    request_fields=_FIELDS,
    aliases=("CTPATCertificate",),
    summary=_summary,
))


def build_aeo_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The AEO certification for ``request``, validated (see :data:`AEO`)."""
    return AEO.build(request, issuer, credential_status)

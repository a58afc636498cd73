"""SIMA steel import licences: the U.S. Department of Commerce's licence to import basic steel mill products.

Steel Import Monitoring and Analysis (19 CFR part 360): before entry, the
importer (or its broker) obtains a licence per HTS number naming the importer,
the countries of origin, of melt and pour and of exportation, the quantity and
the value. The entry summary reports the licence number on each steel line.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from vctrade.model._credentials import parse_datetime
from vctrade.trade._registry import TRADE_VOCAB, TradeType, register_trade_type
from vctrade.trade._schema import bundled_schema, period_problems
from vctrade.trade._types._customs import (
    STEEL_CHAPTERS,
    build_shipment_credential,
    money,
    number,
    party_name,
    request_fields,
    subject_of,
)

__all__ = ["SIMA_LICENCE", "SIMA_LICENCE_SCHEMA", "MAX_LICENCE_DAYS", "build_sima_licence_credential"]

SIMA_LICENCE_SCHEMA = "https://vctrade.dev/schemas/sima-licence/v1"
MAX_LICENCE_DAYS = 75
_FIELDS = request_fields("simaLicence")


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned SIMA steel import licence from a request.

    ``request`` holds ``simaLicence`` (``licenseNumber``, ``importer``,
    ``exporter``, ``mill`` — the manufacturer —, ``hsCode``, the countries of
    origin, melt and pour and exportation, ``quantity`` and ``unitCode``,
    ``value`` and ``currency``, ``expectedDateOfImport``, ``portOfEntry``) and
    the licence's window, ``validFrom``/``validUntil`` (at most 75 days).
    """
    return build_shipment_credential(
        request, issuer, credential_status,
        request_key="simaLicence",
        holding="licenseNumber, importer, hsCode, countries, quantity, value",
        subject_type="SIMASteelImportLicense",
        types=["SIMALicence", "SIMASteelImportLicenseCredential"],
        schema_id=SIMA_LICENCE_SCHEMA,
        title="SIMA steel import licence",
        number_key="licenseNumber",
        parties=("importer", "exporter", "mill"),
    )


def _window_problems(credential: dict[str, Any]) -> list[str]:
    """The licence window: validFrom and validUntil both given, in order, at most 75 days apart."""
    missing = [field for field in ("validFrom", "validUntil") if credential.get(field) is None]
    if missing:
        return [f"'{field}' is required: a SIMA licence is valid for a window of at most {MAX_LICENCE_DAYS} days"
                for field in missing]
    problems = period_problems(credential)
    if problems:
        return problems
    if parse_datetime(credential["validUntil"]) - parse_datetime(credential["validFrom"]) > timedelta(days=MAX_LICENCE_DAYS):
        return [(f"validUntil: the licence window {credential['validFrom']} to {credential['validUntil']} is longer "
                f"than {MAX_LICENCE_DAYS} days, the most a SIMA licence is valid for")]
    return []


def _steel_problems(credential: dict[str, Any]) -> list[str]:
    """SIMA licenses basic steel mill products: an HTS number in chapter 72 or 73."""
    hs_code = subject_of(credential).get("hsCode")
    if isinstance(hs_code, str) and hs_code[:2].isdigit() and not hs_code.startswith(STEEL_CHAPTERS):
        return [f"credentialSubject.hsCode: {hs_code!r} is not steel: a SIMA licence covers HTS chapters 72 and 73"]
    return []


def _rules(credential: dict[str, Any]) -> list[str]:
    return _window_problems(credential) + _steel_problems(credential)


def _summary(credential: dict[str, Any]) -> str:
    subject = subject_of(credential)
    return (f"SIMA steel import licence {subject.get('licenseNumber', '?')}: HTS {subject.get('hsCode', '?')}, "
            f"{number(subject.get('quantity'))} {subject.get('unitCode', '?')}, {money(subject.get('value'), subject.get('currency'))}; "
            f"origin {subject.get('countryOfOrigin', '?')}, melted and poured in {subject.get('countryOfMeltAndPour', '?')}; "
            f"importer {party_name(subject.get('importer'))}")


SIMA_LICENCE = register_trade_type(TradeType(
    name="sima-licence",
    title="SIMA steel import licence, issued by the U.S. Department of Commerce to the importer",
    type_iri=f"{TRADE_VOCAB}SIMALicence",
    schema=bundled_schema(SIMA_LICENCE_SCHEMA, "sima-licence-v1.json"),
    builder=_build,
    rules=_rules,
    request_fields=_FIELDS,
    aliases=("SIMASteelImportLicenseCredential",),
    summary=_summary,
))


def build_sima_licence_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The SIMA steel import licence for ``request``, validated (see :data:`SIMA_LICENCE`)."""
    return SIMA_LICENCE.build(request, issuer, credential_status)

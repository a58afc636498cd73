"""The one issuing path: build → validate → allocate status → secure → record.

``vctrade issue``, ``vctrade sign`` (for a credential's first proof) and the
service's ``POST /credentials/issue`` all come here, so a credential is
checked by the same schema and rules, and gets its status entries in the same
shape, however it is issued.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from vctrade._keys import Key
from vctrade.di._signing import sign
from vctrade.di._suite import Cryptosuite
from vctrade.errors import InputError, InvalidDocument, SigningError, TradeDocumentError
from vctrade.jose._cose import cose_text, sign_cose
from vctrade.jose._jws import sign_legacy_jwt, sign_vc_jwt
from vctrade.jose._sdjwt import issue as issue_sd_jwt
from vctrade.jsonld._jsonld import DocumentLoader, default_loader, expanded_types
from vctrade.model._credentials import (
    credential_schema_problems,
    structure_problems,
    with_signer,
)
from vctrade.verification._related import related_resource_problems
from vctrade.verification._schemas import schema_problems, schemas_for_types

if TYPE_CHECKING:
    from vctrade.status._registry import Registry

__all__ = ["Issued", "issue", "claims_problems", "FORMATS"]

FORMATS = ("di", "jose", "sd-jwt", "jwt-1.1", "cose")


@dataclass(frozen=True)
class Issued:
    """An issued credential: the credential as issued (unsigned, with its status entries) and its secured form."""

    credential: dict[str, Any]
    secured: dict[str, Any] | str
    format: str


def claims_problems(credential: dict[str, Any], loader: DocumentLoader | None = None) -> list[str]:
    """What ``credential`` breaks of the schemas and rules registered for its expanded types."""
    return schema_problems(schemas_for_types(expanded_types(credential, loader)), credential)


def _status_shape(entries: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """One entry is an object, several a list: the same shape from the CLI, the library and the service."""
    return entries[0] if len(entries) == 1 else entries


def issue(
    document: dict[str, Any],
    key: Key,
    *,
    trade_type: str | None = None,
    format: str = "di",  # noqa: A002 - the word users know from --format
    suite: str | Cryptosuite | None = None,
    verification_method: str | None = None,
    registry: Registry | None = None,
    loader: DocumentLoader | None = None,
    created: datetime | None = None,
    expires: datetime | None = None,
    disclosable: Sequence[str] = (),
    holder_key: Key | None = None,
) -> Issued:
    """Issue a credential: build it (from a trade request), validate it, give it status entries, secure it, record it.

    ``document`` is an unsigned credential, or — with ``trade_type`` (a
    registered name such as ``"aeo"``) — a request for that trade type.
    Either way the credential is checked against every schema and rule
    registered for its expanded types and refused with
    :class:`~vctrade.errors.TradeDocumentError` naming each problem. With a
    ``registry``, it gets an entry in each status list its issuer keeps and is
    recorded once secured. ``format`` is ``di`` (a Data Integrity proof by
    ``suite``), ``jose`` (vc+jwt), ``sd-jwt``, ``jwt-1.1`` or ``cose``. An
    SD-JWT's ``disclosable`` claims (JSON pointers) may not include one the
    credential's schemas or rules require: every presentation that hid it would
    fail verification (:class:`~vctrade.errors.InputError` naming the claim and
    the requirement). The caller's document is never modified.
    """
    if format not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    if suite is not None and format != "di":
        raise InputError("a cryptosuite is for Data Integrity proofs (format di)")
    if not isinstance(document, dict):
        raise InvalidDocument("the credential must be a JSON object")
    if not key.has_private:
        raise SigningError("issuing needs a private key; this key file holds only a public key")
    loader = loader or default_loader()
    method = verification_method or key.did_key_verification_method
    issuer = method.split("#", 1)[0]
    credential = _build(document, issuer, trade_type, loader)
    if registry is not None and "credentialStatus" not in credential:
        credential.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
        entries = registry.allocate(credential)
        if entries:
            credential["credentialStatus"] = _status_shape(entries)
            if trade_type is not None:
                _validate(credential, loader)  # a type's schema may say how status entries look
    secured = _secure(credential, key, format, method, suite, loader, created, expires, disclosable, holder_key)
    if registry is not None and isinstance(credential.get("id"), str):
        # The registry keeps credentials it can later find by id; one without an id (whose status, if any, the
        # caller manages) is issued and not recorded.
        registry.record(secured if isinstance(secured, dict) else credential)
    return Issued(credential, secured, format)


def _build(document: dict[str, Any], issuer: str, trade_type: str | None, loader: DocumentLoader) -> dict[str, Any]:
    if trade_type is not None:
        from vctrade.trade._registry import (
            get_trade_type,  # the trade plug-in, asked for by name
        )

        built = get_trade_type(trade_type).build(copy.deepcopy(document), issuer)
        _refuse_forbidden(built, loader)
        return built
    credential = copy.deepcopy(with_signer(document, issuer))
    problems = structure_problems(credential)
    if problems:
        raise InvalidDocument("not a valid credential: " + "; ".join(problems))
    _refuse_forbidden(credential, loader)
    _validate(credential, loader)
    return credential


def _refuse_forbidden(credential: dict[str, Any], loader: DocumentLoader) -> None:
    """What VCDM 2.0 forbids beyond the structure rules: malformed credentialSchema, related-resource digests
    that are malformed or do not match a resource vctrade holds (one it does not hold is the issuer's word)."""
    problems = credential_schema_problems(credential) + list(related_resource_problems(credential, loader).failed)
    if problems:
        raise InvalidDocument("not a valid credential: " + "; ".join(problems))


def _validate(credential: dict[str, Any], loader: DocumentLoader) -> None:
    problems = claims_problems(credential, loader)
    if problems:
        raise TradeDocumentError("the credential breaks its type's schema or rules: " + "; ".join(problems), problems)


def _secure(credential: dict[str, Any], key: Key, format: str, method: str, suite: str | Cryptosuite | None,  # noqa: A002
            loader: DocumentLoader, created: datetime | None, expires: datetime | None,
            disclosable: Sequence[str], holder_key: Key | None) -> dict[str, Any] | str:
    if format != "sd-jwt" and (disclosable or holder_key is not None):
        raise InputError("disclosable claims and a holder key are for SD-JWT (format sd-jwt)")
    if format == "di":
        return sign(credential, key, suite=suite, verification_method=method, created=created, expires=expires,
                    loader=loader)
    if expires is not None:
        raise InputError("a proof expiry is for Data Integrity proofs (format di); set validUntil instead")
    if format == "jose":
        return sign_vc_jwt(credential, key, verification_method=method)
    if format == "jwt-1.1":
        return sign_legacy_jwt(credential, key, verification_method=method)
    if format == "cose":
        return cose_text(sign_cose(credential, key, verification_method=method))
    if not disclosable:
        raise InputError("an SD-JWT needs at least one disclosable claim (a JSON pointer)")
    _refuse_needed_disclosable(credential, disclosable, loader)
    return issue_sd_jwt(credential, key, disclosable=list(disclosable), holder_key=holder_key,
                        verification_method=method, loader=loader)


_HIDDEN = object()  # marks a claim the simulated holder hid


def _refuse_needed_disclosable(credential: dict[str, Any], disclosable: Sequence[str], loader: DocumentLoader) -> None:
    """Refuse to make disclosable a claim that the credential's schemas or rules need.

    A holder may hide any disclosable claim; the verifier then judges the credential without it. A claim its
    type's schema requires (or a rule needs) would make every presentation that hides it fail verification, so
    it is refused here, naming the claim and the requirement. Each pointer is tried alone, then all together (two
    goods hidden may leave none where at least one is required).
    """
    before = set(claims_problems(credential, loader))
    refused: list[str] = []
    pointers = list(dict.fromkeys(disclosable))
    for pointer in pointers:
        hidden = _hide(credential, [pointer])
        new = [p for p in claims_problems(hidden, loader) if p not in before] if hidden is not None else []
        if new:
            refused.append(f"{pointer} — {'; '.join(new)}")
    if not refused and len(pointers) > 1:
        hidden = _hide(credential, pointers)
        new = [p for p in claims_problems(hidden, loader) if p not in before] if hidden is not None else []
        if new:
            refused.append(f"{', '.join(pointers)} hidden together — {'; '.join(new)}")
    if refused:
        raise InputError("cannot make disclosable a claim the credential's schema or rules require (a presentation "
                         "that hid it would fail verification): " + "; ".join(refused))


def _hide(credential: dict[str, Any], pointers: Sequence[str]) -> dict[str, Any] | None:
    """``credential`` as a verifier sees it when the holder hides the claims at ``pointers`` (None if one of them
    names no claim: the SD-JWT issuer reports that)."""
    copied = copy.deepcopy(credential)
    for pointer in sorted(pointers, key=lambda p: -p.count("/")):  # a claim before the object holding it
        if not pointer.startswith("/") or pointer == "/":
            return None
        parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]
        node: Any = copied
        try:
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            if isinstance(node, list):
                node[int(parts[-1])] = _HIDDEN
            elif isinstance(node, dict) and parts[-1] in node:
                node[parts[-1]] = _HIDDEN
            else:
                return None
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return _without_hidden(copied)  # type: ignore[no-any-return]


def _without_hidden(node: Any) -> Any:
    if isinstance(node, dict):
        return {name: _without_hidden(value) for name, value in node.items() if value is not _HIDDEN}
    if isinstance(node, list):
        return [_without_hidden(item) for item in node if item is not _HIDDEN]
    return node

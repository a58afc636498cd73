"""The W3C CCG traceability-interop API profile: discovery, identifiers and credentials, under its own base path.

Served by ``vctrade serve`` when the configuration has ``[traceability]`` (the W3C VC API routes at the root stay as
they are); every route but the discovery document needs an OAuth2 bearer token with the profile's scope, checked
from the headers before the body is read (401, then 403)::

    GET  {base}/did.json              —                   the organisation's did:web document
    GET  {base}/identifiers/{did}     resolve:dids        200 {didDocument, didResolutionMetadata, didDocumentMetadata}
    POST {base}/credentials/issue     issue:credentials   {credential, options: {type, created?, credentialStatus?}}
                                                          → 201 the verifiable credential (or its VC-JWT)
    POST {base}/credentials/verify    verify:credentials  {verifiableCredential}
                                                          → 200 {verified, checks, warnings, errors}
    POST {base}/credentials/status    update:credentials  {credentialId, credentialStatus: [{type, statusPurpose,
                                                          status: "0" | "1"}]} → 200 the same, as it now stands
    and the presentation exchange (:mod:`vctrade.service._exchange`).

**Discovery.** ``did.json`` is the organisation's DID document (``[traceability] did``, whose document is at
``{base}/did.json``): the keys of the issuers that sign as that DID, as ``JsonWebKey2020`` (what the profile's
members read) under ``authentication`` and ``assertionMethod``; ``alsoKnownAs`` = [the API base URL, the DID] (the
profile's tutorials take ``alsoKnownAs[1]`` as the issuer id); and first among its services
``{id: <did>#traceability-api, type: ["TraceabilityAPI"], serviceEndpoint: <API base URL>}``, the API base URL being
``https://<the DID's host><base>``. ``GET /identifiers/{did}`` resolves with vctrade's resolvers and the service's fetch
policy (HTTPS only, private addresses refused unless allowed, one deadline); the organisation's own DID is answered
from this document, without fetching it from itself. The DID is read from the raw request path, so a did:web's
``%3A`` (its port) stays what it is; a DID sent percent-encoded whole (``did%3Aweb%3A…``) is decoded once.
Something that is not a DID is a 400 (``Bad Request: Invalid DID``), except a URI of another scheme (``urn:uuid:…``),
which is no DID this endpoint knows: 404, as a DID that does not exist, a method vctrade does not resolve, a document
that is not its DID's, or a host that cannot be reached (its ``details`` say which); only vctrade's own fetch slots
all being taken is a 503. In the resolution result a service's single ``type`` is written as a string (``["X"]`` and
``"X"`` are the same set; the profile's strict resolution schema wants the string, its discovery schema the array).

**Issuing.** The body is checked against the profile's schema first (every violation is a 400 with the profile's
message, the problems in ``details``): ``credential`` a VC 1.1 credential (its first ``@context`` the VC 1.1 one, an
array of URL strings; ``type`` an array of strings; ``issuer`` a URI or ``{id: URI}``; ``issuanceDate`` a dateTime;
``credentialSubject`` an object; no ``proof``), ``options`` an object with ``type`` one of ``Ed25519Signature2018``,
``JsonWebSignature2020`` (Data Integrity proofs vctrade signs when asked by name) or ``jwt_vc`` (a VC 1.1 JWT, answered
as ``application/jwt`` text), ``created`` a string and ``credentialStatus`` an object whose ``type``, if any, is
``StatusList2021Entry`` or ``RevocationList2020Status``; nothing else. The issuer must be the organisation (another
one is a 400: the service signs only as its own DID); the credential otherwise goes through vctrade's one issuing
path unchanged (structure — a ``credentialSubject`` without any property is refused, VC 1.1 §4.4 —, the schemas and
rules of its types, JSON-LD safe mode): ``issuanceDate`` and the issuer's form are kept as sent. ``options.created``
is the proof's ``created`` when it is a dateTime; the profile's suite sends any string there and expects it accepted,
so another string is not refused, and the proof says when it was made.

**Status.** ``options.credentialStatus`` asks for status entries: the credential (given a ``urn:uuid:`` id if it has
none) gets one in each of the organisation's status lists in the service's registry (``vctrade status init`` makes
them: revocation and suspension, one bit each), written as ``StatusList2021Entry`` (a VC 1.1 credential's status
method, its context added) — also when the profile's own ``RevocationList2020Status`` is asked for, whose successor
it is: vctrade reads RevocationList2020 but does not issue it. A request for status when the organisation keeps no
list is a 400 that says so. With a registry, every issued credential with an id is recorded. ``POST
/credentials/status`` sets the values the body names in the organisation's lists (``"1"`` revokes or suspends,
``"0"`` lifts a suspension; a value already set is no change; revocation is final: 409) and republishes the lists,
the organisation's as ``StatusList2021Credential`` (VC 1.1, signed with ``Ed25519Signature2018`` or
``JsonWebSignature2020``), every other one as the root service publishes it (:func:`organisation_list_signer`, installed on the service
when the profile is mounted, so the root routes publish alike); a list is also
published the first time a credential gets an entry in it. A credential the registry does not hold as the
organisation's is a 404. The registry does not record a list's format: publish the organisation's lists through this
profile's service (whose publishing signs with :func:`organisation_list_signer`), since another publisher writes them as Bitstring Status Lists, which its
StatusList2021 entries do not read.

**Verifying.** The profile's schema again (``verifiableCredential`` a credential with a proof of one of the two
suites, ``proofPurpose`` ``assertionMethod``, or a compact VC-JWT string; anything else is a 400), then vctrade's
verification, as the root service runs it (its resolvers, loader, status list source and trust policy, in bounded
worker threads), except that the organisation's DID is read from its document here and the lists this service
publishes from its status site (so a status just changed is seen at once; other lists come over HTTPS, cached).
Its checks map onto the profile's result as :func:`~vctrade.service._exchange.verification_report` says:
``verified`` is vctrade's verdict (every check passed), ``checks`` names each family of checks made (``proof`` for
the ``proof.*`` ones, ``status``, ``validity-period`` …), ``errors`` says what every check that did not pass found
(a failed one — the credential is bad — or an undecided one — a DID or status list out of reach: never verified),
``warnings`` is empty. Verified or not, the answer is 200 (the profile's); only vctrade's fetch slots all being taken
is a 503 with ``Retry-After``.

**Errors.** Any refusal on the profile's routes (the exchange's included) is ``{"message": <the profile's text>,
"code": <the HTTP status>, "reason": <vctrade's code>, "details": [<why>]}``: 400 ``Bad Request: Your request body does
not conform to the required schema`` (an input vctrade refuses is a 400 here, never a 422), 401 ``Unauthorized: This
endpoint requires an OAuth2 bearer token`` (``WWW-Authenticate: Bearer``), 403 ``Forbidden: OAuth2 bearer token does
not have the required scope``, 404 ``Not Found: The requested resource could not be found``, 409, 413 and 503 in the
same style; anything unexpected is a 500 without a traceback or details.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from vctrade._issuance import issue
from vctrade._keys import Key
from vctrade._result import FAILED, Check, VerificationResult
from vctrade.di import get_suite, sign
from vctrade.did import StaticResolver, did_to_url
from vctrade.errors import (
    ConfigError,
    EncodingError,
    InvalidDID,
    InvalidDocument,
    InvalidKey,
    NotFound,
    OperationalError,
    RegistryConflict,
    RegistryNotFound,
    RequestError,
    ResolutionError,
    UnsupportedError,
    VctradeError,
)
from vctrade.model._credentials import (
    VC_V1_CONTEXT,
    data_model_version,
    issuer_id,
    parse_datetime,
    structure_problems,
)
from vctrade.service._config import IssuerConfig, ServiceConfig, TraceabilityConfig
from vctrade.service._exchange import exchange_routes, verification_report
from vctrade.service._oauth import scoped
from vctrade.service._requests import read_json_object
from vctrade.service._service import ListSigner, Service, http_status
from vctrade.status import Registry, StatusFiles, StatusList, StatusListSource
from vctrade.status._registry import site_path
from vctrade.verification import verify
from vctrade.verification._formats import Format, detect

__all__ = ["traceability_router", "organisation_document", "organisation_list_signer", "STATUS_LIST_2021_CONTEXT"]

STATUS_LIST_2021_CONTEXT = "https://w3id.org/vc/status-list/2021/v1"
_DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]
_SERVICE_TYPE = "TraceabilityAPI"
# options.type -> (issue()'s format, the suite); the profile's names
_PROOFS: dict[str, tuple[str, str | None]] = {
    "Ed25519Signature2018": ("di", "Ed25519Signature2018"),
    "JsonWebSignature2020": ("di", "JsonWebSignature2020"),
    "jwt_vc": ("jwt-1.1", None),
}
_STATUS_REQUESTS = ("StatusList2021Entry", "RevocationList2020Status")
_OPTIONS = ("type", "created", "credentialStatus")
_VERIFIED_PROOFS = ("Ed25519Signature2018", "JsonWebSignature2020")
# entry types a status update may name -> the purpose it implies (None: statusPurpose says)
_UPDATE_TYPES: dict[str, str | None] = {
    "StatusList2021Entry": None, "BitstringStatusListEntry": None, "RevocationList2020Status": "revocation"}
_UPDATE_PURPOSES = ("revocation", "suspension")

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_ID_CHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
# DID Core §3.1: did:<method-name>:<method-specific-id>, the id's last ':'-separated segment non-empty
_DID = re.compile(rf"did:[a-z0-9]+:(?:{_ID_CHAR}*:)*{_ID_CHAR}+")
_MAX_DID = 2048
# Threads for verifications beyond those that may wait on the network (as the root service has it).
_SPARE_VERIFY_THREADS = 8

# The profile's messages, by status (the one for a malformed DID by its code).
_MESSAGES = {
    400: "Bad Request: Your request body does not conform to the required schema",
    401: "Unauthorized: This endpoint requires an OAuth2 bearer token",
    403: "Forbidden: OAuth2 bearer token does not have the required scope",
    404: "Not Found: The requested resource could not be found",
    409: "Conflict: The request conflicts with the current state of the resource",
    413: "Payload Too Large: The request body is over this service's limit",
    500: "Internal Server Error: The request could not be completed",
    503: "Service Unavailable: The request cannot be completed now; try again later",
}
_INVALID_DID = "Bad Request: Invalid DID"


# -- errors in the profile's shape -------------------------------------------------------------------------------------


def _profile_status(exc: VctradeError) -> int:
    """The root service's status for ``exc``, except that input vctrade refuses is a 400 (the profile has no 422)
    and a configuration that cannot do what was asked is the service's fault (500)."""
    if isinstance(exc, ConfigError):
        return 500
    status = http_status(exc)
    return 400 if status == 422 else status


def _error_response(exc: VctradeError, retry_after: float) -> JSONResponse:
    status = _profile_status(exc)
    message = _INVALID_DID if status == 400 and exc.code == "invalid_did" else _MESSAGES.get(status, _MESSAGES[500])
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"  # RFC 6750: the scheme wanted
    elif status == 403:
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    elif status == 503 and exc.code == "busy":
        headers["Retry-After"] = str(math.ceil(retry_after))
    body = {"message": message, "code": status, "reason": exc.code, "details": [exc.message]}
    return JSONResponse(body, status_code=status, headers=headers or None)


def _profile_route_class(retry_after: float) -> type[APIRoute]:
    """A route class whose handler answers every error in the profile's shape (see the module docstring).

    It wraps the whole handler — the dependencies (the token and scope checks) as much as the endpoint — so the
    profile's routes word their own refusals while the root app keeps its shape for the W3C VC API.
    """

    class ProfileRoute(APIRoute):
        """A route of the traceability profile."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            """The route's handler, its errors answered in the profile's shape (never a traceback)."""
            handler = super().get_route_handler()

            async def profile_handler(request: Request) -> Response:
                try:
                    return await handler(request)
                except VctradeError as exc:
                    return _error_response(exc, retry_after)
                except Exception:  # noqa: BLE001 - whatever it was, the caller gets no traceback
                    return JSONResponse({"message": _MESSAGES[500], "code": 500, "reason": "internal_error"},
                                        status_code=500)

            return profile_handler

    return ProfileRoute


def _refuse(problems: list[str]) -> None:
    """A 400 naming every problem, when there are any."""
    if problems:
        raise RequestError("; ".join(problems), code="schema_violation")


# -- the profile's request schemas -------------------------------------------------------------------------------------


def _is_uri(value: Any) -> bool:
    return isinstance(value, str) and bool(_URI.fullmatch(value))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _credential_problems(credential: Any, where: str, *, signed: bool) -> list[str]:
    """What ``credential`` breaks of the profile's Credential schema (with a proof when ``signed``)."""
    if not isinstance(credential, dict):
        return [f"{where} must be an object"]
    problems = []
    if not _strings(credential.get("@context")):
        problems.append(f"{where}.@context must be an array of context URLs (strings)")
    if "id" in credential and not _is_uri(credential["id"]):
        problems.append(f"{where}.id must be a URI (a string)")
    if not _strings(credential.get("type")):
        problems.append(f"{where}.type must be an array of strings")
    issuer = credential.get("issuer")
    if not (_is_uri(issuer) or (isinstance(issuer, dict) and _is_uri(issuer.get("id")))):
        problems.append(f"{where}.issuer must be a URI or an object whose id is a URI")
    try:
        parse_datetime(credential.get("issuanceDate"))
    except InvalidDocument:
        problems.append(f"{where}.issuanceDate must be an XML dateTime with a time zone (e.g. 2024-01-31T12:00:00Z)")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        problems.append(f"{where}.credentialSubject must be an object")
    elif "id" in subject and not _is_uri(subject["id"]):
        problems.append(f"{where}.credentialSubject.id must be a URI (a string)")
    if signed:
        problems.extend(_proof_problems(credential.get("proof"), f"{where}.proof"))
    elif "proof" in credential:
        problems.append(f"{where} must carry no proof: the service signs it")
    return problems


def _proof_problems(proof: Any, where: str) -> list[str]:
    """What ``proof`` breaks of the profile's credential proof: an object of one of its suites, for assertions."""
    if not isinstance(proof, dict):
        return [f"{where} must be an object (one proof)"]
    problems = []
    if proof.get("type") not in _VERIFIED_PROOFS:
        problems.append(f"{where}.type must be one of {', '.join(_VERIFIED_PROOFS)}")
    problems.extend(f"{where}.{name} must be a string" for name in ("created", "verificationMethod", "jws")
                    if name in proof and not isinstance(proof[name], str))
    if "proofPurpose" in proof and proof["proofPurpose"] != "assertionMethod":
        problems.append(f"{where}.proofPurpose must be assertionMethod")
    return problems


def _options_problems(options: Any) -> list[str]:
    """What ``options`` breaks of the profile's IssueCredentialOptions."""
    if not isinstance(options, dict):
        return ["options must be an object"]
    problems = [f"options.{name} is not an option of this endpoint" for name in options if name not in _OPTIONS]
    if not isinstance(options.get("type"), str) or options["type"] not in _PROOFS:
        problems.append(f"options.type must be one of {', '.join(_PROOFS)}")
    if "created" in options and not isinstance(options["created"], str):
        problems.append("options.created must be a string")
    if "credentialStatus" in options:
        status = options["credentialStatus"]
        if not isinstance(status, dict) or any(name != "type" for name in status):
            problems.append('options.credentialStatus must be an object, {} or {"type": …}')
        elif "type" in status and status["type"] not in _STATUS_REQUESTS:
            problems.append(f"options.credentialStatus.type must be one of {', '.join(_STATUS_REQUESTS)}")
    return problems


def _status_update_problems(body: dict[str, Any]) -> list[str]:
    """What a status update breaks: credentialId a string, credentialStatus one entry per purpose at most."""
    problems = []
    if not isinstance(body.get("credentialId"), str) or not body["credentialId"]:
        problems.append("credentialId must be the credential's id (a string)")
    entries = body.get("credentialStatus")
    if not isinstance(entries, list) or not entries:
        return [*problems, "credentialStatus must be a non-empty array of {type, statusPurpose, status} objects"]
    purposes = []
    for n, entry in enumerate(entries):
        where = f"credentialStatus[{n}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be an object")
            continue
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in _UPDATE_TYPES:
            problems.append(f"{where}.type must be one of {', '.join(_UPDATE_TYPES)}")
            continue
        purpose = entry.get("statusPurpose", _UPDATE_TYPES[kind])
        if purpose not in _UPDATE_PURPOSES or (_UPDATE_TYPES[kind] not in (None, purpose)):
            problems.append(f"{where}.statusPurpose must be " + (_UPDATE_TYPES[kind] or " or ".join(_UPDATE_PURPOSES)))
        elif purpose in purposes:
            problems.append(f"{where}: {purpose} is named twice")
        purposes.append(purpose)
        if entry.get("status") not in ("0", "1"):
            problems.append(f'{where}.status must be "0" or "1"')
    return problems


# -- discovery ---------------------------------------------------------------------------------------------------------


def _api_base(profile: TraceabilityConfig) -> str:
    """The profile's base URL: the organisation's did:web says where its document, and so the API, is served."""
    return did_to_url(profile.did).removesuffix("/did.json")


def organisation_document(config: ServiceConfig) -> dict[str, Any]:
    """The organisation's did:web document (see the module docstring); ``config`` must have ``[traceability]``."""
    profile = config.traceability
    if profile is None:
        raise ConfigError("the traceability profile needs [traceability] in the configuration")
    did, api = profile.did, _api_base(profile)
    methods = [{"id": issuer.verification_method, "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": issuer.key.to_jwk()}
               for issuer in config.issuers.values() if issuer.did == did]
    references = [method["id"] for method in methods]
    return {
        "@context": list(_DID_CONTEXTS),
        "id": did,
        "alsoKnownAs": [api, did],
        "verificationMethod": methods,
        "authentication": references,
        "assertionMethod": references,
        "service": [{"id": f"{did}#traceability-api", "type": [_SERVICE_TYPE], "serviceEndpoint": api}],
    }


def _resolution_form(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each service's single-item ``type`` written as that string (the same set)."""
    services = document.get("service")
    if not isinstance(services, list):
        return document
    written = [{**entry, "type": entry["type"][0]}
               if isinstance(entry, dict) and isinstance(entry.get("type"), list) and len(entry["type"]) == 1
               else entry for entry in services]
    return {**document, "service": written}


def _did_in_path(request: Request, base_path: str, decoded: str) -> str:
    """The DID the request names, read from the raw path (the decoded one turns a did:web's %3A into ':')."""
    raw_path = request.scope.get("raw_path")
    marker = f"{base_path}/identifiers/"
    raw = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else ""
    where = raw.find(marker)
    named = raw[where + len(marker):] if where >= 0 else decoded
    # A DID is a valid path segment as it is; one sent percent-encoded whole (did%3Aweb…) is decoded once.
    return named if named.startswith("did:") else unquote(named)


# -- status lists as StatusList2021 ------------------------------------------------------------------------------------


def _statuslist2021_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The registry's entry (a BitstringStatusListEntry of a one-bit list) as a StatusList2021Entry: the same fields."""
    return {"id": entry["id"], "type": "StatusList2021Entry", "statusPurpose": entry["statusPurpose"],
            "statusListIndex": entry["statusListIndex"], "statusListCredential": entry["statusListCredential"]}


def _statuslist2021_credential(unsigned: dict[str, Any]) -> dict[str, Any]:
    """The registry's unsigned BitstringStatusListCredential as a StatusList2021Credential (VC 1.1): the same bits,
    bare base64url (the 2021 encoding, without the multibase ``u``), its validity as issuanceDate/expirationDate."""
    subject = unsigned["credentialSubject"]
    return {
        "@context": [VC_V1_CONTEXT, STATUS_LIST_2021_CONTEXT],
        "id": unsigned["id"],
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": unsigned["issuer"],
        "issuanceDate": unsigned["validFrom"],
        "expirationDate": unsigned["validUntil"],
        "credentialSubject": {"id": subject["id"], "type": "StatusList2021", "statusPurpose": subject["statusPurpose"],
                              "encodedList": subject["encodedList"].removeprefix("u")},
    }


def _legacy_suite(key: Key) -> str:
    """The profile's suite for ``key``: Ed25519Signature2018 for Ed25519, JsonWebSignature2020 otherwise."""
    return "Ed25519Signature2018" if key.key_type == "Ed25519" else "JsonWebSignature2020"


def organisation_list_signer(config: ServiceConfig, service: Service) -> ListSigner:
    """How the service signs a status list once the profile is mounted: the organisation's as a
    StatusList2021Credential signed with the profile's suite (what its StatusList2021 entries read), any other as
    the service signs it (:meth:`Service.sign_list_as_issuer`)."""
    profile = config.traceability

    def sign_list(unsigned: dict[str, Any], status_list: StatusList) -> dict[str, Any]:
        if profile is None or status_list.issuer != profile.did:
            return service.sign_list_as_issuer(unsigned, status_list)
        key = service.issuer(profile.issuer).key
        return sign(_statuslist2021_credential(unsigned), key, suite=_legacy_suite(key),
                    verification_method=status_list.verification_method, loader=service.loader)

    return sign_list


# -- the profile -------------------------------------------------------------------------------------------------------


class _Profile:
    """The profile's behaviour behind the routes: each method takes what the route read and raises vctrade's errors."""

    def __init__(self, config: ServiceConfig, service: Service, profile: TraceabilityConfig) -> None:
        self.config = config
        self.service = service
        self.profile = profile
        self.organisation: IssuerConfig = service.issuer(profile.issuer)
        self.document = organisation_document(config)
        # The organisation's own DID from its document here (never fetched from itself); any other through the
        # service's DID methods, with its fetch policy and slots.
        self.resolver = StaticResolver([self.document], service.resolver.methods)

    # -- identifiers

    def resolve(self, did: str) -> dict[str, Any]:
        """The DID resolution result for ``did`` (see the module docstring for what each refusal is)."""
        if len(did) > _MAX_DID or not _DID.fullmatch(did):
            if did.startswith("did:") or not _is_uri(did):
                raise RequestError(f"not a DID: {did[:80]!r}", code="invalid_did")
            raise NotFound(f"{did[:80]!r} is not a DID; this endpoint resolves DIDs", code="not_a_did")
        try:
            document = self.resolver.resolve(did).data
        except ResolutionError as exc:
            if exc.code == "busy":
                raise
            raise NotFound(str(exc), code="did_unreachable") from None
        except InvalidDID as exc:  # DIDNotFound included
            if exc.code == "invalid_did":
                raise RequestError(str(exc), code="invalid_did") from None
            raise NotFound(str(exc), code=exc.code) from None
        except UnsupportedError as exc:
            raise NotFound(str(exc), code="unsupported_did_method") from None
        except (EncodingError, InvalidKey) as exc:
            raise RequestError(f"not a valid {did.split(':')[1]} DID: {exc}", code="invalid_did") from None
        return {"didDocument": _resolution_form(document),
                "didResolutionMetadata": {"contentType": "application/did+json"},
                "didDocumentMetadata": {}}

    # -- credentials

    def issue(self, body: dict[str, Any]) -> dict[str, Any] | str:
        """Issue the credential of an issue request (see the module docstring): the credential, or its VC-JWT."""
        _refuse(_credential_problems(body.get("credential"), "credential", signed=False)
                if "credential" in body else ["credential is required"])
        _refuse(_options_problems(body.get("options")) if "options" in body else ["options is required"])
        credential, options = copy.deepcopy(body["credential"]), body["options"]
        if data_model_version(credential) != "1.1":
            raise RequestError(f"the profile issues VC 1.1 credentials: the first @context must be {VC_V1_CONTEXT}",
                               code="schema_violation")
        named = issuer_id(credential)
        if named != self.profile.did:
            raise RequestError(f"credential.issuer {str(named)[:200]!r} is not this organisation: it signs only as "
                               f"{self.profile.did}", code="unknown_issuer")
        form, suite = _PROOFS[options["type"]]
        key = self.organisation.key
        if suite is not None and key.key_type not in get_suite(suite).key_types:
            raise RequestError(f"the organisation's {key.key_type} key does not sign {suite}; ask for "
                               f"{_legacy_suite(key)}", code="unsupported")
        registry = Registry(self.config.registry_path) if self.config.registry_path is not None else None
        try:
            unpublished = False
            if "credentialStatus" in options:
                if "credentialStatus" in credential:
                    raise RequestError("credential.credentialStatus and options.credentialStatus: give one",
                                       code="schema_violation")
                unpublished = self._allocate(credential, registry)
            issued = issue(credential, key, format=form, suite=suite,
                           verification_method=self.organisation.verification_method, loader=self.service.loader,
                           created=_created(options.get("created")))
            if registry is not None and isinstance(credential.get("id"), str):
                registry.record(issued.secured if isinstance(issued.secured, dict) else issued.credential)
                if unpublished:
                    self._publish(registry)
        finally:
            if registry is not None:
                registry.close()
        return issued.secured

    def _allocate(self, credential: dict[str, Any], registry: Registry | None) -> bool:
        """Give ``credential`` a StatusList2021Entry in each of the organisation's lists; whether one of those was
        never published (the lists are then published once the credential is recorded)."""
        lists = registry.status_lists(self.profile.did) if registry is not None else []
        if registry is None or not lists:
            raise RequestError(f"the organisation {self.profile.did} keeps no status list: create one with "
                               "`vctrade status init` ([server] registry and status_site)", code="no_status_list")
        if self.config.status_site is None:
            raise ConfigError("status lists are published under [server] status_site, which is not set")
        if any(status_list.status_size != 1 for status_list in lists):
            raise ConfigError(f"the organisation {self.profile.did} keeps a status list of more than one bit per "
                              "entry, which StatusList2021 cannot carry")
        # An entry, once allocated, is never given back (nor the id): refuse a malformed credential before.
        problems = structure_problems(credential)
        if problems:
            raise InvalidDocument("not a valid credential: " + "; ".join(problems))
        credential.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
        entries = [_statuslist2021_entry(entry) for entry in registry.allocate(credential)]
        credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        if STATUS_LIST_2021_CONTEXT not in credential["@context"]:
            credential["@context"] = [*credential["@context"], STATUS_LIST_2021_CONTEXT]
        used = {entry["statusListCredential"] for entry in entries}
        return any(status_list.url in used and status_list.published is None for status_list in lists)

    def _publish(self, registry: Registry) -> None:
        """Write every status list (the organisation's as StatusList2021) under the status site (checked set)."""
        site = self.config.status_site
        assert site is not None
        registry.publish(site, self.service.sign_list)

    def change_status(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set the status values a status update names, republish the lists; the entries as they now stand."""
        _refuse(_status_update_problems(body))
        if self.config.registry_path is None:
            raise NotFound("this service keeps no registry ([server] registry)", code="no_registry")
        if self.config.status_site is None:
            raise ConfigError("status lists are published under [server] status_site, which is not set")
        credential_id = body["credentialId"]
        wanted = [(entry.get("statusPurpose", _UPDATE_TYPES[entry["type"]]), int(entry["status"]))
                  for entry in body["credentialStatus"]]
        with Registry(self.config.registry_path) as registry:
            record = registry.credential_status(credential_id)
            if record["issuer"] != self.profile.did:
                raise RegistryNotFound(f"no credential {credential_id} of {self.profile.did} in the registry")
            changes = []
            for purpose, value in wanted:
                state = record["status"].get(purpose)
                if state is None:
                    raise RegistryNotFound(f"{credential_id} has no {purpose} status entry")
                if int(state["set"]) == value:
                    continue
                if purpose == "revocation" and not value:
                    raise RegistryConflict("revocation is final; a revoked credential cannot be reinstated")
                changes.append((purpose, value))
            for purpose, value in changes:
                registry.set_status(credential_id, purpose, value, "POST /credentials/status (traceability profile)")
            if changes:
                self._publish(registry)
            now = registry.credential_status(credential_id)["status"]
        return {"credentialId": credential_id,
                "credentialStatus": [{"type": "StatusList2021Entry", "statusPurpose": purpose,
                                      "status": "1" if state["set"] else "0"} for purpose, state in now.items()]}

    def verify(self, body: dict[str, Any]) -> VerificationResult:
        """Verify the credential of a verify request (checked against the profile's schema first)."""
        if "verifiableCredential" not in body:
            _refuse(["verifiableCredential is required"])
        document = body["verifiableCredential"]
        if isinstance(document, str):
            try:
                compact = detect(document).format is not Format.JSON
            except VctradeError:
                compact = False
            if not compact:
                _refuse(["verifiableCredential must be a credential (an object) or a compact VC-JWT"])
        else:
            _refuse(_credential_problems(document, "verifiableCredential", signed=True))
        result = verify(document, resolver=self.resolver, loader=self.service.loader,
                        status_source=self._status_source(), policy=self.config.policy)
        if result.document_type != "credential":
            wrong = Check("structure", FAILED, "wrong_document_type",
                          f"verifiableCredential must be a credential, not a {result.document_type}")
            result = dataclasses.replace(result, checks=(*result.checks, wrong))
        return result

    def _status_source(self) -> StatusListSource:
        """The service's status lists as published under its status site (read there: always the current ones, a
        status just changed included), any other list through the service's source (HTTPS, cached)."""
        site, path = self.config.status_site, self.config.registry_path
        if site is None or path is None:
            return self.service.status_source
        with Registry(path) as registry:
            own = {status_list.url: site / site_path(status_list.url)
                   for status_list in registry.status_lists() if status_list.published is not None}
        return StatusFiles(own, fallback=self.service.status_source) if own else self.service.status_source


def _created(value: Any) -> datetime | None:
    """``options.created`` as the proof's time when it is a dateTime; None (the signing time) for any other string."""
    try:
        return parse_datetime(value) if value is not None else None
    except InvalidDocument:
        return None


def _busy(result: VerificationResult) -> bool:
    """Undecided only because every fetch slot was taken (each frees within one fetch deadline)."""
    return result.undecided and any(check.code == "busy" for check in result.all_checks())


def traceability_router(config: ServiceConfig, service: Service) -> APIRouter:
    """The profile's routes under ``[traceability] base_path`` (the presentation exchange's among them)."""
    profile = config.traceability
    if profile is None:
        raise ConfigError("the traceability profile needs [traceability] in the configuration")
    behaviour = _Profile(config, service, profile)
    service.sign_list = organisation_list_signer(config, service)  # every publisher of the service signs alike
    retry_after = config.fetch.timeout
    router = APIRouter(prefix=profile.base_path, route_class=_profile_route_class(retry_after))
    limit = config.max_body_bytes
    verify_threads = config.max_pending_verifications + _SPARE_VERIFY_THREADS
    limiter: list[CapacityLimiter] = []  # made inside the event loop, which older anyio versions need

    @router.get("/did.json")
    async def did_document() -> JSONResponse:
        """The organisation's did:web document: its keys, its other names, the traceability API's endpoint."""
        return JSONResponse(behaviour.document, media_type="application/did+json")

    @router.get("/identifiers/{did:path}", dependencies=[Depends(scoped(config, "resolve:dids"))])
    async def identifiers(request: Request, did: str) -> JSONResponse:
        """Resolve a DID with vctrade's resolvers (the organisation's own from memory)."""
        named = _did_in_path(request, profile.base_path, did)
        return JSONResponse(await run_in_threadpool(behaviour.resolve, named))

    @router.post("/credentials/issue", status_code=201, dependencies=[Depends(scoped(config, "issue:credentials"))])
    async def issue_credential(request: Request) -> Response:
        """Issue a VC 1.1 credential as the organisation (Ed25519Signature2018, JsonWebSignature2020 or a VC-JWT)."""
        issued = await run_in_threadpool(behaviour.issue, await read_json_object(request, limit))
        if isinstance(issued, str):
            return Response(issued, status_code=201, media_type="application/jwt")
        return JSONResponse(issued, status_code=201)

    @router.post("/credentials/verify", dependencies=[Depends(scoped(config, "verify:credentials"))])
    async def verify_credential(request: Request) -> JSONResponse:
        """Verify a credential: 200 {verified, checks, warnings, errors} (503 when every fetch slot is taken)."""
        body = await read_json_object(request, limit)
        if not limiter:
            limiter.append(CapacityLimiter(verify_threads))
        result = await to_thread.run_sync(behaviour.verify, body, limiter=limiter[0])
        if _busy(result):
            raise OperationalError("; ".join(verification_report(result)["errors"]), code="busy")
        return JSONResponse(verification_report(result))

    @router.post("/credentials/status", dependencies=[Depends(scoped(config, "update:credentials"))])
    async def credential_status(request: Request) -> JSONResponse:
        """Revoke, suspend or reinstate one of the organisation's credentials; republish its status lists."""
        return JSONResponse(await run_in_threadpool(behaviour.change_status, await read_json_object(request, limit)))

    exchange_routes(router, config, service)
    return router

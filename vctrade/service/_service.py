"""The service's behaviour, independent of the web framework: issue, verify, change a status, publish the lists.

Every router calls it (the W3C VC API in ``_app``, the traceability-interop profile in ``_traceability`` and
``_exchange``), and :func:`http_status` maps a library error to its HTTP status by the error's class.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any

from vctrade._batch import VerifyOptions
from vctrade._http import FetchSlots
from vctrade._issuance import issue
from vctrade._keys import Key
from vctrade._result import FAILED, Check, VerificationResult
from vctrade.di import Cryptosuite, EcdsaSd2023, sign
from vctrade.did import create_did_web_document
from vctrade.errors import (
    Forbidden,
    InputError,
    NotFound,
    OperationalError,
    RegistryConflict,
    RegistryNotFound,
    RequestError,
    RequestTooLarge,
    Unauthorized,
    VctradeError,
)
from vctrade.jose import envelope
from vctrade.service._config import IssuerConfig, ServiceConfig
from vctrade.status import Registry, StatusList
from vctrade.verification import verify
from vctrade.verification._formats import Format, detect

__all__ = ["Service", "ListSigner", "http_status"]

# (the registry's unsigned list credential, the list) -> the credential to publish
ListSigner = Callable[[dict[str, Any], StatusList], dict[str, Any]]


def http_status(error: VctradeError) -> int:
    """The HTTP status for a library error, chosen by its class (never by its message)."""
    for cls, status in _STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 500


# Most specific first.
_STATUS_BY_CLASS: tuple[tuple[type[VctradeError], int], ...] = (
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (RequestTooLarge, 413),
    (RequestError, 400),
    (RegistryNotFound, 404),
    (RegistryConflict, 409),
    (InputError, 422),
    (OperationalError, 503),
)


class Service:
    """The service's behaviour, independent of the web framework (and tested through it)."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        # Every verification's fetches share these slots: slow hosts hold at most that many threads.
        fetch = dataclasses.replace(config.fetch, slots=FetchSlots(config.max_pending_verifications))
        self.options = VerifyOptions(fetch=fetch)
        self.resolver = self.options.resolver()
        self.loader = self.options.loader()
        self.status_source = self.options.status_source()
        # How a status list is signed for publication, by every route that publishes: the traceability profile,
        # when mounted, installs its own (the organisation's lists as StatusList2021, which its entries read).
        self.sign_list: ListSigner = self.sign_list_as_issuer

    def issuer(self, name: str | None) -> IssuerConfig:
        """The issuer named (by path or options.issuer), or the default one."""
        chosen = name or self.config.default_issuer
        if chosen is None or chosen not in self.config.issuers:
            raise NotFound(f"no issuer {chosen!r}; configured: {', '.join(self.config.issuers)}", code="unknown_issuer")
        return self.config.issuers[chosen]

    def issue(self, body: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Issue the credential of an IssueCredentialRequest through the one issuance path."""
        credential, options = body.get("credential"), body.get("options") or {}
        if not isinstance(credential, dict) or not isinstance(options, dict):
            raise RequestError("the body needs a credential object (and options, an object)")
        chosen = name or options.get("issuer")
        if chosen is not None and not isinstance(chosen, str):
            raise RequestError("options.issuer must be the name of an issuer (a string)")
        issuer = self.issuer(chosen)
        suite = _issuing_suite(issuer, options)
        registry = Registry(self.config.registry_path) if self.config.registry_path is not None else None
        try:
            issued = issue(credential, issuer.key, format=issuer.format, suite=suite,
                           verification_method=issuer.verification_method, registry=registry, loader=self.loader)
        finally:
            if registry is not None:
                registry.close()
        secured = issued.secured
        if isinstance(secured, str):  # VC-JOSE-COSE: the envelope's media type names what it carries
            return {"verifiableCredential": envelope(secured, _ENVELOPE_MEDIA.get(issued.format, "vc+jwt"))}
        return {"verifiableCredential": secured}

    def derive(self, body: dict[str, Any]) -> dict[str, Any]:
        """A DeriveCredentialRequest: an ecdsa-sd-2023 credential reduced to options.selectivePointers."""
        from vctrade.di import derive

        credential, options = body.get("verifiableCredential"), body.get("options") or {}
        if not isinstance(credential, dict) or not isinstance(options, dict):
            raise RequestError("the body needs a verifiableCredential object (and options, an object)")
        pointers = options.get("selectivePointers", [])
        if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
            raise RequestError("options.selectivePointers must be a list of JSON pointer strings")
        return {"verifiableCredential": derive(credential, pointers, loader=self.loader)}

    def verify(self, body: dict[str, Any], presentation: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Verify a credential or presentation; the HTTP status (and headers) follow the verdict."""
        member = "verifiablePresentation" if presentation else "verifiableCredential"
        document, options = body.get(member), body.get("options") or {}
        if document is None or not isinstance(options, dict):
            raise RequestError(f"the body needs {member} (and options, an object)")
        if not isinstance(document, (dict, str)):
            raise RequestError(f"{member} must be an object or a JWT string")
        if isinstance(document, str) and _is_json_text(document):
            # The VC API's field is an object (or an Enveloped… one); Data Integrity §4.2 (verify proof): a secured
            # document that is not a map is a PARSING_ERROR. A compact JWS / SD-JWT / COSE string stays accepted.
            raise RequestError(f"{member} must be a JSON object (or a JWT string), not JSON text in a string",
                               code="parsing_error")
        result: VerificationResult = verify(
            document, resolver=self.resolver, loader=self.loader, status_source=self.status_source,
            challenge=options.get("challenge"), domain=options.get("domain"), policy=self.config.policy,
        )
        wanted = "presentation" if presentation else "credential"
        if result.document_type != wanted and not any(c.code == "internal_error" for c in result.checks):
            wrong = Check("structure", FAILED, "wrong_document_type",
                          f"{member} must be a {wanted}, not a {result.document_type}")
            result = dataclasses.replace(result, checks=(*result.checks, wrong))
        report = result.to_dict() | {"errors": [c.message for c in result.all_checks() if c.status != "passed"]}
        if result.verified:
            return 200, report, {}
        if not result.undecided:
            return 422, report, {}
        if any(check.code == "busy" for check in result.all_checks()):
            # Every fetch slot was taken; each frees within one fetch deadline.
            return 503, report, {"Retry-After": str(math.ceil(self.config.fetch.timeout))}
        return 503, report, {}

    def change_status(self, body: dict[str, Any]) -> dict[str, Any]:
        """Revoke, suspend or reinstate an issued credential, then republish the lists."""
        if self.config.registry_path is None:
            raise NotFound("this service keeps no registry ([server] registry)", code="no_registry")
        credential_id, action, reason = body.get("credentialId"), body.get("action"), body.get("reason")
        if action is None and "credentialStatus" in body:  # the VC API's shape: [{"status": "revoked"}]
            statuses = body["credentialStatus"]
            first = statuses[0] if isinstance(statuses, list) and statuses else None
            wanted = first.get("status") if isinstance(first, dict) else None
            action = _ACTIONS.get(wanted) if isinstance(wanted, str) else None
        if not isinstance(credential_id, str) or not isinstance(action, str) or action not in _ACTIONS.values():
            raise RequestError("the body needs credentialId and action: revoke, suspend or reinstate "
                               '(or credentialStatus: [{"status": "revoked" | "suspended" | "active"}])')
        if reason is not None and not isinstance(reason, str):
            raise RequestError("reason must be a string")
        with Registry(self.config.registry_path) as registry:
            getattr(registry, action)(credential_id, reason)
            self.publish(registry)
            return registry.credential_status(credential_id)

    def sign_list_as_issuer(self, unsigned: dict[str, Any], status_list: StatusList) -> dict[str, Any]:
        """A status list signed for publication by the issuer whose DID it belongs to (its key, its default suite)."""
        by_did = {i.verification_method.split("#", 1)[0]: i for i in self.config.issuers.values()}
        issuer = by_did.get(status_list.issuer)
        key = issuer.key if issuer else Key.load(status_list.key_file, os.environ.get("VCTRADE_KEY_PASSPHRASE"))
        return sign(unsigned, key, verification_method=status_list.verification_method, loader=self.loader)

    def publish(self, registry: Registry) -> None:
        """Write every status list, each signed by ``sign_list``."""
        if self.config.status_site is None:
            return
        registry.publish(self.config.status_site, self.sign_list)

    def did_document(self) -> dict[str, Any]:
        """The did:web document of the issuers that sign as a did:web (one DID per service)."""
        web = [i for i in self.config.issuers.values() if i.did]
        if not web:
            raise NotFound("this service has no did:web issuer")
        did = web[0].did
        assert did is not None
        same = [i for i in web if i.did == did]
        return create_did_web_document(did, [i.key for i in same], [i.name for i in same])


def _issuing_suite(issuer: IssuerConfig, options: dict[str, Any]) -> str | Cryptosuite | None:
    """The issuer's suite; for an ecdsa-sd-2023 issuer, configured with ``options.mandatoryPointers`` when given.

    Mandatory pointers mean something only to a selective-disclosure suite: any other issuer refuses them
    (400), since ignoring them would sign a credential without the disclosure its issuer asked to make mandatory.
    """
    if "mandatoryPointers" not in options:
        return issuer.suite
    pointers = options["mandatoryPointers"]
    if issuer.format != "di" or issuer.suite != _SD_SUITE:
        raise RequestError(f"options.mandatoryPointers is for {_SD_SUITE} issuers; issuer {issuer.name!r} signs with "
                           f"{issuer.suite or 'format ' + issuer.format}", code="mandatory_pointers_unsupported")
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise RequestError("options.mandatoryPointers must be a list of JSON pointer strings")
    return EcdsaSd2023(pointers)


_SD_SUITE = "ecdsa-sd-2023"
_ACTIONS = {"revoked": "revoke", "suspended": "suspend", "active": "reinstate"}
# issue()'s format -> the media type of the EnvelopedVerifiableCredential that carries it
_ENVELOPE_MEDIA = {"jose": "vc+jwt", "sd-jwt": "vc+sd-jwt", "cose": "vc+cose"}


def _is_json_text(text: str) -> bool:
    """Whether a string holds JSON text (an object, array, string …) rather than a JWT, SD-JWT or COSE."""
    try:
        return detect(text).format is Format.JSON
    except VctradeError:
        return text.lstrip()[:1] in ("{", "[", '"')


"""The service's OpenAPI document: what each W3C VC API endpoint takes and answers, and how callers authenticate.

The endpoints read their JSON bodies themselves (a bad body is the service's own 400, never a framework's 422), so
FastAPI cannot infer their schemas; they are written here, next to nothing else, and merged into the generated
document: request bodies, responses (the verification report, errors), and the bearer-token security scheme the
issuing, deriving and status endpoints require (with the OAuth2 client-credentials flow when the service has its
own token endpoint). The document only describes: no endpoint's behaviour depends on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from vctrade.service._config import ServiceConfig

__all__ = ["install_openapi", "SCHEMAS"]

_JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_OPTIONS_CHALLENGE = {
    "type": "object",
    "properties": {
        "challenge": {"type": "string", "description": "The challenge (nonce) the presentation must carry."},
        "domain": {"type": "string", "description": "The domain (audience) the presentation must carry."},
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Credential": {
        "type": "object",
        "description": "A verifiable credential (VCDM 2.0 or 1.1) as JSON-LD, or an EnvelopedVerifiableCredential.",
        "required": ["@context", "type"],
        "properties": {"@context": {}, "type": {}, "id": {"type": "string"}, "issuer": {},
                       "credentialSubject": {}, "proof": {}},
        "additionalProperties": True,
    },
    "IssueCredentialRequest": {
        "type": "object",
        "required": ["credential"],
        "properties": {
            "credential": {**_ref("Credential"), "description": "The unsigned credential; the issuer is filled in."},
            "options": {
                "type": "object",
                "properties": {
                    "issuer": {"type": "string", "description": "The configured issuer to sign as (by name)."},
                    "mandatoryPointers": {"type": "array", "items": {"type": "string"},
                                          "description": "ecdsa-sd-2023 issuers: JSON pointers always disclosed."},
                },
            },
        },
    },
    "IssueCredentialResponse": {
        "type": "object",
        "required": ["verifiableCredential"],
        "properties": {"verifiableCredential": {
            **_ref("Credential"),
            "description": "The secured credential (an EnvelopedVerifiableCredential for a JOSE or COSE issuer).",
        }},
    },
    "DeriveCredentialRequest": {
        "type": "object",
        "required": ["verifiableCredential"],
        "properties": {
            "verifiableCredential": {**_ref("Credential"), "description": "A credential with an ecdsa-sd-2023 base proof."},
            "options": {"type": "object", "properties": {"selectivePointers": {
                "type": "array", "items": {"type": "string"}, "description": "JSON pointers to disclose."}}},
        },
    },
    "VerifyCredentialRequest": {
        "type": "object",
        "required": ["verifiableCredential"],
        "properties": {
            "verifiableCredential": {"oneOf": [_ref("Credential"), {
                "type": "string", "description": "A compact vc+jwt, SD-JWT or COSE (base64) credential."}]},
            "options": _OPTIONS_CHALLENGE,
        },
    },
    "VerifyPresentationRequest": {
        "type": "object",
        "required": ["verifiablePresentation"],
        "properties": {
            "verifiablePresentation": {"oneOf": [
                {"type": "object", "description": "A verifiable presentation (JSON-LD) or an "
                                                  "EnvelopedVerifiablePresentation.", "additionalProperties": True},
                {"type": "string", "description": "A compact vp+jwt or SD-JWT presentation."}]},
            "options": _OPTIONS_CHALLENGE,
        },
    },
    "Check": {
        "type": "object",
        "required": ["name", "status", "code", "message"],
        "properties": {
            "name": {"type": "string", "examples": ["proof.signature"]},
            "status": {"enum": ["passed", "failed", "error"],
                       "description": "failed: the document is bad; error: the verifier could not decide."},
            "code": {"type": "string", "description": "Stable and machine-readable.", "examples": ["signature_valid"]},
            "message": {"type": "string"},
        },
    },
    "VerificationResult": {
        "type": "object",
        "required": ["verified", "type", "checks"],
        "properties": {
            "verified": {"type": "boolean", "description": "True only when every check (nested ones too) passed."},
            "type": {"type": "string", "examples": ["credential", "presentation", "policy", "workflow"]},
            "id": {"type": ["string", "null"]},
            "issuer": {"type": ["string", "null"]},
            "checks": {"type": "array", "items": _ref("Check")},
            "results": {"type": "array", "items": _ref("VerificationResult"),
                        "description": "Nested results: a presentation's credentials, the workflow's and the policy's."},
            "errors": {"type": "array", "items": {"type": "string"},
                       "description": "The message of every check that did not pass (top level only)."},
        },
    },
    "UpdateStatusRequest": {
        "type": "object",
        "description": "credentialId with an action, or credentialId with the VC API's credentialStatus.",
        "required": ["credentialId"],
        "properties": {
            "credentialId": {"type": "string"},
            "action": {"enum": ["revoke", "suspend", "reinstate"]},
            "reason": {"type": "string", "description": "Kept in the audit log."},
            "credentialStatus": {"type": "array", "items": {
                "type": "object", "properties": {"status": {"enum": ["revoked", "suspended", "active"]}}}},
        },
    },
    "CredentialStatusRecord": {
        "type": "object",
        "description": "The credential's status after the change, as the registry keeps it.",
        "properties": {
            "id": {"type": "string"},
            "types": {"type": "array", "items": {"type": "string"}},
            "issuer": {"type": "string"},
            "subject": {"type": ["string", "null"]},
            "issued": {"type": "string"},
            "status": {"type": "object", "additionalProperties": {"type": "object"},
                       "description": "By status purpose: its list, index and whether it is set."},
            "history": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": True,
    },
    "Error": {
        "type": "object",
        "required": ["error", "code"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, for people."},
            "code": {"type": "string", "description": "Stable and machine-readable.", "examples": ["unauthorized"]},
            "problems": {"type": "array", "items": {"type": "string"},
                         "description": "A trade document's schema or rule violations, each naming its field."},
        },
    },
}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {_JSON: {"schema": _ref(schema)}}}


def _answer(description: str, schema: str, media: str = _JSON) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": _ref(schema)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    said = {400: "A malformed request (not JSON, a missing member).", 401: "No valid bearer token.",
            403: "The token lacks the scope this endpoint needs.", 404: "No such issuer, credential or list.",
            409: "The credential is already in that state, or its state is final.",
            413: "The body is over the configured size.", 422: "The input is not acceptable (names why).",
            503: "Could not be done now (a network fetch failed)."}
    return {str(status): _answer(said[status], "Error") for status in statuses}


_VERIFIED = {"200": _answer("Verified.", "VerificationResult"),
             "422": _answer("Not verified: a check failed (the report names it).", "VerificationResult"),
             "503": _answer("Undecided: a check could not be decided (e.g. a status list could not be fetched), or "
                            "every network slot was busy (Retry-After).", "VerificationResult")}

# (path, method) -> (request body schema or None, responses, needs a token)
_OPERATIONS: dict[tuple[str, str], tuple[str | None, dict[str, Any], bool]] = {
    ("/credentials/issue", "post"): (
        "IssueCredentialRequest",
        {"201": _answer("Issued.", "IssueCredentialResponse"), **_errors(400, 401, 403, 404, 413, 422)}, True),
    ("/issuers/{name}/credentials/issue", "post"): (
        "IssueCredentialRequest",
        {"201": _answer("Issued.", "IssueCredentialResponse"), **_errors(400, 401, 403, 404, 413, 422)}, True),
    ("/credentials/derive", "post"): (
        "DeriveCredentialRequest",
        {"201": _answer("Derived.", "IssueCredentialResponse"), **_errors(400, 401, 403, 413, 422)}, True),
    ("/credentials/verify", "post"): ("VerifyCredentialRequest", {**_VERIFIED, **_errors(400, 413)}, False),
    ("/presentations/verify", "post"): ("VerifyPresentationRequest", {**_VERIFIED, **_errors(400, 413)}, False),
    ("/credentials/status", "post"): (
        "UpdateStatusRequest",
        {"200": _answer("Changed, and the status lists republished.", "CredentialStatusRecord"),
         **_errors(400, 401, 403, 404, 409, 413, 422)}, True),
    ("/status/{path}", "get"): (
        None, {"200": _answer("A published status list credential.", "Credential", "application/vc+ld+json"),
               **_errors(404)}, False),
    ("/.well-known/did.json", "get"): (
        None, {"200": {"description": "The service's did:web document.",
                       "content": {"application/did+json": {"schema": {"type": "object"}}}},
               **_errors(404)}, False),
}

_SCOPES = {"issue:credentials": "Issue and derive credentials.", "update:credentials": "Revoke, suspend, reinstate."}


def _annotate(document: dict[str, Any], config: ServiceConfig) -> dict[str, Any]:
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    schemes: dict[str, Any] = {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "A static token of [auth] tokens, an access token (JWT) of the configured OAuth2 issuer, or "
                       "one of the service's own token endpoint (which must carry the endpoint's scope)."}}
    security: list[dict[str, list[str]]] = [{"bearer": []}]
    if config.token_endpoint is not None:
        schemes["oauth2"] = {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": config.token_endpoint.path, "scopes": _SCOPES}}}
    components["securitySchemes"] = schemes
    paths: dict[str, Any] = document.get("paths", {})
    for (path, method), (body, responses, needs_token) in _OPERATIONS.items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        if body is not None:
            operation["requestBody"] = _body(body)
        operation["responses"] = responses
        if needs_token:
            scope = "update:credentials" if path == "/credentials/status" else "issue:credentials"
            operation["security"] = [*security, *([{"oauth2": [scope]}] if "oauth2" in schemes else [])]
    if config.traceability is not None:  # the profile's routes take a token too (its did.json does not)
        base = config.traceability.base_path
        for path, operations in paths.items():
            if path.startswith(base + "/") and path != f"{base}/did.json":
                for operation in operations.values():
                    operation.setdefault("security", security)
    return document


def install_openapi(app: FastAPI, config: ServiceConfig) -> None:
    """Serve ``config``'s service with the annotated OpenAPI document (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(title=app.title, version=app.version, description=app.description,
                                    routes=app.routes)
            app.openapi_schema = _annotate(generated, config)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

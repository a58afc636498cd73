"""Every exception vctrade raises, all rooted at :class:`VctradeError`.

Verification never raises for a bad credential: it returns a
:class:`~vctrade.VerificationResult`. Exceptions are for misuse of the API and
for failures of the caller's own operations (issuing, signing, loading a key,
changing a status).

Each class has its own stable, machine-readable ``code`` (an instance may
carry a more precise one, e.g. a :class:`FetchError` with ``code="timeout"``)
and an ``exit_code`` the CLI uses. The service maps classes — never message
text — to HTTP statuses (in brackets)::

    VctradeError                      error                   the root
    ├── InputError                    invalid_input           exit 2, [422]: the caller's input is wrong
    │   ├── InvalidDocument           invalid_document        not JSON, not an object, not a credential
    │   │   └── TradeDocumentError    invalid_trade_document  breaks its trade type's schema or rules
    │   ├── InvalidKey                invalid_key             a key file or key material that is not a key
    │   ├── EncodingError             invalid_encoding        multibase / multicodec / base64 that does not decode
    │   ├── InvalidDID                invalid_did             a DID or DID URL that does not parse
    │   │   └── DIDNotFound           did_not_found           the DID's host says it does not exist
    │   ├── UnsupportedError          unsupported             an unknown suite, key type, DID method or trade type
    │   ├── ContextError              unknown_context         an unknown, unpinned or tampered JSON-LD context
    │   ├── JsonLdSafetyError         undefined_term          a term dropped by JSON-LD expansion (safe mode)
    │   ├── CanonicalizationLimitError canonicalization_limit RDFC-1.0 would exceed its work bound
    │   ├── SigningError              signing_refused         e.g. the credential names another issuer
    │   ├── PolicyError               invalid_policy          a trust policy that is empty or malformed
    │   ├── ConfigError               invalid_config          a service configuration that cannot be used
    │   ├── FetchRefused              fetch_refused           a URL vctrade will not fetch (scheme, address, size)
    │   ├── RegistryError             registry_error          a registry operation that cannot be done
    │   │   ├── RegistryNotFound      registry_not_found      [404] no such credential or status list
    │   │   └── RegistryConflict      registry_conflict       [409] already exists, already in that state, final
    │   └── RequestError              invalid_request         [400] a service request that is malformed
    │       ├── Unauthorized          unauthorized            [401] no valid bearer token
    │       ├── Forbidden             forbidden               [403] a valid token without the scope the endpoint needs
    │       ├── NotFound              not_found               [404] no such issuer, list or document
    │       └── RequestTooLarge       too_large               [413] a body over the configured cap
    └── OperationalError              operational_error       exit 3, [503]: not the input's fault
        ├── ResolutionError           resolution_failed       a DID could not be resolved now
        ├── FetchError                fetch_failed            network, TLS, timeout, HTTP status
        └── StatusUnavailable         status_unavailable      a status list could not be obtained
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "VctradeError",
    "InputError",
    "InvalidDocument",
    "TradeDocumentError",
    "InvalidKey",
    "EncodingError",
    "InvalidDID",
    "DIDNotFound",
    "UnsupportedError",
    "ContextError",
    "JsonLdSafetyError",
    "CanonicalizationLimitError",
    "SigningError",
    "PolicyError",
    "ConfigError",
    "FetchRefused",
    "RegistryError",
    "RegistryNotFound",
    "RegistryConflict",
    "RequestError",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "RequestTooLarge",
    "OperationalError",
    "ResolutionError",
    "FetchError",
    "StatusUnavailable",
]


class VctradeError(Exception):
    """Root of every vctrade exception; ``code`` is stable, ``message`` is for people."""

    code: str = "error"
    exit_code: int = 3

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InputError(VctradeError):
    """The caller's input is wrong: fix the input, then try again."""

    code = "invalid_input"
    exit_code = 2


class InvalidDocument(InputError):
    """A document is not JSON, not a JSON object, or not a well-formed credential."""

    code = "invalid_document"


class TradeDocumentError(InvalidDocument):
    """A trade credential breaks its type's schema or rules; ``problems`` names each field and rule."""

    code = "invalid_trade_document"

    def __init__(self, message: str, problems: Sequence[str] = (), *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.problems = tuple(problems)


class InvalidKey(InputError):
    """A key file or key material that is not a usable key."""

    code = "invalid_key"


class EncodingError(InputError):
    """A multibase, multicodec, base58 or base64 value that does not decode."""

    code = "invalid_encoding"


class InvalidDID(InputError):
    """A DID or DID URL that is not well formed for its method."""

    code = "invalid_did"


class DIDNotFound(InvalidDID):
    """The DID's host answered that its document does not exist (404/410): the DID does not exist."""

    code = "did_not_found"


class UnsupportedError(InputError):
    """A cryptosuite, key type, proof type, DID method or trade type vctrade does not know."""

    code = "unsupported"


class ContextError(InputError):
    """A JSON-LD context that is unknown, or whose bytes do not match their pin."""

    code = "unknown_context"


class JsonLdSafetyError(InputError):
    """JSON-LD expansion would drop a term: the data would go unsigned."""

    code = "undefined_term"


class CanonicalizationLimitError(InputError):
    """RDFC-1.0 exceeded its work bound: the dataset is too expensive to canonicalize."""

    code = "canonicalization_limit"


class SigningError(InputError):
    """Signing refused: e.g. the credential names an issuer the key does not belong to."""

    code = "signing_refused"


class PolicyError(InputError):
    """A policy file or object that is empty, malformed or contradictory."""

    code = "invalid_policy"


class ConfigError(InputError):
    """The service configuration is missing, malformed or refers to files that cannot be read."""

    code = "invalid_config"


class FetchRefused(InputError):
    """vctrade refuses to fetch this document (bad scheme, blocked address, redirect, size)."""

    code = "fetch_refused"


class RegistryError(InputError):
    """A registry operation the caller asked for cannot be done (bad list URL, full list, …)."""

    code = "registry_error"


class RegistryNotFound(RegistryError):
    """The registry has no such credential, status entry or status list."""

    code = "registry_not_found"


class RegistryConflict(RegistryError):
    """The change conflicts with the registry's state: it exists already, is already so, or is final."""

    code = "registry_conflict"


class RequestError(InputError):
    """A service request that is malformed (not JSON, missing members)."""

    code = "invalid_request"


class Unauthorized(RequestError):
    """The request needs a valid bearer token."""

    code = "unauthorized"


class Forbidden(RequestError):
    """The bearer token is valid but does not carry the scope the endpoint needs."""

    code = "forbidden"


class NotFound(RequestError):
    """The service has no such issuer, status list or document."""

    code = "not_found"


class RequestTooLarge(RequestError):
    """The request body is over the configured cap."""

    code = "too_large"


class OperationalError(VctradeError):
    """The operation could not be completed for a reason outside the input."""

    code = "operational_error"
    exit_code = 3


class ResolutionError(OperationalError):
    """A DID could not be resolved (not found, network failure, bad response)."""

    code = "resolution_failed"


class FetchError(OperationalError):
    """The document could not be fetched now (network, TLS, timeout, HTTP status)."""

    code = "fetch_failed"


class StatusUnavailable(OperationalError):
    """A status list could not be obtained (network, missing file, bad response)."""

    code = "status_unavailable"

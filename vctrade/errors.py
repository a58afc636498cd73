"""The exceptions vctrade raises, all rooted at :class:`VctradeError`.

Verification never raises for a bad credential: it returns a
:class:`~vctrade.verify.VerificationResult`. Exceptions are for misuse of the
API and for failures of the caller's own operations (signing, loading a key).

Every exception has a stable, machine-readable ``code`` and an ``exit_code``
that the CLI uses (2: bad usage or input, 3: an operation could not be done)::

    VctradeError                      code "error"
    ├── InputError                    exit 2: the caller's input is wrong
    │   ├── InvalidDocument           not JSON, not an object, not a credential
    │   ├── InvalidKey                a key file or key material that is not a key
    │   ├── EncodingError             multibase / multicodec / base64 that does not decode
    │   ├── InvalidDID                a DID or DID URL that does not parse
    │   ├── UnsupportedError          an unknown suite, key type or DID method
    │   ├── ContextError              an unknown, unpinned or tampered JSON-LD context
    │   ├── JsonLdSafetyError         a term dropped by JSON-LD expansion (safe mode)
    │   └── SigningError              sign refuses (issuer mismatch, key cannot sign)
    └── OperationalError              exit 3: could not be done, not the input's fault
        └── ResolutionError           a DID could not be resolved (network, not found)
"""

from __future__ import annotations

__all__ = [
    "VctradeError",
    "InputError",
    "InvalidDocument",
    "InvalidKey",
    "EncodingError",
    "InvalidDID",
    "UnsupportedError",
    "ContextError",
    "JsonLdSafetyError",
    "SigningError",
    "OperationalError",
    "ResolutionError",
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


class InvalidKey(InputError):
    """A key file or key material that is not a usable key."""

    code = "invalid_key"


class EncodingError(InputError):
    """A multibase, multicodec, base58 or base64 value that does not decode."""

    code = "invalid_encoding"


class InvalidDID(InputError):
    """A DID or DID URL that is not well formed for its method."""

    code = "invalid_did"


class UnsupportedError(InputError):
    """A cryptosuite, key type, proof type or DID method vctrade does not know."""

    code = "unsupported"


class ContextError(InputError):
    """A JSON-LD context that is unknown, or whose bytes do not match their pin."""

    code = "unknown_context"


class JsonLdSafetyError(InputError):
    """JSON-LD expansion would drop a term: the data would go unsigned."""

    code = "undefined_term"


class SigningError(InputError):
    """Signing refused: e.g. the credential names an issuer the key does not belong to."""

    code = "signing_refused"


class OperationalError(VctradeError):
    """The operation could not be completed for a reason outside the input."""

    code = "operational_error"
    exit_code = 3


class ResolutionError(OperationalError):
    """A DID could not be resolved (not found, network failure, bad response)."""

    code = "resolution_failed"

"""The contract between securing mechanisms and the claims checks.

A securing mechanism (Data Integrity, JOSE, SD-JWT, COSE) *opens* a document
— takes the credential or presentation out of its securing, verifying
nothing — and then *secures* it: checks its proofs or signature and names the
DIDs whose signatures verified. It never judges the claims; the claims checks
run once, over what it returns, and never call back into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vctrade._result import Check
from vctrade.verification._context import Request, VerifyContext

__all__ = ["Opened", "Secured"]


@dataclass(frozen=True)
class Secured:
    """What securing established: its checks, and the controllers whose signatures verified."""

    checks: tuple[Check, ...]
    signers: tuple[str, ...]


class Opened(Protocol):
    """A document taken out of its securing (not yet verified)."""

    @property
    def kind(self) -> str:
        """``credential`` or ``presentation``."""
        ...

    @property
    def document(self) -> Any:
        """The credential or presentation as JSON-LD: what the claims checks judge."""
        ...

    @property
    def signed_jsonld(self) -> tuple[dict[str, Any], ...]:
        """The JSON-LD documents the securing covers, every term of which must be defined."""
        ...

    @property
    def opening_checks(self) -> tuple[Check, ...]:
        """Checks made while opening (passed ones; a failure to open is a result of its own)."""
        ...

    def secure(self, context: VerifyContext, request: Request) -> Secured:
        """Verify the securing: proofs or signature, keys, and the request's purpose, challenge and domain."""
        ...

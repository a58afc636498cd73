"""The verification result: a verdict and the ordered checks behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Check", "VerificationResult", "Status", "PASSED", "FAILED", "ERROR", "failure_check"]

Status = Literal["passed", "failed", "error"]
PASSED: Status = "passed"
FAILED: Status = "failed"
ERROR: Status = "error"


@dataclass(frozen=True)
class Check:
    """One check the verifier made.

    ``status`` is ``passed``, ``failed`` (the credential is bad) or ``error``
    (the verifier could not decide, e.g. a DID could not be resolved).
    """

    name: str
    status: Status
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The check as JSON."""
        return {"name": self.name, "status": self.status, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of verifying one document; ``verified`` only if every check passed."""

    checks: tuple[Check, ...]
    document_type: str = "credential"
    issuer: str | None = None
    id: str | None = None
    nested: tuple[VerificationResult, ...] = field(default=())

    @property
    def verified(self) -> bool:
        """True only when there is at least one check and every check (and nested result) passed."""
        return (
            bool(self.checks)
            and all(check.status == PASSED for check in self.checks)
            and all(result.verified for result in self.nested)
        )

    @property
    def undecided(self) -> bool:
        """True when nothing failed but some check could not be decided (an ``error``)."""
        statuses = [c.status for c in self.all_checks()]
        return FAILED not in statuses and ERROR in statuses

    def all_checks(self) -> list[Check]:
        """This result's checks followed by those of nested results."""
        found = list(self.checks)
        for result in self.nested:
            found.extend(result.all_checks())
        return found

    @property
    def failures(self) -> tuple[Check, ...]:
        """The checks that did not pass."""
        return tuple(check for check in self.checks if check.status != PASSED)

    def to_dict(self) -> dict[str, Any]:
        """The result as one JSON object."""
        data: dict[str, Any] = {
            "verified": self.verified,
            "type": self.document_type,
            "id": self.id,
            "issuer": self.issuer,
            "checks": [check.to_dict() for check in self.checks],
        }
        if self.nested:
            data["results"] = [result.to_dict() for result in self.nested]
        return data


def failure_check(name: str, exc: Exception, subject: str) -> Check:
    """The check for an exception met while checking ``subject``.

    An operational error (network, outage) means the verifier could not decide:
    ``error``. Anything else is the document's fault: ``failed``.
    """
    from vctrade.errors import OperationalError

    if isinstance(exc, OperationalError):
        return Check(name, ERROR, exc.code, f"cannot resolve {subject}: {exc}")
    return Check(name, FAILED, getattr(exc, "code", "invalid"), f"{subject}: {exc}")

"""The verification result: a verdict and the ordered checks behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Check", "VerificationResult", "Status", "Outcome", "PASSED", "FAILED", "ERROR", "failure_check", "describe"]

Status = Literal["passed", "failed", "error"]
Outcome = Literal["verified", "not verified", "undecided"]
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
        """Every check that did not pass, this result's and its nested results' (credentials, workflow, policy)."""
        return tuple(check for check in self.all_checks() if check.status != PASSED)

    @property
    def outcome(self) -> Outcome:
        """``verified``, ``not verified`` (something failed) or ``undecided`` (nothing failed, something could not be
        decided)."""
        if self.verified:
            return "verified"
        return "undecided" if self.undecided else "not verified"

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

    def report(self, file: str | None = None) -> dict[str, Any]:
        """The one JSON shape ``vctrade verify --json`` prints for each document, one file or many.

        ``file`` (the path given, or None), ``outcome``, a flat ``failures`` list — every check that did not
        pass, nested ones (a presentation's credentials, the workflow's, the policy's) included, each with the
        ``document`` it belongs to — then what :meth:`to_dict` holds (``verified``, ``type``, ``id``, ``issuer``,
        ``checks``, ``results``).
        """
        return {"file": file, "outcome": self.outcome, "failures": self._failure_records(None), **self.to_dict()}

    def _failure_records(self, where: str | None) -> list[dict[str, str]]:
        label = where or self.document_type
        found = [check.to_dict() | {"document": label} for check in self.checks if check.status != PASSED]
        for index, nested in enumerate(self.nested):
            found.extend(nested._failure_records(f"{label} > {describe(nested, index)}"))
        return found


def describe(result: VerificationResult, index: int) -> str:
    """How a report names a nested result: ``policy: <name>``, ``workflow: <name>``, or ``credential 1 (<id>)``."""
    if result.document_type in ("policy", "workflow"):
        return f"{result.document_type}: {result.id}"
    return f"{result.document_type} {index} ({result.id or 'no id'})"


def failure_check(name: str, exc: Exception, subject: str) -> Check:
    """The check for an exception met while checking ``subject``.

    An operational error (network, outage) means the verifier could not decide:
    ``error``. Anything else is the document's fault: ``failed``.
    """
    from vctrade.errors import OperationalError

    if isinstance(exc, OperationalError):
        return Check(name, ERROR, exc.code, f"cannot resolve {subject}: {exc}")
    return Check(name, FAILED, getattr(exc, "code", "invalid"), f"{subject}: {exc}")

"""What one verification runs against, and what the verifier asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from vctrade.di._engine import MethodResolver
from vctrade.jsonld._jsonld import DocumentLoader
from vctrade.status._sources import StatusListSource

__all__ = ["VerifyContext", "Request", "DEFAULT_SKEW", "clock"]

DEFAULT_SKEW = timedelta(minutes=5)


def clock(now: datetime | None) -> datetime:
    """``now`` checked to be timezone-aware, or the current UTC time."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return now


@dataclass(frozen=True)
class VerifyContext:
    """The clock, resolver, context loader, clock skew and status list source of one verification."""

    now: datetime
    resolver: MethodResolver
    loader: DocumentLoader
    skew: timedelta
    status_source: StatusListSource


@dataclass(frozen=True)
class Request:
    """What the verifier asks of the securing: the proof purpose and, for presentations, challenge and domain."""

    purpose: str = "assertionMethod"
    challenge: str | None = None
    domain: str | None = None

    @property
    def wants_binding(self) -> bool:
        """Whether the verifier asked for proof of the holder's presence (a challenge or a domain)."""
        return self.challenge is not None or self.domain is not None

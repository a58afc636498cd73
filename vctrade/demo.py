"""The end-to-end demonstration behind ``vctrade demo``.

It generates keys, signs one sample credential with every cryptosuite,
verifies each, then tampers with a signed copy and shows that verification
catches it. Everything happens in a folder the caller gives (a temporary one
from the CLI), and the steps are returned so the CLI only prints them.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .keys import Key
from .signing import sign
from .verify import verify

__all__ = ["DemoStep", "run_demo", "SAMPLE_CREDENTIAL"]

SAMPLE_CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:0b8a4c1e-5f2d-4e0b-9a55-2f3c1d7e9a01",
    "type": ["VerifiableCredential", "ExampleTradeCredential"],
    "name": "Sample trade credential",
    "validFrom": "2026-01-01T00:00:00Z",
    "validUntil": "2027-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:acme-steel",
        "legalName": "ACME Steel Inc.",
        "programme": "C-TPAT",
        "tier": "Validated",
    },
}

# (suite, key type) pairs the demo signs with: every suite, both ECDSA curves.
DEMO_SIGNINGS: tuple[tuple[str, str], ...] = (
    ("eddsa-rdfc-2022", "Ed25519"),
    ("eddsa-jcs-2022", "Ed25519"),
    ("ecdsa-rdfc-2019", "P-256"),
    ("ecdsa-rdfc-2019", "P-384"),
    ("ecdsa-jcs-2019", "P-256"),
    ("ecdsa-jcs-2019", "P-384"),
    ("Ed25519Signature2020", "Ed25519"),
)


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo and whether it behaved as expected."""

    title: str
    expected: bool
    verified: bool
    detail: str
    path: str

    @property
    def ok(self) -> bool:
        """True when the verification outcome is the expected one."""
        return self.expected == self.verified


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def run_demo(folder: Path, now: datetime | None = None) -> list[DemoStep]:
    """Run the demo in ``folder``; return its steps (each ``ok`` when it behaved as expected)."""
    now = now or datetime.now(timezone.utc)
    keys: dict[str, Key] = {}
    for key_type in ("Ed25519", "P-256", "P-384"):
        keys[key_type] = Key.generate(key_type)
        keys[key_type].save(folder / f"issuer-{key_type.lower()}.jwk")
    _write(folder / "unsigned.json", SAMPLE_CREDENTIAL)

    steps: list[DemoStep] = []
    first_signed: dict[str, Any] | None = None
    for suite, key_type in DEMO_SIGNINGS:
        signed = sign(SAMPLE_CREDENTIAL, keys[key_type], suite=suite, created=now)
        path = folder / f"signed-{suite}-{key_type.lower()}.json"
        _write(path, signed)
        result = verify(signed, now=now)
        detail = f"issuer {signed['issuer'][:32]}…" if result.verified else "; ".join(
            f"{c.name}: {c.message}" for c in result.failures
        )
        steps.append(DemoStep(f"sign + verify {suite} ({key_type})", True, result.verified, detail, str(path)))
        first_signed = first_signed or signed

    assert first_signed is not None
    tampered = copy.deepcopy(first_signed)
    tampered["credentialSubject"]["tier"] = "Exceeding"
    path = folder / "tampered.json"
    _write(path, tampered)
    result = verify(tampered, now=now)
    failed = "; ".join(f"{c.name}: {c.message}" for c in result.failures) or "verified (unexpected)"
    steps.append(DemoStep("tamper with the tier, verify again", False, result.verified, failed, str(path)))
    return steps

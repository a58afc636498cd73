"""The end-to-end demonstration behind ``vctrade demo``.

It generates keys, signs one sample credential with every cryptosuite,
verifies each, then tampers with a signed copy and shows that verification
catches it. Then the trade flow: customs authorities certify an importer
(C-TPAT) and an exporter (Mexico OEA), the exporter certifies the USMCA
origin of its steel, and a forged country of origin is caught. Everything happens in a folder the caller gives (a temporary one
from the CLI), and the steps are returned so the CLI only prints them.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from .credentials import format_datetime
from .keys import Key
from .signing import sign
from .trade import build_aeo_credential, build_origin_credential, load_request
from .verify import verify

__all__ = ["DemoStep", "run_demo", "SAMPLE_CREDENTIAL"]

SAMPLE_CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:0b8a4c1e-5f2d-4e0b-9a55-2f3c1d7e9a01",
    "type": ["VerifiableCredential", "ExampleTradeCredential"],
    "name": "Sample trade credential",
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


def example_request(kind: str, name: str) -> dict[str, Any]:
    """A request from the fixtures (shipped in the wheel as vctrade/examples, read from fixtures/ in a checkout)."""
    packaged = Path(str(resources.files("vctrade"))) / "examples" / kind / f"{name}.yaml"
    path = packaged if packaged.is_file() else Path(__file__).resolve().parent.parent / "fixtures" / kind / f"{name}.yaml"
    return load_request(path)


def _trade_steps(folder: Path, now: datetime) -> list[DemoStep]:
    """The trade flow: two customs authorities certify traders, the exporter certifies origin."""
    cbp, anam, exporter, importer = (Key.generate("Ed25519") for _ in range(4))
    steps: list[DemoStep] = []
    issued: dict[str, dict[str, Any]] = {}
    plan = [
        ("acme-ctpat.json", "CBP certifies the importer (C-TPAT)", cbp, "aeo", "acme-ctpat", importer),
        ("aceros-oea.json", "ANAM certifies the exporter (Mexico OEA)", anam, "aeo", "mx-oea-aceros", exporter),
        ("usmca-coo.json", "the exporter certifies USMCA origin", exporter, "origin", "usmca-steel", None),
    ]
    for filename, title, signer, kind, name, subject_key in plan:
        request = example_request(kind, name)
        if subject_key is not None:  # the certified trader is the holder of a real key
            request["subject"]["id"] = subject_key.did
        # Validity relative to the demo's clock, so the demo works on any day (the blanket stays < 12 months).
        request["validFrom"] = format_datetime(now - timedelta(days=1))
        request["validUntil"] = format_datetime(now + timedelta(days=300))
        build = build_aeo_credential if kind == "aeo" else build_origin_credential
        signed = sign(build(request, signer.did), signer, created=now)
        issued[filename] = signed
        _write(folder / filename, signed)
        result = verify(signed, now=now)
        detail = "; ".join(f"{c.name}: {c.message}" for c in result.failures) or str(signed["name"])
        steps.append(DemoStep(title, True, result.verified, detail, str(folder / filename)))

    forged = copy.deepcopy(issued["usmca-coo.json"])
    forged["credentialSubject"]["goods"][0]["countryOfOrigin"] = "US"
    _write(folder / "usmca-coo-forged.json", forged)
    result = verify(forged, now=now)
    failed = "; ".join(f"{c.name}: {c.message}" for c in result.failures) or "verified (unexpected)"
    steps.append(DemoStep("change a good's country of origin, verify again", False, result.verified, failed,
                          str(folder / "usmca-coo-forged.json")))
    return steps


def run_demo(folder: Path, now: datetime | None = None) -> list[DemoStep]:
    """Run the demo in ``folder``; return its steps (each ``ok`` when it behaved as expected)."""
    now = now or datetime.now(timezone.utc)
    keys: dict[str, Key] = {}
    for key_type in ("Ed25519", "P-256", "P-384"):
        keys[key_type] = Key.generate(key_type)
        keys[key_type].save(folder / f"issuer-{key_type.lower()}.jwk")
    sample = {
        **SAMPLE_CREDENTIAL,
        "validFrom": format_datetime(now - timedelta(days=1)),
        "validUntil": format_datetime(now + timedelta(days=365)),
    }
    _write(folder / "unsigned.json", sample)

    steps: list[DemoStep] = []
    first_signed: dict[str, Any] | None = None
    for suite, key_type in DEMO_SIGNINGS:
        signed = sign(sample, keys[key_type], suite=suite, created=now)
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
    return steps + _trade_steps(folder, now)

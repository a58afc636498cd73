"""Benchmark: sign and verify with every cryptosuite, next to raw Ed25519 as the reference.

Run: python bench/bench_sign_verify.py [--runs N]

Two credentials: (a) a small one, (b) a certificate-of-origin-shaped one with
10 goods lines. Times are medians over N runs in one process, after one
warm-up (which loads and processes the JSON-LD contexts once, as a long-lived
verifier would). This is a benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from vctrade import Key, sign, verify
from vctrade.demo import DEMO_SIGNINGS

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]

SMALL: dict[str, Any] = {
    "@context": CONTEXTS,
    "type": ["VerifiableCredential", "ExampleCredential"],
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:acme", "legalName": "ACME Steel Inc."},
}


def origin_shaped(goods: int = 10) -> dict[str, Any]:
    """A certificate-of-origin-shaped credential with ``goods`` goods lines."""
    party = {"type": "Organization", "legalName": "ACME Steel Inc.", "address": {
        "streetAddress": "1 Mill Road", "addressLocality": "Pittsburgh", "addressRegion": "PA",
        "postalCode": "15201", "addressCountry": "US"}}
    return {
        "@context": CONTEXTS,
        "type": ["VerifiableCredential", "CertificationOfOrigin"],
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2026-12-31T23:59:59Z",
        "credentialSubject": {
            "id": "urn:uuid:4f1c2b8e-9d1a-4c55-8b0e-0e3f6a1d2c77",
            "certifierRole": "exporter",
            "exporter": party,
            "producer": {**party, "legalName": "ACME Rolling Mill"},
            "importer": {**party, "legalName": "Maple Imports Ltd.", "address": {**party["address"], "addressCountry": "CA"}},
            "goods": [
                {"description": f"Hot-rolled steel coil, grade {i}", "hsCode": f"7208.{10 + i:02d}",
                 "originCriterion": "B", "countryOfOrigin": "US", "quantity": 1000 + i, "unitPrice": 812.5 + i}
                for i in range(goods)
            ],
        },
    }


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per measurement (median reported)")
    runs = parser.parse_args().runs
    keys = {kind: Key.generate(kind) for kind in ("Ed25519", "P-256", "P-384")}
    documents = {"small": SMALL, "origin-10-goods": origin_shaped()}

    print(f"vctrade sign/verify, median of {runs} runs, milliseconds")
    print(f"{'suite':<22} {'key':<8} {'credential':<16} {'sign':>8} {'verify':>8}")
    raw = keys["Ed25519"]
    message = b"x" * 64
    signature = raw.sign(message)
    print(f"{'raw Ed25519 (ref.)':<22} {'Ed25519':<8} {'64 bytes':<16} "
          f"{median_ms(lambda: raw.sign(message), runs):8.3f} {median_ms(lambda: raw.verify(signature, message), runs):8.3f}")
    for suite, key_type in DEMO_SIGNINGS:
        key = keys[key_type]
        for label, document in documents.items():
            signed = sign(document, key, suite=suite, created=NOW)
            assert verify(signed, now=NOW).verified, f"{suite} {label} did not verify"
            sign_ms = median_ms(lambda: sign(document, key, suite=suite, created=NOW), runs)
            verify_ms = median_ms(lambda: verify(signed, now=NOW), runs)
            print(f"{suite:<22} {key_type:<8} {label:<16} {sign_ms:8.3f} {verify_ms:8.3f}")


if __name__ == "__main__":
    main()

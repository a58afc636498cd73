"""Benchmark: sign and verify with every cryptosuite, next to raw Ed25519 as the reference.

Run: python bench/bench_sign_verify.py [--runs N]

Credentials: a small one; the USMCA certificate fixture with 10 and with 100
goods lines in vctrade's trade context; the same in the W3C CCG traceability
v1 context (VC 1.1). Times are medians over N runs in one process, after one
warm-up (which loads and processes the JSON-LD contexts once, as a long-lived
verifier would). This is a benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vctrade import Key, sign, verify
from vctrade.demo import DEMO_SIGNINGS, example_request
from vctrade.trade import build_origin_credential

REPO = Path(__file__).resolve().parent.parent

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # inside the fixtures' blanket period
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]

SMALL: dict[str, Any] = {
    "@context": CONTEXTS,
    "type": ["VerifiableCredential", "ExampleCredential"],
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:acme", "legalName": "ACME Steel Inc."},
}


def usmca(goods: int) -> dict[str, Any]:
    """The USMCA fixture in vctrade's trade context, with ``goods`` goods lines."""
    request = example_request("origin", "usmca-steel")
    lines = request["declaration"]["goods"]
    request["declaration"]["goods"] = [
        {**lines[i % len(lines)], "description": f"{lines[i % len(lines)]['description']} (lot {i + 1})"}
        for i in range(goods)
    ]
    return build_origin_credential(request, "did:example:placeholder")


def usmca_traceability(goods: int) -> dict[str, Any]:
    """The traceability-context USMCA fixture (VC 1.1), with ``goods`` product lines."""
    template = json.loads((REPO / "fixtures/traceability/usmca-certification-of-origin.json").read_text(encoding="utf-8"))
    line = template["credentialSubject"][0]
    template["credentialSubject"] = [
        {**line, "product": {**line["product"], "description": f"{line['product']['description']} (lot {i + 1})"}}
        for i in range(goods)
    ]
    return template


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
    parser.add_argument("--runs", type=int, default=30, help="runs per measurement (median reported)")
    runs = parser.parse_args().runs
    keys = {kind: Key.generate(kind) for kind in ("Ed25519", "P-256", "P-384")}
    documents = {
        "small": SMALL,
        "usmca-10": usmca(10),
        "usmca-100": usmca(100),
        "trace-10": usmca_traceability(10),
        "trace-100": usmca_traceability(100),
    }

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
            document = {k: v for k, v in document.items() if k != "issuer"}  # each key signs as itself
            signed = sign(document, key, suite=suite, created=NOW)
            assert verify(signed, now=NOW).verified, f"{suite} {label} did not verify"
            sign_ms = median_ms(lambda: sign(document, key, suite=suite, created=NOW), runs)
            verify_ms = median_ms(lambda: verify(signed, now=NOW), runs)
            print(f"{suite:<22} {key_type:<8} {label:<16} {sign_ms:8.3f} {verify_ms:8.3f}")


if __name__ == "__main__":
    main()

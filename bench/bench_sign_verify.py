"""Benchmark: sign and verify with every cryptosuite, next to raw Ed25519 as the reference.

Run: python bench/bench_sign_verify.py [--runs N]

Every timed run signs or verifies a document it has not seen before (distinct
ids), so caches of processed contexts help but no memo of a whole document does.
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
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vctrade import DocumentLoader, Key, sign, verify
from vctrade._demo import DEMO_SIGNINGS, example_request
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


def median_ms(action: Callable[[Any], object], inputs: list[Any]) -> float:
    """Median time of ``action`` over distinct inputs (the first is a warm-up)."""
    action(inputs[0])
    samples = []
    for item in inputs[1:]:
        start = time.perf_counter()
        action(item)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def variants(document: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` copies with distinct ids: every run works on a document it has not seen (no memo hits)."""
    return [{**document, "id": f"urn:uuid:{uuid.uuid4()}"} for _ in range(count)]


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
    repeats = [message] * (runs + 1)
    print(f"{'raw Ed25519 (ref.)':<22} {'Ed25519':<8} {'64 bytes':<16} "
          f"{median_ms(raw.sign, repeats):8.3f} {median_ms(lambda m: raw.verify(signature, m), repeats):8.3f}")
    for suite, key_type in DEMO_SIGNINGS:
        key = keys[key_type]
        for label, document in documents.items():
            unsigned = variants({k: v for k, v in document.items() if k != "issuer"}, runs + 1)  # each key signs as itself
            signer = DocumentLoader()  # the issuer's own process: nothing it expanded is in the verifier's memo
            signed = [sign(item, key, suite=suite, created=NOW, loader=signer) for item in unsigned]
            assert verify(signed[0], now=NOW).verified, f"{suite} {label} did not verify"
            fresh = variants({k: v for k, v in document.items() if k != "issuer"}, runs + 1)
            sign_ms = median_ms(lambda item: sign(item, key, suite=suite, created=NOW), fresh)  # noqa: B023
            verify_ms = median_ms(lambda item: verify(item, now=NOW), signed)
            print(f"{suite:<22} {key_type:<8} {label:<16} {sign_ms:8.3f} {verify_ms:8.3f}")


if __name__ == "__main__":
    main()

"""Benchmark: the cost of a status check — a 131,072-entry list decoded cold, and a warm cache.

Run: python bench/bench_status.py [--runs N]

The list is served from a local file (offline source) so the figures are the
verifier's own work, not the network's: cold = fetch from the source, verify the
list credential's proof, decode the bitstring; warm = the cached list. Medians in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from vctrade import Key, sign, verify
from vctrade.did import default_resolver
from vctrade.jsonld import DocumentLoader, default_loader
from vctrade.status import Bitstring, CachingSource, StatusFiles, check_status, status_entry, status_list_credential
from vctrade.verification import VerifyContext
from vctrade.verification._data_integrity import open_json
from vctrade.verification._pipeline import verify_opened_credential

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
URL = "https://cbp.example/status/aeo-1"


def median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    key = Key.generate()
    bits = Bitstring()
    for index in range(0, 131_072, 97):  # about 1,350 revoked entries, so the list does not compress to nothing
        bits[index] = True
    unsigned = status_list_credential(URL, key.did, "revocation", bits, valid_from=NOW, valid_until=NOW + timedelta(days=1))
    folder = Path(tempfile.mkdtemp())
    (folder / "list.json").write_text(json.dumps(sign(unsigned, key, created=NOW)))
    credential = sign({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:acme"}, "credentialStatus": status_entry(URL, 4242, "revocation"),
    }, key, created=NOW)
    files = StatusFiles({URL: folder / "list.json"})
    context = VerifyContext(NOW, default_resolver(), default_loader(), timedelta(minutes=5), files)

    def verify_list(document: dict) -> object:
        return verify_opened_credential(open_json(document), context, follow_status=False)

    cold = median_ms(lambda: check_status(credential, source=files, verify_list=verify_list, now=NOW), runs)

    def fully_cold() -> object:  # a fresh loader: contexts processed again, nothing memoized
        fresh = VerifyContext(NOW, default_resolver(), DocumentLoader(), timedelta(minutes=5), files)
        return check_status(credential, source=files, now=NOW,
                            verify_list=lambda document: verify_opened_credential(open_json(document), fresh,
                                                                                   follow_status=False))

    frozen = median_ms(fully_cold, runs)
    decode = median_ms(lambda: Bitstring.decode(unsigned["credentialSubject"]["encodedList"]), runs)
    cache = CachingSource(files)
    cache.get(URL)
    warm_fetch = median_ms(lambda: cache.get(URL), runs)
    warm_check = median_ms(lambda: check_status(credential, source=cache, verify_list=verify_list, now=NOW), runs)
    full_cold = median_ms(lambda: verify(credential, now=NOW, status_source=files), runs)
    full_warm = median_ms(lambda: verify(credential, now=NOW, status_source=cache), runs)
    print(f"status check, 131,072-entry list, median of {runs} runs, milliseconds")
    print(f"  decode encodedList (gunzip + bits)          {decode:8.3f}")
    print(f"  status check, fully cold (fresh loader)     {frozen:8.3f}")
    print(f"  status check, list re-read (read + verify list + decode) {cold:8.3f}")
    print(f"  cache hit (list lookup)                     {warm_fetch:8.4f}")
    print(f"  status check, warm cache (verdict cached, decode) {warm_check:8.3f}")
    print(f"  whole credential verify, cold source        {full_cold:8.3f}")
    print(f"  whole credential verify, warm cache         {full_warm:8.3f}")


if __name__ == "__main__":
    main()

"""Benchmark: batch verification throughput (credentials/second) with 1 and 2 worker processes.

Run: python bench/bench_batch.py [--count 1000]

Generates ``count`` signed USMCA certificates of origin (the fixture, each with
its own id) in a temporary folder, then verifies the folder as
`vctrade verify folder --jobs N` does. Worker start-up is included in the timing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from vctrade import Key, sign
from vctrade._batch import VerifyOptions, collect_files, verify_files
from vctrade.model import format_datetime
from vctrade._demo import example_request
from vctrade.trade import build_origin_credential


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    count = parser.parse_args().count
    now = datetime.now(timezone.utc)
    key = Key.generate()
    request = example_request("origin", "usmca-steel") | {
        "validFrom": format_datetime(now - timedelta(days=1)), "validUntil": format_datetime(now + timedelta(days=300))}
    folder = Path(tempfile.mkdtemp(prefix="vctrade-batch-"))
    start = time.perf_counter()
    for number in range(count):
        credential = build_origin_credential(request | {"id": f"urn:uuid:{uuid.uuid4()}"}, key.did)
        (folder / f"coo-{number:05d}.json").write_text(json.dumps(sign(credential, key, created=now)))
    print(f"generated and signed {count} certificates in {time.perf_counter() - start:.1f} s")
    files = collect_files([folder])
    for jobs in (1, 2):
        start = time.perf_counter()
        outcomes = [report["outcome"] for report in verify_files(files, VerifyOptions(), jobs=jobs)]
        elapsed = time.perf_counter() - start
        assert outcomes.count("verified") == count, "every generated certificate must verify"
        print(f"jobs={jobs}: {count} verified in {elapsed:.2f} s = {count / elapsed:.0f} credentials/second")


if __name__ == "__main__":
    main()

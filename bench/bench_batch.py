"""Benchmark: `vctrade verify FOLDER --jobs 1` vs `--jobs 2` vs `--dask` (whole commands, as a user times them),
and memory.

Run: python bench/bench_batch.py [--count 1000] [--rounds 3] [--folder DIR] [--no-dask]

Generates ``count`` signed USMCA certificates of origin (the fixture, each with its own id) in a folder (or
reuses ``--folder`` when it already holds that many), then, ``rounds`` times, runs
`vctrade verify FOLDER --jobs 1 --json` and `--jobs 2` one after the other and prints each wall time and
the ratio (worker start-up and interpreter start-up included). Then it runs the batch once more per job
count in a child process (this script with ``--measure``) that verifies as the CLI does and reports the
peak RSS of the parent (getrusage) and of each worker (each reports its own with its results: its RSS when
ready to work, which after a fork includes what it shares with the parent, and its peak). Run it with
``--count 1000`` and ``--count 10000``: what a worker adds on top of its start should not grow with the batch.

With Dask installed (``pip install 'vctrade[dask]'``) and without ``--no-dask``, each round also times
`vctrade verify FOLDER --dask ADDRESS --json` against a `LocalCluster` of as many worker processes as ``--jobs 2``
has (one thread each) on loopback, started by this script before the rounds (its start-up is not timed; the
command's connection to it is), and the memory run reports the Dask workers' RSS at the batch's set-up and peak.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

VCTRADE = str(Path(sys.executable).with_name("vctrade"))


def _sign_range(folder: str, numbers: range, key_jwk: dict[str, Any], now: datetime) -> None:
    from vctrade import Key, sign
    from vctrade._demo import example_request
    from vctrade.model import format_datetime
    from vctrade.trade import build_origin_credential

    key = Key.from_jwk(key_jwk)
    request = example_request("origin", "usmca-steel") | {
        "validFrom": format_datetime(now - timedelta(days=1)), "validUntil": format_datetime(now + timedelta(days=300))}
    for number in numbers:
        credential = build_origin_credential(request | {"id": f"urn:uuid:{uuid.uuid4()}"}, key.did)
        (Path(folder) / f"coo-{number:05d}.json").write_text(json.dumps(sign(credential, key, created=now)))


def generate(folder: Path, count: int) -> None:
    """``count`` signed certificates in ``folder``, signed on every CPU."""
    from vctrade import Key

    key = Key.generate()
    now = datetime.now(UTC)
    jobs = os.cpu_count() or 1
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_sign_range, [str(folder)] * jobs, [range(start, count, jobs) for start in range(jobs)],
                      [key.to_jwk(private=True)] * jobs, [now] * jobs))


def time_command(folder: Path, count: int, jobs: int, dask: str | None = None) -> float:
    """Wall seconds of `vctrade verify FOLDER --jobs N --json` (or `--dask ADDRESS`), after checking that every
    certificate verified."""
    how = ["--dask", dask] if dask else ["--jobs", str(jobs)]
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        done = subprocess.run([VCTRADE, "verify", str(folder), *how, "--json"], stdout=out,
                              stderr=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - start
        out.seek(0)
        verified = sum(json.loads(line).get("outcome") == "verified" for line in out)  # the last: the summary
    if done.returncode != 0 or verified != count:
        raise SystemExit(f"{' '.join(how)}: exit {done.returncode}, {verified} of {count} verified")
    return elapsed


def measure(folder: Path, jobs: int, dask: str | None = None) -> dict[str, Any]:
    """Verify the folder as the CLI does (reports serialized and dropped); the time and the peak RSS of each process."""
    from vctrade._batch import Batch, VerifyOptions, collect_files, peak_rss_kib, verify_files

    start = time.perf_counter()
    count = 0
    if dask:
        from vctrade._dask import DaskBatch, verify_files_at

        batch: Batch | DaskBatch = verify_files_at(dask, collect_files([folder]), VerifyOptions())
    else:
        batch = verify_files(collect_files([folder]), VerifyOptions(), jobs=jobs)
    with open(os.devnull, "w") as sink, batch:
        for report in batch:
            sink.write(json.dumps(report) + "\n")
            count += 1
        workers = [(memory.start_kib, memory.peak_kib) for memory in batch.workers.values() if memory is not None]
    return {"count": count, "seconds": time.perf_counter() - start, "parent_kib": peak_rss_kib(),
            "worker_kib": sorted(workers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="1-vs-2 job comparisons, one after the other")
    parser.add_argument("--folder", type=Path, help="keep the certificates here (reused when it holds --count)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the memory run on this folder
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--dask", help=argparse.SUPPRESS)  # internal: the memory run on this scheduler
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster comparison")
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.jobs, args.dask)))
        return
    folder = args.folder or Path(tempfile.mkdtemp(prefix="vctrade-batch-"))
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("coo-*.json"))) != args.count:
        for stale in folder.glob("coo-*.json"):
            stale.unlink()
        start = time.perf_counter()
        generate(folder, args.count)
        print(f"generated and signed {args.count} certificates in {folder} in {time.perf_counter() - start:.1f} s")
    with contextlib.ExitStack() as stack:
        dask = None if args.no_dask else stack.enter_context(_local_cluster(2))
        compare(folder, args.count, args.rounds, dask)


def compare(folder: Path, count: int, rounds: int, dask: str | None) -> None:
    """The timed rounds, then one memory run per way of running the batch."""
    print(f"`vctrade verify FOLDER --jobs N --json` on {count} certificates, {os.cpu_count()} CPUs"
          + (f"; `--dask` on a LocalCluster of 2 worker processes at {dask}" if dask else ""))
    ratios, dask_ratios = [], []
    for round_number in range(1, rounds + 1):
        one, two = time_command(folder, count, 1), time_command(folder, count, 2)
        ratios.append(one / two)
        line = (f"round {round_number}: jobs=1 {one:.2f} s ({count / one:.0f}/s), jobs=2 {two:.2f} s "
                f"({count / two:.0f}/s): {ratios[-1]:.2f}x")
        if dask:
            on_dask = time_command(folder, count, 2, dask)
            dask_ratios.append(one / on_dask)
            line += f"; dask {on_dask:.2f} s ({count / on_dask:.0f}/s): {dask_ratios[-1]:.2f}x"
        print(line)
    print(f"jobs=2 vs jobs=1: median {statistics.median(ratios):.2f}x, min {min(ratios):.2f}x, max {max(ratios):.2f}x")
    if dask_ratios:
        print(f"dask vs jobs=1: median {statistics.median(dask_ratios):.2f}x, min {min(dask_ratios):.2f}x, "
              f"max {max(dask_ratios):.2f}x")
    runs: list[tuple[str, list[str]]] = [("jobs=1", ["--jobs", "1"]), ("jobs=2", ["--jobs", "2"])]
    if dask:
        runs.append(("dask", ["--dask", dask]))
    for name, how in runs:
        done = subprocess.run([sys.executable, __file__, "--measure", str(folder), *how],
                              capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout)
        workers = ", ".join(f"{start / 1024:.1f} -> {peak / 1024:.1f}" for start, peak in figures["worker_kib"])
        print(f"memory, {name}, {figures['count']} documents in {figures['seconds']:.2f} s: peak RSS parent "
              f"{figures['parent_kib'] / 1024:.1f} MiB"
              + (f"; workers (RSS when ready -> peak) {workers} MiB" if workers else " (verified in the parent)"))


@contextlib.contextmanager
def _local_cluster(workers: int) -> Iterator[str | None]:
    """The scheduler address of a LocalCluster of ``workers`` processes on loopback, or None without Dask."""
    try:
        from distributed import LocalCluster
    except ImportError:
        print("Dask is not installed (pip install 'vctrade[dask]'): no --dask comparison")
        yield None
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",  # type: ignore[no-untyped-call]
                      dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


if __name__ == "__main__":
    main()

"""Load test: `vctrade serve --workers 1` vs `--workers 2`, concurrent POST /credentials/verify on 127.0.0.1.

Run: python bench/bench_serve.py [--requests 2000] [--concurrency 16] [--seconds 60] [--rounds 2] [--goods 100]
                                 [--document usmca|small]

Signs one document (a USMCA certificate of origin with ``--goods`` goods lines, the issue's reference
document, or a small VC 2.0 with ``--document small``), then, for
each round, runs `vctrade serve --workers 1` and `--workers 2` in turn, each as its own process on an
ephemeral loopback port. The load comes from another process (this script with ``--load``): ``concurrency``
keep-alive HTTP/1.1 connections, each sending its next request when the previous answer is in, until
``requests`` have been answered or ``seconds`` have passed (after a warm-up of ``--warmup`` requests, not
counted, that fills each worker's caches). The client is a few lines over asyncio streams, so that it takes
little of the CPU the service is measured on. Prints requests/second, p50/p95/p99 latency, and the ratio of
2 workers to 1 for each round. Loopback only: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

VCTRADE = str(Path(sys.executable).with_name("vctrade"))


def signed_document(kind: str, goods: int, folder: Path) -> dict[str, Any]:
    """The document every request verifies, signed by a did:key (no network needed to verify it)."""
    from vctrade import Key, sign
    from vctrade._demo import example_request
    from vctrade.model import format_datetime
    from vctrade.trade import build_origin_credential

    key = Key.generate()
    key.save(folder / "issuer.jwk")
    if kind == "small":
        return sign({"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                     "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme", "tier": "Validated"}},
                    key)
    now = datetime.now(UTC)
    request = example_request("origin", "usmca-steel") | {
        "validFrom": format_datetime(now - timedelta(days=1)), "validUntil": format_datetime(now + timedelta(days=300))}
    lines = request["declaration"]["goods"]
    request["declaration"]["goods"] = [  # the fixture's lines, repeated as lots
        {**lines[i % len(lines)], "description": f"{lines[i % len(lines)]['description']} (lot {i + 1})"}
        for i in range(goods)]
    return sign(build_origin_credential(request, key.did), key, created=now)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_service(config: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """`vctrade serve --workers N` on a free port, once it answers."""
    port = free_port()
    process = subprocess.Popen([VCTRADE, "serve", "--config", str(config), "--port", str(port), "--workers", str(workers)],
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit(f"vctrade serve --workers {workers} did not start") from None
            time.sleep(0.05)


def stop_service(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (every worker stops with the supervisor), then wait."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one request on a kept-alive connection and read its whole answer; its status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return int(lines[0].split(b" ", 2)[1])


async def _load(port: int, body: bytes, requests: int, concurrency: int, seconds: float, warmup: int) -> dict[str, Any]:
    request = (b"POST /credentials/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    latencies: list[float] = []
    failures = 0
    to_warm, to_send = warmup, requests
    deadline = 0.0
    ready = 0  # connections done warming up

    async def connection() -> None:
        nonlocal failures, to_warm, to_send, ready
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while to_warm > 0:
                to_warm -= 1
                await _exchange(reader, writer, request)
            ready += 1
            await warmed.wait()
            while to_send > 0 and time.perf_counter() < deadline:
                to_send -= 1
                start = time.perf_counter()
                status = await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - start)
                failures += status != 200
        finally:
            writer.close()

    warmed = asyncio.Event()
    tasks = [asyncio.create_task(connection()) for _ in range(concurrency)]
    while ready < concurrency:
        for task in tasks:
            if task.done():
                task.result()  # a connection that failed: its error
        await asyncio.sleep(0.005)
    started = time.perf_counter()
    deadline = started + seconds
    warmed.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "seconds": elapsed, "failures": failures, "rps": len(latencies) / elapsed,
            "p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000}


def run_load(port: int, body_file: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The load generator in its own process; its figures."""
    command = [sys.executable, __file__, "--load", str(port), "--body", str(body_file), "--requests", str(args.requests),
               "--concurrency", str(args.concurrency), "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="answered requests per measurement (at most)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per measurement")
    parser.add_argument("--warmup", type=int, default=100, help="requests before measuring (not counted)")
    parser.add_argument("--rounds", type=int, default=2, help="1-vs-2 worker comparisons, one after the other")
    parser.add_argument("--document", choices=("usmca", "small"), default="usmca")
    parser.add_argument("--goods", type=int, default=100, help="goods lines in the USMCA certificate")
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)  # internal: be the load generator for this port
    parser.add_argument("--body", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load is not None:
        figures = asyncio.run(_load(args.load, args.body.read_bytes(), args.requests, args.concurrency, args.seconds,
                                    args.warmup))
        print(json.dumps(figures))
        return
    folder = Path(tempfile.mkdtemp(prefix="vctrade-serve-"))
    document = signed_document(args.document, args.goods, folder)
    body_file = folder / "body.json"
    body_file.write_text(json.dumps({"verifiableCredential": document}))
    config = folder / "service.toml"
    config.write_text('[[issuer]]\nname = "eddsa"\nkey = "issuer.jwk"\n')
    described = f"usmca, {args.goods} goods" if args.document == "usmca" else "small"
    print(f"verify {described} ({body_file.stat().st_size} bytes), {args.concurrency} keep-alive connections, "
          f"at most {args.requests} requests or {args.seconds:.0f} s each; {os.cpu_count()} CPUs")
    ratios = []
    for round_number in range(1, args.rounds + 1):
        rps = {}
        for workers in (1, 2):
            process, port = start_service(config, workers)
            try:
                figures = run_load(port, body_file, args)
            finally:
                stop_service(process)
            rps[workers] = figures["rps"]
            print(f"round {round_number} workers={workers}: {figures['requests']} requests in {figures['seconds']:.2f} s "
                  f"= {figures['rps']:.0f} req/s; latency ms p50 {figures['p50']:.1f} p95 {figures['p95']:.1f} "
                  f"p99 {figures['p99']:.1f}; {figures['failures']} not 200")
        ratios.append(rps[2] / rps[1])
        print(f"round {round_number}: 2 workers / 1 worker = {ratios[-1]:.2f}x")
    print("ratio over rounds: " + ", ".join(f"{r:.2f}x" for r in ratios)
          + (f" (min {min(ratios):.2f}, max {max(ratios):.2f})" if len(ratios) > 1 else ""))


if __name__ == "__main__":
    main()

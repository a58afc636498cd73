"""Load test: concurrent POST /credentials/verify against `vctrade serve` on 127.0.0.1.

Run: python bench/bench_serve.py [--requests 500] [--concurrency 16] [--seconds 60]

Starts the service in this process (uvicorn, an ephemeral loopback port), signs
one credential, then sends a bounded number of verify requests (stopping early at
the time limit) and reports requests/second and latency percentiles.
Loopback only: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from vctrade import Key, sign
from vctrade.service import ServiceConfig, create_app


def start(config: ServiceConfig) -> tuple[uvicorn.Server, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, sock.getsockname()[1]


async def load(url: str, body: dict, requests: int, concurrency: int, seconds: float) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds
    queue = iter(range(requests))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for _ in queue:
            if time.perf_counter() > deadline:
                return
            start = time.perf_counter()
            response = await client.post(url, json=body)
            latencies.append(time.perf_counter() - start)
            failures += response.status_code != 200

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vctrade-serve-"))
    key = Key.generate()
    key.save(folder / "issuer.jwk")
    (folder / "service.toml").write_text('[[issuer]]\nname = "eddsa"\nkey = "issuer.jwk"\n')
    server, port = start(ServiceConfig.load(folder / "service.toml"))
    credential = sign({"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                       "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme", "tier": "Validated"}}, key)
    body = {"verifiableCredential": credential}
    url = f"http://127.0.0.1:{port}/credentials/verify"
    latencies, elapsed, failures = asyncio.run(load(url, body, args.requests, args.concurrency, args.seconds))
    server.should_exit = True
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} verify requests, concurrency {args.concurrency}, {elapsed:.2f} s, {failures} not 200")
    print(f"throughput {len(latencies) / elapsed:.0f} requests/second")
    print(f"latency ms: p50 {cuts[49] * 1000:.1f}  p95 {cuts[94] * 1000:.1f}  p99 {cuts[98] * 1000:.1f}  max {max(latencies) * 1000:.1f}")


if __name__ == "__main__":
    main()

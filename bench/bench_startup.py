"""Benchmark: start-up — the whole-process time of `vctrade --version` and `vctrade verify small.json`.

Run: python bench/bench_startup.py [--runs N] [--vctrade LABEL=PATH ...]

Each command runs N times (default 10) as a fresh process; the median is shown
next to `python -c pass` for the same interpreter, in one run so the ratios
hold on a noisy machine. Give several `--vctrade` scripts (e.g. an install of
an older commit) to compare them side by side; by default the `vctrade` next
to this Python is measured. Also prints `python -X importtime -c "import vctrade"`
and the import of the CLI module (cumulative microseconds of the top entry).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],
    "credentialSubject": {"id": "did:example:acme", "name": "Acme Imports"},
}


def median_ms(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def import_us(python: str, module: str) -> int:
    """Cumulative import time of ``module`` in a fresh interpreter (microseconds)."""
    lines = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"],
                           capture_output=True, text=True, check=True).stderr.splitlines()
    for line in reversed(lines):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"no import time for {module}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--vctrade", action="append", default=[], help="LABEL=PATH of a vctrade script")
    args = parser.parse_args()
    scripts = [tuple(spec.split("=", 1)) for spec in args.vctrade] or [("this", str(Path(sys.executable).with_name("vctrade")))]
    folder = Path(tempfile.mkdtemp(prefix="vctrade-startup-"))
    (folder / "small.json").write_text(json.dumps(SMALL))
    rows = []
    for label, script in scripts:
        python = str(Path(script).with_name("python"))
        key = folder / f"{label}.jwk"
        subprocess.run([script, "key", "generate", "-o", str(key)], capture_output=True, check=True)
        signed = folder / f"{label}-signed.json"
        subprocess.run([script, "sign", str(folder / "small.json"), "--key", str(key), "-o", str(signed)],
                       capture_output=True, check=True)
        assert subprocess.run([script, "verify", str(signed)], capture_output=True).returncode == 0
        rows.append((label, median_ms([python, "-c", "pass"], args.runs), median_ms([script, "--version"], args.runs),
                     median_ms([script, "verify", str(signed)], args.runs),
                     import_us(python, "vctrade"), import_us(python, "vctrade.cli")))
    print(f"start-up, median of {args.runs} runs, ms (x = multiple of `python -c pass`); import times in ms")
    print(f"  {'install':<10} {'python -c pass':>14} {'--version':>16} {'verify small.json':>20} {'import vctrade':>15} {'import cli':>11}")
    for label, bare, version, verify, imp, cli in rows:
        print(f"  {label:<10} {bare:>14.1f} {version:>9.1f} ({version / bare:4.1f}x) {verify:>12.1f} ({verify / bare:4.1f}x)"
              f" {imp / 1000:>15.1f} {cli / 1000:>11.1f}")


if __name__ == "__main__":
    main()

"""Benchmark: start-up — the whole-process time of `vctrade --version` and `vctrade verify small.json`.

Run: python bench/bench_startup.py [--runs N] [--top N] [--vctrade LABEL=PATH ...]

small.json is a did:key credential signed with eddsa-rdfc-2022 (checked to verify:
exit code 0). Each command runs N times (default 10) as a fresh process,
alternating with `python -c pass` of the same interpreter (pass, command, pass,
command, ...), so that a noisy machine slows both sides alike; the medians and
their ratio (the target: verify <= 10x `python -c pass`) are printed. Then the
`-X importtime` tree of the verify command: its top cumulative entries, and what
named heavy packages cost in it.

Every command runs once untimed first, with bytecode writing allowed, so that
a stale or missing `__pycache__` (PYTHONDONTWRITEBYTECODE in a developer's shell)
is not timed as start-up: an installed vctrade has its bytecode.
Give several `--vctrade` scripts (e.g. an install of an older commit) to compare
them side by side; by default the `vctrade` next to this Python is measured.
"""

from __future__ import annotations

import argparse
import json
import os
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
SUITE = "eddsa-rdfc-2022"
# Packages whose share of the verify command's imports is worth naming (when they are imported at all).
NAMED = ("typer", "pydantic", "rich", "pyld", "cryptography", "importlib.metadata", "ssl", "multiprocessing",
         "vctrade.cli", "vctrade.verification", "vctrade.trade")
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _run(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, env=ENV)
    return time.perf_counter() - start


def alternating_medians_ms(baseline: list[str], command: list[str], runs: int) -> tuple[float, float]:
    """Medians (ms) of ``baseline`` and ``command``, run alternately ``runs`` times each after one untimed run."""
    _run(baseline), _run(command)
    base, measured = [], []
    for _ in range(runs):
        base.append(_run(baseline))
        measured.append(_run(command))
    return statistics.median(base) * 1000, statistics.median(measured) * 1000


def import_tree(python: str, command: list[str]) -> list[tuple[int, int, str, str]]:
    """``-X importtime`` of ``command`` (a script and its arguments): (cumulative us, depth, module, parent module)."""
    lines = subprocess.run([python, "-X", "importtime", *command], capture_output=True, text=True, env=ENV,
                           check=False).stderr
    rows = []
    for line in lines.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header, or the command's own stderr
        name = parts[2].rstrip()
        rows.append((int(parts[1]), (len(name) - len(name.lstrip())) // 2, name.strip()))
    # importtime prints a module after the modules it imported: its parent is the next line one level up.
    parents: dict[int, str] = {}
    tree = []
    for cumulative, depth, name in reversed(rows):
        parents[depth] = name
        tree.append((cumulative, depth, name, parents.get(depth - 1, "") if depth else ""))
    return tree[::-1]


def package_ms(tree: list[tuple[int, int, str, str]], package: str) -> float:
    """What importing ``package`` and its submodules cost, wherever they were first imported (ms)."""
    def inside(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    return sum(cumulative for cumulative, _, name, parent in tree if inside(name) and not inside(parent)) / 1000


def _must(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")


def prepare(script: str, folder: Path, label: str) -> Path:
    """small.json signed by a fresh did:key with eddsa-rdfc-2022; exits unless `vctrade verify` accepts it (exit 0)."""
    unsigned, key, signed = folder / "small.json", folder / f"{label}.jwk", folder / f"{label}-small.json"
    unsigned.write_text(json.dumps(SMALL))
    _must([script, "key", "generate", "-o", str(key)])
    _must([script, "sign", str(unsigned), "--key", str(key), "--suite", SUITE, "-o", str(signed)])
    proof = json.loads(signed.read_text())["proof"]
    assert proof["cryptosuite"] == SUITE and proof["verificationMethod"].startswith("did:key:"), proof
    _must([script, "verify", str(signed)])
    return signed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=25, help="how many import-tree entries to print")
    parser.add_argument("--vctrade", action="append", default=[], help="LABEL=PATH of a vctrade script")
    args = parser.parse_args()
    scripts = [tuple(spec.split("=", 1)) for spec in args.vctrade] or [("this", str(Path(sys.executable).with_name("vctrade")))]
    folder = Path(tempfile.mkdtemp(prefix="vctrade-startup-"))
    print(f"start-up, median of {args.runs} alternating runs, ms (x = multiple of `python -c pass`; target: verify <= 10x)")
    print(f"  {'install':<10} {'python -c pass':>14} {'--version':>17} {'python -c pass':>14} {'verify small.json':>19}")
    trees = []
    for label, script in scripts:
        python = str(Path(script).with_name("python"))
        signed = prepare(script, folder, label)
        bare_v, version = alternating_medians_ms([python, "-c", "pass"], [script, "--version"], args.runs)
        bare, verify = alternating_medians_ms([python, "-c", "pass"], [script, "verify", str(signed)], args.runs)
        print(f"  {label:<10} {bare_v:>14.1f} {version:>9.1f} ({version / bare_v:4.1f}x) {bare:>14.1f}"
              f" {verify:>11.1f} ({verify / bare:4.1f}x)")
        trees.append((label, import_tree(python, [script, "verify", str(signed)])))
    for label, tree in trees:
        print(f"\n`vctrade verify small.json` imports ({label}): top {args.top} by cumulative time, ms")
        for cumulative, depth, name, _ in sorted(tree, key=lambda row: -row[0])[:args.top]:
            print(f"  {cumulative / 1000:7.1f}  {'  ' * depth}{name}")
        total = sum(cumulative for cumulative, depth, _, _ in tree if depth == 0) / 1000
        named = ", ".join(f"{name} {package_ms(tree, name):.1f}" for name in NAMED if package_ms(tree, name))
        print(f"  all imports {total:.1f} ms; of which (with what each imported first) {named}")

if __name__ == "__main__":
    main()

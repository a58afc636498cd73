"""Benchmark: vctrade's verify next to the Digital Bazaar JS stack's, on the same documents; and the size curve.

Run: python bench/bench_vs_js.py [--out DIR] [--js DIR | --no-js] [--repeat N] [--curve] [--json]

Writes the credentials of issue #14's table to a folder (``--out``, default a
new temporary folder; its path is printed), each signed with a did:key and one
proof, ``--repeat`` + 1 variants per kind with distinct ids:

  small VC 2.0 (eddsa-rdfc-2022); the USMCA certificate with 100 goods lines in
  eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019 (P-256), ecdsa-jcs-2019
  (P-256); the USMCA certificate with 1,000 goods lines in eddsa-rdfc-2022.

vctrade verifies them in this process, round-robin over the kinds, after one
warm-up document per kind (which processes the contexts once, as a long-lived
verifier would); every timed verify is of a document the process has not seen,
so no memo of a whole document serves it. The JS stack (``--js DIR``, default
/tmp/bench-dbjs when it exists; see ../shared/bench-dbjs/README.md) runs in the
same run as ``node DIR/verify-times.mjs --repeat N`` on the first timed variant
of each kind, with CONTEXTS_DIR set to this repository's contexts/ folder.
Figures are CPU-time medians in milliseconds (wall medians are in ``--json``);
the ratio is vctrade / JS.

``--curve`` adds sign and verify at 1, 10, 100 and 1,000 goods lines for every
suite, and the 1,000/100 ratio (issue #14: at most 12x), each point the median
of ``--repeat`` runs (half of them, at least 10, at 1,000 goods). ``--json`` prints one
JSON document of every figure instead of the tables.

Exit codes: 0 done; 1 vctrade did not verify one of its own documents (a bug;
the table flags it, as it flags a file the JS stack did not verify); 2 bad
usage; 3 the JS stack could not be run. A benchmark, not a test: it asserts
nothing about speed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_sign_verify import NOW, SMALL, usmca

from vctrade import DocumentLoader, Key, sign, verify

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JS = Path("/tmp/bench-dbjs")
JS_SCRIPT = "verify-times.mjs"
CURVE_GOODS = (1, 10, 100, 1000)
CURVE_SUITES: tuple[tuple[str, str], ...] = (
    ("eddsa-rdfc-2022", "Ed25519"),
    ("eddsa-jcs-2022", "Ed25519"),
    ("ecdsa-rdfc-2019", "P-256"),
    ("ecdsa-jcs-2019", "P-256"),
    ("Ed25519Signature2020", "Ed25519"),
)
LINEAR_TARGET = 12.0  # issue #14: 1,000 goods costs at most 12x 100 goods


class BenchError(Exception):
    """A condition that stops the benchmark with a message and an exit code (no traceback)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Kind:
    """One row of the table: a credential, its suite and key type, and the target ratio to JS."""

    name: str
    label: str
    suite: str
    key_type: str
    goods: int | None  # None: the small VC 2.0
    target: float | None


KINDS = (
    Kind("small-eddsa-rdfc-2022", "small VC 2.0, eddsa-rdfc-2022", "eddsa-rdfc-2022", "Ed25519", None, 1.5),
    Kind("usmca100-eddsa-rdfc-2022", "USMCA 100 goods, eddsa-rdfc-2022", "eddsa-rdfc-2022", "Ed25519", 100, 1.5),
    Kind("usmca100-eddsa-jcs-2022", "USMCA 100 goods, eddsa-jcs-2022", "eddsa-jcs-2022", "Ed25519", 100, 3.0),
    Kind("usmca100-ecdsa-rdfc-2019", "USMCA 100 goods, ecdsa-rdfc-2019 P-256", "ecdsa-rdfc-2019", "P-256", 100, 1.5),
    Kind("usmca100-ecdsa-jcs-2019", "USMCA 100 goods, ecdsa-jcs-2019 P-256", "ecdsa-jcs-2019", "P-256", 100, 3.0),
    Kind("usmca1000-eddsa-rdfc-2022", "USMCA 1,000 goods, eddsa-rdfc-2022", "eddsa-rdfc-2022", "Ed25519", 1000, None),
)


@dataclass(frozen=True)
class Timing:
    """Medians of CPU time (time.process_time) and wall time (time.perf_counter), in milliseconds."""

    cpu_ms: float
    wall_ms: float

    @staticmethod
    def of(samples: list[tuple[float, float]]) -> Timing:
        """The medians of (cpu seconds, wall seconds) samples."""
        return Timing(statistics.median(c for c, _ in samples) * 1000, statistics.median(w for _, w in samples) * 1000)


def measure(action: Callable[[], object]) -> tuple[float, float]:
    """CPU and wall seconds of one call of ``action``."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return time.process_time() - cpu, time.perf_counter() - wall


def unsigned(goods: int | None) -> dict[str, Any]:
    """The credential to sign, without an issuer (each key signs as its own did:key)."""
    document = SMALL if goods is None else usmca(goods)
    return {k: v for k, v in document.items() if k != "issuer"}


def variants(document: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` copies with distinct ids, so no verify or sign is of a document the process has seen."""
    return [{**document, "id": f"urn:uuid:{uuid.uuid4()}"} for _ in range(count)]


def failure(result: Any) -> str:
    """Why a verification result is not verified, one line."""
    return "; ".join(f"{check.name}: {check.message}" for check in result.failures) or "not verified"


def write_documents(folder: Path, count: int, keys: dict[str, Key], signer: DocumentLoader) -> dict[str, list[Path]]:
    """Sign ``count`` variants of every kind with ``signer`` (not the verifier's loader) and write them to ``folder``."""
    files: dict[str, list[Path]] = {}
    for kind in KINDS:
        paths = []
        for index, document in enumerate(variants(unsigned(kind.goods), count)):
            signed = sign(document, keys[kind.key_type], suite=kind.suite, created=NOW, loader=signer)
            path = folder / f"{kind.name}-{index:02d}.json"
            path.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
            paths.append(path)
        files[kind.name] = paths
    return files


def time_vctrade(files: dict[str, list[Path]]) -> tuple[dict[str, Timing], dict[str, str]]:
    """vctrade's verify medians per kind (round-robin, the first variant a warm-up) and any file it did not verify."""
    documents = {name: [json.loads(path.read_text(encoding="utf-8")) for path in paths] for name, paths in files.items()}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in documents}
    errors: dict[str, str] = {}
    rounds = min(len(docs) for docs in documents.values())
    for index in range(rounds):
        for name, docs in documents.items():
            outcome: list[Any] = []
            spent = measure(lambda: outcome.append(verify(docs[index], now=NOW)))  # noqa: B023
            if not outcome[0].verified:
                errors.setdefault(str(files[name][index]), failure(outcome[0]))
            elif index:  # index 0 is the warm-up
                samples[name].append(spent)
    return {name: Timing.of(found) for name, found in samples.items() if found}, errors


def js_folder(given: str | None, disabled: bool) -> Path | None:
    """The JS stack's folder: the one given (checked), else the default if it exists, else none."""
    if disabled:
        return None
    if given is None:
        return DEFAULT_JS if (DEFAULT_JS / JS_SCRIPT).is_file() and (DEFAULT_JS / "node_modules").is_dir() else None
    folder = Path(given)
    if not (folder / JS_SCRIPT).is_file():
        raise BenchError(f"--js {given}: no {JS_SCRIPT} there (see ../shared/bench-dbjs/README.md)", 2)
    if not (folder / "node_modules").is_dir():
        raise BenchError(f"--js {given}: no node_modules; run `npm install` in that folder first", 2)
    return folder


def time_js(folder: Path, files: list[Path], repeat: int) -> dict[Path, dict[str, Any]]:
    """Run the JS stack's verify-times.mjs on ``files``; its JSON line for each file."""
    node = shutil.which("node")
    if node is None:
        raise BenchError("node is not on PATH; the JS side needs Node.js (or run with --no-js)", 3)
    command = [node, str(folder / JS_SCRIPT), "--repeat", str(repeat), *map(str, files)]
    env = {**os.environ, "CONTEXTS_DIR": str(REPO / "contexts")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=600)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{JS_SCRIPT} did not finish in 600 s", 3) from None
    if done.returncode != 0:
        raise BenchError(f"{JS_SCRIPT} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}", 3)
    lines: dict[Path, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        try:
            report = json.loads(line)
            lines[Path(report["file"])] = report
        except (ValueError, KeyError, TypeError):
            raise BenchError(f"{JS_SCRIPT} printed a line that is not its JSON report: {line[:200]}", 3) from None
    missing = [str(path) for path in files if path not in lines]
    if missing:
        raise BenchError(f"{JS_SCRIPT} reported nothing for {', '.join(missing)}", 3)
    return lines


def verify_rows(files: dict[str, list[Path]], mine: dict[str, Timing], js: dict[Path, dict[str, Any]] | None,
                vctrade_errors: dict[str, str]) -> list[dict[str, Any]]:
    """One record per kind: vctrade's and the JS stack's medians, the ratio, and what did not verify."""
    rows = []
    for kind in KINDS:
        timed = files[kind.name][1]
        row: dict[str, Any] = {
            "kind": kind.name, "label": kind.label, "suite": kind.suite, "key": kind.key_type,
            "goods": kind.goods, "file": str(timed), "target_ratio": kind.target,
            "vctrade_cpu_ms": mine[kind.name].cpu_ms if kind.name in mine else None,
            "vctrade_wall_ms": mine[kind.name].wall_ms if kind.name in mine else None,
            "vctrade_errors": {f: e for f, e in vctrade_errors.items() if Path(f) in files[kind.name]},
            "js_verified": None, "js_error": None, "js_cpu_ms": None, "js_wall_ms": None, "ratio": None, "wall_ratio": None,
        }
        report = js.get(timed) if js is not None else None
        if report is not None:
            row |= {"js_verified": bool(report.get("verified")), "js_error": report.get("error"),
                    "js_cpu_ms": report.get("cpu_median_ms"), "js_wall_ms": report.get("median_ms")}
            if row["vctrade_cpu_ms"] is not None and row["js_cpu_ms"]:
                row["ratio"] = row["vctrade_cpu_ms"] / row["js_cpu_ms"]
                row["wall_ratio"] = row["vctrade_wall_ms"] / row["js_wall_ms"] if row["js_wall_ms"] else None
        rows.append(row)
    return rows


def curve(runs: int, keys: dict[str, Key], signer: DocumentLoader) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sign and verify medians per suite at every size, and the 1,000/100 ratios."""
    points: list[dict[str, Any]] = []
    for suite, key_type in CURVE_SUITES:
        key = keys[key_type]
        for goods in CURVE_GOODS:
            count = (runs if goods < 1000 else max(10, runs // 2)) + 1  # 1,000 goods: fewer runs keep it quick
            document = unsigned(goods)
            # The signs use their own loader, so the verifier's memo holds nothing they expanded.
            signed: list[dict[str, Any]] = []
            gc.collect()  # each series starts from a clean heap, not with the garbage of the one before
            sign_samples = [measure(lambda: signed.append(sign(item, key, suite=suite, created=NOW, loader=signer)))  # noqa: B023
                            for item in variants(document, count)]
            outcome: list[Any] = []
            gc.collect()
            verify_samples = [measure(lambda: outcome.append(verify(item, now=NOW))) for item in signed]  # noqa: B023
            bad = next((result for result in outcome if not result.verified), None)
            if bad is not None:
                raise BenchError(f"vctrade did not verify its own {suite} credential with {goods} goods "
                                 f"(a bug): {failure(bad)}", 1)
            sign_t, verify_t = Timing.of(sign_samples[1:]), Timing.of(verify_samples[1:])
            points.append({"suite": suite, "key": key_type, "goods": goods, "runs": count - 1,
                           "sign_cpu_ms": sign_t.cpu_ms, "sign_wall_ms": sign_t.wall_ms,
                           "verify_cpu_ms": verify_t.cpu_ms, "verify_wall_ms": verify_t.wall_ms})
    ratios = []
    for suite, key_type in CURVE_SUITES:
        at = {p["goods"]: p for p in points if p["suite"] == suite}
        ratios.append({"suite": suite, "key": key_type,
                       "sign_1000_over_100": at[1000]["sign_cpu_ms"] / at[100]["sign_cpu_ms"],
                       "verify_1000_over_100": at[1000]["verify_cpu_ms"] / at[100]["verify_cpu_ms"]})
    return points, ratios


def number(value: float | None, digits: int = 1) -> str:
    """A figure for a table cell, or a dash."""
    return "—" if value is None else f"{value:.{digits}f}"


def print_verify_table(rows: list[dict[str, Any]], repeat: int, js: bool) -> None:
    """The issue's table, then a flag for every file that did not verify."""
    print(f"\nverify, new document each time: CPU ms medians ({repeat} runs each), ratio = vctrade / JS")
    print("| verify | vctrade ms | JS ms | ratio | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.1f}×" + (
            " !!" if row["target_ratio"] and row["ratio"] > row["target_ratio"] else "")
        target = f"≤ {row['target_ratio']}×" if row["target_ratio"] else "—"
        print(f"| {row['label']} | {number(row['vctrade_cpu_ms'])} | {number(row.get('js_cpu_ms'))} | {ratio} | {target} |")
    if not js:
        print("(JS side not run: give --js DIR with the installed ../shared/bench-dbjs)")
    for row in rows:
        for path, error in row["vctrade_errors"].items():
            print(f"!! vctrade did not verify its own document {path} (a bug): {error}")
        if row.get("js_verified") is False:
            print(f"!! the JS stack did not verify {row['file']}: {row['js_error']}")


def print_curve(points: list[dict[str, Any]], ratios: list[dict[str, Any]]) -> None:
    """One table: sign and verify CPU ms per suite and size, and the 1,000/100 ratios."""
    print(f"\nsize curve: CPU ms medians, sign / verify; 1,000/100 target ≤ {LINEAR_TARGET:.0f}×")
    print("| suite | " + " | ".join(f"{goods:,} goods" for goods in CURVE_GOODS) + " | 1,000/100 sign | 1,000/100 verify |")
    print("|---|" + "---|" * (len(CURVE_GOODS) + 2))
    for ratio in ratios:
        at = {p["goods"]: p for p in points if p["suite"] == ratio["suite"]}
        cells = " | ".join(f"{at[g]['sign_cpu_ms']:.1f} / {at[g]['verify_cpu_ms']:.1f}" for g in CURVE_GOODS)
        marks = [f"{ratio[k]:.1f}×" + (" !!" if ratio[k] > LINEAR_TARGET else "")
                 for k in ("sign_1000_over_100", "verify_1000_over_100")]
        print(f"| {ratio['suite']} {ratio['key']} | {cells} | {marks[0]} | {marks[1]} |")


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def output_folder(given: str | None) -> Path:
    """The folder the documents go to: the one given (created if needed, must be writable) or a new temporary one."""
    if given is None:
        return Path(tempfile.mkdtemp(prefix="vctrade-vs-js-"))
    folder = Path(given)
    if folder.exists() and not folder.is_dir():
        raise BenchError(f"--out {given}: not a folder", 2)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"--out {given}: cannot create the folder ({exc.strerror})", 2) from None
    if not os.access(folder, os.W_OK):
        raise BenchError(f"--out {given}: the folder is not writable", 2)
    return folder


def run(args: argparse.Namespace) -> int:
    """The benchmark; returns the exit code."""
    js_dir = js_folder(args.js, args.no_js)
    folder = output_folder(args.out)
    print(f"documents: {folder}", file=sys.stderr if args.json else sys.stdout, flush=True)
    keys = {kind: Key.generate(kind) for kind in ("Ed25519", "P-256")}
    signer = DocumentLoader()  # the issuer's own process: nothing it expanded is in the verifier's memo
    files = write_documents(folder, args.repeat + 1, keys, signer)
    js = time_js(js_dir, [paths[1] for paths in files.values()], args.repeat) if js_dir else None
    mine, errors = time_vctrade(files)
    rows = verify_rows(files, mine, js, errors)
    figures: dict[str, Any] = {"folder": str(folder), "repeat": args.repeat, "js": str(js_dir) if js_dir else None,
                               "verify": rows}
    if args.curve:
        figures["curve"], figures["curve_ratios"] = curve(args.repeat, keys, signer)
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        print_verify_table(rows, args.repeat, js is not None)
        if args.curve:
            print_curve(figures["curve"], figures["curve_ratios"])
    return 1 if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the signed documents (default: a new temporary folder)")
    parser.add_argument("--js", help=f"the installed bench-dbjs folder (default: {DEFAULT_JS} when it exists)")
    parser.add_argument("--no-js", action="store_true", help="time vctrade only")
    parser.add_argument("--repeat", type=positive, default=20, help="timed verifies per kind, each side (median reported)")
    parser.add_argument("--curve", action="store_true", help="also sign and verify at 1/10/100/1,000 goods, every suite")
    parser.add_argument("--json", action="store_true", help="print one JSON document of all figures")
    args = parser.parse_args()
    if args.js is not None and args.no_js:
        parser.error("--js and --no-js exclude each other")
    try:
        sys.exit(run(args))
    except BenchError as exc:
        print(f"bench_vs_js: {exc}", file=sys.stderr)
        sys.exit(exc.code)


if __name__ == "__main__":
    main()

"""Batch verification in worker processes: the same reports in the same order as one job, streamed with only a few
files handed out ahead of the reader, and a worker that dies is an operational error, not a hang."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from vctrade._batch import VerifyOptions, collect_files, verify_files
from vctrade.errors import OperationalError

NOW = "2026-06-01T00:00:00Z"  # the clock the `trade` fixture's credentials verify at
OPTIONS = VerifyOptions(now=datetime(2026, 6, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, trade: dict[str, Any]) -> Path:
    """Forty documents: verified, tampered (not verified) and malformed, interleaved, in nested folders."""
    folder = tmp_path_factory.mktemp("mixed")
    tampered = json.loads(json.dumps(trade["coo"]))
    tampered["credentialSubject"]["producer"] = "Someone Else"
    kinds = [trade["coo"], trade["aeo"], tampered, trade["ctpat"], "{"]
    for number in range(40):
        target = folder / f"part-{number % 3}" / f"doc-{number:02d}.json"
        target.parent.mkdir(exist_ok=True)
        kind = kinds[number % len(kinds)]
        target.write_text(kind if isinstance(kind, str) else json.dumps(kind))
    return folder


@pytest.mark.parametrize("output", [["--json"], []])
def test_two_jobs_print_exactly_what_one_job_prints(mixed: Path, output: list[str],
                                                    run_cli: Callable[..., CompletedProcess[str]]) -> None:
    one = run_cli("verify", str(mixed), "--now", NOW, *output)
    assert one.returncode == 1, one.stderr  # tampered and malformed documents are in the batch
    assert "40 documents: 24 verified, 16 not verified, 0 undecided" in one.stdout + one.stderr
    for jobs in ("2", "3"):
        many = run_cli("verify", str(mixed), "--now", NOW, "--jobs", jobs, *output)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)


def _copies(folder: Path, document: dict[str, Any], count: int) -> list[Path]:
    text = json.dumps(document)
    for number in range(count):
        (folder / f"coo-{number:04d}.json").write_text(text)
    return collect_files([folder])


def test_reports_stream_with_few_files_handed_out_ahead(tmp_path: Path, trade: dict[str, Any]) -> None:
    files = _copies(tmp_path, trade["coo"], 600)
    with verify_files(files, OPTIONS, jobs=2) as batch:
        first = next(batch)
        time.sleep(1.0)  # the workers are idle by now unless they were handed everything
        assert batch.dispatched <= (1 + 2 * 3) * 32 < len(files)  # the chunk being read and six in flight, no more
        rest = list(batch)
        assert len(batch.workers) == 2
        assert all(memory and 0 < memory.start_kib <= memory.peak_kib for memory in batch.workers.values())
    reports = [first, *rest]
    assert [report["file"] for report in reports] == [str(path) for path in files]
    assert {report["outcome"] for report in reports} == {"verified"}


def test_a_process_with_threads_spawns_its_workers_and_gets_the_same_reports(mixed: Path) -> None:
    files = collect_files([mixed])
    expected = list(verify_files(files, OPTIONS, jobs=1))
    stop = threading.Event()
    running = threading.Thread(target=stop.wait)  # e.g. a progress bar's thread: forking now could copy its locks
    running.start()
    try:
        with verify_files(files, OPTIONS, jobs=2) as batch:
            assert list(batch) == expected
    finally:
        stop.set()
        running.join()


def test_no_more_workers_than_files(mixed: Path) -> None:
    files = collect_files([mixed])[:2]
    with verify_files(files, OPTIONS, jobs=4) as batch:
        assert len(multiprocessing.active_children()) == 2
        assert [report["file"] for report in batch] == [str(path) for path in files]


def test_a_worker_that_dies_is_an_operational_error(tmp_path: Path, trade: dict[str, Any]) -> None:
    files = _copies(tmp_path, trade["coo"], 2000)
    with verify_files(files, OPTIONS, jobs=2) as batch:
        next(batch)
        os.kill(next(iter(batch.workers)), signal.SIGKILL)
        with pytest.raises(OperationalError, match="a worker process stopped unexpectedly, after [0-9]+ of 2000 files"):
            list(batch)


def test_workers_end_when_the_command_is_killed(tmp_path: Path, trade: dict[str, Any]) -> None:
    """SIGTERM ends `vctrade verify --jobs 2` at once; its forked workers, left without it, end too."""
    _copies(tmp_path, trade["coo"], 5000)
    command = [str(Path(sys.executable).with_name("vctrade")), "verify", str(tmp_path), "--jobs", "2", "--now", NOW]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while len(workers := _children(process.pid)) < 2:
            assert time.monotonic() < deadline and process.poll() is None, "no workers started"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == -signal.SIGTERM
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "workers left running without their parent"
            time.sleep(0.1)
    finally:  # nothing of this test's left behind when it fails
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in workers:
            with contextlib.suppress(OSError):
                if str(tmp_path) in Path(f"/proc/{pid}/cmdline").read_text():
                    os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    """The child processes of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue  # ended meanwhile
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry.parent.name))
    return found

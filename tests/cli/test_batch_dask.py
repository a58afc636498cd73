"""A batch on a Dask cluster (`vctrade verify FOLDER --dask ADDRESS`, vctrade._dask): the reports the local batch
gives, in its order, streamed with few files sent ahead; each worker with its own verifier, removed when the batch
ends; usage errors, an unreachable scheduler, a cluster without workers and workers that die. Every cluster here is
a real `LocalCluster` of worker processes on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster

from vctrade._batch import VerifyOptions, collect_files, verify_files
from vctrade._dask import verify_files_dask
from vctrade.errors import OperationalError

NOW = "2026-06-01T00:00:00Z"  # the clock the `trade` fixture's credentials verify at
OPTIONS = VerifyOptions(now=datetime(2026, 6, 1, tzinfo=UTC))


def _cluster(workers: int = 2) -> LocalCluster:
    # No fixed dashboard port: nothing else on the machine is in the way.
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                        host="127.0.0.1", dashboard_address=":0")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes, one thread each, with a scheduler on a loopback port."""
    with _cluster() as running:
        yield running


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    with _client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, trade: dict[str, Any]) -> Path:
    """Forty documents: verified, tampered (not verified) and malformed JSON, interleaved, in nested folders."""
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


def _copies(folder: Path, document: dict[str, Any], count: int) -> list[Path]:
    text = json.dumps(document)
    for number in range(count):
        (folder / f"coo-{number:04d}.json").write_text(text)
    return collect_files([folder])


def _on_workers(client: Client, function: Callable[[], Any]) -> dict[str, Any]:
    return client.run(function)  # type: ignore[no-any-return]


def _batch_state() -> int:
    import vctrade._dask

    return len(vctrade._dask._options) + len(vctrade._dask._verifiers)


def test_the_cluster_gives_the_local_batchs_reports_in_order(mixed: Path, client: Client) -> None:
    files = collect_files([mixed])
    expected = list(verify_files(files, OPTIONS))
    assert {report["outcome"] for report in expected} == {"verified", "not verified"}
    assert any("not valid JSON" in check["message"] for report in expected for check in report["checks"])
    with verify_files_dask(client, files, OPTIONS) as batch:
        assert list(batch) == expected
        assert len(batch.workers) == 2  # both workers verified some of it
        assert all(memory and 0 < memory.start_kib <= memory.peak_kib for memory in batch.workers.values())
    # The batch's options and verifiers are gone from the workers with it.
    assert set(_on_workers(client, _batch_state).values()) == {0}


def test_a_file_unreadable_by_the_client_gets_the_local_report(tmp_path: Path, trade: dict[str, Any],
                                                                client: Client) -> None:
    files = _copies(tmp_path, trade["coo"], 3)
    files[1].unlink()
    files[1].mkdir()  # a folder where a file was: reading it fails
    expected = list(verify_files(files, OPTIONS))
    assert expected[1]["outcome"] == "not verified" and "cannot read" in expected[1]["checks"][0]["message"]
    with verify_files_dask(client, files, OPTIONS) as batch:
        assert list(batch) == expected


def test_reports_stream_with_few_files_sent_ahead(tmp_path: Path, trade: dict[str, Any], client: Client) -> None:
    files = _copies(tmp_path, trade["coo"], 600)
    with verify_files_dask(client, files, OPTIONS) as batch:
        first = next(batch)
        time.sleep(1.0)  # the workers are idle by now unless they were sent everything
        assert batch.dispatched <= (1 + 2 * 3) * 32 < len(files)  # the chunk being read and six in flight, no more
        rest = list(batch)
    reports = [first, *rest]
    assert [report["file"] for report in reports] == [str(path) for path in files]
    assert {report["outcome"] for report in reports} == {"verified"}


def test_the_cli_streams_the_local_batchs_json_lines(mixed: Path, cluster: LocalCluster,
                                                     run_cli: Callable[..., CompletedProcess[str]]) -> None:
    local = run_cli("verify", str(mixed), "--now", NOW, "--json")
    assert local.returncode == 1, local.stderr  # tampered and malformed documents are in the batch
    remote = run_cli("verify", str(mixed), "--now", NOW, "--json", "--dask", cluster.scheduler_address)
    assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr)
    lines = [json.loads(line) for line in remote.stdout.splitlines()]
    assert len(lines) == 41 and lines[-1]["summary"]["documents"] == 40
    assert "40 documents: 24 verified, 16 not verified, 0 undecided" in remote.stderr


def test_dask_and_jobs_together_is_a_usage_error(mixed: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    done = run_cli("verify", str(mixed), "--dask", "tcp://127.0.0.1:8786", "--jobs", "1")
    assert done.returncode == 2 and "--dask and --jobs" in done.stderr


def test_an_address_that_is_not_one_is_a_usage_error(mixed: Path,
                                                     run_cli: Callable[..., CompletedProcess[str]]) -> None:
    done = run_cli("verify", str(mixed), "--dask", "scheduler")
    assert done.returncode == 2 and "'scheduler' is not a Dask scheduler address" in done.stderr


def test_a_scheduler_that_cannot_be_reached_is_exit_3_within_the_timeout(
        mixed: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    with socket.socket() as unused:  # a loopback port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    start = time.monotonic()
    done = run_cli("verify", str(mixed), "--dask", address, "--timeout", "2")
    assert done.returncode == 3, done.stderr
    assert f"cannot reach the Dask scheduler at {address} within 2 s" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert time.monotonic() - start < 15


def test_without_dask_installed_the_cli_says_which_extra(mixed: Path, tmp_path: Path,
                                                         run_cli: Callable[..., CompletedProcess[str]]) -> None:
    missing = tmp_path / "distributed"
    missing.mkdir()
    (missing / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'distributed'\")\n")
    done = run_cli("verify", str(mixed), "--dask", "tcp://127.0.0.1:8786", env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert "pip install 'vctrade[dask]'" in done.stderr and "Traceback" not in done.stderr


def test_neither_start_up_nor_a_local_batch_imports_dask(mixed: Path) -> None:
    code = ("import sys\nfrom pathlib import Path\nfrom vctrade._batch import VerifyOptions, collect_files, verify_files\n"
            f"import vctrade.cli\nlist(verify_files(collect_files([Path({str(mixed)!r})]), VerifyOptions()))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'tornado')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_cluster_without_workers_is_an_operational_error(mixed: Path) -> None:
    with _cluster(workers=0) as empty, _client(empty) as client:
        start = time.monotonic()
        with pytest.raises(OperationalError, match="the Dask cluster has no worker"):
            verify_files_dask(client, collect_files([mixed]), OPTIONS, timeout=1)
        assert time.monotonic() - start < 10


def _client(cluster: LocalCluster) -> Client:
    return Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]


def _worker_pids(client: Client) -> list[int]:
    return list(_on_workers(client, os.getpid).values())


def test_a_worker_that_dies_is_replaced_and_the_reports_are_the_same(tmp_path: Path, trade: dict[str, Any]) -> None:
    """Dask runs a dead worker's chunks again elsewhere (its nanny starts a new worker): verifying is repeatable."""
    files = _copies(tmp_path, trade["coo"], 1500)
    expected = list(verify_files(files, OPTIONS))
    with _cluster() as cluster, _client(cluster) as client:
        with verify_files_dask(client, files, OPTIONS, timeout=30) as batch:
            reports = [next(batch)]
            os.kill(_worker_pids(client)[0], signal.SIGKILL)
            reports.extend(batch)
    assert reports == expected


def test_a_chunk_dask_gives_up_on_is_an_operational_error(tmp_path: Path, trade: dict[str, Any]) -> None:
    """When Dask stops retrying (here: at the first worker death) the batch ends with an OperationalError."""
    files = _copies(tmp_path, trade["coo"], 2000)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), _cluster() as cluster, \
            _client(cluster) as client:
        with verify_files_dask(client, files, OPTIONS) as batch:
            next(batch)
            for pid in _worker_pids(client):
                os.kill(pid, signal.SIGKILL)
            with pytest.raises(OperationalError, match="Dask workers died while verifying files, and Dask gave up "
                                                       "on them, after [0-9]+ of 2000 files"):
                list(batch)

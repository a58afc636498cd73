"""Verifying many files: folders of credentials and presentations, in worker processes.

Each worker builds its verifier once (resolver, context loader, status-list
cache, policy), so contexts, DID documents and status lists are loaded once
per worker rather than once per file. Results come back in input order.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vctrade._http import FetchPolicy
from vctrade._result import Check, VerificationResult
from vctrade.did import DIDResolver, network_resolver
from vctrade.errors import InputError, InvalidDocument
from vctrade.jsonld import DocumentLoader, default_loader
from vctrade.model import parse_json_int
from vctrade.status import (
    CachingSource,
    HttpsStatusSource,
    StatusFiles,
    StatusListSource,
)
from vctrade.trust import TrustPolicy, combine
from vctrade.verification import DEFAULT_SKEW, Format, detect, verify

__all__ = ["VerifyOptions", "collect_files", "verify_files", "read_json_object", "read_document", "DOCUMENT_SUFFIXES"]

DOCUMENT_SUFFIXES = (".json", ".jsonld", ".jwt", ".sd-jwt", ".cose", ".vc", ".vp")


@dataclass(frozen=True)
class VerifyOptions:
    """Everything a verification run needs, in a form that can be sent to worker processes."""

    now: datetime | None = None
    skew: timedelta = DEFAULT_SKEW
    challenge: str | None = None
    domain: str | None = None
    contexts: tuple[tuple[str, str], ...] = ()
    status_files: tuple[tuple[str, str], ...] = ()
    policy_files: tuple[str, ...] = ()
    with_files: tuple[str, ...] = ()
    fetch: FetchPolicy = field(default_factory=FetchPolicy)

    def resolver(self) -> DIDResolver:
        """DID resolution with this run's fetch policy for did:web."""
        return network_resolver(self.fetch)

    def loader(self) -> DocumentLoader:
        """The context loader: bundled contexts plus the ones given."""
        return DocumentLoader(dict(self.contexts)) if self.contexts else default_loader()

    def status_source(self) -> StatusListSource:
        """Offline status files when given, else HTTPS with a cache."""
        if self.status_files:
            return StatusFiles(dict(self.status_files))
        return CachingSource(HttpsStatusSource(self.fetch))

    def policy(self) -> TrustPolicy | None:
        """The combined policy of every policy file, or None."""
        if not self.policy_files:
            return None
        return combine(TrustPolicy.from_toml(path) for path in self.policy_files)

    def beside(self) -> list[dict[str, Any]]:
        """The credentials given with --with."""
        return [read_json_object(Path(path)) for path in self.with_files]


def read_document(path: Path) -> dict[str, Any] | str:
    """A credential or presentation from a file: a JSON object, or the text of a JWT / SD-JWT / COSE object."""
    try:
        data = path.read_bytes()
    except OSError:
        return read_json_object(path)  # the same one-line messages for missing or unreadable files
    stripped = data.strip()
    if stripped[:1] in (b"{", b"[", b'"') or not stripped:
        return read_json_object(path)
    try:
        detected = detect(data)
    except InvalidDocument:
        raise InvalidDocument(f"{path} is neither JSON nor a compact JWT / SD-JWT nor COSE") from None
    if detected.format is Format.COSE:
        return data.decode("latin-1")  # raw CBOR (unstripped: its bytes are exact) or base64 text
    if detected.format is Format.JSON:
        return read_json_object(path)
    return str(detected.value)


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a file, or InvalidDocument with a one-line reason."""
    try:
        document = json.loads(path.read_bytes(), parse_int=parse_json_int)  # a 5,000-digit number is a field problem
    except FileNotFoundError:
        raise InvalidDocument(f"file not found: {path}") from None
    except IsADirectoryError:
        raise InvalidDocument(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise InvalidDocument(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDocument(f"{path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidDocument(f"{path} is nested too deeply") from None
    if not isinstance(document, dict):
        raise InvalidDocument(f"{path} holds a JSON {type(document).__name__}, not a JSON object")
    return document


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The documents to verify: files as given, folders searched recursively by suffix, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(DOCUMENT_SUFFIXES)))
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"file not found: {path}")
    return found


class _Verifier:
    """One verifier per process: shared caches across the files it verifies."""

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options
        self.resolver = options.resolver()
        self.loader = options.loader()
        self.status_source = options.status_source()
        self.policy = options.policy()
        self.beside = options.beside()

    def __call__(self, path: str) -> dict[str, Any]:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            result = VerificationResult((Check("structure", "failed", "unreadable", f"cannot read {path}: {exc.strerror}"),))
        else:
            result = verify(
                data, now=self.options.now, resolver=self.resolver, loader=self.loader, skew=self.options.skew,
                challenge=self.options.challenge, domain=self.options.domain, status_source=self.status_source,
                policy=self.policy, with_credentials=self.beside,
            )
        outcome = "verified" if result.verified else "undecided" if result.undecided else "not verified"
        return {"file": path, "outcome": outcome, **result.to_dict()}


_worker: _Verifier | None = None


def _init_worker(options: VerifyOptions) -> None:
    global _worker
    _worker = _Verifier(options)


def _verify_in_worker(path: str) -> dict[str, Any]:
    assert _worker is not None, "worker not initialised"
    return _worker(path)


def verify_files(
    files: list[Path],
    options: VerifyOptions,
    *,
    jobs: int = 1,
) -> Iterator[dict[str, Any]]:
    """Verify ``files`` (in input order) with ``jobs`` worker processes; yields one report per file."""
    if jobs < 1:
        raise InputError("--jobs must be at least 1")
    options.policy()  # a bad policy or --with file is a usage error before any work starts
    options.beside()
    names = [str(path) for path in files]
    if jobs == 1 or len(files) < 2:
        verifier = _Verifier(options)
        reports: Iterable[dict[str, Any]] = map(verifier, names)
        for report in reports:
            yield report
        return
    # spawn, not fork: the parent may run a progress-bar thread, and forking a threaded process can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(options,)) as pool:
        yield from pool.map(_verify_in_worker, names, chunksize=max(1, min(64, len(names) // (jobs * 8))))

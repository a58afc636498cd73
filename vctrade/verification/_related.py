"""Integrity of related resources (VCDM 2.0 §5.3): ``relatedResource`` digests checked against what vctrade holds.

vctrade fetches nothing implicitly, so the only resources it can digest are
the contexts it pins (``contexts/``, byte-exact, each pinned by sha256 in
``index.json``): the digest is computed over the exact bytes of the bundled
file, the bytes the document loader parses. A digest of any other resource
cannot be checked: an ``error`` (undecided), never a pass. A digest that does
not match is a failure, and so is one that is not a digest at all.

``digestSRI`` is Subresource Integrity metadata: one or more
``sha256-``/``sha384-``/``sha512-`` + base64 values, separated by white space.
``digestMultibase`` is a multibase string (``u`` base64url or ``z``
base58btc) of a multihash (sha2-256, sha2-384 or sha2-512); a bare digest of
32, 48 or 64 bytes is read as sha-256/384/512 (the VCDM 2.0 examples and the
W3C test suite write it so).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from vctrade._encoding import multibase_decode
from vctrade._result import ERROR, FAILED, PASSED, Check
from vctrade.errors import ContextError, VctradeError
from vctrade.jsonld._jsonld import DocumentLoader
from vctrade.model._credentials import related_resources

__all__ = ["RelatedResourceProblems", "related_resource_problems", "related_resource_check"]

_SRI = {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
# multihash code (varint, one or two bytes) + digest length -> hash name
_MULTIHASH = {b"\x12\x20": "sha256", b"\x20\x30": "sha384", b"\x13\x40": "sha512"}
_BARE = {32: "sha256", 48: "sha384", 64: "sha512"}


@dataclass(frozen=True)
class RelatedResourceProblems:
    """What the ``relatedResource`` digests break (``failed``) and which could not be checked (``undecided``)."""

    failed: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()
    checked: int = 0


def _sri_digests(value: str) -> list[tuple[str, bytes]]:
    """[(hash name, digest)] of SRI metadata; ValueError when it is not SRI."""
    found = []
    for token in value.split():
        algorithm, _, encoded = token.partition("-")
        name = _SRI.get(algorithm.lower())
        if name is None or not encoded:
            raise ValueError(f"{token[:40]!r} is not sha256-, sha384- or sha512- followed by base64")
        encoded = encoded.split("?", 1)[0]  # SRI options (?…) carry no digest
        try:
            digest = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{token[:40]!r} is not base64") from None
        if len(digest) != hashlib.new(name).digest_size:
            raise ValueError(f"{token[:40]!r} is not a {name} digest (wrong length)")
        found.append((name, digest))
    if not found:
        raise ValueError("it holds no digest")
    return found


def _multibase_digest(value: str) -> tuple[str, bytes]:
    """(hash name, digest) of a digestMultibase; ValueError when it is not one."""
    try:
        data = multibase_decode(value)
    except (VctradeError, ValueError):
        raise ValueError(f"{value[:40]!r} is not multibase (u base64url or z base58btc)") from None
    header, body = data[:2], data[2:]
    if header in _MULTIHASH and len(body) == hashlib.new(_MULTIHASH[header]).digest_size:
        return _MULTIHASH[header], body
    if len(data) in _BARE:
        return _BARE[len(data)], data
    raise ValueError(f"{value[:40]!r} is not a sha2-256/384/512 multihash or digest")


def _pinned_bytes(url: str, loader: DocumentLoader) -> bytes | None:
    """The exact bytes of the bundled context ``url`` (checked against its pinned sha256), or None."""
    try:
        return loader.pinned_bytes(url)
    except ContextError:
        return None  # a damaged installation is not evidence either way


def related_resource_problems(document: dict[str, Any], loader: DocumentLoader) -> RelatedResourceProblems:
    """Check every ``relatedResource`` digest of a structurally valid ``document``."""
    failed: list[str] = []
    undecided: list[str] = []
    checked = 0
    for n, entry in enumerate(related_resources(document)):
        field = f"relatedResource[{n}]"
        resource = entry.get("id")
        wanted: list[tuple[str, str, bytes]] = []
        for name in ("digestSRI", "digestMultibase"):
            value = entry.get(name)
            if not isinstance(value, str):
                continue
            try:
                pairs = _sri_digests(value) if name == "digestSRI" else [_multibase_digest(value)]
            except ValueError as exc:
                failed.append(f"{field}.{name}: {exc}")
                continue
            wanted.extend((name, algorithm, digest) for algorithm, digest in pairs)
        if not wanted:
            continue
        data = _pinned_bytes(resource, loader) if isinstance(resource, str) else None
        if data is None:
            undecided.append(f"{field}: {str(resource)[:200]!r} is not a resource vctrade holds "
                             "(only pinned contexts; nothing is fetched), so its digest cannot be checked")
            continue
        for name, algorithm, digest in wanted:
            if hashlib.new(algorithm, data).digest() != digest:
                failed.append(f"{field}.{name}: the {algorithm} digest does not match {str(resource)[:200]!r}")
        checked += 1
    return RelatedResourceProblems(tuple(failed), tuple(undecided), checked)


def related_resource_check(document: dict[str, Any], loader: DocumentLoader) -> Check | None:
    """The ``related-resource`` check (None when the document lists no related resource).

    Codes: ``related_resource_mismatch`` (failed: a digest that does not match,
    or is not a digest), ``related_resource_unavailable`` (error: a resource
    vctrade does not hold), ``related_resource_ok``.
    """
    if not related_resources(document):
        return None
    outcome = related_resource_problems(document, loader)
    if outcome.failed:
        return Check("related-resource", FAILED, "related_resource_mismatch", "; ".join(outcome.failed))
    if outcome.undecided:
        return Check("related-resource", ERROR, "related_resource_unavailable", "; ".join(outcome.undecided))
    return Check("related-resource", PASSED, "related_resource_ok",
                 f"{outcome.checked} related resource digest(s) match the pinned documents")

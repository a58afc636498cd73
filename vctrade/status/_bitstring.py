"""Bitstring Status List v1.0: the bitstring, its entries and the unsigned status list credential.

A status list is a bitstring of at least 131,072 entries, GZIP-compressed and
multibase-base64url encoded, carried in a status list credential signed by
the issuer. Index 0 is the most significant bit of the first byte.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from vctrade._encoding import b64url_decode, b64url_encode, multibase_decode
from vctrade.errors import EncodingError
from vctrade.model._credentials import VC_V2_CONTEXT, format_datetime

__all__ = ["MIN_ENTRIES", "MAX_DECODED_BYTES", "PURPOSES", "Bitstring", "status_entry", "status_list_credential"]

MIN_ENTRIES = 131_072  # the spec's minimum: herd privacy
MAX_DECODED_BYTES = 16 * 1024 * 1024  # a decoded list larger than this is refused (gzip bombs)
PURPOSES = ("revocation", "suspension")


class Bitstring:
    """A mutable bitstring; index 0 is the left-most (most significant) bit of byte 0."""

    __slots__ = ("_bytes",)

    def __init__(self, size: int = MIN_ENTRIES, data: bytes | None = None) -> None:
        if data is None:
            if size % 8:
                raise ValueError("a bitstring's size must be a multiple of 8")
            data = bytes(size // 8)
        self._bytes = bytearray(data)

    def __len__(self) -> int:
        return len(self._bytes) * 8

    def __getitem__(self, index: int) -> bool:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is outside the list (0..{len(self) - 1})")
        return bool(self._bytes[index // 8] & (0x80 >> (index % 8)))

    def __setitem__(self, index: int, value: bool) -> None:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is outside the list (0..{len(self) - 1})")
        mask = 0x80 >> (index % 8)
        if value:
            self._bytes[index // 8] |= mask
        else:
            self._bytes[index // 8] &= ~mask & 0xFF

    def encode(self) -> str:
        """GZIP (mtime 0) + multibase base64url, byte-identical to the spec's examples."""
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 31)  # 31: gzip framing
        return "u" + b64url_encode(compressor.compress(bytes(self._bytes)) + compressor.flush())

    @classmethod
    def decode(cls, encoded: Any, *, multibase: bool = True) -> Bitstring:
        """Decode an ``encodedList`` (multibase for Bitstring Status List, bare base64url for 2021)."""
        if not isinstance(encoded, str) or not encoded:
            raise EncodingError("encodedList must be a non-empty string")
        compressed = multibase_decode(encoded) if multibase else b64url_decode(encoded)
        decompressor = zlib.decompressobj(47)  # 47: auto-detect gzip/zlib framing
        try:
            data = decompressor.decompress(compressed, MAX_DECODED_BYTES)
        except zlib.error as exc:
            raise EncodingError(f"encodedList is not GZIP data: {exc}") from exc
        if decompressor.unconsumed_tail:
            raise EncodingError(f"encodedList expands beyond {MAX_DECODED_BYTES} bytes; refused")
        return cls(data=data)


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for ``index`` in the list at ``list_url``."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str,
    issuer: str,
    purpose: str,
    bits: Bitstring,
    *,
    valid_from: datetime,
    valid_until: datetime,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` with ``validUntil`` and ``ttl`` set."""
    ttl_ms = int((valid_until - valid_from).total_seconds() * 1000)
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
        "validUntil": format_datetime(valid_until),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": bits.encode(),
            "ttl": ttl_ms,
        },
    }

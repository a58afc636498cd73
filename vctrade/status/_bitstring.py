"""Bitstring Status List v1.0: the bitstring, its entries and the unsigned status list credential.

A status list is a bitstring of at least 131,072 entries, GZIP-compressed and
multibase-base64url encoded, carried in a status list credential signed by
the issuer. Index 0 is the most significant bit of the first byte.

An entry may take ``statusSize`` bits (a status message list): entry *i* is
then bits ``i × statusSize`` … ``i × statusSize + statusSize - 1``, its value
read most significant bit first, and the list holds at least 131,072 entries
(``131,072 × statusSize`` bits). The messages for the ``2 ** statusSize``
values travel in each credential's entry (``statusMessage``), where the issuer
commits to them at issuance.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from vctrade._encoding import b64url_decode, b64url_encode, multibase_decode
from vctrade.errors import EncodingError, InputError
from vctrade.model._credentials import VC_V2_CONTEXT, format_datetime

__all__ = ["MIN_ENTRIES", "MAX_DECODED_BYTES", "MAX_STATUS_SIZE", "PURPOSES", "Bitstring", "status_entry",
           "status_list_credential", "status_hex", "parse_status_value"]

MIN_ENTRIES = 131_072  # the spec's minimum: herd privacy
MAX_DECODED_BYTES = 16 * 1024 * 1024  # a decoded list larger than this is refused (gzip bombs)
PURPOSES = ("revocation", "suspension", "message")  # also the order of a credential's entries
MAX_STATUS_SIZE = 8  # bits per entry an issuer may choose (2 ** 8 = 256 messages)
_HEX = re.compile(r"0x[0-9a-fA-F]{1,16}")


def status_hex(value: int) -> str:
    """A status value as the spec writes it in ``statusMessage``: ``0x`` and lowercase hex (``0x0``, ``0x1f``)."""
    return f"0x{value:x}"


def parse_status_value(text: Any) -> int:
    """``0x…`` (hex, as in ``statusMessage``) or plain decimal digits -> the value; anything else is an InputError."""
    if isinstance(text, str):
        if _HEX.fullmatch(text):
            return int(text[2:], 16)
        if text.isascii() and text.isdigit() and len(text) <= 20:
            return int(text)
    raise InputError(f"a status value is 0x and hex digits (e.g. 0x1) or decimal digits, not {str(text)[:40]!r}")


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

    def value(self, index: int, status_size: int = 1) -> int:
        """Entry ``index`` of ``status_size`` bits (bits ``index × status_size`` onward), most significant bit first."""
        start = self._span(index, status_size)
        result = 0
        for position in range(start, start + status_size):
            result = (result << 1) | (self._bytes[position // 8] >> (7 - position % 8) & 1)
        return result

    def set_value(self, index: int, status_size: int, value: int) -> None:
        """Write ``value`` into entry ``index`` of ``status_size`` bits, most significant bit first."""
        start = self._span(index, status_size)
        if not 0 <= value < 1 << status_size:
            raise ValueError(f"value {value} does not fit in {status_size} bits")
        for offset in range(status_size):
            self[start + offset] = bool(value >> (status_size - 1 - offset) & 1)

    def entries(self, status_size: int = 1) -> int:
        """How many whole entries of ``status_size`` bits the list holds."""
        return len(self) // status_size

    def _span(self, index: int, status_size: int) -> int:
        if status_size < 1:
            raise ValueError("statusSize must be at least 1")
        if not 0 <= index < self.entries(status_size):
            raise IndexError(f"index {index} is outside the list (0..{self.entries(status_size) - 1})")
        return index * status_size

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


def status_entry(list_url: str, index: int, purpose: str, *, status_size: int = 1,
                 messages: Sequence[str] | None = None, reference: Sequence[str] | None = None) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for ``index`` in the list at ``list_url``.

    ``messages[v]`` is the message of value ``v`` (``2 ** status_size`` of them);
    with messages, ``statusSize`` is written even when 1 (the spec requires it for
    the "message" purpose). ``reference``: the ``statusReference`` URL(s).
    """
    entry: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if status_size != 1 or messages:
        entry["statusSize"] = status_size
    if messages:
        if len(messages) != 1 << status_size:
            raise ValueError(f"statusSize {status_size} needs {1 << status_size} messages, not {len(messages)}")
        entry["statusMessage"] = [{"status": status_hex(value), "message": text} for value, text in enumerate(messages)]
    elif status_size != 1:
        raise ValueError("a statusSize above 1 needs its statusMessage")
    if reference:
        entry["statusReference"] = reference[0] if len(reference) == 1 else list(reference)
    return entry


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

"""Multibase, multicodec and base64url helpers (private).

Only the encodings the specs use: multibase ``z`` (base58btc) and ``u``
(base64url, no padding), and the unsigned-varint multicodec prefixes of the key
types vctrade supports.

Decoding accepts only the canonical text of each value: no whitespace, no
padding, no characters outside the alphabet, no non-zero unused bits in the
last base64url character. Otherwise one signature (or key) would have several
spellings, and a token could be altered without breaking it.
"""

from __future__ import annotations

import base64
import re

import base58

from vctrade.errors import EncodingError

# multicodec name -> code (https://github.com/multiformats/multicodec table.csv)
MULTICODEC: dict[str, int] = {
    "ed25519-pub": 0xED,
    "x25519-pub": 0xEC,
    "secp256k1-pub": 0xE7,
    "p256-pub": 0x1200,
    "p384-pub": 0x1201,
    "p521-pub": 0x1202,
    "ed25519-priv": 0x1300,
    "secp256k1-priv": 0x1301,
    "p256-priv": 0x1306,
    "p384-priv": 0x1307,
    "p521-priv": 0x1308,
}
_CODE_TO_NAME = {code: name for name, code in MULTICODEC.items()}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_BASE58BTC = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")  # the Bitcoin alphabet: no 0, O, I, l


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode canonical base64url (RFC 7515 §2: no padding, unused bits zero); reject anything else."""
    if not isinstance(text, str):
        raise EncodingError("base64url value must be a string")
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise EncodingError(f"not valid base64url (unpadded, alphabet A-Z a-z 0-9 - _): {text[:40]!r}")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # The last character may carry bits beyond the data; only the spelling with them zero is accepted.
    if b64url_encode(data) != text:
        raise EncodingError(f"not canonical base64url (non-zero unused bits): {text[-8:]!r}")
    return data


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes) -> tuple[int, int]:
    value = 0
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, index + 1
    raise EncodingError("multicodec prefix is not a valid varint")


def multibase_encode(data: bytes, base: str = "z") -> str:
    """Multibase-encode ``data``: ``z`` base58btc (default) or ``u`` base64url."""
    if base == "z":
        return "z" + base58.b58encode(data).decode("ascii")
    if base == "u":
        return "u" + b64url_encode(data)
    raise EncodingError(f"unsupported multibase prefix {base!r}")


def multibase_decode(text: object) -> bytes:
    """Decode a canonical multibase string (``z`` base58btc or ``u`` base64url)."""
    if not isinstance(text, str) or len(text) < 2:
        raise EncodingError("multibase value must be a non-empty string")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        # base58 itself strips whitespace; with the alphabet alone, each byte string has one spelling.
        if not _BASE58BTC.fullmatch(body):
            raise EncodingError(f"not valid base58btc: {text[:40]!r}")
        return base58.b58decode(body)
    if prefix == "u":
        return b64url_decode(body)
    raise EncodingError(f"unsupported multibase prefix {prefix!r} (expected 'z' or 'u')")


def multicodec_wrap(name: str, data: bytes) -> bytes:
    """Prefix ``data`` with the varint code of multicodec ``name``."""
    return _varint(MULTICODEC[name]) + data


def multicodec_unwrap(data: bytes) -> tuple[str, bytes]:
    """Split a multicodec-prefixed value into (codec name, payload)."""
    code, length = _read_varint(data)
    name = _CODE_TO_NAME.get(code)
    if name is None:
        raise EncodingError(f"unsupported multicodec 0x{code:x}")
    return name, data[length:]

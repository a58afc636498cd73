"""Multibase, multicodec and base64url helpers (private).

Only the encodings the specs use: multibase ``z`` (base58btc) and ``u``
(base64url, no padding), and the unsigned-varint multicodec prefixes of the key
types vctrade supports.
"""

from __future__ import annotations

import base64
import binascii

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


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; reject anything else."""
    if not isinstance(text, str):
        raise EncodingError("base64url value must be a string")
    try:
        raw = text.encode("ascii")
        # validate=True: reject characters outside the alphabet instead of silently skipping them
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise EncodingError(f"not valid base64url: {text[:40]!r}") from exc


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
    """Decode a multibase string (``z`` base58btc or ``u`` base64url)."""
    if not isinstance(text, str) or len(text) < 2:
        raise EncodingError("multibase value must be a non-empty string")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        try:
            return base58.b58decode(body.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise EncodingError(f"not valid base58btc: {text[:40]!r}") from exc
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

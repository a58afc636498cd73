"""Signing keys: generate, load, save, and convert between JWK, Multikey and PEM.

A :class:`Key` holds one asymmetric key pair (or only its public half) of a
supported type: Ed25519, P-256, P-384, P-521 or secp256k1. Private keys are saved as
JWK files readable by their owner only (mode 0600), optionally encrypted with a
passphrase (scrypt + AES-256-GCM in a small JSON envelope). A key may instead live in a store whose private half
never leaves it (an HSM through PKCS#11): :meth:`Key.load` takes its URI (``pkcs11:token=…;object=…``) and the key
signs through its back-end (``vctrade/_keybackend.py`` describes the protocol).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from vctrade._encoding import (
    b64url_decode,
    b64url_encode,
    multibase_decode,
    multibase_encode,
    multicodec_unwrap,
    multicodec_wrap,
)
from vctrade.errors import EncodingError, InvalidKey, SigningError, UnsupportedError

if TYPE_CHECKING:
    from vctrade._keybackend import KeySigner

__all__ = ["Key", "KeyType", "KEY_TYPES", "is_encrypted_key"]

KeyType = Literal["Ed25519", "P-256", "P-384", "P-521", "secp256k1"]


@dataclass(frozen=True)
class _Curve:
    """What differs between the EC key types."""

    curve: ec.EllipticCurve
    hash: type[hashes.HashAlgorithm]
    size: int  # bytes per coordinate / scalar
    pub_codec: str
    priv_codec: str
    jose_alg: str


_EC: dict[str, _Curve] = {
    "P-256": _Curve(ec.SECP256R1(), hashes.SHA256, 32, "p256-pub", "p256-priv", "ES256"),
    "P-384": _Curve(ec.SECP384R1(), hashes.SHA384, 48, "p384-pub", "p384-priv", "ES384"),
    "P-521": _Curve(ec.SECP521R1(), hashes.SHA512, 66, "p521-pub", "p521-priv", "ES512"),
    "secp256k1": _Curve(ec.SECP256K1(), hashes.SHA256, 32, "secp256k1-pub", "secp256k1-priv", "ES256K"),
}
KEY_TYPES: tuple[str, ...] = ("Ed25519", "P-256", "P-384", "P-521", "secp256k1")
_ALIASES = {name.lower(): name for name in KEY_TYPES} | {"p256": "P-256", "p384": "P-384", "p521": "P-521", "ed25519": "Ed25519"}
_PUB_CODEC_TO_TYPE = {"ed25519-pub": "Ed25519"} | {c.pub_codec: name for name, c in _EC.items()}
_PRIV_CODEC_TO_TYPE = {"ed25519-priv": "Ed25519"} | {c.priv_codec: name for name, c in _EC.items()}

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def normalize_key_type(name: str) -> str:
    """Map user spellings (``ed25519``, ``p-256``, ``P256``) to the canonical key type."""
    canonical = _ALIASES.get(name.strip().lower())
    if canonical is None:
        raise UnsupportedError(f"unsupported key type {name!r}; choose one of: {', '.join(KEY_TYPES)}")
    return canonical


class Key:
    """One key pair (or a public key alone) of a supported type.

    Build one with :meth:`generate`, :meth:`load`, :meth:`from_jwk` or
    :meth:`from_multibase`; never from its constructor.
    """

    __slots__ = ("key_type", "_private", "_public", "_signer")

    def __init__(self, key_type: str, public: PublicKey, private: PrivateKey | None = None,
                 signer: KeySigner | None = None) -> None:
        self.key_type: str = key_type
        self._public = public
        self._private = private
        self._signer = signer

    @classmethod
    def generate_in(cls, uri: str, key_type: str) -> Key:
        """A new key of ``key_type`` made inside the store a key URI names (``pkcs11:…``); it never leaves it."""
        from vctrade._keybackend import generate_signer

        return cls.from_signer(generate_signer(uri, normalize_key_type(key_type)))

    @classmethod
    def from_signer(cls, signer: KeySigner) -> Key:
        """A key whose private half stays in its store (an HSM, a KMS): it signs through ``signer``."""
        key_type = normalize_key_type(signer.key_type)
        public = signer.public_key()
        if key_type == "Ed25519" and not isinstance(public, ed25519.Ed25519PublicKey) or key_type != "Ed25519" and (
                not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != _EC[key_type].curve.name):
            raise InvalidKey(f"{signer.uri}: its public key is not a {key_type} key")
        return cls(key_type, public, signer=signer)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def generate(cls, key_type: str = "Ed25519") -> Key:
        """A fresh random key pair of ``key_type``."""
        key_type = normalize_key_type(key_type)
        if key_type == "Ed25519":
            private: PrivateKey = ed25519.Ed25519PrivateKey.generate()
        else:
            private = ec.generate_private_key(_EC[key_type].curve)
        return cls(key_type, private.public_key(), private)

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Key:
        """Build a key from a JWK (OKP/Ed25519 or EC P-256/P-384/secp256k1); ``d`` makes it private."""
        if not isinstance(jwk, dict):
            raise InvalidKey("a JWK must be a JSON object")
        kty, crv = jwk.get("kty"), jwk.get("crv")
        try:
            if kty == "OKP" and crv == "Ed25519":
                x = b64url_decode(jwk["x"])
                if "d" in jwk:
                    private = ed25519.Ed25519PrivateKey.from_private_bytes(b64url_decode(jwk["d"]))
                    key = cls("Ed25519", private.public_key(), private)
                    if key.public_bytes() != x:
                        raise InvalidKey("JWK 'x' does not match its private key 'd'")
                    return key
                return cls("Ed25519", ed25519.Ed25519PublicKey.from_public_bytes(x))
            if kty == "EC" and crv in _EC:
                spec = _EC[crv]
                x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
                if len(x) != spec.size or len(y) != spec.size:
                    raise InvalidKey(f"JWK coordinates for {crv} must be {spec.size} bytes")
                public = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(x, "big"), int.from_bytes(y, "big"), spec.curve
                ).public_key()
                if "d" in jwk:
                    scalar = int.from_bytes(b64url_decode(jwk["d"]), "big")
                    ec_private = ec.derive_private_key(scalar, spec.curve)
                    if ec_private.public_key().public_numbers() != public.public_numbers():
                        raise InvalidKey("JWK 'x'/'y' do not match its private key 'd'")
                    return cls(crv, public, ec_private)
                return cls(crv, public)
        except KeyError as exc:
            raise InvalidKey(f"JWK is missing member {exc.args[0]!r}") from exc
        except (ValueError, TypeError) as exc:
            raise InvalidKey(f"JWK does not hold a valid {crv} key: {exc}") from exc
        raise UnsupportedError(f"unsupported JWK key type kty={kty!r} crv={crv!r}")

    @classmethod
    def from_multibase(cls, public_multibase: str, private_multibase: str | None = None) -> Key:
        """Build a key from Multikey values (``publicKeyMultibase``, ``secretKeyMultibase``)."""
        key_type, raw = _decode_multikey(public_multibase, _PUB_CODEC_TO_TYPE, "public")
        public = _public_from_raw(key_type, raw)
        if private_multibase is None:
            return cls(key_type, public)
        priv_type, secret = _decode_multikey(private_multibase, _PRIV_CODEC_TO_TYPE, "private")
        if priv_type != key_type:
            raise InvalidKey(f"private key is {priv_type} but public key is {key_type}")
        private = _private_from_raw(key_type, secret)
        key = cls(key_type, private.public_key(), private)
        if key.public_bytes() != raw:
            raise InvalidKey("the private key does not match the public key")
        return key

    @classmethod
    def from_pem(cls, pem: bytes, passphrase: str | None = None, *, name: str = "the PEM key") -> Key:
        """Load a PEM private key (PKCS#8 / SEC1, encrypted or not) or public key (SPKI).

        A file holding other PEM blocks too (a certificate chain beside its key) is read for its key; one
        holding only a certificate or a certificate request is refused, saying so.
        """
        # cryptography's serialization package imports its SSH support (~5 ms): only when a PEM is read or written
        from cryptography.hazmat.primitives import serialization

        blocks = _pem_blocks(pem)
        private_blocks = [block for label, block in blocks if label.endswith("PRIVATE KEY")]
        public_blocks = [block for label, block in blocks if label == "PUBLIC KEY"]
        labels = {label for label, _ in blocks}
        if "OPENSSH PRIVATE KEY" in labels:
            return cls._from_openssh(next(b for label, b in blocks if label == "OPENSSH PRIVATE KEY"), passphrase, name)
        if not private_blocks and not public_blocks:
            if any(label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE") for label in labels):
                raise InvalidKey(f"{name} is an X.509 certificate, not a private key: give the key file the "
                                 "certificate was issued for")
            if any("CERTIFICATE REQUEST" in label for label in labels):
                raise InvalidKey(f"{name} is a certificate signing request, not a private key")
            raise InvalidKey(f"{name} is not a PEM key vctrade can read" + (f" (it holds {', '.join(sorted(labels))})"
                                                                            if labels else ""))
        loaded: Any
        if private_blocks:
            block = private_blocks[0]
            if _pem_is_encrypted(block) and not passphrase:
                raise InvalidKey(f"{name} is an encrypted PEM key: it needs its passphrase")
            password = passphrase.encode("utf-8") if passphrase and _pem_is_encrypted(block) else None
            try:
                loaded = serialization.load_pem_private_key(block, password=password)
            except ValueError as exc:
                if password is not None:
                    raise InvalidKey(f"cannot decrypt {name}: wrong passphrase or damaged key") from exc
                raise InvalidKey(f"{name} is not a PEM key vctrade can read") from exc
            except TypeError as exc:
                raise InvalidKey(f"{name}: {exc}") from exc
            except UnsupportedAlgorithm as exc:
                raise UnsupportedError(f"{name} uses a PEM encryption vctrade cannot read: {exc}") from exc
        else:
            try:
                loaded = serialization.load_pem_public_key(public_blocks[0])
            except ValueError as exc:
                raise InvalidKey(f"{name} is not a PEM key vctrade can read") from exc
        return cls._from_loaded(loaded)

    @classmethod
    def _from_openssh(cls, block: bytes, passphrase: str | None, name: str) -> Key:
        from cryptography.hazmat.primitives import serialization

        try:
            loaded: Any = serialization.load_ssh_private_key(block, password=passphrase.encode("utf-8") if passphrase else None)
        except TypeError as exc:  # encrypted without a passphrase
            raise InvalidKey(f"{name} is an encrypted OpenSSH key: it needs its passphrase") from exc
        except ValueError as exc:
            raise InvalidKey(f"cannot read the OpenSSH key {name}: {exc}") from exc
        except UnsupportedAlgorithm as exc:
            raise UnsupportedError(f"{name}: {exc}") from exc
        return cls._from_loaded(loaded)

    @classmethod
    def _from_loaded(cls, loaded: Any) -> Key:
        """A Key from a ``cryptography`` private or public key object."""
        private = loaded if isinstance(loaded, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)) else None
        public = private.public_key() if private is not None else loaded
        if isinstance(public, ed25519.Ed25519PublicKey):
            return cls("Ed25519", public, private)
        if isinstance(public, ec.EllipticCurvePublicKey):
            for name, spec in _EC.items():
                if public.curve.name == spec.curve.name:
                    return cls(name, public, private)
        raise UnsupportedError("PEM key type is not supported (Ed25519, P-256, P-384, P-521, secp256k1)")

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: str | None = None) -> Key:
        """Read a key file: JWK (plain or passphrase-encrypted), Multikey JSON or PEM; or open the key a key URI
        names (``pkcs11:token=CBP;object=cbp-2026``: it stays in its token)."""
        from vctrade._keybackend import is_key_uri, open_signer

        if is_key_uri(os.fspath(path)):
            return cls.from_signer(open_signer(os.fspath(path)))
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise InvalidKey(f"key file not found: {path}") from exc
        except IsADirectoryError as exc:
            raise InvalidKey(f"{path} is a folder, not a key file") from exc
        except OSError as exc:
            raise InvalidKey(f"cannot read key file {path}: {exc.strerror}") from exc
        return cls.parse(data, passphrase, name=str(path))

    @classmethod
    def parse(cls, data: bytes, passphrase: str | None = None, *, name: str = "the key") -> Key:
        """A key from the bytes of a key file (``name`` says where they came from, in messages)."""
        text = data.strip()
        if text.startswith(b"-----BEGIN") or b"\n-----BEGIN " in text:
            return cls.from_pem(text, passphrase, name=name)
        if text[:1] == b"\x30" and _is_der_certificate(text):
            raise InvalidKey(f"{name} is an X.509 certificate (DER), not a private key: give the key file the "
                             "certificate was issued for")
        try:
            jwk = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidKey(f"{name} is not a key file (expected a JWK, an encrypted JWK or PEM)") from exc
        if isinstance(jwk, dict) and jwk.get("format") == _ENVELOPE:
            return cls.from_jwk(_decrypt_jwk(jwk, passphrase, name))
        if isinstance(jwk, dict) and "kty" not in jwk and "publicKeyMultibase" in jwk:
            secret = jwk.get("secretKeyMultibase") or jwk.get("privateKeyMultibase")
            return cls.from_multibase(jwk["publicKeyMultibase"], secret)
        if not isinstance(jwk, dict) or "kty" not in jwk:
            raise InvalidKey(f"{name} is not a key file (no 'kty': expected a JWK)")
        return cls.from_jwk(jwk)

    def export(self, passphrase: str | None = None) -> str:
        """The text of this key's file: its JWK (private parts included), encrypted when ``passphrase`` is given."""
        jwk = self.to_jwk(private=self.has_private)
        return _encrypt_jwk(jwk, passphrase) if passphrase else json.dumps(jwk, indent=2) + "\n"

    def save(self, path: str | os.PathLike[str], passphrase: str | None = None, *, overwrite: bool = False) -> Path:
        """Write the key as a JWK file with mode 0600 (encrypted when ``passphrase`` is given)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise InvalidKey(f"{path} already exists; refusing to overwrite a key file")
        payload = self.export(passphrase)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        fd = os.open(path, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, payload.encode("utf-8"))
        finally:
            os.close(fd)
        return path

    # -- properties and export ----------------------------------------------------------------

    @property
    def has_private(self) -> bool:
        """Whether this key can sign."""
        return self._private is not None or self._signer is not None

    @property
    def signer(self) -> KeySigner | None:
        """The back-end that signs for a key kept in a store (an HSM), else None."""
        return self._signer

    @property
    def public_key(self) -> PublicKey:
        """The ``cryptography`` public key object."""
        return self._public

    @property
    def jose_alg(self) -> str:
        """The JOSE ``alg`` for this key (EdDSA, ES256, ES384, ES512, ES256K)."""
        return "EdDSA" if self.key_type == "Ed25519" else _EC[self.key_type].jose_alg

    def public_bytes(self) -> bytes:
        """Raw public key: 32 bytes for Ed25519, the compressed SEC1 point for EC keys."""
        if isinstance(self._public, ed25519.Ed25519PublicKey):
            return self._public.public_bytes_raw()
        # SEC1 compressed point: 02 or 03 (the parity of y), then x
        numbers = self._public.public_numbers()
        return bytes([2 + (numbers.y & 1)]) + numbers.x.to_bytes(_EC[self.key_type].size, "big")

    def private_bytes(self) -> bytes:
        """Raw private key: the 32-byte seed for Ed25519, the big-endian scalar for EC keys."""
        private = self._require_private()
        if isinstance(private, ed25519.Ed25519PrivateKey):
            return private.private_bytes_raw()
        return private.private_numbers().private_value.to_bytes(_EC[self.key_type].size, "big")

    @property
    def public_multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` (z-base58btc, multicodec-prefixed)."""
        codec = "ed25519-pub" if self.key_type == "Ed25519" else _EC[self.key_type].pub_codec
        return multibase_encode(multicodec_wrap(codec, self.public_bytes()))

    @property
    def private_multibase(self) -> str:
        """The Multikey ``secretKeyMultibase`` form of the private key."""
        codec = "ed25519-priv" if self.key_type == "Ed25519" else _EC[self.key_type].priv_codec
        return multibase_encode(multicodec_wrap(codec, self.private_bytes()))

    @property
    def did(self) -> str:
        """This key's did:key."""
        return f"did:key:{self.public_multibase}"

    @property
    def did_key_verification_method(self) -> str:
        """The did:key DID URL of this key's verification method."""
        return f"{self.did}#{self.public_multibase}"

    def to_jwk(self, private: bool = False) -> dict[str, str]:
        """The key as a JWK; ``private=True`` includes ``d``."""
        if isinstance(self._public, ed25519.Ed25519PublicKey):
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(self.public_bytes())}
        else:
            numbers = self._public.public_numbers()
            size = _EC[self.key_type].size
            jwk = {
                "kty": "EC",
                "crv": self.key_type,
                "x": b64url_encode(numbers.x.to_bytes(size, "big")),
                "y": b64url_encode(numbers.y.to_bytes(size, "big")),
            }
        if private:
            jwk["d"] = b64url_encode(self.private_bytes())
        return jwk

    def to_pem(self, private: bool = False) -> bytes:
        """The key as PEM: PKCS#8 when ``private``, SubjectPublicKeyInfo otherwise."""
        from cryptography.hazmat.primitives import serialization

        if private:
            return self._require_private().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        return self._public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def public(self) -> Key:
        """The public half of this key alone."""
        return Key(self.key_type, self._public)

    # -- signing ------------------------------------------------------------------------------

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``: raw Ed25519, or ECDSA as IEEE P1363 ``r || s`` over the curve's hash."""
        if self._signer is not None:
            signature = self._signer.sign(data)
            # what the store returned is checked before anyone relies on it (a wrong object, a DER signature)
            if not self.verify(signature, data):
                raise SigningError(f"{self._signer.uri} returned a signature its public key does not verify")
            return signature
        private = self._require_private()
        if isinstance(private, ed25519.Ed25519PrivateKey):
            return private.sign(data)
        spec = _EC[self.key_type]
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(spec.hash())))
        return r.to_bytes(spec.size, "big") + s.to_bytes(spec.size, "big")

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` (raw Ed25519 or P1363 ECDSA) is valid for ``data``."""
        try:
            if isinstance(self._public, ed25519.Ed25519PublicKey):
                self._public.verify(signature, data)
                return True
            spec = _EC[self.key_type]
            if len(signature) != 2 * spec.size:
                return False
            r = int.from_bytes(signature[: spec.size], "big")
            s = int.from_bytes(signature[spec.size :], "big")
            self._public.verify(encode_dss_signature(r, s), data, ec.ECDSA(spec.hash()))
            return True
        except InvalidSignature:
            return False

    def _require_private(self) -> PrivateKey:
        if self._signer is not None:
            raise InvalidKey(f"the private key of {self._signer.uri} stays in its store: it cannot be exported")
        if self._private is None:
            raise InvalidKey("this is a public key; signing needs the private key")
        return self._private

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and other.key_type == self.key_type and other.public_bytes() == self.public_bytes()

    def __hash__(self) -> int:
        return hash((self.key_type, self.public_bytes()))

    def __repr__(self) -> str:
        kind = f"in {self._signer.uri}" if self._signer is not None else "private" if self.has_private else "public"
        return f"<Key {self.key_type} {kind} {self.public_multibase[:16]}…>"


def _decode_multikey(value: str, codecs: dict[str, str], what: str) -> tuple[str, bytes]:
    name, raw = multicodec_unwrap(multibase_decode(value))
    key_type = codecs.get(name)
    if key_type is None:
        raise EncodingError(f"multicodec {name} is not a supported {what} key")
    return key_type, raw


def _public_from_raw(key_type: str, raw: bytes) -> PublicKey:
    try:
        if key_type == "Ed25519":
            if len(raw) != 32:
                raise InvalidKey(f"Ed25519 public key must be 32 bytes, got {len(raw)}")
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
        spec = _EC[key_type]
        if len(raw) != spec.size + 1:
            raise InvalidKey(f"{key_type} compressed public key must be {spec.size + 1} bytes, got {len(raw)}")
        return ec.EllipticCurvePublicKey.from_encoded_point(spec.curve, raw)
    except ValueError as exc:
        raise InvalidKey(f"not a valid {key_type} public key: {exc}") from exc


def _private_from_raw(key_type: str, secret: bytes) -> PrivateKey:
    try:
        if key_type == "Ed25519":
            if len(secret) != 32:
                raise InvalidKey(f"Ed25519 private key must be 32 bytes, got {len(secret)}")
            return ed25519.Ed25519PrivateKey.from_private_bytes(secret)
        spec = _EC[key_type]
        if len(secret) != spec.size:
            raise InvalidKey(f"{key_type} private key must be {spec.size} bytes, got {len(secret)}")
        return ec.derive_private_key(int.from_bytes(secret, "big"), spec.curve)
    except ValueError as exc:
        raise InvalidKey(f"not a valid {key_type} private key: {exc}") from exc


def public_key_from_raw(key_type: str, raw: bytes) -> Key:
    """A public :class:`Key` from raw bytes (32-byte Ed25519, or a SEC1 point)."""
    return Key(key_type, _public_from_raw(key_type, raw))


_ENVELOPE = "vctrade-encrypted-jwk"
_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


def _pem_blocks(pem: bytes) -> list[tuple[str, bytes]]:
    """Each PEM block of ``pem``: its label (``PRIVATE KEY``, ``CERTIFICATE``…) and its text."""
    blocks = []
    for match in _PEM_BEGIN.finditer(pem):
        label = match.group(1).decode("ascii")
        end_marker = b"-----END " + match.group(1) + b"-----"
        end = pem.find(end_marker, match.end())
        if end >= 0:
            blocks.append((label, pem[match.start():end + len(end_marker)] + b"\n"))
    return blocks


def _pem_is_encrypted(block: bytes) -> bool:
    """A PKCS#8 ``ENCRYPTED PRIVATE KEY``, or a traditional PEM key with a ``Proc-Type: 4,ENCRYPTED`` header."""
    return block.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") or b"Proc-Type: 4,ENCRYPTED" in block


def _is_der_certificate(data: bytes) -> bool:
    from cryptography import x509

    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return False
    return True


def is_encrypted_key(data: bytes) -> bool:
    """Whether the bytes of a key file hold a passphrase-encrypted key (vctrade's encrypted JWK, an encrypted PEM
    or OpenSSH key): reading it needs the passphrase."""
    text = data.strip()
    if text.startswith(b"{"):
        try:
            envelope = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
        return isinstance(envelope, dict) and envelope.get("format") == _ENVELOPE
    blocks = _pem_blocks(text)
    if any(label == "OPENSSH PRIVATE KEY" for label, _ in blocks):
        from cryptography.hazmat.primitives import serialization

        try:
            serialization.load_ssh_private_key(next(b for label, b in blocks if label == "OPENSSH PRIVATE KEY"), None)
        except TypeError:
            return True
        except (ValueError, UnsupportedAlgorithm):
            return False
        return False
    return any(label.endswith("PRIVATE KEY") and _pem_is_encrypted(block) for label, block in blocks)


def _scrypt(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    # n=2**15, r=8: ~32 MiB and tens of milliseconds per attempt: costly to brute-force offline.
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))


def _encrypt_jwk(jwk: dict[str, str], passphrase: str) -> str:
    """A JSON envelope: scrypt-derived key, AES-256-GCM over the JWK (the envelope header is authenticated)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    header = {"format": _ENVELOPE, "kdf": "scrypt", "n": 2**15, "r": 8, "p": 1, "cipher": "A256GCM"}
    aad = json.dumps(header, sort_keys=True).encode("utf-8")
    ciphertext = AESGCM(_scrypt(passphrase, salt)).encrypt(nonce, json.dumps(jwk).encode("utf-8"), aad)
    envelope = {**header, "salt": b64url_encode(salt), "nonce": b64url_encode(nonce), "ciphertext": b64url_encode(ciphertext)}
    return json.dumps(envelope, indent=2) + "\n"


def _decrypt_jwk(envelope: dict[str, Any], passphrase: str | None, path: str) -> dict[str, Any]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not passphrase:
        raise InvalidKey(f"{path} is encrypted: it needs its passphrase")
    header = {k: envelope.get(k) for k in ("format", "kdf", "n", "r", "p", "cipher")}
    if header != {"format": _ENVELOPE, "kdf": "scrypt", "n": 2**15, "r": 8, "p": 1, "cipher": "A256GCM"}:
        raise InvalidKey(f"{path}: unsupported encrypted key parameters")
    try:
        aad = json.dumps(header, sort_keys=True).encode("utf-8")
        key = _scrypt(passphrase, b64url_decode(envelope["salt"]))
        plain = AESGCM(key).decrypt(b64url_decode(envelope["nonce"]), b64url_decode(envelope["ciphertext"]), aad)
        jwk = json.loads(plain)
    except (InvalidTag, KeyError, ValueError, EncodingError) as exc:
        raise InvalidKey(f"cannot decrypt {path}: wrong passphrase or damaged file") from exc
    if not isinstance(jwk, dict):
        raise InvalidKey(f"{path} does not hold a JWK")
    return jwk

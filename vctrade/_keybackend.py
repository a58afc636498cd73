"""Key back-ends: signing keys whose private half lives outside vctrade (an HSM through PKCS#11, a cloud KMS).

Wherever vctrade takes a key file (``sign``, ``issue``, ``present``, ``status``, the service's ``[[issuer]] key``)
it also takes a key URI whose scheme names a back-end: ``pkcs11:token=CBP;object=cbp-2026`` (RFC 7512). The
back-end's module is imported only when such a URI is used (``BACKENDS``: scheme -> module), so start-up and
verification never load a token library.

The protocol
------------
A back-end is one module with::

    open_key(uri: str) -> KeySigner                   the key ``uri`` names (it must exist)
    generate_key(uri: str, key_type: str) -> KeySigner a new key made inside the store, named by ``uri``

and a :class:`KeySigner` is the object it returns:

``uri``
    where the key is, for messages (never a secret: no PIN, no credentials).
``key_type``
    vctrade's key type name, which fixes the algorithm: ``"Ed25519"`` (EdDSA over the message), ``"P-256"`` /
    ``"P-384"`` (ECDSA over SHA-256 / SHA-384 of the message; P-521: SHA-512).
``public_key()``
    the public key as a ``cryptography`` object (``Ed25519PublicKey`` or ``EllipticCurvePublicKey``).
``sign(data: bytes) -> bytes``
    the signature over ``data`` as Data Integrity and JOSE carry it: 64 raw bytes for Ed25519, IEEE P1363 ``r‖s``
    (each half the curve's size) for ECDSA. The back-end hashes ``data`` with the curve's hash (or has the store do
    it) and converts a DER signature to ``r‖s``.

Errors are vctrade's: :class:`~vctrade.errors.InvalidKey` (exit 2) for a key that is not there, a wrong PIN or a
malformed URI; :class:`~vctrade.errors.UnsupportedError` (exit 2) for a key type or mechanism the store lacks;
:class:`~vctrade.errors.OperationalError` (exit 3) for a store that cannot be reached or a binding not installed.
Secrets (a PIN, credentials) come from the environment or files the environment names, never from the URI or the
command line.

vctrade wraps a signer in a :class:`~vctrade.Key` (``Key.load(uri)``, ``Key.generate_in(uri, key_type)``), whose ``sign()`` calls it and checks each
signature with the public key before it is used. There is no export path: ``private_bytes()``,
``to_jwk(private=True)``, ``to_pem(private=True)``, ``export()`` and ``save()`` refuse for such a key.

Adding a cloud KMS is one module (``vctrade/_kms_<name>.py`` with ``open_key`` and ``generate_key``) and its line
in ``BACKENDS``.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any, Protocol

from vctrade.errors import UnsupportedError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

__all__ = ["KeySigner", "BACKENDS", "is_key_uri", "open_signer", "generate_signer"]

# URI scheme -> the module that implements it
BACKENDS = {"pkcs11": "vctrade._pkcs11"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


class KeySigner(Protocol):
    """A key whose private half stays in its store: it signs, and tells its public key and key type."""

    @property
    def uri(self) -> str: ...

    @property
    def key_type(self) -> str: ...

    def public_key(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


def is_key_uri(value: object) -> bool:
    """Whether ``value`` is a key URI of a known back-end (``pkcs11:…``) rather than a file name."""
    if not isinstance(value, str):
        return False
    match = _SCHEME.match(value)
    return match is not None and match.group(1).lower() in BACKENDS


def _module(uri: str) -> Any:
    match = _SCHEME.match(uri)
    scheme = match.group(1).lower() if match else ""
    if scheme not in BACKENDS:
        raise UnsupportedError(f"no key back-end for {uri!r} (known: {', '.join(f'{s}:' for s in BACKENDS)})")
    return importlib.import_module(BACKENDS[scheme])


def open_signer(uri: str) -> KeySigner:
    """The key ``uri`` names, from its back-end (``Key.load(uri)`` wraps it in a :class:`~vctrade.Key`)."""
    signer: KeySigner = _module(uri).open_key(uri)
    return signer


def generate_signer(uri: str, key_type: str) -> KeySigner:
    """A new key of ``key_type`` (vctrade's name for it) made inside the store ``uri`` names; the private key is
    never outside it (``Key.generate_in(uri, key_type)`` wraps it)."""
    signer: KeySigner = _module(uri).generate_key(uri, key_type)
    return signer

"""Keys: generation, files (0600, encrypted), JWK / Multikey / PEM round trips, bad key material."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key
from vctrade.errors import EncodingError, InvalidKey, UnsupportedError

TYPES = ["Ed25519", "P-256", "P-384", "secp256k1"]


@pytest.mark.parametrize("key_type", TYPES)
def test_round_trips(key_type: str, tmp_path: Path) -> None:
    key = Key.generate(key_type)
    path = key.save(tmp_path / "k.jwk")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = Key.load(path)
    assert loaded == key and loaded.has_private
    assert loaded.private_bytes() == key.private_bytes()
    assert Key.from_jwk(key.to_jwk()) == key and not Key.from_jwk(key.to_jwk()).has_private
    assert Key.from_multibase(key.public_multibase, key.private_multibase).private_bytes() == key.private_bytes()
    assert Key.from_pem(key.to_pem(private=True)) == key
    assert Key.from_pem(key.to_pem()) == key
    message = b"customs"
    assert key.verify(key.sign(message), message) and not key.verify(key.sign(message), b"other")


def test_encrypted_key_file(tmp_path: Path) -> None:
    key = Key.generate("Ed25519")
    path = key.save(tmp_path / "k.jwk", passphrase="correct horse")
    assert "d" not in json.loads(path.read_text())
    assert Key.load(path, "correct horse") == key
    with pytest.raises(InvalidKey, match="wrong passphrase"):
        Key.load(path, "wrong")
    with pytest.raises(InvalidKey, match="is encrypted"):
        Key.load(path)


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    Key.generate().save(tmp_path / "k.jwk")
    with pytest.raises(InvalidKey, match="already exists"):
        Key.generate().save(tmp_path / "k.jwk")


def test_vector_multikeys_load(load_json: Callable[[Path], Any], vectors: Path) -> None:
    pair = load_json(vectors / "vc-di-eddsa/keyPair.json")
    key = Key.from_multibase(pair["publicKeyMultibase"], pair["privateKeyMultibase"])
    assert key.public_multibase == pair["publicKeyMultibase"] and key.private_multibase == pair["privateKeyMultibase"]
    pair = load_json(vectors / "vc-di-ecdsa/p384KeyPair.json")
    key = Key.from_multibase(pair["publicKeyMultibase"], pair["secretKeyMultibase"])
    assert key.key_type == "P-384" and key.private_multibase == pair["secretKeyMultibase"]


def test_multikey_file_loads(tmp_path: Path, vectors: Path) -> None:
    path = tmp_path / "mk.json"
    path.write_bytes((vectors / "vc-di-ecdsa/p256KeyPair.json").read_bytes())
    assert Key.load(path).key_type == "P-256"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello", "not a key file"),
        (b"[1,2]", "no 'kty'"),
        (b'{"kty": "RSA", "n": "x", "e": "AQAB"}', "unsupported JWK"),
        (b'{"kty": "OKP", "crv": "Ed25519"}', "missing member 'x'"),
        (b'{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}', "32 bytes"),
        (b'{"kty": "OKP", "crv": "Ed25519", "x": "@@@"}', "base64url"),
        (b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", "PEM"),
    ],
)
def test_bad_key_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.jwk"
    path.write_bytes(content)
    with pytest.raises((InvalidKey, UnsupportedError, EncodingError), match=message):
        Key.load(path)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidKey, match="not found"):
        Key.load(tmp_path / "absent.jwk")


def test_mismatched_private_key_is_refused() -> None:
    one, two = Key.generate(), Key.generate()
    jwk = one.to_jwk(private=True) | {"x": two.to_jwk()["x"]}
    with pytest.raises(InvalidKey, match="does not match"):
        Key.from_jwk(jwk)
    with pytest.raises(InvalidKey, match="does not match"):
        Key.from_multibase(one.public_multibase, two.private_multibase)


@pytest.mark.parametrize("value", ["", "x", "zz0OIl", "mAAAA", "z" + "1" * 5])
def test_undecodable_multibase(value: str) -> None:
    with pytest.raises((EncodingError, InvalidKey)):
        Key.from_multibase(value)


def test_public_key_cannot_sign() -> None:
    with pytest.raises(InvalidKey, match="private key"):
        Key.generate().public().sign(b"x")


def test_unknown_key_type() -> None:
    with pytest.raises(UnsupportedError, match="unsupported key type"):
        Key.generate("rsa")


def test_raw_key_bytes_equal_cryptography_encodings() -> None:
    """public_bytes / private_bytes are written without cryptography's serialization package (slow to import)."""
    from cryptography.hazmat.primitives import serialization

    for key_type in ("Ed25519", "P-256", "P-384", "P-521", "secp256k1"):
        for _ in range(20):
            key = Key.generate(key_type)
            public = key._public
            if key_type == "Ed25519":
                expected = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                seed = key._require_private().private_bytes(
                    serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
                assert key.private_bytes() == seed
            else:
                expected = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
            assert key.public_bytes() == expected, key_type

"""did:key vectors (w3c-ccg/did-method-key): Ed25519 (+X25519 derivation), NIST curves, secp256k1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vctrade import Key, resolve
from vctrade._encoding import multibase_decode
from vctrade.did._methods.key import ed25519_to_x25519, x25519_from_multibase

# Read while collecting (parametrize): the folder of the `vectors` fixture (tests/conftest.py).
VECTORS = Path(os.environ.get("VCTRADE_VECTORS", Path(__file__).resolve().parents[3] / "shared" / "vectors"))
ED = json.loads((VECTORS / "did-key/ed25519-x25519.json").read_text(encoding="utf-8"))
NIST = json.loads((VECTORS / "did-key/nist-curves.json").read_text(encoding="utf-8"))
K1 = json.loads((VECTORS / "did-key/secp256k1.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("did", list(ED))
def test_ed25519_seed_gives_the_did_and_x25519_key(did: str) -> None:
    entry = ED[did]
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(entry["seed"]))
    key = Key("Ed25519", private.public_key(), private)
    assert key.did == did
    pair = entry["verificationKeyPair"]
    if "publicKeyBase58" in pair:
        assert multibase_decode("z" + pair["publicKeyBase58"]) == key.public_bytes()
    else:
        assert Key.from_jwk(pair["privateKeyJwk"]) == key
    agreement_id = entry["keyAgreementKeyPair"]["id"].split("#")[-1]
    assert ed25519_to_x25519(key.public_bytes()) == x25519_from_multibase(agreement_id)
    document = resolve(did)
    assert document["id"] == did
    assert document["keyAgreement"] == [f"{did}#{agreement_id}"]
    assert document["assertionMethod"] == [f"{did}#{did.removeprefix('did:key:')}"]


@pytest.mark.parametrize("did", list(NIST))
def test_nist_did_decompresses_to_the_jwk(did: str) -> None:
    method = NIST[did]["verificationMethod"]
    key = Key.from_multibase(did.removeprefix("did:key:"))
    if "publicKeyJwk" in method:
        assert key.to_jwk() == {k: method["publicKeyJwk"][k] for k in ("kty", "crv", "x", "y")}
        assert Key.from_jwk(method["privateKeyJwk"]).did == did
    else:  # the legacy P256Key2021 shape: compressed point and scalar in base58
        assert multibase_decode("z" + method["publicKeyBase58"]) == key.public_bytes()
        secret = multibase_decode("z" + method["privateKeyBase58"])
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1())
        assert Key("P-256", private.public_key(), private).did == did
    assert resolve(did)["verificationMethod"][0]["publicKeyMultibase"] == did.removeprefix("did:key:")


@pytest.mark.parametrize("did", list(K1))
def test_secp256k1_private_key_maps_to_the_did(did: str) -> None:
    pair = K1[did]["verificationKeyPair"]
    if "privateKeyBase58" in pair:
        secret = multibase_decode("z" + pair["privateKeyBase58"])
    else:
        secret = multibase_decode("u" + pair["privateKeyJwk"]["d"])
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256K1())
    key = Key("secp256k1", private.public_key(), private)
    assert key.did == did
    assert Key.from_multibase(key.public_multibase) == key

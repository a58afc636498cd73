"""W3C Data Integrity EdDSA / ECDSA vectors: canonical forms, hashes and signatures, byte for byte."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade.model import parse_datetime
from vctrade.jsonld import default_loader
from vctrade.di import add_proof
from vctrade.di import get_suite

# (folder, file suffix, unsigned input, key file, key type, suite, deterministic signature)
CASES: list[tuple[str, str, str, str, str, str, bool]] = [
    ("vc-di-eddsa/eddsa-rdfc-2022", "DataInt", "vc-di-eddsa/unsigned.json", "vc-di-eddsa/keyPair.json", "Ed25519", "eddsa-rdfc-2022", True),
    ("vc-di-eddsa/eddsa-rdfc-2022/employ", "DataInt", "vc-di-eddsa/employmentAuth.json", "vc-di-eddsa/keyPair.json", "Ed25519", "eddsa-rdfc-2022", True),
    ("vc-di-eddsa/eddsa-jcs-2022", "JCS", "vc-di-eddsa/unsigned.json", "vc-di-eddsa/keyPair.json", "Ed25519", "eddsa-jcs-2022", True),
    ("vc-di-eddsa/Ed25519Signature2020", "EdSig", None, "vc-di-eddsa/keyPair.json", "Ed25519", "Ed25519Signature2020", True),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p256", "ECDSAP256", "vc-di-ecdsa/unsigned.json", "vc-di-ecdsa/p256KeyPair.json", "P-256", "ecdsa-rdfc-2019", False),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p256/employ", "ECDSAP256", "vc-di-ecdsa/employmentAuth.json", "vc-di-ecdsa/p256KeyPair.json", "P-256", "ecdsa-rdfc-2019", False),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p384", "ECDSAP384", "vc-di-ecdsa/unsigned.json", "vc-di-ecdsa/p384KeyPair.json", "P-384", "ecdsa-rdfc-2019", False),
    ("vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ", "ECDSAP384", "vc-di-ecdsa/employmentAuth.json", "vc-di-ecdsa/p384KeyPair.json", "P-384", "ecdsa-rdfc-2019", False),
    ("vc-di-ecdsa/ecdsa-jcs-2019-p256", "JCSECDSAP256", "vc-di-ecdsa/unsigned.json", "vc-di-ecdsa/p256KeyPair.json", "P-256", "ecdsa-jcs-2019", False),
    ("vc-di-ecdsa/ecdsa-jcs-2019-p384", "JCSECDSAP384", "vc-di-ecdsa/unsigned.json", "vc-di-ecdsa/p384KeyPair.json", "P-384", "ecdsa-jcs-2019", False),
]
IDS = [case[0].split("/", 1)[1] for case in CASES]


def _text(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def _key(vectors: Path, path: str) -> Key:
    pair = json.loads((vectors / path).read_text(encoding="utf-8"))
    return Key.from_multibase(pair["publicKeyMultibase"], pair.get("secretKeyMultibase") or pair.get("privateKeyMultibase"))


def _unsigned(vectors: Path, case: tuple[str, ...]) -> dict[str, Any]:
    folder, suffix, unsigned = case[0], case[1], case[2]
    if unsigned is not None:
        return json.loads((vectors / unsigned).read_text(encoding="utf-8"))
    signed = json.loads((vectors / folder / f"signed{suffix}.json").read_text(encoding="utf-8"))  # B.4 ships no separate unsigned input
    return {k: v for k, v in signed.items() if k != "proof"}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_canonical_forms_and_hashes_are_byte_exact(case: tuple[str, ...], load_json: Callable[[Path], Any],
                                                   vectors: Path) -> None:
    folder_name, suffix, _, _, key_type, suite_name, _ = case
    folder = vectors / folder_name
    suite = get_suite(suite_name)
    loader = default_loader()
    document = _unsigned(vectors, case)
    config = load_json(folder / f"proofConfig{suffix}.json")

    canonical_document = suite.transform(document, key_type, loader)
    assert canonical_document == _text(folder, f"canonDoc{suffix}.txt").encode("utf-8")
    canonical_config = suite.proof_config({k: v for k, v in config.items() if k != "@context"} | ({"@context": config["@context"]} if suite_name.endswith("jcs-2022") or suite_name.endswith("jcs-2019") else {}), document, key_type, loader)
    assert canonical_config == _text(folder, f"proofCanon{suffix}.txt").encode("utf-8")

    digest = hashlib.sha384 if key_type == "P-384" else hashlib.sha256
    assert digest(canonical_document).hexdigest() == _text(folder, f"docHash{suffix}.txt").strip()
    assert digest(canonical_config).hexdigest() == _text(folder, f"proofHash{suffix}.txt").strip()
    combined = suite.hash(canonical_config, canonical_document, key_type)
    assert combined.hex() == _text(folder, f"combinedHash{suffix}.txt").strip()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_signed_vector_signature_verifies(case: tuple[str, ...], load_json: Callable[[Path], Any], vectors: Path) -> None:
    folder_name, suffix = case[0], case[1]
    signed = load_json(vectors / folder_name / f"signed{suffix}.json")
    result = verify(signed, now=parse_datetime("2024-01-01T00:00:00Z"))
    proof_checks = [c for c in result.checks if c.name.startswith("proof")]
    assert proof_checks and all(c.status == "passed" for c in proof_checks), result.failures
    # The vectors name https://vc.example/issuers/5678 as issuer but sign with a did:key:
    # the signature is valid, the issuer binding is not, and vctrade says so.
    issuer_check = next(c for c in result.checks if c.name == "issuer")
    expected_issuer_ok = signed["issuer"] == signed["proof"]["verificationMethod"].split("#")[0]
    assert (issuer_check.status == "passed") == expected_issuer_ok


@pytest.mark.parametrize("case", [c for c in CASES if c[6]], ids=[i for i, c in zip(IDS, CASES) if c[6]])
def test_eddsa_signing_reproduces_the_signed_vector(case: tuple[str, ...], load_json: Callable[[Path], Any],
                                                    vectors: Path) -> None:
    """Ed25519 is deterministic: signing the input with the vector's key and options gives the same bytes."""
    folder_name, suffix, _, key_file, _, suite_name, _ = case
    folder = vectors / folder_name
    config = load_json(folder / f"proofConfig{suffix}.json")
    expected = load_json(folder / f"signed{suffix}.json")
    document = _unsigned(vectors, case)
    signed = add_proof(
        document,
        _key(vectors, key_file),
        get_suite(suite_name),
        verification_method=config["verificationMethod"],
        loader=default_loader(),
        created=parse_datetime(config["created"]),
    )
    assert signed["proof"]["proofValue"] == _text(folder, f"sigBTC58{suffix}.txt").strip()
    assert signed == expected


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vector_signature_hex_matches_proof_value(case: tuple[str, ...], load_json: Callable[[Path], Any], vectors: Path) -> None:
    from vctrade._encoding import multibase_decode

    folder = vectors / case[0]
    proof_value = load_json(folder / f"signed{case[1]}.json")["proof"]["proofValue"]
    assert multibase_decode(proof_value).hex() == _text(folder, f"sigHex{case[1]}.txt").strip().lower()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tampered_vector_fails(case: tuple[str, ...], load_json: Callable[[Path], Any], vectors: Path) -> None:
    signed = load_json(vectors / case[0] / f"signed{case[1]}.json")
    signed["credentialSubject"]["id"] = "did:example:mallory"
    result = verify(signed, now=parse_datetime("2024-01-01T00:00:00Z"))
    signature = next(c for c in result.checks if c.name == "proof.signature")
    assert signature.status == "failed" and signature.code == "signature_invalid"
    assert not result.verified


def test_p384_rdfc_needs_sha384_inside_canonicalization(load_json: Callable[[Path], Any], vectors: Path) -> None:
    """With RDFC-1.0's default SHA-256 the employ vector's blank-node labels differ (vectors README)."""
    from vctrade.jsonld import canonize

    document = load_json(vectors / "vc-di-ecdsa/employmentAuth.json")
    expected = _text(vectors / "vc-di-ecdsa/ecdsa-rdfc-2019-p384/employ", "canonDocECDSAP384.txt")
    assert canonize(document, hash_name="sha384") == expected
    assert canonize(document, hash_name="sha256") != expected

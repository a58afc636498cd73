"""B.5 proof sets and chains, and the CCG previousProof assertion inputs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade.model import parse_datetime
from vctrade.jsonld import default_loader
from vctrade.di import add_proof
from vctrade.di import get_suite

NOW = parse_datetime("2024-01-01T00:00:00Z")
# Read while collecting (parametrize): the folder of the `vectors` fixture (tests/conftest.py).
VECTORS = Path(os.environ.get("VCTRADE_VECTORS", Path(__file__).resolve().parents[3] / "shared" / "vectors"))
FOLDER = VECTORS / "vc-di-eddsa/proof-set-chain"


def _keys() -> dict[str, Key]:
    pairs = json.loads((FOLDER / "multiKeyPairs.json").read_text(encoding="utf-8"))
    return {name: Key.from_multibase(p["publicKeyMultibase"], p["privateKeyMultibase"]) for name, p in pairs.items()}


@pytest.mark.parametrize("name", ["signedProofSet1", "signedProofSet2", "signedProofChain1", "signedProofChain2"])
def test_every_proof_of_the_signed_vectors_verifies(name: str, load_json: Callable[[Path], Any]) -> None:
    result = verify(load_json(FOLDER / f"{name}.json"), now=NOW)
    proof_checks = [c for c in result.checks if c.name.startswith("proof")]
    assert proof_checks and all(c.status == "passed" for c in proof_checks), result.failures


@pytest.mark.parametrize(
    ("config_name", "previous_document", "expected_name"),
    [
        ("proofSetConfig1", "unsigned", "signedProofSet1"),
        ("proofSetConfig2", "signedProofSet1", "signedProofSet2"),
        ("proofChainConfig1", "signedProofSet2", "signedProofChain1"),
        ("proofChainConfig2", "signedProofChain1", "signedProofChain2"),
    ],
)
def test_adding_each_proof_reproduces_the_vector(config_name: str, previous_document: str, expected_name: str,
                                                 load_json: Callable[[Path], Any]) -> None:
    keys = _keys()
    config = load_json(FOLDER / f"{config_name}.json")
    document = load_json(FOLDER / f"{previous_document}.json")
    vm = config["verificationMethod"]
    key = next(k for k in keys.values() if vm.endswith(k.public_multibase))
    signed = add_proof(
        document,
        key,
        get_suite(config["cryptosuite"]),
        verification_method=vm,
        loader=default_loader(),
        created=parse_datetime(config["created"]),
        previous_proof=config.get("previousProof"),
        proof_id=config.get("id"),
    )
    assert signed == load_json(FOLDER / f"{expected_name}.json")


CHAIN_FILES = sorted((VECTORS / "data-integrity-proof-chains/eddsa-rdfc-2022").glob("*.json"))


@pytest.mark.parametrize("path", CHAIN_FILES, ids=[p.name for p in CHAIN_FILES])
def test_previous_proof_assertions_behave_as_named(path, load_json: Callable[[Path], Any]) -> None:
    result = verify(load_json(path), now=NOW)
    should_pass = "Ok" in path.name
    assert result.verified is should_pass, [c.to_dict() for c in result.failures]


def test_the_chain_assertion_set_is_complete() -> None:
    assert len(CHAIN_FILES) == 12

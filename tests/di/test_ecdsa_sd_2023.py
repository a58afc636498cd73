"""ecdsa-sd-2023: the spec vectors byte for byte (base and derived proofs), verification, and every named failure."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest

from vctrade import Key, sign, verify
from vctrade.di import add_proof, get_suite, verify_proofs
from vctrade.di._sd import json_pointer_paths, parse_quad, relabel_nquads, select_jsonld
from vctrade.di._suites.ecdsa_sd_2023 import (
    EcdsaSd2023,
    derive,
    parse_base_proof_value,
    parse_derived_proof_value,
    serialize_derived_proof_value,
)
from vctrade.did._resolver import default_resolver
from vctrade.errors import InvalidDocument, SigningError
from vctrade.jsonld import default_loader
from vctrade.model import parse_datetime
from vctrade.trade import build_origin_credential, load_request

NOW = datetime(2024, 1, 1, tzinfo=UTC)
# (folder, unsigned input, mandatory pointers, selective pointers)
CASES = [
    ("employ", "employmentAuth.json", "employMandatory.json", "employSelective.json"),
    ("prc", "prCredUnsigned.json", "prCredMandatory.json", "prCredSelective.json"),
]


@pytest.fixture(scope="module")
def ecdsa(vectors: Path) -> Path:
    return vectors / "vc-di-ecdsa"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _keys(ecdsa: Path) -> tuple[Key, Key, bytes]:
    material = _json(ecdsa / "ecdsa-sd-2023" / "SDKeyMaterial.json")
    base, proof = material["baseKeyPair"], material["proofKeyPair"]
    return (Key.from_multibase(base["publicKeyMultibase"], base["secretKeyMultibase"]),
            Key.from_multibase(proof["publicKeyMultibase"], proof["secretKeyMultibase"]),
            bytes.fromhex(material["hmacKeyString"]))


def _base_sign(ecdsa: Path, folder: str, document: dict[str, Any], mandatory: list[str]) -> dict[str, Any]:
    base_key, proof_key, hmac_key = _keys(ecdsa)
    config = _json(ecdsa / "ecdsa-sd-2023" / folder / "addProofConfig.json")
    suite = EcdsaSd2023(mandatory, hmac_key=hmac_key, proof_key=proof_key)
    created = parse_datetime(config["created"])
    return add_proof(document, base_key, suite, verification_method=config["verificationMethod"],
                     loader=default_loader(), created=created)


def _verify(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    checks, _ = verify_proofs(document, resolver=default_resolver(), loader=default_loader(), now=NOW,
                              skew=timedelta(0))
    return [(c.name, c.status, c.code) for c in checks]


def _signature(document: dict[str, Any]) -> tuple[str, str]:
    found = [(status, code) for name, status, code in _verify(document) if name == "proof.signature"]
    assert len(found) == 1, _verify(document)
    return found[0]


# -- the spec vectors, byte for byte -----------------------------------------------------------------------


def test_base_proof_equals_the_employment_vector(ecdsa: Path) -> None:
    folder = ecdsa / "ecdsa-sd-2023" / "employ"
    signed = _base_sign(ecdsa, "employ", _json(ecdsa / "employmentAuth.json"), _json(ecdsa / "employMandatory.json"))
    assert signed == _json(folder / "addSignedSDBase.json")


def test_base_proof_equals_the_resident_card_vector(ecdsa: Path) -> None:
    # The spec's prCredUnsigned.json says "Government of Utopia Permanent Resident Card." in `description`, but
    # its base proof was made over "Permanent Resident Card from Government of Utopia." (the text in
    # addSignedSDBase.json and addBaseDocHMACCanon.json): the vector's own input is the signed document's.
    folder = ecdsa / "ecdsa-sd-2023" / "prc"
    expected = _json(folder / "addSignedSDBase.json")
    unsigned = {k: v for k, v in expected.items() if k != "proof"}
    signed = _base_sign(ecdsa, "prc", unsigned, _json(ecdsa / "prCredMandatory.json"))
    assert signed == expected
    published = _json(ecdsa / "prCredUnsigned.json")
    assert published["description"] != unsigned["description"]
    assert {k: v for k, v in published.items() if k != "description"} == \
        {k: v for k, v in unsigned.items() if k != "description"}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_base_proof_components_equal_the_vector(case: tuple[str, str, str, str], ecdsa: Path) -> None:
    folder = ecdsa / "ecdsa-sd-2023" / case[0]
    raw = _json(folder / "addRawBaseSignatureInfo.json")
    base_signature, public_key, hmac_key, signatures, pointers = parse_base_proof_value(
        _json(folder / "addSignedSDBase.json")["proof"]["proofValue"])
    assert base_signature.hex() == raw["baseSignature"]
    assert Key.from_multibase(raw["publicKey"]).public_bytes() == public_key[2:] and public_key[:2] == b"\x80\x24"
    assert [s.hex() for s in signatures] == raw["signatures"]
    assert pointers == raw["mandatoryPointers"] == _json(ecdsa / case[2])
    assert hmac_key.hex() == _json(folder / "derivedRecoveredBaseData.json")["hmacKey"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_derived_proof_equals_the_vector(case: tuple[str, str, str, str], ecdsa: Path) -> None:
    folder = ecdsa / "ecdsa-sd-2023" / case[0]
    base = _json(folder / "addSignedSDBase.json")
    before = copy.deepcopy(base)
    derived = derive(base, _json(ecdsa / case[3]))
    assert base == before  # the holder's copy is untouched
    assert derived == _json(folder / "derivedRevealDocument.json")
    assert {k: v for k, v in derived.items() if k != "proof"} == _json(folder / "derivedUnsignedReveal.json")
    _, _, signatures, label_map, indexes = parse_derived_proof_value(derived["proof"]["proofValue"])
    disclosure = _json(folder / "derivedDisclosureData.json")
    assert [s.hex() for s in signatures] == disclosure["signatures"]
    assert list(label_map.items()) == [tuple(pair) for pair in disclosure["labelMap"]["value"]]
    assert indexes == disclosure["mandatoryIndexes"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_vectors_derived_proof_verifies(case: tuple[str, str, str, str], ecdsa: Path) -> None:
    derived = _json(ecdsa / "ecdsa-sd-2023" / case[0] / "derivedRevealDocument.json")
    assert all(status == "passed" for _, status, _ in _verify(derived)), _verify(derived)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_our_own_derivation_of_our_base_proof_verifies(case: tuple[str, str, str, str], ecdsa: Path) -> None:
    folder = ecdsa / "ecdsa-sd-2023" / case[0]
    unsigned = {k: v for k, v in _json(folder / "addSignedSDBase.json").items() if k != "proof"}
    base = _base_sign(ecdsa, case[0], unsigned, _json(ecdsa / case[2]))
    assert _signature(derive(base, _json(ecdsa / case[3]))) == ("passed", "signature_valid")
    assert _signature(derive(base, [])) == ("passed", "signature_valid")  # the mandatory statements alone


# -- failures, each with its own name -----------------------------------------------------------------------


@pytest.fixture()
def derived(ecdsa: Path) -> dict[str, Any]:
    return _json(ecdsa / "ecdsa-sd-2023" / "employ" / "derivedRevealDocument.json")  # type: ignore[no-any-return]


def _with_components(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base_signature, public_key, signatures, label_map, indexes = parse_derived_proof_value(
        document["proof"]["proofValue"])
    values = {"base_signature": base_signature, "public_key": public_key, "signatures": signatures,
              "label_map": label_map, "mandatory_indexes": indexes, **changes}
    changed = copy.deepcopy(document)
    changed["proof"]["proofValue"] = serialize_derived_proof_value(**values)
    return changed


def _with_bytes(document: dict[str, Any], data: bytes) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["proof"]["proofValue"] = "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return changed


def _raw(document: dict[str, Any]) -> bytes:
    text = document["proof"]["proofValue"][1:]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_tampered_disclosed_value_fails(derived: dict[str, Any]) -> None:
    derived["credentialSubject"]["birthCountry"] = "Cuba"
    assert _signature(derived) == ("failed", "sd_statement_signature_invalid")


def test_a_tampered_value_that_moves_the_blank_node_labels_fails_both_signatures(derived: dict[str, Any]) -> None:
    # RDFC-1.0 hashes literals into blank-node labels: this change swaps c14n0 and c14n1, so the HMAC labels of the
    # mandatory statements change too, and the base signature fails with the statement signatures.
    derived["credentialSubject"]["birthCountry"] = "Canada"
    assert _signature(derived) == ("failed", "sd_signatures_invalid")


def test_a_dropped_mandatory_claim_fails(derived: dict[str, Any]) -> None:
    issuer = derived["issuer"]
    derived["issuer"] = issuer["id"]  # the issuer's image was mandatory (statement 0)
    assert _signature(derived) == ("failed", "sd_signature_count_mismatch")
    # the holder adjusting the mandatory indexes to match does not help
    assert _signature(_with_components(derived, mandatory_indexes=[3, 4, 6])) == ("failed", "sd_base_signature_invalid")


def test_a_changed_mandatory_claim_fails(derived: dict[str, Any]) -> None:
    derived["issuer"]["image"] = "data:image/png;base64,AAAA"
    assert _signature(derived) == ("failed", "sd_base_signature_invalid")


def test_changed_proof_options_fail(derived: dict[str, Any]) -> None:
    derived["proof"]["created"] = "2023-08-16T00:00:00Z"
    assert _signature(derived) == ("failed", "sd_base_signature_invalid")


def test_an_undisclosed_claim_cannot_be_added(derived: dict[str, Any]) -> None:
    derived["credentialSubject"]["gender"] = "Male"  # signed by the issuer, but its signature was not disclosed
    assert _signature(derived) == ("failed", "sd_signature_count_mismatch")


def test_a_wrong_number_of_signatures_fails(derived: dict[str, Any]) -> None:
    _, _, signatures, _, _ = parse_derived_proof_value(derived["proof"]["proofValue"])
    assert _signature(_with_components(derived, signatures=signatures[:-1])) == \
        ("failed", "sd_signature_count_mismatch")
    assert _signature(_with_components(derived, signatures=[*signatures, signatures[0]])) == \
        ("failed", "sd_signature_count_mismatch")


def test_swapped_signatures_fail(derived: dict[str, Any]) -> None:
    _, _, signatures, _, _ = parse_derived_proof_value(derived["proof"]["proofValue"])
    swapped = [signatures[1], signatures[0], *signatures[2:]]
    assert _signature(_with_components(derived, signatures=swapped)) == ("failed", "sd_statement_signature_invalid")


def test_wrong_mandatory_indexes_fail(derived: dict[str, Any]) -> None:
    assert _signature(_with_components(derived, mandatory_indexes=[0, 4, 5, 99])) == \
        ("failed", "sd_invalid_mandatory_indexes")
    assert _signature(_with_components(derived, mandatory_indexes=[0, 4, 4, 7])) == \
        ("failed", "sd_invalid_mandatory_indexes")
    assert _signature(_with_components(derived, mandatory_indexes=[0, 4, 7])) == \
        ("failed", "sd_signature_count_mismatch")


def test_a_label_map_that_misses_a_blank_node_fails(derived: dict[str, Any]) -> None:
    _, _, _, label_map, _ = parse_derived_proof_value(derived["proof"]["proofValue"])
    assert _signature(_with_components(derived, label_map={"c14n0": label_map["c14n0"]})) == \
        ("failed", "sd_label_map_mismatch")
    assert _signature(_with_components(derived, label_map={"c14n0": label_map["c14n1"], "c14n1": label_map["c14n1"]})) \
        == ("failed", "sd_label_map_invalid")


def test_swapped_labels_fail(derived: dict[str, Any]) -> None:
    _, _, _, label_map, _ = parse_derived_proof_value(derived["proof"]["proofValue"])
    swapped = {"c14n0": label_map["c14n1"], "c14n1": label_map["c14n0"]}
    assert _signature(_with_components(derived, label_map=swapped))[0] == "failed"


def test_a_base_proof_is_not_accepted_by_a_verifier(ecdsa: Path) -> None:
    base = _json(ecdsa / "ecdsa-sd-2023" / "employ" / "addSignedSDBase.json")
    assert _signature(base) == ("failed", "sd_base_proof_not_derived")


@pytest.mark.parametrize("header", [b"\xd9\x5d\x02", b"\xd9\x5c\x01", b"\x00\x00\x00"])
def test_a_wrong_header_fails(derived: dict[str, Any], header: bytes) -> None:
    assert _signature(_with_bytes(derived, header + _raw(derived)[3:])) == ("failed", "sd_wrong_header")


def test_malformed_proof_values_fail(derived: dict[str, Any]) -> None:
    raw = _raw(derived)
    assert _signature(_with_bytes(derived, raw + b"\x00")) == ("failed", "sd_invalid_cbor")  # trailing bytes
    assert _signature(_with_bytes(derived, raw[:-5])) == ("failed", "sd_invalid_cbor")  # truncated
    tagged = raw[:3] + cbor2.dumps(cbor2.CBORTag(64, cbor2.loads(raw[3:])))
    assert _signature(_with_bytes(derived, tagged)) == ("failed", "sd_invalid_cbor")
    four = raw[:3] + cbor2.dumps(cbor2.loads(raw[3:])[:4])
    assert _signature(_with_bytes(derived, four)) == ("failed", "sd_invalid_cbor")
    short_key = cbor2.loads(raw[3:])
    short_key[1] = short_key[1][:-1]
    assert _signature(_with_bytes(derived, raw[:3] + cbor2.dumps(short_key))) == ("failed", "sd_invalid_cbor")
    changed = copy.deepcopy(derived)
    changed["proof"]["proofValue"] = "z" + derived["proof"]["proofValue"][1:]
    assert _signature(changed) == ("failed", "sd_invalid_proof_value")


def test_a_foreign_proof_key_fails(derived: dict[str, Any]) -> None:
    other = b"\x80\x24" + Key.generate("P-256").public_bytes()
    assert _signature(_with_components(derived, public_key=other)) == ("failed", "sd_signatures_invalid")
    assert _signature(_with_components(derived, public_key=b"\x80\x25" + other[2:])) == \
        ("failed", "sd_invalid_proof_key")


def test_the_registered_suite_rejects_non_p256_keys() -> None:
    suite = get_suite("ecdsa-sd-2023")
    assert suite.key_types == frozenset({"P-256"})
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:example:1"}}
    with pytest.raises(SigningError):
        sign(credential, Key.generate("P-384"), suite="ecdsa-sd-2023")


# -- pointers ---------------------------------------------------------------------------------------------


def test_json_pointers_and_selection() -> None:
    assert json_pointer_paths("/a~1b/0/c~0d") == ["a/b", 0, "c~d"]
    document = {"@context": "x", "id": "urn:1", "type": "T", "list": [{"type": "A", "v": 1}, {"type": "B", "v": 2}],
                "sub": {"id": "_:b0", "type": "S", "a": 1, "b": 2}}
    assert select_jsonld(["/list/1/v", "/sub/b"], document) == {
        "@context": "x", "id": "urn:1", "type": "T", "list": [{"type": "B", "v": 2}], "sub": {"type": "S", "b": 2}}
    assert select_jsonld([], document) is None
    with pytest.raises(SigningError):
        select_jsonld(["/nothere"], document)


def test_a_pointer_that_matches_nothing_is_refused_when_signing_and_deriving(ecdsa: Path) -> None:
    with pytest.raises(SigningError):
        _base_sign(ecdsa, "employ", _json(ecdsa / "employmentAuth.json"), ["/credentialSubject/nickname"])
    with pytest.raises(SigningError):
        derive(_json(ecdsa / "ecdsa-sd-2023" / "employ" / "addSignedSDBase.json"), ["/credentialSubject/nickname"])


# -- the trade use: an importer shows customs a certificate of origin without the unit prices ---------------


def test_certificate_of_origin_without_unit_prices(repo: Path) -> None:
    producer = Key.generate("P-256")
    credential = build_origin_credential(load_request(repo / "fixtures" / "origin" / "usmca-steel.yaml"), producer.did)
    subject = credential["credentialSubject"]
    mandatory = ["/issuer", "/validFrom", "/validUntil", "/credentialSchema",
                 *(f"/credentialSubject/{name}" for name in subject if name not in ("type", "goods"))]
    signed = sign(credential, producer, suite=EcdsaSd2023(mandatory), created=datetime(2026, 5, 31, tzinfo=UTC))
    assert signed["proof"]["proofValue"].startswith("u2V0A")
    reveal = ["/id", "/name", *(f"/credentialSubject/goods/{i}/{field}" for i, good in enumerate(subject["goods"])
                                for field in good if field not in ("type", "unitPrice"))]
    shown = derive(signed, reveal)
    assert "unitPrice" not in json.dumps(shown) and shown["proof"]["proofValue"].startswith("u2V0B")
    assert [g["hsCode"] for g in shown["credentialSubject"]["goods"]] == [g["hsCode"] for g in subject["goods"]]
    result = verify(shown, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert result.verified, [c for c in result.checks if c.status != "passed"]
    # a price put back in by the holder is not signed
    forged = copy.deepcopy(shown)
    forged["credentialSubject"]["goods"][0]["unitPrice"] = 1.0
    assert not verify(forged, now=datetime(2026, 6, 1, tzinfo=UTC)).verified
    # the importer cannot hide a mandatory claim
    hidden = copy.deepcopy(shown)
    del hidden["credentialSubject"]["certificationStatement"]
    result = verify(hidden, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert not result.verified
    # one statement fewer: the mandatory indexes run past the end, or the signatures outnumber the statements
    # (which one depends on where the random HMAC labels sort the dropped statement)
    assert {"sd_signature_count_mismatch", "sd_invalid_mandatory_indexes"} & {
        c.code for c in result.checks if c.status == "failed"}


def test_signing_with_the_registered_suite_makes_everything_selectable() -> None:
    key = Key.generate("P-256")
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                  "type": ["VerifiableCredential", "ExampleCredential"],
                  "credentialSubject": {"id": "did:example:1", "name": "Alice", "age": 42}}
    signed = sign(credential, key, suite="ecdsa-sd-2023")
    assert parse_base_proof_value(signed["proof"]["proofValue"])[4] == []
    shown = derive(signed, ["/issuer", "/credentialSubject/name"])
    assert "age" not in shown["credentialSubject"]
    assert verify(shown, now=datetime.now(UTC)).verified


def test_literals_with_unicode_line_separators_stay_one_statement() -> None:
    # N-Quads leave U+2028, U+0085 and the like unescaped; str.splitlines would cut such a statement in two.
    key = Key.generate("P-256")
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                  "type": ["VerifiableCredential", "ExampleCredential"],
                  "credentialSubject": {"id": "did:example:1", "name": "line\u2028sep\x85next\x0bvt", "age": 42}}
    signed = sign(credential, key, suite=EcdsaSd2023(["/issuer"]))
    assert len(parse_base_proof_value(signed["proof"]["proofValue"])[3]) == 3  # credentialSubject, name, age
    shown = derive(signed, ["/credentialSubject/name"])
    assert shown["credentialSubject"]["name"] == credential["credentialSubject"]["name"]
    assert verify(shown, now=datetime.now(UTC)).verified
    shown["credentialSubject"]["name"] = "line\u2028sep"
    assert not verify(shown, now=datetime.now(UTC)).verified


def test_relabelling_touches_blank_nodes_only_never_literal_text() -> None:
    line = '_:c14n0 <http://x.example/p> "see _:c14n0 \\" _:c14n1" _:c14n1 .\n'
    assert relabel_nquads([line], {"c14n0": "uA", "c14n1": "uB"}) == \
        ['_:uA <http://x.example/p> "see _:c14n0 \\" _:c14n1" _:uB .\n']
    assert parse_quad('<urn:a> <http://x.example/p> "v"@en-US _:g .\n')["object"]["language"] == "en-US"
    with pytest.raises(InvalidDocument) as raised:
        relabel_nquads(["not a quad\n"], {})
    assert raised.value.code == "sd_invalid_nquad"

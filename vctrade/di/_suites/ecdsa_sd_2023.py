"""ecdsa-sd-2023: ECDSA selective disclosure (W3C Data Integrity ECDSA Cryptosuites v1.0 §3.4).

Three parties, three operations:

* the **issuer** signs a *base proof*: the statements the mandatory JSON
  pointers select are hashed together, every other statement is signed one by
  one with a proof-scoped P-256 key, blank nodes get HMAC-derived labels, and
  the issuer's key signs ``proofHash || proof key || mandatoryHash``. Sign with
  ``vctrade.sign(credential, key, suite=EcdsaSd2023(mandatory_pointers=[...]))``
  (the registered instance signs with no mandatory pointers);
* the **holder** *derives* a proof that reveals the mandatory statements plus
  what the selective pointers select (:func:`derive`), e.g. an importer shows
  a certificate of origin to customs without its unit prices;
* the **verifier** checks a derived proof through the ordinary Data Integrity
  engine: ``transform`` is plain RDFC-1.0, ``hash`` keeps the canonical N-Quads
  beside the proof-options hash, and :meth:`EcdsaSd2023.verify` relabels,
  splits and checks every signature. Each way it can fail has its own code
  (``sd_*``); a base proof is never accepted by a verifier.

The HMAC key and the proof-scoped key can be injected (``hmac_key=``,
``proof_key=``) so that results can be compared with the spec vectors; ECDSA
signatures here are deterministic (RFC 6979), as the vectors' are.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from vctrade._encoding import b64url_decode, b64url_encode
from vctrade._keys import Key, public_key_from_raw
from vctrade.di._engine import proofs_of
from vctrade.di._registry import register_suite
from vctrade.di._sd import (
    blank_labels,
    canonicalize_and_group,
    canonicalize_nquads,
    hmac_label_map,
    nquad_lines,
    relabel_nquads,
    select_jsonld,
    sha,
)
from vctrade.di._suite import Cryptosuite
from vctrade.errors import EncodingError, InvalidDocument, InvalidKey, SigningError
from vctrade.jsonld._jsonld import DocumentLoader, canonize, default_loader

__all__ = ["EcdsaSd2023", "derive", "parse_base_proof_value", "parse_derived_proof_value"]

NAME = "ecdsa-sd-2023"
BASE_HEADER = b"\xd9\x5d\x00"
DERIVED_HEADER = b"\xd9\x5d\x01"
_P256_MULTIKEY = b"\x80\x24"
_HASH = "sha256"


def _fail(message: str, code: str) -> InvalidDocument:
    return InvalidDocument(message, code=code)


def _sign_p256(key: Key, data: bytes) -> bytes:
    """Deterministic ECDSA P-256 / SHA-256 (RFC 6979), IEEE P1363 ``r || s``."""
    if key.key_type != "P-256":
        raise SigningError(f"{NAME} signs with P-256 keys, not {key.key_type}")
    if key.signer is not None:  # a key in an HSM signs there (randomized ECDSA: verifiers do not care)
        return key.sign(data)
    private = ec.derive_private_key(int.from_bytes(key.private_bytes(), "big"), ec.SECP256R1())
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _multibase_u(data: bytes) -> str:
    return "u" + b64url_encode(data)


def _decode_proof_value(proof_value: Any) -> bytes:
    if not isinstance(proof_value, str) or not proof_value.startswith("u"):
        raise EncodingError(f"an {NAME} proofValue must be a base64url-no-pad multibase string ('u…')",
                            code="sd_invalid_proof_value")
    try:
        return b64url_decode(proof_value[1:])
    except EncodingError as exc:
        raise EncodingError(f"{NAME} proofValue: {exc}", code="sd_invalid_proof_value") from None


def _cbor_components(data: bytes, header: bytes, what: str) -> list[Any]:
    if data[:3] != header:
        other = "a base proof (header 0xd95d00)" if data[:3] == BASE_HEADER else \
            "a derived proof (header 0xd95d01)" if data[:3] == DERIVED_HEADER else f"header 0x{data[:3].hex()}"
        code = "sd_base_proof_not_derived" if data[:3] == BASE_HEADER else "sd_wrong_header"
        raise EncodingError(f"expected {what} (header 0x{header.hex()}), got {other}", code=code)
    payload = data[3:]
    import cbor2  # lazily: a start-up that verifies no ecdsa-sd-2023 proof never loads CBOR

    try:
        components = cbor2.loads(payload)
        canonical = cbor2.dumps(components)
    except Exception as exc:  # noqa: BLE001  (cbor2 raises many kinds for bad input)
        raise EncodingError(f"{NAME} proofValue is not valid CBOR: {exc}", code="sd_invalid_cbor") from None
    # One spelling only: no tags, no trailing bytes, no non-minimal lengths.
    if canonical != payload:
        raise EncodingError(f"{NAME} proofValue is not in the one CBOR encoding of its components",
                            code="sd_invalid_cbor")
    if not isinstance(components, list) or len(components) != 5:
        raise EncodingError(f"{NAME} {what} must be a CBOR array of five components", code="sd_invalid_cbor")
    return components


def _is_bytes(value: Any, length: int) -> bool:
    return isinstance(value, bytes) and len(value) == length


def parse_base_proof_value(proof_value: Any) -> tuple[bytes, bytes, bytes, list[bytes], list[str]]:
    """(baseSignature, publicKey, hmacKey, signatures, mandatoryPointers) of a base proofValue."""
    base_signature, public_key, hmac_key, signatures, pointers = _cbor_components(
        _decode_proof_value(proof_value), BASE_HEADER, "a base proof")
    if not (_is_bytes(base_signature, 64) and _is_bytes(public_key, 35) and _is_bytes(hmac_key, 32)
            and isinstance(signatures, list) and all(_is_bytes(s, 64) for s in signatures)
            and isinstance(pointers, list) and all(isinstance(p, str) for p in pointers)):
        raise EncodingError(f"{NAME} base proof components have the wrong types or sizes", code="sd_invalid_cbor")
    return base_signature, public_key, hmac_key, signatures, pointers


def parse_derived_proof_value(proof_value: Any) -> tuple[bytes, bytes, list[bytes], dict[str, str], list[int]]:
    """(baseSignature, publicKey, signatures, labelMap c14nN -> u…, mandatoryIndexes) of a derived proofValue."""
    base_signature, public_key, signatures, compressed, indexes = _cbor_components(
        _decode_proof_value(proof_value), DERIVED_HEADER, "a derived proof")
    if not (_is_bytes(base_signature, 64) and _is_bytes(public_key, 35)
            and isinstance(signatures, list) and all(_is_bytes(s, 64) for s in signatures)
            and isinstance(compressed, dict)
            and all(type(k) is int and k >= 0 and _is_bytes(v, 32) for k, v in compressed.items())
            and isinstance(indexes, list) and all(type(i) is int for i in indexes)):
        raise EncodingError(f"{NAME} derived proof components have the wrong types or sizes",
                            code="sd_invalid_cbor")
    label_map = {f"c14n{k}": _multibase_u(v) for k, v in compressed.items()}
    if len(set(label_map.values())) != len(label_map):
        raise EncodingError(f"{NAME} label map gives two blank nodes one label", code="sd_label_map_invalid")
    return base_signature, public_key, signatures, label_map, indexes


def serialize_base_proof_value(base_signature: bytes, public_key: bytes, hmac_key: bytes,
                               signatures: Sequence[bytes], mandatory_pointers: Sequence[str]) -> str:
    """The base proofValue: ``u`` + base64url(0xd95d00 || CBOR[5 components])."""
    import cbor2

    components = [base_signature, public_key, hmac_key, list(signatures), list(mandatory_pointers)]
    return _multibase_u(BASE_HEADER + cbor2.dumps(components))


def serialize_derived_proof_value(base_signature: bytes, public_key: bytes, signatures: Sequence[bytes],
                                  label_map: dict[str, str], mandatory_indexes: Sequence[int]) -> str:
    """The derived proofValue: ``u`` + base64url(0xd95d01 || CBOR[5 components]), the label map compressed."""
    compressed = {int(k[len("c14n"):]): b64url_decode(v[1:]) for k, v in label_map.items()}
    import cbor2

    components = [base_signature, public_key, list(signatures), compressed, list(mandatory_indexes)]
    return _multibase_u(DERIVED_HEADER + cbor2.dumps(components))


class EcdsaSd2023(Cryptosuite):
    """ecdsa-sd-2023 with P-256 keys. The registered instance has no mandatory pointers; configure one to sign."""

    name = NAME
    key_types = frozenset({"P-256"})

    def __init__(self, mandatory_pointers: Sequence[str] = (), *, hmac_key: bytes | None = None,
                 proof_key: Key | None = None) -> None:
        if isinstance(mandatory_pointers, str) or not all(isinstance(p, str) for p in mandatory_pointers):
            raise SigningError("mandatory pointers must be a list of JSON pointer strings")
        if hmac_key is not None and len(hmac_key) != 32:
            raise SigningError(f"the {NAME} HMAC key must be 32 bytes")
        if proof_key is not None and (proof_key.key_type != "P-256" or not proof_key.has_private):
            raise SigningError(f"the {NAME} proof-scoped key must be a P-256 private key")
        self.mandatory_pointers = list(mandatory_pointers)
        self._hmac_key = hmac_key
        self._proof_key = proof_key

    # -- transform: the canonical N-Quads (c14n labels); when signing, which of them are mandatory ----------
    def transform(self, document: dict[str, Any], key_type: str, loader: DocumentLoader) -> bytes:
        if not self.mandatory_pointers:
            return canonize(document, loader, hash_name=_HASH).encode("utf-8")
        identity = canonicalize_and_group(document, lambda ids: dict(ids), {"mandatory": self.mandatory_pointers},
                                          loader, hash_name=_HASH)
        mandatory = sorted(identity.groups["mandatory"].matching)
        return json.dumps({"nquads": identity.nquads, "mandatory": mandatory}).encode("utf-8")

    def proof_config(self, proof: dict[str, Any], document: dict[str, Any], key_type: str,
                     loader: DocumentLoader) -> bytes:
        config = {**proof, "@context": document.get("@context")}
        return canonize(config, loader, hash_name=_HASH).encode("utf-8")

    def hash(self, canonical_proof_config: bytes, canonical_document: bytes, key_type: str) -> bytes:
        """``proofHash`` (32 bytes) followed by the transformed document: the statements are hashed per group later."""
        return sha(_HASH, canonical_proof_config) + canonical_document

    # -- base proof -----------------------------------------------------------------------------------
    def sign(self, key: Key, data: bytes) -> str:
        proof_hash, transformed = data[:32], data[32:]
        if self.mandatory_pointers:
            parsed = json.loads(transformed)
            c14n_nquads: list[str] = parsed["nquads"]
            mandatory_at = set(parsed["mandatory"])
        else:
            c14n_nquads, mandatory_at = nquad_lines(transformed.decode("utf-8")), set()
        hmac_key = self._hmac_key if self._hmac_key is not None else os.urandom(32)
        proof_key = self._proof_key if self._proof_key is not None else Key.generate("P-256")
        labels = sorted({label for quad in c14n_nquads for label in blank_labels(quad)})
        label_map = hmac_label_map({label: label for label in labels}, hmac_key, _HASH)
        # HMAC labels are distinct for distinct c14n labels, so the mandatory quads stay the same quads.
        relabelled = relabel_nquads(c14n_nquads, label_map)
        mandatory_set = {relabelled[i] for i in mandatory_at}
        ordered = sorted(relabelled)
        mandatory = [q for q in ordered if q in mandatory_set]
        non_mandatory = [q for q in ordered if q not in mandatory_set]
        public_key = _P256_MULTIKEY + proof_key.public_bytes()
        signatures = [_sign_p256(proof_key, q.encode("utf-8")) for q in non_mandatory]
        mandatory_hash = sha(_HASH, "".join(mandatory).encode("utf-8"))
        base_signature = _sign_p256(key, proof_hash + public_key + mandatory_hash)
        return serialize_base_proof_value(base_signature, public_key, hmac_key, signatures, self.mandatory_pointers)

    # -- derived proof verification -------------------------------------------------------------------
    def verify(self, key: Key, proof_value: Any, data: bytes) -> bool:
        """Verify a derived proof; every failure raises with its own ``sd_*`` code (never a bare False)."""
        base_signature, public_key, signatures, label_map, mandatory_indexes = parse_derived_proof_value(proof_value)
        proof_hash = data[:32]
        c14n_nquads = nquad_lines(data[32:].decode("utf-8"))
        nquads = sorted(relabel_nquads(c14n_nquads, label_map))
        if len(set(mandatory_indexes)) != len(mandatory_indexes) or \
                any(i < 0 or i >= len(nquads) for i in mandatory_indexes):
            raise _fail(f"mandatoryIndexes {mandatory_indexes} do not index the {len(nquads)} disclosed statements",
                        "sd_invalid_mandatory_indexes")
        wanted = set(mandatory_indexes)
        mandatory = [q for i, q in enumerate(nquads) if i in wanted]
        non_mandatory = [q for i, q in enumerate(nquads) if i not in wanted]
        if len(signatures) != len(non_mandatory):
            raise _fail(f"the proof has {len(signatures)} statement signatures for {len(non_mandatory)} "
                        "non-mandatory statements", "sd_signature_count_mismatch")
        if public_key[:2] != _P256_MULTIKEY:
            raise _fail("the proof-scoped key is not a P-256 Multikey", "sd_invalid_proof_key")
        try:
            proof_key = public_key_from_raw("P-256", public_key[2:])
        except (InvalidKey, EncodingError, ValueError) as exc:
            raise _fail(f"the proof-scoped key is not a P-256 point: {exc}", "sd_invalid_proof_key") from None
        mandatory_hash = sha(_HASH, "".join(mandatory).encode("utf-8"))
        # Both checks always run, so that the failure names what changed: a statement's value (its signature
        # fails), a mandatory claim or the proof options (the base signature fails), or, when blank-node labels
        # moved with the change, both.
        bad = [index for index, (signature, quad) in enumerate(zip(signatures, non_mandatory))
               if not proof_key.verify(signature, quad.encode("utf-8"))]
        base_ok = key.verify(base_signature, proof_hash + public_key + mandatory_hash)
        if bad and not base_ok:
            raise _fail(f"neither the issuer's base signature nor {len(bad)} of {len(non_mandatory)} statement "
                        "signatures match: the disclosed document was changed", "sd_signatures_invalid")
        if bad:
            raise _fail(f"disclosed statement {bad[0]} does not match its signature "
                        f"({len(bad)} of {len(non_mandatory)} do not): {non_mandatory[bad[0]].strip()}",
                        "sd_statement_signature_invalid")
        if not base_ok:
            raise _fail("the issuer's base signature does not cover these proof options, proof key and mandatory "
                        "statements (a mandatory claim changed or was dropped?)", "sd_base_signature_invalid")
        return True


def _group_labels_to_verifier(combined_deskolemized: list[str], label_map: dict[str, str],
                              loader: DocumentLoader) -> dict[str, str]:
    canonical_id_map, _ = canonicalize_nquads(combined_deskolemized, loader, _HASH)
    return {verifier: label_map[old] for old, verifier in canonical_id_map.items()}


def derive(
    document: dict[str, Any],
    selective_pointers: Sequence[str],
    *,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """The holder's derived credential: the mandatory statements, those ``selective_pointers`` select, and a derived proof.

    ``document`` is the credential with its ecdsa-sd-2023 base proof (the only
    proof). The input is never modified.
    """
    if isinstance(selective_pointers, str) or not all(isinstance(p, str) for p in selective_pointers):
        raise SigningError("selective pointers must be a list of JSON pointer strings")
    loader = loader or default_loader()
    proofs = [p for p in proofs_of(document) if isinstance(p, dict) and p.get("cryptosuite") == NAME]
    if len(proofs) != 1:
        raise SigningError(f"the credential must carry exactly one {NAME} base proof to derive from, "
                           f"it has {len(proofs)}")
    proof = proofs[0]
    try:
        base_signature, public_key, hmac_key, signatures, mandatory_pointers = \
            parse_base_proof_value(proof.get("proofValue"))
    except EncodingError as exc:
        raise SigningError(f"cannot derive: {exc}") from None
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    combined = [*mandatory_pointers, *selective_pointers]
    grouped = canonicalize_and_group(
        unsecured, lambda ids: hmac_label_map(ids, hmac_key, _HASH),
        {"mandatory": mandatory_pointers, "selective": list(selective_pointers), "combined": combined},
        loader, hash_name=_HASH)
    mandatory_at = grouped.groups["mandatory"].matching
    selective_at = grouped.groups["selective"].matching
    mandatory_indexes = [relative for relative, absolute in enumerate(grouped.groups["combined"].matching)
                         if absolute in mandatory_at]
    non_mandatory_positions = [i for i in range(len(grouped.nquads)) if i not in mandatory_at]
    if len(non_mandatory_positions) != len(signatures):
        raise SigningError(f"the base proof has {len(signatures)} statement signatures but the credential has "
                           f"{len(non_mandatory_positions)} non-mandatory statements: it was changed after signing")
    filtered = [sig for sig, position in zip(signatures, non_mandatory_positions) if position in selective_at]
    reveal = select_jsonld(combined, unsecured)
    if reveal is None:
        raise SigningError("nothing to disclose: no mandatory and no selective pointers")
    verifier_labels = _group_labels_to_verifier(grouped.groups["combined"].deskolemized, grouped.label_map, loader)
    verifier_labels = dict(sorted(verifier_labels.items(), key=lambda item: int(item[0][len("c14n"):])))
    new_proof = copy.deepcopy(proof)
    new_proof["proofValue"] = serialize_derived_proof_value(
        base_signature, public_key, filtered, verifier_labels, mandatory_indexes)
    reveal["proof"] = new_proof
    return reveal


register_suite(EcdsaSd2023())

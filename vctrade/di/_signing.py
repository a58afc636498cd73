"""Signing credentials with Data Integrity proofs."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from vctrade._keys import Key
from vctrade.di._engine import add_proof, proofs_of
from vctrade.di._registry import default_suite_for, get_suite
from vctrade.di._suite import Cryptosuite, RdfcTransform
from vctrade.errors import InvalidDocument, SigningError
from vctrade.jsonld._jsonld import DocumentLoader, check_terms, default_loader, expansion_scope
from vctrade.model._credentials import (
    data_model_version,
    structure_problems,
    with_signer,
)

__all__ = ["sign"]

DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"


def _ensure_context(document: dict[str, Any], url: str) -> None:
    contexts = document["@context"] if isinstance(document["@context"], list) else [document["@context"]]
    if url in contexts:
        return
    if proofs_of(document):
        raise SigningError(f"the credential needs the context {url} for this proof, but adding it would "
                           "break its existing proofs; add it before the first proof")
    document["@context"] = [*contexts, url]


def sign(
    credential: dict[str, Any],
    key: Key,
    *,
    suite: str | Cryptosuite | None = None,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    created: datetime | None = None,
    expires: datetime | None = None,
    previous_proof: str | list[str] | None = None,
    proof_id: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    loader: DocumentLoader | None = None,
    kind: str = "VerifiableCredential",
    proof_context: bool = False,
) -> dict[str, Any]:
    """A signed copy of ``credential``; the input is never modified.

    Without ``issuer`` the credential gets the signer's DID as issuer; a
    credential that names another issuer is refused. ``suite`` defaults to
    eddsa-rdfc-2022 for Ed25519 keys and ecdsa-rdfc-2019 for P-256/P-384.
    A credential that already has proofs gets one more (a proof set), or a
    chain link with ``previous_proof``. ``proof_context`` (legacy Linked Data
    suites only) puts the suite's context in the proof instead of adding it to
    the document, as DIDKit does.
    """
    if not isinstance(credential, dict):
        raise InvalidDocument("the credential must be a JSON object")
    if not key.has_private:
        raise SigningError("signing needs a private key; this key file holds only a public key")
    chosen = default_suite_for(key.key_type) if suite is None else get_suite(suite) if isinstance(suite, str) else suite
    loader = loader or default_loader()
    method = verification_method or key.did_key_verification_method
    signer = method.split("#", 1)[0]
    document = copy.deepcopy(with_signer(credential, signer, kind=kind) if kind == "VerifiableCredential" else credential)
    problems = structure_problems(document, kind=kind)
    if problems:
        raise InvalidDocument("not a valid credential: " + "; ".join(problems))
    if chosen.proof_type == "DataIntegrityProof" and data_model_version(document) == "1.1":
        _ensure_context(document, DATA_INTEGRITY_V2)
    if not proof_context:
        if chosen.context:
            _ensure_context(document, chosen.context)
        elif chosen.suite_context and data_model_version(document) == "2.0":
            # VC 2.0 does not define the legacy suite's terms (VC 1.1's context does); its context must come along.
            _ensure_context(document, chosen.suite_context)
    with expansion_scope():  # each document expanded once for this signing, freed at its end
        if not isinstance(chosen, RdfcTransform):
            # JCS never expands the document, so check here that JSON-LD would keep every term;
            # RDFC canonicalization does this same safe expansion itself.
            check_terms(document, loader)
        return add_proof(
            document,
            key,
            chosen,
            verification_method=method,
            loader=loader,
            proof_purpose=proof_purpose,
            created=created or datetime.now(timezone.utc),
            expires=expires,
            challenge=challenge,
            domain=domain,
            previous_proof=previous_proof,
            proof_id=proof_id,
            proof_context=proof_context,
        )

"""Verifiable presentations: a holder wraps credentials and proves control of its key.

The holder signs with ``proofPurpose: authentication`` and the verifier's
``challenge`` (and ``domain``), so a presentation cannot be replayed to another
verifier or for another request. Verification lives in :mod:`vctrade.verify`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from vctrade._keys import Key
from vctrade.di._signing import sign
from vctrade.di._suite import Cryptosuite
from vctrade.errors import InvalidDocument
from vctrade.jsonld._jsonld import DocumentLoader
from vctrade.model._credentials import VC_V1_CONTEXT, VC_V2_CONTEXT, data_model_version

__all__ = ["present", "present_jwt", "TRACEABILITY_CONTEXT"]

# The traceability vocabulary defines TraceablePresentation and its `workflow` (definition and instance ids),
# as the traceability interop profile's presentations carry them.
TRACEABILITY_CONTEXT = "https://w3id.org/traceability/v1"


def present(
    credentials: list[dict[str, Any]],
    holder_key: Key,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    holder: str | None = None,
    verification_method: str | None = None,
    suite: str | Cryptosuite | None = None,
    created: datetime | None = None,
    loader: DocumentLoader | None = None,
    workflow: str | None = None,
    workflow_instance: str | None = None,
) -> dict[str, Any]:
    """A signed presentation of ``credentials`` by the holder of ``holder_key``.

    ``holder`` defaults to the key's DID (or the DID of ``verification_method``).
    The presentation uses the VC 2.0 context unless a credential is VC 1.1.
    With ``workflow`` (a workflow definition's id, e.g. a shipment's) it is a
    ``TraceablePresentation`` whose ``workflow`` names that definition and this
    instance (``workflow_instance``, default a fresh ``urn:uuid``), so the
    verifier checks the documents against each other.
    """
    if not credentials:
        raise InvalidDocument("a presentation needs at least one credential")
    for credential in credentials:
        if not isinstance(credential, dict) or "proof" not in credential:
            raise InvalidDocument("every presented credential must be a signed credential (a JSON object with a proof)")
    method = verification_method or holder_key.did_key_verification_method
    legacy = any(data_model_version(c) == "1.1" for c in credentials)
    presentation: dict[str, Any] = {
        "@context": [VC_V1_CONTEXT if legacy else VC_V2_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiablePresentation"],
        "holder": holder or method.split("#", 1)[0],
    }
    if workflow is not None:
        presentation["@context"].append(TRACEABILITY_CONTEXT)
        presentation["type"].append("TraceablePresentation")
        presentation["workflow"] = {"definition": [workflow],
                                    "instance": [workflow_instance or f"urn:uuid:{uuid.uuid4()}"]}
    elif workflow_instance is not None:
        raise InvalidDocument("a workflow instance needs its workflow")
    presentation["verifiableCredential"] = list(credentials)
    return sign(
        presentation,
        holder_key,
        suite=suite,
        verification_method=method,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        created=created,
        loader=loader,
        kind="VerifiablePresentation",
    )


def present_jwt(
    credentials: list[dict[str, Any] | str],
    holder_key: Key,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    verification_method: str | None = None,
) -> str:
    """A ``vp+jwt`` by the holder: JWT credentials are enveloped, JSON credentials embedded as they are."""
    from vctrade.jose._jws import (  # JOSE is loaded only for JOSE presentations
        envelope,
        sign_vp_jwt,
    )

    if not credentials:
        raise InvalidDocument("a presentation needs at least one credential")
    entries = [envelope(c, "vc+sd-jwt" if "~" in c else "vc+jwt") if isinstance(c, str) else c for c in credentials]
    presentation = {"@context": [VC_V2_CONTEXT], "id": f"urn:uuid:{uuid.uuid4()}", "type": ["VerifiablePresentation"],
                    "verifiableCredential": entries}
    return sign_vp_jwt(presentation, holder_key, verification_method=verification_method, nonce=challenge, audience=domain)

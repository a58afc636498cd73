"""SD-JWT for credentials (``vc+sd-jwt``): the issuer makes claims disclosable, the holder reveals a subset.

An SD-JWT is ``<issuer JWS>~<disclosure>~…~<key-binding JWT or nothing>``. A
disclosure is base64url JSON ``[salt, name, value]`` (an object member) or
``[salt, value]`` (an array element); the signed payload carries only its
SHA-256 digest (in ``_sd`` or as ``{"...": digest}``). Verification refuses a
disclosure whose digest the payload does not carry, a digest that appears
twice, and a disclosure that would overwrite a claim; with key binding, the
holder's KB-JWT must be signed by the ``cnf`` key over the verifier's nonce and
audience and the exact presentation (``sd_hash``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from vctrade._encoding import b64url_decode, b64url_encode
from vctrade._keys import Key
from vctrade.errors import EncodingError, InputError, InvalidDocument, SigningError
from vctrade.jose._jws import DecodedJws, decode_jws, encode_jws, strict_json
from vctrade.jsonld._jsonld import DocumentLoader, check_terms, default_loader
from vctrade.model._credentials import structure_problems, with_signer
from vctrade.model._json import MAX_DEPTH

__all__ = ["issue", "disclose", "parse_sd_jwt", "reconstruct", "SdJwt", "JWT_CLAIMS", "sd_hash"]

# JWT / SD-JWT claims that belong to the JOSE layer, not to the credential's JSON-LD.
JWT_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "nonce", "_sd_alg", "status")
# Top-level claims a holder must not be able to hide: what the credential is and who issued it, and what
# verifiers judge it by — its validity period, its status (revocation) and its schemas (SD-JWT VC says the same
# of exp, nbf and status).
_UNDISCLOSABLE = ("@context", "type", "issuer", "id", "validFrom", "validUntil", "credentialStatus",
                  "credentialSchema")


def _digest(disclosure: str) -> str:
    return b64url_encode(hashlib.sha256(disclosure.encode("ascii")).digest())


def sd_hash(presentation_without_kb: str) -> str:
    """The ``sd_hash`` of a presentation: SHA-256 of everything before the KB-JWT."""
    return b64url_encode(hashlib.sha256(presentation_without_kb.encode("ascii")).digest())


def _pointer(pointer: str) -> list[str]:
    if not pointer.startswith("/") or pointer == "/":
        raise InputError(f"a JSON pointer starts with '/' and names a claim: {pointer!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _make_disclosable(payload: dict[str, Any], path: list[str], salt: bytes) -> str:
    parent: Any = payload
    for part in path[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = path[-1]
    if isinstance(parent, list):
        index = int(last)
        disclosure = b64url_encode(json.dumps([b64url_encode(salt), parent[index]], ensure_ascii=False).encode())
        parent[index] = {"...": _digest(disclosure)}
    else:
        if len(path) == 1 and last in _UNDISCLOSABLE:
            raise InputError(f"/{last} cannot be made disclosable: verifiers need it")
        disclosure = b64url_encode(json.dumps([b64url_encode(salt), last, parent.pop(last)], ensure_ascii=False).encode())
        parent.setdefault("_sd", []).append(_digest(disclosure))
        parent["_sd"].sort()  # sorted digests reveal nothing about the order of the hidden claims
    return disclosure


def issue(
    credential: dict[str, Any],
    key: Key,
    *,
    disclosable: list[str],
    holder_key: Key | None = None,
    verification_method: str | None = None,
    loader: DocumentLoader | None = None,
    now: float | None = None,
    kind: str = "VerifiableCredential",
) -> str:
    """An SD-JWT of ``credential`` in which the claims at the ``disclosable`` JSON pointers are hidden.

    ``kind="VerifiablePresentation"`` makes a ``vp+sd-jwt`` signed by the holder.

    ``holder_key`` (public) goes in ``cnf`` so that the holder can prove possession when presenting.
    """
    method = verification_method or key.did_key_verification_method
    signer = method.split("#", 1)[0]
    document = copy.deepcopy(with_signer(credential, signer, kind=kind))
    role = "issuer" if kind == "VerifiableCredential" else "holder"
    problems = structure_problems(document, kind=kind)
    if problems:
        raise InvalidDocument(f"not a valid {'credential' if role == 'issuer' else 'presentation'}: " + "; ".join(problems))
    check_terms(document, loader or default_loader())
    payload = copy.deepcopy(document)
    disclosures = []
    # Deepest first, so that a nested claim is hidden before its parent (if both are disclosable).
    for pointer in sorted(set(disclosable), key=lambda p: (-len(_pointer(p)), p)):
        path = _pointer(pointer)
        try:
            disclosures.append(_make_disclosable(payload, path, os.urandom(16)))
        except (KeyError, IndexError, ValueError, TypeError):
            raise InputError(f"disclosable claim {pointer}: no such claim in the credential") from None
    payload.update({"iss": signer, "iat": int(now if now is not None else time.time()), "_sd_alg": "sha-256"})
    if holder_key is not None:
        payload["cnf"] = {"jwk": holder_key.to_jwk()}
    media = ("vc+sd-jwt", "vc") if role == "issuer" else ("vp+sd-jwt", "vp")
    token = encode_jws({"kid": method, "typ": media[0], "cty": media[1]}, payload, key)
    return "~".join([token, *disclosures]) + "~"


@dataclass(frozen=True)
class SdJwt:
    """A parsed SD-JWT: the issuer's JWS, the disclosures, the optional key-binding JWT."""

    jws: DecodedJws
    disclosures: tuple[str, ...]
    key_binding: DecodedJws | None
    without_key_binding: str


def parse_sd_jwt(text: str) -> SdJwt:
    """Split an SD-JWT; InvalidDocument if its parts do not decode."""
    parts = text.strip().split("~")
    if len(parts) < 2:
        raise InvalidDocument("not an SD-JWT (no '~' separators)")
    jws = decode_jws(parts[0])
    *disclosures, last = parts[1:]
    if any(not d for d in disclosures):
        raise InvalidDocument("an SD-JWT has an empty disclosure")
    binding = decode_jws(last) if last else None
    prefix = "~".join([parts[0], *disclosures]) + "~"
    return SdJwt(jws, tuple(disclosures), binding, prefix)


def _decode_disclosure(disclosure: str) -> list[Any]:
    try:
        value = strict_json(b64url_decode(disclosure))
    except (EncodingError, InvalidDocument) as exc:
        raise InvalidDocument(f"a disclosure does not decode: {exc}") from exc
    if not isinstance(value, list) or len(value) not in (2, 3) or not isinstance(value[0], str):
        raise InvalidDocument("a disclosure must be [salt, value] or [salt, name, value]")
    if len(value) == 3 and (not isinstance(value[1], str) or value[1] in ("_sd", "...")):
        raise InvalidDocument(f"a disclosure has an invalid claim name {value[1]!r}")
    return value


def reconstruct(sd: SdJwt) -> tuple[dict[str, Any], dict[str, str]]:
    """The payload with every presented disclosure put back, and each used disclosure's JSON pointer.

    Raises InvalidDocument for an unknown hash algorithm, a duplicate digest, a
    disclosure the payload does not reference, one that overwrites a claim, or
    disclosures nested (each inside the last) deeper than any document may be.
    """
    payload = copy.deepcopy(sd.jws.payload)
    if payload.pop("_sd_alg", "sha-256") != "sha-256":
        raise InvalidDocument("unsupported _sd_alg (only sha-256)")
    by_digest: dict[str, str] = {}
    for disclosure in sd.disclosures:
        digest = _digest(disclosure)
        if digest in by_digest:
            raise InvalidDocument("the same disclosure is presented twice")
        by_digest[digest] = disclosure
    seen: set[str] = set()
    used: dict[str, str] = {}

    def claim(digest: Any) -> str:
        if not isinstance(digest, str):
            raise InvalidDocument("a digest in the payload is not a string")
        if digest in seen:
            raise InvalidDocument(f"the digest {digest[:12]}… appears twice in the payload")
        seen.add(digest)
        return digest

    def walk(node: Any, pointer: str, depth: int = 0) -> Any:
        # Each disclosure is bounded by strict_json, but disclosures nested in disclosures add up.
        if depth > MAX_DEPTH:
            raise InvalidDocument(f"{pointer[:120]}: the disclosed claims nest more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            digests = node.pop("_sd", [])
            if not isinstance(digests, list):
                raise InvalidDocument("_sd must be an array of digests")
            result = {name: walk(value, f"{pointer}/{name}", depth + 1) for name, value in node.items()}
            for digest in map(claim, digests):
                disclosure = by_digest.get(digest)
                if disclosure is None:
                    continue  # not disclosed by the holder
                decoded = _decode_disclosure(disclosure)
                if len(decoded) != 3:
                    raise InvalidDocument("an object disclosure must be [salt, name, value]")
                _, name, value = decoded
                if name in result:
                    raise InvalidDocument(f"a disclosure would overwrite the claim {pointer}/{name}")
                used[disclosure] = f"{pointer}/{name}"
                result[name] = walk(value, f"{pointer}/{name}", depth + 1)
            return result
        if isinstance(node, list):
            items: list[Any] = []
            for item in node:
                if isinstance(item, dict) and set(item) == {"..."}:
                    disclosure = by_digest.get(claim(item["..."]))
                    if disclosure is None:
                        continue
                    decoded = _decode_disclosure(disclosure)
                    if len(decoded) != 2:
                        raise InvalidDocument("an array-element disclosure must be [salt, value]")
                    used[disclosure] = f"{pointer}/{len(items)}"
                    items.append(walk(decoded[1], f"{pointer}/{len(items)}", depth + 1))
                else:
                    items.append(walk(item, f"{pointer}/{len(items)}", depth + 1))
            return items
        return node

    document = walk(payload, "")
    unused = [d for d in sd.disclosures if d not in used]
    if unused:
        raise InvalidDocument(f"{len(unused)} disclosure(s) whose digest is not in the signed payload")
    return document, used


def disclose(
    sd_jwt: str,
    reveal: list[str],
    *,
    holder_key: Key | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    """The holder's presentation: only the disclosures ``reveal`` needs, plus a KB-JWT when a key is given."""
    parsed = parse_sd_jwt(sd_jwt)
    _, pointers = reconstruct(parsed)
    wanted = [p.rstrip("/") for p in reveal]
    for pointer in wanted:
        _pointer(pointer)
    keep = [d for d in parsed.disclosures
            if any(w == pointers[d] or w.startswith(pointers[d] + "/") or pointers[d].startswith(w + "/") for w in wanted)]
    document, _ = reconstruct(SdJwt(parsed.jws, parsed.disclosures, None, ""))
    for pointer in wanted:
        node: Any = document
        for part in _pointer(pointer):
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise InputError(f"claim to reveal {pointer}: no such claim in the credential") from None
    presentation = "~".join([parsed.jws.token, *keep]) + "~"
    if holder_key is None:
        if nonce or audience:
            raise InputError("a nonce or an audience is for key binding, which needs the holder's key")
        return presentation
    confirmation = parsed.jws.payload.get("cnf", {})
    if not isinstance(confirmation, dict) or confirmation.get("jwk") != holder_key.to_jwk():
        raise SigningError("this key is not the holder key the credential was issued to (cnf)")
    binding = {"iat": int(now if now is not None else time.time()), "sd_hash": sd_hash(presentation)}
    if nonce is not None:
        binding["nonce"] = nonce
    if audience is not None:
        binding["aud"] = audience
    return presentation + encode_jws({"typ": "kb+jwt"}, binding, holder_key)

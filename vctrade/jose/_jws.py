"""JOSE: compact JWS for credentials (VC-JOSE-COSE ``vc+jwt`` / ``vp+jwt``) and legacy VC 1.1 JWTs.

jwcrypto makes and checks the signatures (Ed25519, or ECDSA ``r || s``, as JWS
wants), always *behind* vctrade's own checks and never with its defaults: the
token is parsed strictly here first (duplicate members, NaN refused), then
verification is fail-closed: an allow-list of algorithms (EdDSA, ES256, ES384,
ES512, ES256K — never ``none``, never HMAC, never RSA), the algorithm must fit
the key, ``crit`` headers are refused (vctrade understands none), the key comes
from the issuer's (or holder's) own DID document, and only then does jwcrypto
verify, with that one ``alg`` passed explicitly and allowed alone. jwcrypto is
imported lazily, when a JWS is signed or verified.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import rfc8785

from vctrade._encoding import b64url_decode, b64url_encode
from vctrade._keys import Key
from vctrade._result import FAILED, PASSED, Check, failure_check
from vctrade.did._document import DIDDocument, VerificationMethod
from vctrade.errors import EncodingError, InvalidDocument, SigningError, VctradeError
from vctrade.model._credentials import (
    data_model_version,
    issuer_id,
    parse_datetime,
    structure_problems,
    with_signer,
)
from vctrade.model._json import json_problem, parse_json_int

__all__ = [
    "ALGORITHMS",
    "DecodedJws",
    "decode_jws",
    "encode_jws",
    "jwk_thumbprint",
    "looks_like_jws",
    "sign_vc_jwt",
    "sign_legacy_jwt",
    "sign_vp_jwt",
    "envelope",
    "check_jws",
    "media_type",
    "strict_json",
    "verify_jws_signature",
]

# alg -> the key type it needs: the allow-list
ALGORITHMS = {"EdDSA": "Ed25519", "ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "ES256K": "secp256k1"}
# alg -> the exact length of its JWS signature (Ed25519, or ECDSA r || s): jwcrypto does not check it.
_SIGNATURE_LENGTHS = {"EdDSA": 64, "ES256": 64, "ES384": 96, "ES512": 132, "ES256K": 64}


@dataclass(frozen=True)
class DecodedJws:
    """A compact JWS, split and decoded (not yet verified); a COSE_Sign1 is carried in the same shape."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    token: str

    @property
    def compact(self) -> bool:
        """Whether this is a compact JWS: ``token`` is its signing input, a dot, its signature (not a COSE_Sign1)."""
        return self.token.count(".") == 2 and self.signing_input == self.token.rpartition(".")[0].encode("utf-8")


def looks_like_jws(text: str) -> bool:
    """Whether ``text`` has the shape of a compact JWS (or an SD-JWT starting with one)."""
    first = text.strip().split("~", 1)[0]
    parts = first.split(".")
    return len(parts) == 3 and all(parts[:2]) and all(c.isalnum() or c in "-_" for c in "".join(parts))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        duplicated = sorted({name for name in names if names.count(name) > 1})
        raise InvalidDocument(f"duplicate member name(s) {', '.join(map(repr, duplicated))}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise InvalidDocument(f"{name} is not JSON")


def strict_json(data: bytes) -> Any:
    """Parse JOSE JSON strictly: duplicate member names, NaN/Infinity, and JSON that is not plain and bounded
    (:func:`~vctrade.model._json.json_problem`: too deep, numbers beyond a double) are refused (InvalidDocument).

    RFC 7515 lets a parser keep the last duplicate; refusing closes the door on
    two parsers reading two different issuers out of the same signed bytes.
    """
    try:
        value = json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                           parse_int=parse_json_int)
    except RecursionError as exc:
        raise InvalidDocument("JSON nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise InvalidDocument(f"not JSON: {exc}") from exc
    problem = json_problem(value)
    if problem:
        raise InvalidDocument(problem)
    return value


def media_type(value: Any) -> Any:
    """A ``typ``/``cty`` value compared as RFC 7515 says: case-insensitive, ``application/`` optional."""
    if not isinstance(value, str):
        return value
    value = value.lower()
    return value.removeprefix("application/") if value.count("/") == 1 else value


def decode_jws(token: str) -> DecodedJws:
    """Split and decode a compact JWS; InvalidDocument if it is not one."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InvalidDocument("not a compact JWS (expected three base64url parts separated by dots)")
    try:
        header = strict_json(b64url_decode(parts[0]))
        payload = strict_json(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (EncodingError, InvalidDocument) as exc:
        raise InvalidDocument(f"the JWS does not decode: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise InvalidDocument("the JWS header and payload must be JSON objects")
    return DecodedJws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature, token.strip())


def encode_jws(header: dict[str, Any], payload: dict[str, Any], key: Key) -> str:
    """Sign ``payload`` as a compact JWS with ``key`` through jwcrypto (``alg`` from the key, first in the header)."""
    from jwcrypto.common import JWException
    from jwcrypto.jwk import JWK
    from jwcrypto.jws import JWS

    alg = key.jose_alg
    if alg not in ALGORITHMS:
        raise SigningError(f"{key.key_type} keys cannot sign JWS here")
    if header.get("alg", alg) != alg:
        raise SigningError(f"a {key.key_type} key signs {alg}, not {header['alg']!r}")
    # The protected header goes to jwcrypto as text, so it is signed exactly as vctrade writes it
    # (jwcrypto would sort the members of a dict).
    protected = json.dumps({"alg": alg, **header}, separators=(",", ":"))
    if key.signer is not None:  # a key in an HSM: its private half is not here for jwcrypto; the token signs
        signing_input = (f"{b64url_encode(protected.encode('utf-8'))}."
                         f"{b64url_encode(json.dumps(payload, separators=(',', ':'), ensure_ascii=False).encode('utf-8'))}")
        return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"
    signer = JWS(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signer.allowed_algs = [alg]
    try:
        signer.add_signature(JWK(**key.to_jwk(private=True)), alg, protected=protected)
        token: str = signer.serialize(compact=True)
    except (JWException, ValueError) as exc:
        raise SigningError(f"cannot sign the JWS with {alg}: {exc}") from exc
    return token


def verify_jws_signature(decoded: DecodedJws, key: Key, alg: str) -> bool:
    """Whether jwcrypto verifies ``decoded``'s signature with ``key`` under ``alg`` alone; never raises.

    The caller has already checked the header (``alg`` allowed and named by it, ``crit``
    refused). Refused here before jwcrypto sees the token, because jwcrypto would accept it
    over bytes other than the token's: an ``alg`` that does not fit ``key``; a ``b64`` header
    (jwcrypto would then verify over the raw payload, RFC 7797); base64url that is padded or
    not canonical (jwcrypto decodes and re-encodes before verifying); an ECDSA signature of
    the wrong length (jwcrypto splits any length in half).
    """
    from jwcrypto.common import JWException
    from jwcrypto.jwk import JWK
    from jwcrypto.jws import JWS

    if ALGORITHMS.get(alg) != key.key_type or decoded.header.get("alg") != alg or "b64" in decoded.header:
        return False
    parts = decoded.token.split(".")
    try:
        if len(parts) != 3:
            return False
        for part in parts:
            b64url_decode(part)  # refuses padded or non-canonical base64url, which jwcrypto would accept
    except EncodingError:
        return False
    if len(decoded.signature) != _SIGNATURE_LENGTHS[alg]:
        return False
    try:
        token = JWS()
        token.deserialize(decoded.token)
        token.allowed_algs = [alg]
        token.verify(JWK(**key.to_jwk()), alg=alg)
    except (JWException, ValueError, TypeError):  # InvalidJWSSignature, InvalidJWSObject, InvalidJWKValue, ...
        return False
    return True


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK."""
    required = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}.get(str(jwk.get("kty")), ())
    if not required or any(k not in jwk for k in required):
        return ""
    return b64url_encode(hashlib.sha256(rfc8785.dumps({k: jwk[k] for k in required})).digest())


def _issuer_and_method(credential: dict[str, Any], key: Key, verification_method: str | None) -> tuple[dict[str, Any], str]:
    method = verification_method or key.did_key_verification_method
    return with_signer(credential, method.split("#", 1)[0]), method


def sign_vc_jwt(credential: dict[str, Any], key: Key, *, verification_method: str | None = None,
                now: float | None = None) -> str:
    """A ``vc+jwt`` (VC-JOSE-COSE): the payload is the credential, plus ``iss`` and ``iat``."""
    if not isinstance(credential, dict):
        raise InvalidDocument("the credential must be a JSON object")
    document, method = _issuer_and_method(credential, key, verification_method)
    problems = structure_problems(document)
    if problems:
        raise InvalidDocument("not a valid credential: " + "; ".join(problems))
    if "vc" in document or "vp" in document:
        raise InvalidDocument("a vc+jwt payload must not carry 'vc' or 'vp' claims")
    payload = {**document, "iss": issuer_id(document), "iat": int(now if now is not None else time.time())}
    if "id" in document:
        payload["jti"] = document["id"]
    return encode_jws({"kid": method, "typ": "vc+jwt", "cty": "vc"}, payload, key)


def sign_vp_jwt(presentation: dict[str, Any], key: Key, *, verification_method: str | None = None,
                nonce: str | None = None, audience: str | None = None, now: float | None = None) -> str:
    """A ``vp+jwt``: the presentation as payload; ``nonce``/``aud`` carry the verifier's challenge and domain."""
    if not isinstance(presentation, dict):
        raise InvalidDocument("the presentation must be a JSON object")
    method = verification_method or key.did_key_verification_method
    holder = method.split("#", 1)[0]
    document = with_signer(presentation, holder, kind="VerifiablePresentation")
    problems = structure_problems(document, kind="VerifiablePresentation")
    if problems:
        raise InvalidDocument("not a valid presentation: " + "; ".join(problems))
    payload: dict[str, Any] = {**document, "iss": holder, "iat": int(now if now is not None else time.time())}
    if nonce is not None:
        payload["nonce"] = nonce
    if audience is not None:
        payload["aud"] = audience
    return encode_jws({"kid": method, "typ": "vp+jwt", "cty": "vp"}, payload, key)


def envelope(token: str, media_type: str = "vc+jwt") -> dict[str, Any]:
    """An ``EnvelopedVerifiableCredential`` that carries a JWT credential inside a presentation."""
    return {"@context": "https://www.w3.org/ns/credentials/v2", "id": f"data:application/{media_type},{token}",
            "type": "EnvelopedVerifiableCredential"}


def _numeric_date(value: str) -> int:
    return int(parse_datetime(value).timestamp())


def sign_legacy_jwt(credential: dict[str, Any], key: Key, *, verification_method: str | None = None) -> str:
    """A VC 1.1 JWT (VC-JWT): the credential in the ``vc`` claim, registered claims mapped out of it."""
    if not isinstance(credential, dict):
        raise InvalidDocument("the credential must be a JSON object")
    if data_model_version(credential) != "1.1":
        # VC-JWT maps VC 1.1 fields (issuanceDate, expirationDate); a VCDM 2.0 credential is a vc+jwt.
        raise InvalidDocument("a VC 1.1 JWT secures a VC 1.1 credential (first @context "
                              "https://www.w3.org/2018/credentials/v1); for VCDM 2.0 use vc+jwt (format jose)")
    document, method = _issuer_and_method(credential, key, verification_method)
    problems = structure_problems(document)
    if problems:
        raise InvalidDocument("not a valid credential: " + "; ".join(problems))
    subject = document.get("credentialSubject")
    claims: dict[str, Any] = {"iss": issuer_id(document), "nbf": _numeric_date(document["issuanceDate"])}
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        claims["sub"] = subject["id"]
    if "expirationDate" in document:
        claims["exp"] = _numeric_date(document["expirationDate"])
    if "id" in document:
        claims["jti"] = document["id"]
    return encode_jws({"kid": method, "typ": "JWT"}, {**claims, "vc": document}, key)


def _find_method(document: DIDDocument, kid: str) -> VerificationMethod | None:
    """The method ``kid`` names: by id (absolute or relative), or by JWK ``kid`` / thumbprint."""
    method = document.verification_method(kid if kid.startswith(("did:", "#", "http")) else f"#{kid}")
    if method is not None:
        return method
    for entry in document.data.get("verificationMethod") or []:
        jwk = entry.get("publicKeyJwk") if isinstance(entry, dict) else None
        if isinstance(jwk, dict) and kid in (jwk.get("kid"), jwk_thumbprint(jwk)):
            return document.verification_method(entry["id"])
    return None


def check_jws(
    decoded: DecodedJws,
    *,
    typ: tuple[str | None, ...],
    cty: str | None,
    controller: str | None,
    resolver: Any,
    purpose: str,
    label: str = "jose",
) -> Iterator[Check]:
    """The checks of one JWS: header, key discovery and authorization, algorithm fit, signature.

    ``controller`` is the DID (or URL) whose key must have signed: the issuer,
    or the holder for a presentation. The last check passes only if the signature verifies.
    """
    header = decoded.header
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        yield Check(f"{label}.header", FAILED, "alg_not_allowed",
                    f"alg {alg!r} is not allowed (allowed: {', '.join(ALGORITHMS)}; never none or HMAC)")
        return
    if "crit" in header:
        yield Check(f"{label}.header", FAILED, "crit_not_understood",
                    f"the JWS marks {header['crit']!r} critical; vctrade understands no critical extension")
        return
    if media_type(header.get("typ")) not in tuple(media_type(t) for t in typ):
        yield Check(f"{label}.header", FAILED, "wrong_media_type",
                    f"typ is {header.get('typ')!r}, expected {' or '.join(str(t) for t in typ if t) or 'none'}")
        return
    if cty is not None and "cty" in header and media_type(header["cty"]) != media_type(cty):
        yield Check(f"{label}.header", FAILED, "wrong_media_type", f"cty is {header['cty']!r}, expected {cty!r}")
        return
    yield Check(f"{label}.header", PASSED, "header_ok", f"{alg}, typ {header.get('typ')}")

    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        yield Check(f"{label}.kid", FAILED, "kid_missing", "the JWS header has no kid")
        return
    if not isinstance(controller, str):
        yield Check(f"{label}.kid", FAILED, "no_controller", "the payload names no issuer or holder to find the key under")
        return
    if kid.startswith("did:") and kid.split("#", 1)[0] != controller:
        yield Check(f"{label}.kid", FAILED, "kid_not_controller",
                    f"kid {kid} belongs to {kid.split('#', 1)[0]}, not to {controller}")
        return
    try:
        document = resolver.resolve(controller)
        method = _find_method(document, kid)
    except VctradeError as exc:
        yield failure_check(f"{label}.kid", exc, controller)
        return
    if method is None:
        yield Check(f"{label}.kid", FAILED, "kid_not_found", f"kid {kid} is not a key in the document of {controller}")
        return
    yield Check(f"{label}.kid", PASSED, "kid_resolved", method.id)
    if method.controller != document.id or not document.authorizes(method.id, purpose):
        yield Check(f"{label}.authorized", FAILED, "not_authorized",
                    f"{method.id} is not listed under {purpose} by {document.id}")
        return
    yield Check(f"{label}.authorized", PASSED, "authorized", f"listed under {purpose} by {document.id}")
    if ALGORITHMS[alg] != method.key.key_type:
        yield Check(f"{label}.alg", FAILED, "alg_key_mismatch", f"alg {alg} does not fit a {method.key.key_type} key")
        return
    yield Check(f"{label}.alg", PASSED, "alg_fits_key", f"{alg} with {method.key.key_type}")
    # A COSE_Sign1 (signed over its Sig_structure) stays on cryptography; a compact JWS goes to jwcrypto.
    if not (verify_jws_signature(decoded, method.key, alg) if decoded.compact
            else method.key.verify(decoded.signature, decoded.signing_input)):
        yield Check(f"{label}.signature", FAILED, "signature_invalid", "the JWS signature does not verify")
        return
    yield Check(f"{label}.signature", PASSED, "signature_valid", f"signed by {document.id}")


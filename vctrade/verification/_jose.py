"""JOSE and COSE as securing mechanisms: ``vc+jwt``/``vp+jwt``, SD-JWT, VC 1.1 JWTs, ``vc+cose``/``vp+cose``.

Opening decodes the token (and, for SD-JWT, puts the presented disclosures
back); securing checks the header, finds the key in the issuer's (holder's)
DID document, verifies the signature, the JWT claims (``nbf``/``exp``,
``iss``) and, for SD-JWT, key binding. The credential inside is judged by the
same claims checks as any other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from vctrade._keys import Key
from vctrade._result import FAILED, PASSED, Check
from vctrade.errors import InvalidDocument
from vctrade.jose._cose import decode_cose
from vctrade.jose._jws import (
    ALGORITHMS,
    DecodedJws,
    check_jws,
    decode_jws,
    media_type,
    verify_jws_signature,
)
from vctrade.jose._sdjwt import JWT_CLAIMS, SdJwt, parse_sd_jwt, reconstruct, sd_hash
from vctrade.model._credentials import (
    format_datetime,
    holder_id,
    issuer_id,
    parse_datetime,
    types_of,
)
from vctrade.verification._context import Request, VerifyContext
from vctrade.verification._formats import Detected, Format
from vctrade.verification._securing import Secured

__all__ = ["JoseOpened", "open_jose", "OpenFailure", "KEY_BINDING_MAX_AGE"]

# How old a key-binding JWT may be (beyond the clock skew): it proves the holder's presence now (RFC 9901 7.3).
KEY_BINDING_MAX_AGE = timedelta(minutes=10)
_PRESENTATION_TYPS = ("vp+jwt", "vp+sd-jwt", "vp-ld+jwt")


@dataclass(frozen=True)
class OpenFailure:
    """A token that cannot be opened: the one failed check that says why."""

    kind: str
    check: Check


def _iso(value: float) -> str:
    try:
        return format_datetime(datetime.fromtimestamp(value, tz=timezone.utc))
    except (OverflowError, OSError, ValueError):  # a NumericDate beyond what a datetime holds
        return f"NumericDate {value!r}"


def _view(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential or presentation: the payload without the JOSE-layer claims."""
    return {k: v for k, v in payload.items() if k not in JWT_CLAIMS}


def _legacy_view(payload: dict[str, Any]) -> dict[str, Any]:
    """A VC 1.1 JWT's credential: the ``vc`` claim with iss/sub/nbf/exp/jti mapped back in."""
    credential = dict(payload["vc"]) if isinstance(payload.get("vc"), dict) else {}
    if "iss" in payload and "issuer" not in credential:
        credential["issuer"] = payload["iss"]
    if "jti" in payload and "id" not in credential:
        credential["id"] = payload["jti"]
    if isinstance(payload.get("nbf"), (int, float)) and "issuanceDate" not in credential:
        credential["issuanceDate"] = _iso(payload["nbf"])
    if isinstance(payload.get("exp"), (int, float)) and "expirationDate" not in credential:
        credential["expirationDate"] = _iso(payload["exp"])
    subject = credential.get("credentialSubject")
    if "sub" in payload and isinstance(subject, dict) and "id" not in subject:
        credential["credentialSubject"] = {**subject, "id": payload["sub"]}
    return credential


def _legacy_consistency(payload: dict[str, Any]) -> Check:
    """A VC 1.1 JWT whose registered claims and ``vc`` disagree names two credentials in one: refused.

    (iss against issuer is the ``jose.iss`` check.)
    """
    vc = payload.get("vc")
    credential: dict[str, Any] = vc if isinstance(vc, dict) else {}
    subject = credential.get("credentialSubject")
    conflicts = []
    if "jti" in payload and "id" in credential and payload["jti"] != credential["id"]:
        conflicts.append(f"jti {payload['jti']!r} is not the credential id {credential['id']!r}")
    if "sub" in payload and isinstance(subject, dict) and "id" in subject and payload["sub"] != subject["id"]:
        conflicts.append(f"sub {payload['sub']!r} is not the subject id {subject['id']!r}")
    for claim, names in (("nbf", ("issuanceDate", "validFrom")), ("exp", ("expirationDate", "validUntil"))):
        value = payload.get(claim)
        date = next((credential[n] for n in names if n in credential), None)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or date is None:
            continue
        try:
            moment = parse_datetime(date).timestamp()
        except InvalidDocument:
            continue  # the structure check reports a bad date
        if int(moment) != int(value):
            conflicts.append(f"{claim} {_iso(value)} is not the credential's {date}")
    if conflicts:
        return Check("jose.claims", FAILED, "claims_conflict", "; ".join(conflicts))
    return Check("jose.claims", PASSED, "claims_consistent", "the JWT claims agree with the vc claim")


def _time_claims(payload: dict[str, Any], context: VerifyContext) -> list[Check]:
    """nbf / exp when present (a string iat, as in some test vectors, is ignored: it decides nothing)."""
    checks = []
    now, skew = context.now.timestamp(), context.skew.total_seconds()
    for claim in ("nbf", "exp"):
        if claim not in payload:
            continue
        value = payload[claim]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            checks.append(Check(f"jose.{claim}", FAILED, "invalid_claim", f"{claim} must be a NumericDate, got {value!r}"))
        elif claim == "nbf" and value > now + skew:
            checks.append(Check("jose.nbf", FAILED, "not_yet_valid", f"not valid before {_iso(value)}"))
        elif claim == "exp" and value < now - skew:
            checks.append(Check("jose.exp", FAILED, "expired", f"the JWT expired at {_iso(value)}"))
        else:
            checks.append(Check(f"jose.{claim}", PASSED, f"{claim}_ok", _iso(value)))
    return checks


def _shown(value: Any) -> str:
    """A challenge (nonce) in a message: long ones cut to their start, an absent one named."""
    if value is None:
        return "none"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 16 else text[:8] + "…"


def _key_binding(sd: SdJwt, context: VerifyContext, request: Request) -> list[Check]:
    name = "sd-jwt.key-binding"
    binding = sd.key_binding
    if binding is None:
        if request.wants_binding:
            return [Check(name, FAILED, "key_binding_missing", "the verifier asked for key binding (a nonce), but there is no KB-JWT")]
        return []
    confirmation = sd.jws.payload.get("cnf")
    jwk = confirmation.get("jwk") if isinstance(confirmation, dict) else None
    try:
        holder = Key.from_jwk(jwk) if isinstance(jwk, dict) and "d" not in jwk else None
    except Exception:  # noqa: BLE001 - any bad cnf key is a failed check
        holder = None
    if holder is None:
        return [Check(name, FAILED, "no_holder_key", "a KB-JWT is present but the credential has no usable cnf.jwk")]
    header, claims = binding.header, binding.payload
    problems = []
    if media_type(header.get("typ")) != "kb+jwt":
        problems.append(f"typ is {header.get('typ')!r}, expected 'kb+jwt'")
    if "crit" in header:
        problems.append(f"the KB-JWT marks {header['crit']!r} critical; vctrade understands no critical extension")
    alg = header.get("alg")
    if not isinstance(alg, str) or ALGORITHMS.get(alg) != holder.key_type:
        problems.append(f"alg {alg!r} does not fit the holder's {holder.key_type} key")
    elif not verify_jws_signature(binding, holder, alg):
        problems.append("the KB-JWT signature does not verify with the cnf key")
    if claims.get("sd_hash") != sd_hash(sd.without_key_binding):
        problems.append("sd_hash does not match the presented SD-JWT")
    if request.challenge is not None and claims.get("nonce") != request.challenge:
        problems.append(f"nonce: expected {_shown(request.challenge)}, got {_shown(claims.get('nonce'))}")
    if request.domain is not None and claims.get("aud") != request.domain:
        problems.append(f"the audience is not {request.domain!r}")
    iat = claims.get("iat")
    now, skew = context.now.timestamp(), context.skew.total_seconds()
    if not isinstance(iat, (int, float)) or isinstance(iat, bool) or iat > now + skew:
        problems.append("iat is missing or in the future")
    elif iat < now - skew - KEY_BINDING_MAX_AGE.total_seconds():
        problems.append(f"the KB-JWT was made at {_iso(iat)}, more than {KEY_BINDING_MAX_AGE} ago")
    if problems:
        return [Check(name, FAILED, "key_binding_invalid", "; ".join(problems))]
    return [Check(name, PASSED, "key_binding_valid", "the holder signed this presentation with the cnf key")]


@dataclass(frozen=True)
class JoseOpened:
    """A decoded JWS, SD-JWT or COSE_Sign1 and the credential or presentation it carries."""

    kind: str
    document: dict[str, Any]
    decoded: DecodedJws
    sd: SdJwt | None
    expected_typ: tuple[str | None, ...]
    cose: bool = False
    legacy: bool = False
    opening_checks: tuple[Check, ...] = field(default=())

    @property
    def signed_jsonld(self) -> tuple[dict[str, Any], ...]:
        """The payload's credential or presentation."""
        return (self.document,)

    def secure(self, context: VerifyContext, request: Request) -> Secured:
        """Header, key, signature, ``iss``, time claims; key binding and nonce/audience where they apply."""
        payload = self.decoded.payload
        presentation = self.kind == "presentation"
        if presentation:
            holder = holder_id(self.document)
            controller = holder if holder is not None else payload.get("iss")
        else:
            controller = issuer_id(self.document)
        media = "vp" if presentation else "vc"
        jose = list(check_jws(self.decoded, typ=self.expected_typ, cty=f"application/{media}" if self.cose else media,
                              controller=controller if isinstance(controller, str) else None,
                              resolver=context.resolver, purpose=request.purpose,
                              label="cose" if self.cose else "jose"))
        extra: list[Check] = []
        if presentation:
            if request.challenge is not None and payload.get("nonce") != request.challenge:
                extra.append(Check("jose.nonce", FAILED, "challenge_mismatch",
                                   f"expected {_shown(request.challenge)}, got {_shown(payload.get('nonce'))}"))
            audience = payload.get("aud")
            if request.domain is not None and request.domain not in (audience if isinstance(audience, list) else [audience]):
                extra.append(Check("jose.aud", FAILED, "domain_mismatch", f"the presentation's audience is not {request.domain!r}"))
        else:
            if "iss" in payload and payload["iss"] != controller:
                jose.append(Check("jose.iss", FAILED, "iss_mismatch", f"iss {payload['iss']!r} is not the issuer {controller!r}"))
            if self.sd is not None:
                extra.extend(_key_binding(self.sd, context, request))
            if self.legacy:
                extra.append(_legacy_consistency(payload))
        # Order: what was verified about the signature, then what the disclosures and claims say.
        checks = (*jose, *self.opening_checks, *extra, *_time_claims(payload, context))
        signed = any(c.code == "signature_valid" for c in jose)
        return Secured(checks, (controller,) if signed and isinstance(controller, str) else ())


def open_jose(detected: Detected) -> JoseOpened | OpenFailure:
    """Decode a compact JWS, SD-JWT or COSE_Sign1 (nothing verified yet)."""
    cose = detected.format is Format.COSE
    try:
        if cose:
            decoded, sd = decode_cose(detected.value), None
        elif detected.format is Format.SD_JWT:
            sd = parse_sd_jwt(detected.value)
            decoded = sd.jws
        else:
            decoded, sd = decode_jws(detected.value), None
    except InvalidDocument as exc:
        return OpenFailure("credential", Check("structure", FAILED, exc.code, str(exc)))
    typ = media_type(decoded.header.get("typ"))
    payload = decoded.payload
    if cose:
        presentation = str(decoded.header.get("typ", "")) == "application/vp+cose" or "VerifiablePresentation" in types_of(payload)
    else:
        # By typ, or by what the payload says it is (so a wrong typ on a presentation fails as a header problem).
        presentation = typ in _PRESENTATION_TYPS or "VerifiablePresentation" in types_of(payload)
    kind = "presentation" if presentation else "credential"
    if not cose and typ in ("jwt", None) and "vp" in payload:
        return OpenFailure("presentation", Check("structure", FAILED, "unsupported",
                                                 "VC 1.1 JWT presentations are not supported; use vp+jwt"))
    opening: tuple[Check, ...] = ()
    document = payload
    if sd is not None:
        try:
            document, used = reconstruct(sd)
        except InvalidDocument as exc:
            return OpenFailure(kind, Check("sd-jwt.disclosures", FAILED, "invalid_disclosures", str(exc)))
        opening = (Check("sd-jwt.disclosures", PASSED, "disclosures_valid", f"{len(used)} disclosure(s) match signed digests"),)
        return JoseOpened(kind, _view(document), decoded, sd, ("vp+sd-jwt",) if presentation else ("vc+sd-jwt",),
                          opening_checks=opening)
    if cose:
        return JoseOpened(kind, _view(payload), decoded, None,
                          ("application/vp+cose",) if presentation else ("application/vc+cose",), cose=True)
    if presentation:
        return JoseOpened(kind, _view(payload), decoded, None, ("vp+jwt", "vp-ld+jwt"))
    if typ in ("jwt", None) and "vc" in payload:
        return JoseOpened(kind, _legacy_view(payload), decoded, None, ("JWT", None), legacy=True)
    if "vc" in payload or "vp" in payload:
        return OpenFailure(kind, Check("structure", FAILED, "vc_vp_claims", "a vc+jwt payload must not carry 'vc' or 'vp' claims"))
    return JoseOpened(kind, _view(payload), decoded, None, ("vc+jwt", "vc-ld+jwt"))

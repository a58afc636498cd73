"""Verification of JOSE-secured documents: ``vc+jwt``, ``vp+jwt``, ``vc+sd-jwt``, ``vp+sd-jwt``, VC 1.1 JWTs.

The JOSE layer (header, key discovery, signature, JWT claims, disclosures,
key binding) replaces the Data Integrity proof checks; everything else —
structure, JSON-LD safety, issuer, validity period, schema, status, policy —
is the same pipeline as for Data Integrity (:func:`vctrade.verify.verify_credential`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .credentials import format_datetime, issuer_id, parse_datetime, structure_problems, types_of
from .errors import ContextError, InputError, InvalidDocument
from .jsonld import expand_safe
from .keys import Key
from .result import ERROR, FAILED, PASSED, Check, VerificationResult
from .sdjwt import JWT_CLAIMS, SdJwt, parse, reconstruct, sd_hash
from .suites.cose import decode_cose
from .suites.jose import ALGORITHMS, DecodedJws, check_jws, decode_jws, media_type
from .verify import VerifyContext, verify_credential

__all__ = ["verify_jose", "verify_cose"]

Pairs = list[tuple[dict[str, Any], VerificationResult]]
_ENVELOPE_PREFIXES = ("data:application/vc+jwt,", "data:application/vc+sd-jwt,", "data:application/vc-ld+jwt,")
# How old a key-binding JWT may be (beyond the clock skew): it proves the holder's presence now (RFC 9901 7.3).
KEY_BINDING_MAX_AGE = timedelta(minutes=10)


def _failed(name: str, code: str, message: str, kind: str = "credential") -> VerificationResult:
    return VerificationResult((Check(name, FAILED, code, message),), kind)


def _claims_checks(payload: dict[str, Any], context: VerifyContext, label: str = "jose") -> list[Check]:
    """nbf / exp when numeric (a string iat, as in some test vectors, is ignored: it decides nothing)."""
    checks = []
    now = context.now.timestamp()
    skew = context.skew.total_seconds()
    for claim in ("nbf", "exp"):
        if claim not in payload:
            continue
        value = payload[claim]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            checks.append(Check(f"{label}.{claim}", FAILED, "invalid_claim", f"{claim} must be a NumericDate, got {value!r}"))
        elif claim == "nbf" and value > now + skew:
            checks.append(Check(f"{label}.nbf", FAILED, "not_yet_valid", f"not valid before {_iso(value)}"))
        elif claim == "exp" and value < now - skew:
            checks.append(Check(f"{label}.exp", FAILED, "expired", f"the JWT expired at {_iso(value)}"))
        else:
            checks.append(Check(f"{label}.{claim}", PASSED, f"{claim}_ok", _iso(value)))
    return checks


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


def _key_binding(sd: SdJwt, context: VerifyContext, challenge: str | None, domain: str | None) -> list[Check]:
    name = "sd-jwt.key-binding"
    binding = sd.key_binding
    if binding is None:
        if challenge is not None or domain is not None:
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
    elif not holder.verify(binding.signature, binding.signing_input):
        problems.append("the KB-JWT signature does not verify with the cnf key")
    if claims.get("sd_hash") != sd_hash(sd.without_key_binding):
        problems.append("sd_hash does not match the presented SD-JWT")
    if challenge is not None and claims.get("nonce") != challenge:
        problems.append("the nonce is not the verifier's challenge")
    if domain is not None and claims.get("aud") != domain:
        problems.append(f"the audience is not {domain!r}")
    iat = claims.get("iat")
    now, skew = context.now.timestamp(), context.skew.total_seconds()
    if not isinstance(iat, (int, float)) or isinstance(iat, bool) or iat > now + skew:
        problems.append("iat is missing or in the future")
    elif iat < now - skew - KEY_BINDING_MAX_AGE.total_seconds():
        problems.append(f"the KB-JWT was made at {_iso(iat)}, more than {KEY_BINDING_MAX_AGE} ago")
    if problems:
        return [Check(name, FAILED, "key_binding_invalid", "; ".join(problems))]
    return [Check(name, PASSED, "key_binding_valid", "the holder signed this presentation with the cnf key")]


def _credential(decoded: DecodedJws, sd: SdJwt | None, context: VerifyContext, challenge: str | None,
                domain: str | None, cose: bool = False) -> tuple[VerificationResult, dict[str, Any] | None]:
    typ = media_type(decoded.header.get("typ"))
    payload = decoded.payload
    extra: list[Check] = []
    expected_typ: tuple[str | None, ...]
    if sd is not None:
        try:
            document, used = reconstruct(sd)
        except InvalidDocument as exc:
            return _failed("sd-jwt.disclosures", "invalid_disclosures", str(exc)), None
        extra.append(Check("sd-jwt.disclosures", PASSED, "disclosures_valid", f"{len(used)} disclosure(s) match signed digests"))
        extra.extend(_key_binding(sd, context, challenge, domain))
        view, expected_typ = _view(document), ("vc+sd-jwt",)
    elif cose:
        view, expected_typ = _view(payload), ("application/vc+cose",)
    elif typ in ("jwt", None) and "vc" in payload:
        view, expected_typ = _legacy_view(payload), ("JWT", None)
        extra.append(_legacy_consistency(payload))
    else:
        if "vc" in payload or "vp" in payload:
            return _failed("structure", "vc_vp_claims", "a vc+jwt payload must not carry 'vc' or 'vp' claims"), None
        view, expected_typ = _view(payload), ("vc+jwt", "vc-ld+jwt")
    controller = issuer_id(view)
    jose = list(check_jws(decoded, typ=expected_typ, cty="application/vc" if cose else "vc", controller=controller,
                          resolver=context.resolver, purpose="assertionMethod", label="cose" if cose else "jose"))
    if "iss" in payload and payload["iss"] != controller:
        jose.append(Check("jose.iss", FAILED, "iss_mismatch", f"iss {payload['iss']!r} is not the issuer {controller!r}"))
    claims = _claims_checks(payload, context)
    # Order: what was verified about the JWS, then what the disclosures and claims say.
    secured = jose + extra + claims
    signature_ok = any(c.code == "signature_valid" for c in jose)
    signers = [controller] if signature_ok and controller else []
    return verify_credential(view, context, securing=lambda _d: (secured, signers)), view


def _nested_credential(entry: Any, context: VerifyContext) -> tuple[dict[str, Any] | None, VerificationResult]:
    if isinstance(entry, dict) and entry.get("type") == "EnvelopedVerifiableCredential":
        value = entry.get("id")
        prefix = next((p for p in _ENVELOPE_PREFIXES if isinstance(value, str) and value.startswith(p)), None)
        if isinstance(value, str) and value.startswith("data:application/vc+cose"):
            result, pairs = verify_cose(value.split(",", 1)[-1].encode("ascii", "replace"), context)
            return (pairs[0][0] if pairs else None), result
        if prefix is None or not isinstance(value, str):
            return None, _failed("structure", "invalid_envelope", f"an enveloped credential needs a data: URL of a JWT, got {str(value)[:40]!r}")
        result, pairs = verify_jose(value[len(prefix):], context)
        return (pairs[0][0] if pairs else None), result
    if isinstance(entry, dict):
        return entry, verify_credential(entry, context)
    return None, _failed("structure", "invalid_credential", "a presented credential must be an object")


def _presentation(decoded: DecodedJws, sd: SdJwt | None, context: VerifyContext, challenge: str | None,
                  domain: str | None, cose: bool = False) -> tuple[VerificationResult, Pairs]:
    payload = decoded.payload
    checks: list[Check] = []
    expected_typ: tuple[str | None, ...]
    if sd is not None:
        try:
            document, _ = reconstruct(sd)
        except InvalidDocument as exc:
            return _failed("sd-jwt.disclosures", "invalid_disclosures", str(exc), "presentation"), []
        checks.append(Check("sd-jwt.disclosures", PASSED, "disclosures_valid", f"{len(sd.disclosures)} disclosure(s) match"))
        view, expected_typ = _view(document), ("vp+sd-jwt",)
    elif cose:
        view, expected_typ = _view(payload), ("application/vp+cose",)
    else:
        view, expected_typ = _view(payload), ("vp+jwt", "vp-ld+jwt")
    problems = structure_problems(view, kind="VerifiablePresentation")
    if problems:
        return _failed("structure", "invalid_structure", "; ".join(problems), "presentation"), []
    checks.insert(0, Check("structure", PASSED, "structure_ok", "well-formed VP (JOSE)"))
    try:
        expand_safe(view, context.loader)
        checks.append(Check("json-ld", PASSED, "jsonld_ok", "every term is defined by pinned contexts"))
    except ContextError as exc:
        checks.append(Check("json-ld", ERROR, exc.code, str(exc)))
    except InputError as exc:
        checks.append(Check("json-ld", FAILED, exc.code, str(exc)))
    holder = view.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    controller = holder if isinstance(holder, str) else payload.get("iss")
    checks.extend(check_jws(decoded, typ=expected_typ, cty="application/vp" if cose else "vp", controller=controller,
                            resolver=context.resolver, purpose="authentication", label="cose" if cose else "jose"))
    if challenge is not None and payload.get("nonce") != challenge:
        checks.append(Check("jose.nonce", FAILED, "challenge_mismatch", "the presentation's nonce is not the expected challenge"))
    audience = payload.get("aud")
    if domain is not None and domain not in (audience if isinstance(audience, list) else [audience]):
        checks.append(Check("jose.aud", FAILED, "domain_mismatch", f"the presentation's audience is not {domain!r}"))
    checks.extend(_claims_checks(payload, context))
    entries = view.get("verifiableCredential", [])
    pairs: Pairs = []
    nested = []
    for entry in entries if isinstance(entries, list) else [entries]:
        credential, result = _nested_credential(entry, context)
        nested.append(result)
        if credential is not None:
            pairs.append((credential, result))
    return VerificationResult(tuple(checks), "presentation", controller, view.get("id"), tuple(nested)), pairs


def verify_jose(text: str, context: VerifyContext, challenge: str | None = None,
                domain: str | None = None) -> tuple[VerificationResult, Pairs]:
    """Verify a compact JWS or SD-JWT; returns the result and the (credential, result) pairs inside it."""
    try:
        sd = parse(text) if "~" in text else None
        decoded = sd.jws if sd is not None else decode_jws(text)
    except InvalidDocument as exc:
        return _failed("structure", exc.code, str(exc)), []
    typ = media_type(decoded.header.get("typ"))
    # By typ, or by what the payload says it is (so a wrong typ on a presentation fails as a header problem).
    is_presentation = typ in ("vp+jwt", "vp+sd-jwt", "vp-ld+jwt") or "VerifiablePresentation" in types_of(decoded.payload)
    if typ in ("jwt", None) and "vp" in decoded.payload:
        return _failed("structure", "unsupported", "VC 1.1 JWT presentations are not supported; use vp+jwt", "presentation"), []
    if is_presentation:
        return _presentation(decoded, sd, context, challenge, domain)
    result, view = _credential(decoded, sd, context, challenge, domain)
    return result, ([(view, result)] if view is not None else [])


def verify_cose(data: bytes, context: VerifyContext, challenge: str | None = None,
                domain: str | None = None) -> tuple[VerificationResult, Pairs]:
    """Verify a COSE_Sign1 credential or presentation (raw CBOR or base64 text)."""
    try:
        decoded = decode_cose(data)
    except InvalidDocument as exc:
        return _failed("structure", exc.code, str(exc)), []
    media = str(decoded.header.get("typ", ""))
    if media == "application/vp+cose" or "VerifiablePresentation" in types_of(decoded.payload):
        return _presentation(decoded, None, context, challenge, domain, cose=True)
    result, view = _credential(decoded, None, context, challenge, domain, cose=True)
    return result, ([(view, result)] if view is not None else [])

"""JOSE and COSE securing: ``vc+jwt``/``vp+jwt`` (VC-JOSE-COSE), SD-JWT, VC 1.1 JWTs, ``vc+cose``.

These functions secure and unsecure; the claims in the payload are judged by
:mod:`vctrade.verification`, the same way for every securing mechanism.
"""

from __future__ import annotations

from vctrade.jose._cose import cose_text, decode_cose, looks_like_cose, sign_cose
from vctrade.jose._jws import (
    ALGORITHMS,
    DecodedJws,
    check_jws,
    decode_jws,
    encode_jws,
    envelope,
    looks_like_jws,
    media_type,
    sign_legacy_jwt,
    sign_vc_jwt,
    sign_vp_jwt,
    verify_jws_signature,
)
from vctrade.jose._sdjwt import (
    JWT_CLAIMS,
    SdJwt,
    disclose,
    parse_sd_jwt,
    reconstruct,
    sd_hash,
)
from vctrade.jose._sdjwt import issue as issue_sd_jwt

__all__ = [
    "ALGORITHMS",
    "DecodedJws",
    "decode_jws",
    "encode_jws",
    "check_jws",
    "looks_like_jws",
    "media_type",
    "envelope",
    "sign_vc_jwt",
    "sign_vp_jwt",
    "sign_legacy_jwt",
    "verify_jws_signature",
    "issue_sd_jwt",
    "disclose",
    "parse_sd_jwt",
    "reconstruct",
    "sd_hash",
    "SdJwt",
    "JWT_CLAIMS",
    "sign_cose",
    "decode_cose",
    "looks_like_cose",
    "cose_text",
]

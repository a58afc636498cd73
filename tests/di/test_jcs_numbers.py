"""Issue 13, item 8: JCS canonicalizes numbers as IEEE 754 doubles, as JavaScript does (RFC 8785 §3.2.2.3).

RFC 8785 §3.2.2.3 serializes a number with ECMAScript's Number.prototype.toString (ECMA-262 §6.1.6.1.20) applied
to the IEEE 754 double the JSON text denotes. So an integer beyond 2^53 is signed as its nearest double and
written the way JavaScript writes it; the rfc8785 package refused such integers ("exceeds safe integer domain"),
which made credentials signed by the JavaScript stack unverifiable.
"""

from __future__ import annotations

import json
import struct
from datetime import datetime
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade.di import get_suite
from vctrade.jsonld import default_loader

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]

# Issue 13's values and what ECMAScript's Number.prototype.toString writes for their doubles.
ECMASCRIPT = [
    (100000000000000000000, "100000000000000000000"),  # 1e20 < 1e21: written in full (ECMA-262 step 6)
    (1e21, "1e+21"),  # 10^21 and beyond: exponent form with an explicit sign (step 9)
    (1e-7, "1e-7"),  # below 10^-6: exponent form (step 10)
    (2**53 + 1, "9007199254740992"),  # 9007199254740993 is no double: the nearest (ties to even) is 2^53
    (-0.0, "0"),  # -0 is written "0" (step 2; RFC 8785 §3.2.2.3 says so too)
    (0.1 + 0.2, "0.30000000000000004"),  # the shortest text that reads back as the same double
]

# RFC 8785 Appendix B, "Number Serialization Samples": the IEEE 754 double (hex) -> its JCS text.
RFC8785_APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(hex_bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(hex_bits))[0]
    return value


def _jcs(value: Any) -> bytes:
    return get_suite("eddsa-jcs-2022").transform({"n": value}, "Ed25519", default_loader())


@pytest.mark.parametrize("value,text", ECMASCRIPT, ids=[t for _, t in ECMASCRIPT])
def test_numbers_are_written_as_ecmascript_writes_their_double(value: float, text: str) -> None:
    assert _jcs(value) == b'{"n":' + text.encode() + b"}"


@pytest.mark.parametrize("value,text", ECMASCRIPT, ids=[t for _, t in ECMASCRIPT])
def test_the_same_number_parsed_from_json_text_canonicalizes_the_same(value: float, text: str) -> None:
    # What a verifier gets: Python parses 100000000000000000000 as an int, 1e21 as a float.
    parsed = json.loads(json.dumps({"n": value}))["n"]
    assert _jcs(parsed) == b'{"n":' + text.encode() + b"}"


@pytest.mark.parametrize("bits,text", RFC8785_APPENDIX_B, ids=[b for b, _ in RFC8785_APPENDIX_B])
def test_rfc8785_appendix_b_number_samples(bits: str, text: str) -> None:
    assert _jcs(_double(bits)) == b'{"n":' + text.encode() + b"}"


def test_an_integer_beyond_2_53_is_its_double() -> None:
    # Appendix B's 0x4430000000000000 is 2^68; written as a JSON integer it must canonicalize the same.
    assert _double("4430000000000000") == 2**68
    assert _jcs(2**68) == b'{"n":295147905179352830000}'
    assert _jcs(-(2**53) - 1) == b'{"n":-9007199254740992}'
    assert _jcs(2**53 - 1) == b'{"n":9007199254740991}'  # the largest safe integer stays exact


def test_a_credential_with_such_numbers_signs_and_verifies_with_eddsa_jcs_2022(now: datetime) -> None:
    subject = {"id": "did:example:acme", "big": 100000000000000000000, "weight": 1e21, "tiny": 1e-7,
               "unsafe": 2**53 + 1, "zero": -0.0, "sum": 0.1 + 0.2}
    credential = {"@context": CONTEXTS, "type": ["VerifiableCredential"], "credentialSubject": subject}
    signed = sign(credential, Key.generate("Ed25519"), suite="eddsa-jcs-2022", created=now)
    assert signed["credentialSubject"] == subject  # the document keeps its numbers; only the signed bytes change
    assert verify(signed, now=now).verified
    assert verify(json.dumps(signed), now=now).verified  # as JSON text, as a verifier receives it
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["big"] = 100000000000000000001  # the same double: JCS cannot tell them apart
    assert verify(tampered, now=now).verified
    tampered["credentialSubject"]["big"] = 100000000000000020000  # another double
    assert not verify(tampered, now=now).verified


def test_a_number_beyond_a_double_is_still_refused(now: datetime) -> None:
    # Only numbers a double holds are JSON numbers here (vctrade.model._json): 10^400 is refused, never rounded.
    credential = {"@context": CONTEXTS, "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:example:acme"}}
    signed = sign(credential, Key.generate("Ed25519"), suite="eddsa-jcs-2022", created=now)
    signed["credentialSubject"] = {"id": "did:example:acme", "huge": 10**400}
    assert not verify(signed, now=now).verified

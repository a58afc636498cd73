"""Verification: format detection, securing mechanisms, the claims checks, presentations, policies.

Plug-ins register schemas and rules with :func:`register_schema`; they are
applied by expanded type IRI (see :mod:`vctrade.verification._schemas`).
"""

from __future__ import annotations

from vctrade.verification._context import DEFAULT_SKEW, VerifyContext
from vctrade.verification._entry import verify
from vctrade.verification._formats import Detected, Format, detect
from vctrade.verification._schemas import register_schema

__all__ = ["verify", "VerifyContext", "DEFAULT_SKEW", "detect", "Detected", "Format", "register_schema"]

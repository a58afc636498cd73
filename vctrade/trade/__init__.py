"""Trade credentials: AEO / C-TPAT certifications and certificates of origin.

Builders turn a request (YAML or JSON, or a dict) into an unsigned credential
in vctrade's trade context (https://vctrade.dev/contexts/trade/v1), check it
against the bundled JSON Schema and the trade rules, and refuse bad input
before anything is signed.
"""

from __future__ import annotations

from ._common import load_request
from .aeo import build_aeo_credential
from .origin import USMCA_CERTIFICATION_STATEMENT, build_origin_credential
from .validation import AEO_SCHEMA, ORIGIN_SCHEMA, TRADE_CONTEXT, trade_problems

__all__ = [
    "build_aeo_credential",
    "build_origin_credential",
    "load_request",
    "trade_problems",
    "TRADE_CONTEXT",
    "AEO_SCHEMA",
    "ORIGIN_SCHEMA",
    "USMCA_CERTIFICATION_STATEMENT",
]

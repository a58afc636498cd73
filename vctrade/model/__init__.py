"""The VC data model (2.0 and 1.1): structure of credentials and presentations, dates, issuer and holder ids,
and the plain, bounded JSON they must be made of.

Pure functions over JSON: nothing here signs, fetches or expands JSON-LD.
"""

from __future__ import annotations

from vctrade.model._credentials import (
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    data_model_version,
    format_datetime,
    holder_id,
    issuer_id,
    parse_datetime,
    structure_problems,
    types_of,
    validity_problem,
)
from vctrade.model._json import MAX_DEPTH, json_problem, parse_json_int

__all__ = [
    "VC_V2_CONTEXT",
    "VC_V1_CONTEXT",
    "data_model_version",
    "parse_datetime",
    "format_datetime",
    "structure_problems",
    "validity_problem",
    "issuer_id",
    "holder_id",
    "types_of",
    "MAX_DEPTH",
    "json_problem",
    "parse_json_int",
]

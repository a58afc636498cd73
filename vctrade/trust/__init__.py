"""Trust policies: composable rules over verified credentials (issuers trusted for types, required types).

Rules know no trade type; plug-ins add their own rules and TOML sections
(:func:`register_policy_sections`).
"""

from __future__ import annotations

from vctrade.trust._policy import (
    PolicyInput,
    RequiredTypes,
    Rule,
    SectionParser,
    TrustedIssuers,
    TrustPolicy,
    combine,
    label,
    register_policy_sections,
    strings,
    tables,
)

__all__ = [
    "TrustPolicy",
    "PolicyInput",
    "Rule",
    "TrustedIssuers",
    "RequiredTypes",
    "combine",
    "SectionParser",
    "register_policy_sections",
    "label",
    "strings",
    "tables",
]

"""Trade rules for trust policies: recognized AEO programmes (mutual recognition) and origin provenance.

They plug into :mod:`vctrade.trust` as the policy sections ``[[programme]]``
and ``[provenance]``::

    [[programme]]                   # AEO programmes this policy accepts, and on what basis
    name = "MX-OEA"
    authority = "did:web:anam.example"
    country = "MX"
    basis = "U.S.–Mexico MRA (2014)"

    [provenance]
    origin_requires_aeo = true      # a certificate of origin's certifier must hold a recognized, valid AEO
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vctrade._result import FAILED, PASSED, Check, VerificationResult
from vctrade.errors import PolicyError
from vctrade.model._credentials import issuer_id, types_of
from vctrade.trust._policy import (
    PolicyInput,
    Rule,
    label,
    register_policy_sections,
    tables,
)

__all__ = ["Programme", "RecognizedProgrammes", "OriginProvenance", "AEO_TYPES", "ORIGIN_TYPES"]

AEO_TYPES = ("AEOCertificate", "CTPATCertificate")
ORIGIN_TYPES = ("CertificateOfOrigin", "USMCACertificationOfOrigin")


def _subject_of(document: dict[str, Any]) -> dict[str, Any]:
    subject = document.get("credentialSubject")
    return subject if isinstance(subject, dict) else {}


@dataclass(frozen=True)
class Programme:
    """An AEO programme the policy accepts, its certifying authority, and why it is accepted."""

    name: str
    authority: str
    country: str = ""
    basis: str = ""


@dataclass(frozen=True)
class RecognizedProgrammes:
    """AEO certifications count only for listed programmes, issued by that programme's authority."""

    programmes: tuple[Programme, ...]
    name: str = "policy.programme"

    def find(self, document: dict[str, Any]) -> tuple[Programme | None, str]:
        """The programme that recognizes this AEO credential, or None and the reason."""
        programme = _subject_of(document).get("aeoProgramme") or ("C-TPAT" if "CTPATCertificate" in types_of(document) else None)
        matches = [p for p in self.programmes if p.name == programme]
        if not matches:
            return None, f"{programme or 'an unnamed programme'} is not recognized by this policy"
        issuer = issuer_id(document)
        for candidate in matches:
            if candidate.authority == issuer:
                return candidate, ""
        return None, f"issuer {issuer} is not the recognized authority for {programme} ({matches[0].authority})"

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        checks = []
        for index, (document, _) in enumerate(subject.credentials):
            if not set(AEO_TYPES) & set(types_of(document)):
                continue
            programme, reason = self.find(document)
            if programme is None:
                checks.append(Check(f"{self.name}[{index}]", FAILED, "programme_not_recognized", reason))
            else:
                basis = f" ({programme.basis})" if programme.basis else ""
                checks.append(Check(f"{self.name}[{index}]", PASSED, "programme_recognized",
                                    f"{programme.name} by {programme.authority} is recognized{basis}"))
        return checks


@dataclass(frozen=True)
class OriginProvenance:
    """A certificate of origin counts only if its certifier holds a valid, recognized AEO certification."""

    programmes: RecognizedProgrammes
    name: str = "policy.provenance"

    def _aeo_problem(self, aeo: dict[str, Any], result: VerificationResult) -> str | None:
        if not result.verified:
            status = [c for c in result.all_checks() if c.name.startswith("status") and c.status != PASSED]
            for check in status:
                if check.code in ("revoked", "suspended"):
                    return f"the certifier's AEO {aeo.get('id')} was {check.code}: {check.message}"
            reasons = "; ".join(f"{c.name}: {c.message}" for c in result.all_checks() if c.status != PASSED)
            return f"the certifier's AEO {aeo.get('id')} does not verify ({reasons})"
        programme, reason = self.programmes.find(aeo)
        return None if programme else f"the certifier's AEO: {reason}"

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        checks = []
        for index, (document, _) in enumerate(subject.credentials):
            if not set(ORIGIN_TYPES) & set(types_of(document)):
                continue
            certifier = issuer_id(document)
            held = [(aeo, result) for aeo, result in subject.credentials
                    if set(AEO_TYPES) & set(types_of(aeo)) and _subject_of(aeo).get("id") == certifier]
            name = f"{self.name}[{index}]"
            if not held:
                checks.append(Check(name, FAILED, "certifier_has_no_aeo",
                                    f"the certifier {certifier} of {label(document, index)} presents no AEO certification"))
                continue
            problems = [self._aeo_problem(aeo, result) for aeo, result in held]
            good = [aeo for (aeo, _), problem in zip(held, problems) if problem is None]
            if good:
                checks.append(Check(name, PASSED, "certifier_is_aeo",
                                    f"the certifier {certifier} holds a valid {_subject_of(good[0]).get('aeoProgramme', 'AEO')} certification"))
            else:
                checks.append(Check(name, FAILED, "certifier_aeo_invalid", "; ".join(p for p in problems if p)))
        return checks


def _programme(entry: dict[str, Any], source: str, position: int) -> Programme:
    unknown = set(entry) - {"name", "authority", "country", "basis"}
    if unknown:
        raise PolicyError(f"{source}: [[programme]] {position + 1} has unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("name", "authority"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise PolicyError(f"{source}: [[programme]] {position + 1} needs {key} = a string")
    if not entry["authority"].startswith("did:"):
        raise PolicyError(f"{source}: [[programme]] {entry['name']}: authority must be a DID")
    return Programme(entry["name"], entry["authority"], str(entry.get("country", "")), str(entry.get("basis", "")))


def _parse_sections(data: dict[str, Any], source: str) -> list[Rule]:
    rules: list[Rule] = []
    programmes = tuple(_programme(entry, source, position) for position, entry in enumerate(tables(data, "programme", source)))
    recognized = RecognizedProgrammes(programmes) if programmes else None
    if recognized:
        rules.append(recognized)
    provenance = data.get("provenance", {})
    if not isinstance(provenance, dict) or set(provenance) - {"origin_requires_aeo"}:
        raise PolicyError(f"{source}: [provenance] takes only origin_requires_aeo")
    if provenance.get("origin_requires_aeo", False) is not False:
        if provenance["origin_requires_aeo"] is not True:
            raise PolicyError(f"{source}: origin_requires_aeo must be true or false")
        if recognized is None:
            raise PolicyError(f"{source}: origin_requires_aeo needs at least one [[programme]] to recognize")
        rules.append(OriginProvenance(recognized))
    return rules


register_policy_sections(("programme", "provenance"), _parse_sections)

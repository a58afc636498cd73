"""Trust policy: which issuers are trusted for what, which AEO programmes are recognized, provenance.

A :class:`TrustPolicy` is a list of small rules, each a Python object with a
``name`` and an ``evaluate`` that turns the verified documents into checks; a
policy passes only if every rule passes, and a policy with no rules is refused
(never "trust everything"). Policies load from TOML::

    name = "U.S. CBP — imports"

    [[issuer]]                      # only these DIDs may issue these types
    types = ["CTPATCertificate"]
    dids = ["did:web:cbp.example"]

    [[programme]]                   # AEO programmes this policy accepts, and on what basis
    name = "MX-OEA"
    authority = "did:web:anam.example"
    country = "MX"
    basis = "U.S.–Mexico MRA (2014)"

    [presentation]
    required_types = ["CertificateOfOrigin", "AEOCertificate"]

    [provenance]
    origin_requires_aeo = true      # a certificate of origin's certifier must hold a recognized, valid AEO
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .credentials import issuer_id, types_of
from .errors import InputError
from .result import FAILED, PASSED, Check, VerificationResult

__all__ = [
    "PolicyError",
    "PolicyInput",
    "Rule",
    "Programme",
    "TrustedIssuers",
    "RecognizedProgrammes",
    "RequiredTypes",
    "OriginProvenance",
    "TrustPolicy",
    "combine",
]

AEO_TYPES = ("AEOCertificate", "CTPATCertificate")
ORIGIN_TYPES = ("CertificateOfOrigin", "USMCACertificationOfOrigin")


class PolicyError(InputError):
    """A policy file or object that is empty, malformed or contradictory."""

    code = "invalid_policy"


@dataclass(frozen=True)
class PolicyInput:
    """What rules judge: each credential with its verification result, and the presentation if any."""

    credentials: tuple[tuple[dict[str, Any], VerificationResult], ...]
    presentation: dict[str, Any] | None = None


class Rule(Protocol):
    """One policy rule."""

    @property
    def name(self) -> str:
        """The prefix of the rule's check names."""
        ...

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        """The rule's checks (at least one)."""
        ...


def _label(document: dict[str, Any], index: int) -> str:
    return str(document.get("id") or f"credential {index}")


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
class TrustedIssuers:
    """Only the listed DIDs may issue credentials of the listed types."""

    types: frozenset[str]
    dids: frozenset[str]
    name: str = "policy.trusted-issuer"

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        checks = []
        for index, (document, _) in enumerate(subject.credentials):
            governed = sorted(self.types & set(types_of(document)))
            if not governed:
                continue
            issuer = issuer_id(document)
            if issuer in self.dids:
                checks.append(Check(f"{self.name}[{index}]", PASSED, "issuer_trusted",
                                    f"{issuer} is trusted for {', '.join(governed)}"))
            else:
                checks.append(Check(f"{self.name}[{index}]", FAILED, "issuer_not_trusted",
                                    f"issuer {issuer} is not trusted for {', '.join(governed)} ({_label(document, index)})"))
        return checks


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
class RequiredTypes:
    """A presentation (or the set of credentials given) must contain each of these types."""

    types: tuple[str, ...]
    name: str = "policy.required-types"

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        present = {t for document, _ in subject.credentials for t in types_of(document)}
        missing = [t for t in self.types if t not in present]
        if missing:
            return [Check(self.name, FAILED, "required_type_missing", f"missing required credential type(s): {', '.join(missing)}")]
        return [Check(self.name, PASSED, "required_types_present", f"contains {', '.join(self.types)}")]


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
                                    f"the certifier {certifier} of {_label(document, index)} presents no AEO certification"))
                continue
            problems = [self._aeo_problem(aeo, result) for aeo, result in held]
            good = [aeo for (aeo, _), problem in zip(held, problems) if problem is None]
            if good:
                checks.append(Check(name, PASSED, "certifier_is_aeo",
                                    f"the certifier {certifier} holds a valid {_subject_of(good[0]).get('aeoProgramme', 'AEO')} certification"))
            else:
                checks.append(Check(name, FAILED, "certifier_aeo_invalid", "; ".join(p for p in problems if p)))
        return checks


@dataclass(frozen=True)
class TrustPolicy:
    """Every rule must pass; a policy without rules is refused."""

    rules: tuple[Rule, ...]
    name: str = "trust policy"
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.rules:
            raise PolicyError("the policy has no rules; refusing to trust everything")

    def evaluate(self, subject: PolicyInput) -> VerificationResult:
        """The policy's verdict as a nested result of its rules' checks."""
        checks: list[Check] = []
        for rule in self.rules:
            checks.extend(rule.evaluate(subject))
        if not checks:
            checks.append(Check("policy", FAILED, "policy_not_applicable",
                                "no rule of the policy applies to these credentials; nothing was shown to be trusted"))
        return VerificationResult(tuple(checks), "policy", None, self.name)

    @classmethod
    def from_toml(cls, path: str | Path) -> TrustPolicy:
        """Load a policy file (see the module docstring); every problem is a :class:`PolicyError`."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PolicyError(f"policy file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"cannot read policy file {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "policy") -> TrustPolicy:
        """Build a policy from parsed TOML/JSON data."""
        unknown = sorted(set(data) - {"name", "issuer", "programme", "presentation", "provenance"})
        if unknown:
            raise PolicyError(f"{source}: unknown policy section(s): {', '.join(unknown)}")
        rules: list[Rule] = []
        for position, entry in enumerate(_tables(data, "issuer", source)):
            if set(entry) - {"types", "dids"}:
                raise PolicyError(f"{source}: [[issuer]] {position + 1} takes only types and dids")
            types, dids = _strings(entry, "types", source, position), _strings(entry, "dids", source, position)
            rules.append(TrustedIssuers(frozenset(types), frozenset(dids)))
        programmes = tuple(_programme(entry, source, position) for position, entry in enumerate(_tables(data, "programme", source)))
        recognized = RecognizedProgrammes(programmes) if programmes else None
        if recognized:
            rules.append(recognized)
        presentation = data.get("presentation", {})
        if not isinstance(presentation, dict) or set(presentation) - {"required_types"}:
            raise PolicyError(f"{source}: [presentation] takes only required_types")
        if "required_types" in presentation:
            rules.append(RequiredTypes(tuple(_strings(presentation, "required_types", source, 0))))
        provenance = data.get("provenance", {})
        if not isinstance(provenance, dict) or set(provenance) - {"origin_requires_aeo"}:
            raise PolicyError(f"{source}: [provenance] takes only origin_requires_aeo")
        if provenance.get("origin_requires_aeo", False) is not False:
            if provenance["origin_requires_aeo"] is not True:
                raise PolicyError(f"{source}: origin_requires_aeo must be true or false")
            if recognized is None:
                raise PolicyError(f"{source}: origin_requires_aeo needs at least one [[programme]] to recognize")
            rules.append(OriginProvenance(recognized))
        name = data.get("name", source)
        if not isinstance(name, str):
            raise PolicyError(f"{source}: name must be a string")
        return cls(tuple(rules), name=name, source=source)


def _tables(data: dict[str, Any], key: str, source: str) -> Sequence[dict[str, Any]]:
    tables = data.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise PolicyError(f"{source}: [[{key}]] must be an array of tables")
    return tables


def _strings(entry: dict[str, Any], key: str, source: str, position: int) -> list[str]:
    values = entry.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyError(f"{source}: entry {position + 1} needs {key} = a non-empty list of strings")
    return values


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


def combine(policies: Iterable[TrustPolicy]) -> TrustPolicy:
    """One policy whose rules are all of the given policies' rules."""
    policies = list(policies)
    return TrustPolicy(tuple(rule for policy in policies for rule in policy.rules),
                       name=" + ".join(policy.name for policy in policies))

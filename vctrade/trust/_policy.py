"""Trust policy: composable rules that judge verified credentials — and know no trade type.

A :class:`TrustPolicy` is a list of small rules, each a Python object with a
``name`` and an ``evaluate`` that turns the verified documents into checks; a
policy passes only if every rule passes, and a policy with no rules is refused
(never "trust everything"). The generic rules are :class:`TrustedIssuers` and
:class:`RequiredTypes`; plug-ins add TOML sections and their rules with
:func:`register_policy_sections` (vctrade's trade package adds ``[[programme]]``
and ``[provenance]``). Policies load from TOML::

    name = "U.S. CBP — imports"

    [[issuer]]                      # only these DIDs may issue these types
    types = ["CTPATCertificate"]
    dids = ["did:web:cbp.example"]

    [presentation]                  # a presentation (or a credential and those given beside it) must carry
    required_types = ["CertificateOfOrigin", "AEOCertificate"]   # these types; a lone credential is not judged

    # ... and the sections plug-ins registered (see vctrade/trade/_rules.py)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vctrade._plugins import load_plugins
from vctrade._result import FAILED, PASSED, Check, VerificationResult
from vctrade.errors import PolicyError
from vctrade.model._credentials import issuer_id, types_of

__all__ = [
    "PolicyInput",
    "Rule",
    "TrustedIssuers",
    "RequiredTypes",
    "TrustPolicy",
    "SectionParser",
    "register_policy_sections",
    "combine",
    "label",
    "strings",
    "tables",
]

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


SectionParser = Callable[[dict[str, Any], str], list["Rule"]]
# TOML section names -> the parser that turns them (with the whole policy data) into rules
_sections: dict[tuple[str, ...], SectionParser] = {}


def register_policy_sections(names: tuple[str, ...], parse: SectionParser) -> None:
    """Let policies use the TOML sections ``names``; ``parse(data, source)`` returns their rules.

    ``parse`` sees the whole policy (so related sections can be read together)
    and raises :class:`~vctrade.errors.PolicyError` for what it cannot accept.
    """
    _sections[names] = parse


def label(document: dict[str, Any], index: int) -> str:
    """How a rule names a credential in its messages: its id, else its position."""
    return str(document.get("id") or f"credential {index}")


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
                                    f"issuer {issuer} is not trusted for {', '.join(governed)} ({label(document, index)})"))
        return checks


@dataclass(frozen=True)
class RequiredTypes:
    """A presentation (or a credential verified with others given beside it) must contain each of these types.

    It judges what was presented together: a lone credential is not a presentation, and is not refused for
    lacking the others (the rule makes no check for it; the policy's other rules still judge it).
    """

    types: tuple[str, ...]
    name: str = "policy.required-types"

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        if subject.presentation is None and len(subject.credentials) < 2:
            return []
        present = {t for document, _ in subject.credentials for t in types_of(document)}
        missing = [t for t in self.types if t not in present]
        if missing:
            return [Check(self.name, FAILED, "required_type_missing", f"missing required credential type(s): {', '.join(missing)}")]
        return [Check(self.name, PASSED, "required_types_present", f"contains {', '.join(self.types)}")]


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
        import tomllib  # only policies are TOML: a verification without one does not load the parser

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
        load_plugins()
        known = {"name", "issuer", "presentation"}.union(*_sections)
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"{source}: unknown policy section(s): {', '.join(unknown)}")
        rules: list[Rule] = []
        for position, entry in enumerate(tables(data, "issuer", source)):
            if set(entry) - {"types", "dids"}:
                raise PolicyError(f"{source}: [[issuer]] {position + 1} takes only types and dids")
            types, dids = strings(entry, "types", source, position), strings(entry, "dids", source, position)
            rules.append(TrustedIssuers(frozenset(types), frozenset(dids)))
        presentation = data.get("presentation", {})
        if not isinstance(presentation, dict) or set(presentation) - {"required_types"}:
            raise PolicyError(f"{source}: [presentation] takes only required_types")
        if "required_types" in presentation:
            rules.append(RequiredTypes(tuple(strings(presentation, "required_types", source, 0))))
        for names, parse in _sections.items():
            if set(names) & set(data):
                rules.extend(parse(data, source))
        name = data.get("name", source)
        if not isinstance(name, str):
            raise PolicyError(f"{source}: name must be a string")
        return cls(tuple(rules), name=name, source=source)


def tables(data: dict[str, Any], key: str, source: str) -> Sequence[dict[str, Any]]:
    """The array of tables ``[[key]]`` (empty if absent); PolicyError if it is anything else."""
    found = data.get(key, [])
    if not isinstance(found, list) or not all(isinstance(t, dict) for t in found):
        raise PolicyError(f"{source}: [[{key}]] must be an array of tables")
    return found


def strings(entry: dict[str, Any], key: str, source: str, position: int) -> list[str]:
    """``entry[key]`` as a non-empty list of strings; PolicyError if it is anything else."""
    values = entry.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyError(f"{source}: entry {position + 1} needs {key} = a non-empty list of strings")
    return values


def combine(policies: Iterable[TrustPolicy]) -> TrustPolicy:
    """One policy whose rules are all of the given policies' rules."""
    policies = list(policies)
    return TrustPolicy(tuple(rule for policy in policies for rule in policy.rules),
                       name=" + ".join(policy.name for policy in policies))

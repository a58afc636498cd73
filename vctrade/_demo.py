"""The end-to-end demonstration behind ``vctrade demo``.

It generates keys, signs one sample credential with every cryptosuite,
verifies each, then tampers with a signed copy and shows that verification
catches it. Then the import flow: CBP — a did:web hosted, with its status
list, by a local HTTPS site the demo starts — certifies a Mexican steel exporter
under C-TPAT (revocable, in an SQLite registry), the exporter certifies the
USMCA origin of its steel, the importer presents both, CBP's policy accepts
the presentation, a forged origin is caught, and once CBP revokes the
certification the same presentation is rejected with the provenance reason. Everything happens in a folder the caller gives (a temporary one
from the CLI), and the steps are returned so the CLI only prints them.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from vctrade._issuance import issue
from vctrade._keys import Key
from vctrade._localhttps import LocalSite
from vctrade._presentation import present
from vctrade._result import VerificationResult
from vctrade.di._engine import MethodResolver
from vctrade.di import sign
from vctrade.did import (
    create_did_web_document,
    default_resolver,
    did_web,
    network_resolver,
    write_did_document,
)
from vctrade.model import format_datetime
from vctrade.status import HttpsStatusSource, Registry, StatusFiles, StatusListSource
from vctrade.trade import (
    OriginProvenance,
    Programme,
    RecognizedProgrammes,
    load_request,
)
from vctrade.trust import RequiredTypes, TrustedIssuers, TrustPolicy
from vctrade.verification import verify

__all__ = ["DemoStep", "run_demo", "SAMPLE_CREDENTIAL"]

SAMPLE_CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:0b8a4c1e-5f2d-4e0b-9a55-2f3c1d7e9a01",
    "type": ["VerifiableCredential", "ExampleTradeCredential"],
    "name": "Sample trade credential",
    "credentialSubject": {
        "id": "did:example:acme-steel",
        "legalName": "ACME Steel Inc.",
        "programme": "C-TPAT",
        "tier": "Validated",
    },
}

# (suite, key type) pairs the demo signs with: every suite, both ECDSA curves.
DEMO_SIGNINGS: tuple[tuple[str, str], ...] = (
    ("eddsa-rdfc-2022", "Ed25519"),
    ("eddsa-jcs-2022", "Ed25519"),
    ("ecdsa-rdfc-2019", "P-256"),
    ("ecdsa-rdfc-2019", "P-384"),
    ("ecdsa-jcs-2019", "P-256"),
    ("ecdsa-jcs-2019", "P-384"),
    ("Ed25519Signature2020", "Ed25519"),
)


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo and whether it behaved as expected."""

    title: str
    expected: bool
    verified: bool
    detail: str
    path: str

    @property
    def ok(self) -> bool:
        """True when the verification outcome is the expected one."""
        return self.expected == self.verified


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def example_request(kind: str, name: str) -> dict[str, Any]:
    """A request from the fixtures (shipped in the wheel as vctrade/examples, read from fixtures/ in a checkout)."""
    packaged = Path(str(resources.files("vctrade"))) / "examples" / kind / f"{name}.yaml"
    path = packaged if packaged.is_file() else Path(__file__).resolve().parent.parent / "fixtures" / kind / f"{name}.yaml"
    return load_request(path)


def _outcome(result: VerificationResult) -> str:
    failures = [c for c in result.all_checks() if c.status != "passed"]
    return "; ".join(f"{c.name}: {c.message}" for c in failures)


def _trade_steps(folder: Path, now: datetime, local_site: bool) -> list[DemoStep]:
    """The import flow, with CBP on a did:web hosted by a local HTTPS site the demo starts.

    The same site serves CBP's status list, and the verifier resolves both over
    HTTPS as it would in production (loopback explicitly allowed, the demo's own CA
    trusted). If no local site can be started, CBP falls back to did:key and the
    list is read from its published file.
    """
    site = folder / "site"
    try:
        host: LocalSite | None = LocalSite(site) if local_site else None
    except OSError:
        host = None
    if host is None:
        return _import_flow(folder, now, None)
    with host:
        return _import_flow(folder, now, host)


def _import_flow(folder: Path, now: datetime, host: LocalSite | None) -> list[DemoStep]:
    cbp, exporter, importer = Key.generate("Ed25519"), Key.generate("Ed25519"), Key.generate("P-256")
    cbp.save(folder / "cbp.jwk")
    window = {"validFrom": format_datetime(now - timedelta(days=1)), "validUntil": format_datetime(now + timedelta(days=300))}
    site = folder / "site"
    registry = Registry(folder / "registry.sqlite", clock=lambda: now)
    status: StatusListSource
    if host is not None:
        cbp_did = did_web(f"127.0.0.1:{host.port}")
        document = create_did_web_document(cbp_did, [cbp.public()])
        write_did_document(site, document)
        method, list_url = document["assertionMethod"][0], f"{host.origin}/status/ctpat-1"
        resolver = network_resolver(host.policy)
        status = HttpsStatusSource(host.policy)  # no cache: the verifier sees each republished list at once
    else:
        cbp_did, method, list_url = cbp.did, cbp.did_key_verification_method, "https://cbp.example/status/ctpat-1"
        resolver = default_resolver()
        status = StatusFiles({list_url: site / "status" / "ctpat-1"})
    registry.create_list(list_url, cbp_did, "revocation", folder / "cbp.jwk", verification_method=method)
    policy = TrustPolicy((
        TrustedIssuers(frozenset({"CTPATCertificate"}), frozenset({cbp_did})),
        programmes := RecognizedProgrammes((Programme("C-TPAT", cbp_did, "US", "home programme"),)),
        RequiredTypes(("CertificateOfOrigin", "AEOCertificate")),
        OriginProvenance(programmes),
    ), name="demo CBP import policy")
    steps: list[DemoStep] = []

    # 1. CBP certifies the Mexican steel producer and exporter under C-TPAT (with a revocation entry).
    request = example_request("aeo", "mx-oea-aceros") | window
    request["subject"] |= {"id": exporter.did, "aeoProgramme": "C-TPAT", "tier": "Certified", "ctpatAccountNumber": "88412",
                           "tradeRole": "manufacturer", "issuingCountry": "US"}
    request["issuerName"] = "U.S. Customs and Border Protection"
    ctpat = issue(request, cbp, trade_type="aeo", verification_method=method, registry=registry, created=now).secured
    assert isinstance(ctpat, dict)

    def publish() -> None:
        registry.publish(site, lambda doc, _: sign(doc, cbp, verification_method=method, created=now))

    publish()
    _write(folder / "exporter-ctpat.json", ctpat)
    result = verify(ctpat, now=now, resolver=resolver, status_source=status)
    steps.append(DemoStep(f"CBP ({cbp_did[:34]}…) certifies the exporter (C-TPAT, revocable)", True, result.verified,
                          _outcome(result) or f"{ctpat['id']}, status list {list_url}", str(folder / "exporter-ctpat.json")))

    # 2. The exporter certifies the USMCA origin of its steel.
    coo = issue(example_request("origin", "usmca-steel") | window, exporter, trade_type="origin", created=now).secured
    assert isinstance(coo, dict)
    _write(folder / "usmca-coo.json", coo)
    result = verify(coo, now=now)
    steps.append(DemoStep("the exporter certifies USMCA origin", True, result.verified,
                          _outcome(result) or f"{len(coo['credentialSubject']['goods'])} goods", str(folder / "usmca-coo.json")))

    # 3. The importer presents both to CBP, bound to CBP's challenge and domain.
    presentation = present([coo, ctpat], importer, challenge="7c1f9e", domain="cbp.example", created=now)
    _write(folder / "import-presentation.json", presentation)

    def verify_presentation() -> VerificationResult:
        return verify(presentation, now=now, challenge="7c1f9e", domain="cbp.example", policy=policy,
                      resolver=resolver, status_source=status)

    result = verify_presentation()
    steps.append(DemoStep("CBP verifies the importer's presentation against its policy", True, result.verified,
                          _outcome(result) or "signatures, status, schema, C-TPAT provenance: accepted",
                          str(folder / "import-presentation.json")))

    # 4. A forged country of origin is caught.
    forged = copy.deepcopy(coo)
    forged["credentialSubject"]["goods"][0]["countryOfOrigin"] = "US"
    _write(folder / "usmca-coo-forged.json", forged)
    result = verify(forged, now=now)
    steps.append(DemoStep("change a good's country of origin, verify again", False, result.verified,
                          _outcome(result), str(folder / "usmca-coo-forged.json")))

    # 5. CBP revokes the exporter's certification and republishes its list: the same presentation now fails.
    registry.revoke(ctpat["id"], "validation found security gaps")
    publish()
    result = verify_presentation()
    provenance = [c.message for c in result.all_checks() if c.name.startswith("policy.provenance") and c.status != "passed"]
    steps.append(DemoStep("CBP revokes the C-TPAT; the same presentation is verified again", False, result.verified,
                          "; ".join(provenance) or _outcome(result), str(site / "status" / "ctpat-1")))
    registry.close()
    parties = {"cbp": (cbp, cbp_did, method), "exporter": (exporter, exporter.did, exporter.did_key_verification_method),
               "importer": (importer, importer.did, importer.did_key_verification_method)}
    return steps + _steel_shipment(folder, now, host, parties, resolver)


# The fixtures' parties (fixtures/keys) -> the demo's roles; the demo signs with keys of its own and puts their DIDs
# where the fixtures name these.
_FIXTURE_DIDS = {
    "exporter": "did:key:z6MksBSpNrwYTsZzuTk7q4meJWBZu7xnGjkSDFPFuwXViBxx",
    "importer": "did:key:zDnaemuKhCXrUaUBPmyiqmCTw8MC1QJFyqhQYTHVBSvbQG2aH",
    "mill": "did:key:z6MkuTFGeN1rWhb59pcBPRtRdPkqE3jh7pwDpsAHTtAkKbNH",
    "carrier": "did:key:z6MkhghMibRvQ9j2yagTkQ6NZvCma6RBwer9qU4cPsf3CZoU",
    "commerce": "did:key:z6MkiPEGggceQqH3gZnRS7dJeikZq5PHFsqtqhMT3F7qpzWn",
    "broker": "did:key:zDnaecYfEspFFm5iiLXt3HV3aiBaQ1UcwLsn5Ke9MJbeFzMXu",
}
# The day the fixtures' shipment is "today" (it sailed on 2026-11-06): the demo moves every date by its distance to
# now, so the licences and certificates it issues are valid whenever it runs.
_FIXTURE_TODAY = date(2026, 11, 28)
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")


def _moved(value: Any, days: timedelta) -> Any:
    """``value`` with every date (and date-time) string moved by ``days``."""
    if isinstance(value, dict):
        return {key: _moved(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [_moved(item, days) for item in value]
    if isinstance(value, str) and (match := _DATE.match(value)):
        try:
            return (date.fromisoformat(match.group(1)) + days).isoformat() + match.group(2)
        except ValueError:
            return value
    return value


def _rebound(request: dict[str, Any], dids: dict[str, str]) -> dict[str, Any]:
    """``request`` with the fixture parties' DIDs replaced by the demo's."""
    text = json.dumps(request)
    for role, fixture_did in _FIXTURE_DIDS.items():
        text = text.replace(fixture_did, dids[role])
    rebound: dict[str, Any] = json.loads(text)
    return rebound


def _steel_shipment(folder: Path, now: datetime, host: LocalSite | None,
                    parties: dict[str, tuple[Key, str, str]], resolver: MethodResolver) -> list[DemoStep]:
    """The whole steel shipment: six parties issue its documents, the importer bundles them, CBP checks them together.

    Mexico's customs (ANAM; a did:web on the demo's site, beside CBP's) vouches for the export, the mill certifies
    the heats, the exporter invoices, the carrier ships, Commerce licenses the steel, the broker files the entry.
    Then the exporter changes an invoice quantity and signs again: every signature is valid, the shipment is not.
    """
    signers = dict(parties)
    for role in ("mill", "carrier", "commerce", "broker", "anam"):
        key = Key.generate("P-256" if role == "broker" else "Ed25519")
        signers[role] = (key, key.did, key.did_key_verification_method)
    if host is not None:  # ANAM on a did:web of the demo's site, as CBP
        anam_did = did_web(f"127.0.0.1:{host.port}", "anam")
        anam_document = create_did_web_document(anam_did, [signers["anam"][0].public()])
        write_did_document(folder / "site", anam_document)
        signers["anam"] = (signers["anam"][0], anam_did, anam_document["assertionMethod"][0])
    dids = {role: did for role, (_, did, _) in signers.items()}
    days = timedelta(days=(now.date() - _FIXTURE_TODAY).days)
    shipment = folder / "steel-shipment"
    shipment.mkdir(exist_ok=True)

    def issued(kind: str, fixture: str, trade_type: str, role: str) -> dict[str, Any]:
        key, _, method = signers[role]
        request = _rebound(_moved(example_request(kind, fixture), days), dids)
        document = issue(request, key, trade_type=trade_type, verification_method=method, created=now).secured
        assert isinstance(document, dict)
        _write(shipment / f"{fixture}.json", document)
        return document

    documents = [
        issued("aeo", "acme-ctpat", "aeo", "cbp"),
        issued("shipment", "invoice", "invoice", "exporter"),
        issued("shipment", "mill-test-report", "mill-test-report", "mill"),
        issued("shipment", "certificate-of-origin", "origin", "exporter"),
        issued("shipment", "bill-of-lading", "bill-of-lading", "carrier"),
        issued("shipment", "sima-licence", "sima-licence", "commerce"),
        issued("shipment", "sima-licence-a36", "sima-licence", "commerce"),
        issued("shipment", "export-declaration", "export-declaration", "anam"),
        issued("shipment", "entry-summary", "entry-summary", "broker"),
    ]
    policy = TrustPolicy.from_dict({
        "name": "demo CBP steel-import policy",
        "issuer": [{"types": ["CTPATCertificate"], "dids": [dids["cbp"]]},
                   {"types": ["MillTestReport"], "dids": [dids["mill"]]},
                   {"types": ["SIMALicence"], "dids": [dids["commerce"]]},
                   {"types": ["ExportDeclarationCredential"], "dids": [dids["anam"]]},
                   {"types": ["EntrySummary"], "dids": [dids["broker"]]},
                   {"types": ["BillOfLading"], "dids": [dids["carrier"]]}],
        "programme": [{"name": "C-TPAT", "authority": dids["cbp"], "country": "US", "basis": "home programme"},
                      {"name": "MX-OEA", "authority": dids["anam"], "country": "MX", "basis": "U.S.–Mexico MRA (2014)"}],
        "workflow": {"name": "steel-import", "required": ["aeo", "invoice", "mill-test-report", "origin", "bill-of-lading",
                                                          "sima-licence", "export-declaration", "entry-summary"],
                     "weight_tolerance": 2.0, "quantity_tolerance": 0.5, "value_tolerance": 1.0},
    }, source="demo")
    from vctrade.trade import get_workflow

    definition = get_workflow("steel-import").definition
    importer_key, importer_did, importer_method = signers["importer"]

    def bundle_and_verify(docs: list[dict[str, Any]], name: str) -> tuple[VerificationResult, Path]:
        bundle = present(docs, importer_key, challenge="steel-42", domain="cbp.example", created=now,
                         workflow=definition, workflow_instance="urn:uuid:3d6c1f52-8a0e-4c7b-b1f4-2e9a7d5c0b18")
        path = folder / name
        _write(path, bundle)
        return verify(bundle, now=now, challenge="steel-42", domain="cbp.example", policy=policy,
                      resolver=resolver), path

    issuers = "ANAM" + (" (did:web)" if host is not None else "") + ", the mill, the exporter, the carrier, Commerce, the broker"
    result, path = bundle_and_verify(documents, "steel-shipment.json")
    workflow = [c for r in result.nested if r.document_type == "workflow" for c in r.checks]
    steps = [DemoStep(f"the steel shipment: {len(documents)} documents by {issuers}; the importer bundles them, "
                      "CBP verifies them together", True, result.verified,
                      _outcome(result) or f"every document verified; {len(workflow)} cross-document checks agree",
                      str(path))]

    # The exporter ships more than it declared: line 1 of the invoice 480 t -> 520 t, signed again (a valid signature).
    key, _, method = signers["exporter"]
    request = _rebound(_moved(example_request("shipment", "invoice"), days), dids)
    invoice = request["invoice"]
    invoice["lines"][0]["quantity"] = 520
    invoice["totalValue"] = round(sum(line["quantity"] * line["unitPrice"] for line in invoice["lines"]), 2)
    changed = issue(request, key, trade_type="invoice", verification_method=method, created=now).secured
    assert isinstance(changed, dict)
    _write(shipment / "invoice-changed.json", changed)
    result, path = bundle_and_verify([changed if d is documents[1] else d for d in documents], "steel-shipment-changed.json")
    caught = [f"{c.name}: {c.message}" for r in result.nested if r.document_type == "workflow"
              for c in r.checks if c.status != "passed"]
    steps.append(DemoStep("the exporter changes invoice line 1 to 520 t and signs it again; CBP verifies the bundle",
                          False, result.verified, "; ".join(caught) or _outcome(result), str(path)))
    return steps


def run_demo(folder: Path, now: datetime | None = None, *, local_site: bool = True) -> list[DemoStep]:
    """Run the demo in ``folder``; return its steps (each ``ok`` when it behaved as expected).

    ``local_site=False`` keeps CBP on did:key with its status list read from the published file.
    """
    now = now or datetime.now(timezone.utc)
    keys: dict[str, Key] = {}
    for key_type in ("Ed25519", "P-256", "P-384"):
        keys[key_type] = Key.generate(key_type)
        keys[key_type].save(folder / f"issuer-{key_type.lower()}.jwk")
    sample = {
        **SAMPLE_CREDENTIAL,
        "validFrom": format_datetime(now - timedelta(days=1)),
        "validUntil": format_datetime(now + timedelta(days=365)),
    }
    _write(folder / "unsigned.json", sample)

    steps: list[DemoStep] = []
    first_signed: dict[str, Any] | None = None
    for suite, key_type in DEMO_SIGNINGS:
        signed = sign(sample, keys[key_type], suite=suite, created=now)
        path = folder / f"signed-{suite}-{key_type.lower()}.json"
        _write(path, signed)
        result = verify(signed, now=now)
        detail = f"issuer {signed['issuer'][:32]}…" if result.verified else "; ".join(
            f"{c.name}: {c.message}" for c in result.failures
        )
        steps.append(DemoStep(f"sign + verify {suite} ({key_type})", True, result.verified, detail, str(path)))
        first_signed = first_signed or signed

    assert first_signed is not None
    tampered = copy.deepcopy(first_signed)
    tampered["credentialSubject"]["tier"] = "Exceeding"
    path = folder / "tampered.json"
    _write(path, tampered)
    result = verify(tampered, now=now)
    failed = "; ".join(f"{c.name}: {c.message}" for c in result.failures) or "verified (unexpected)"
    steps.append(DemoStep("tamper with the tier, verify again", False, result.verified, failed, str(path)))
    return steps + _trade_steps(folder, now, local_site)

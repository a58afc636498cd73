"""Multimodal bills of lading: what the carrier's bill alone does (typed parties, places, containers and goods; ISO
6346 check digits), every schema constraint and rule refusing a bad bill by naming its field, and its summary of a
malformed subject.

What every shipment document does alike (issued and verified, its contexts, retyped, `vctrade show`, the CLI) is
tested over all of them in test_shipment_types.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vctrade.trade._types.bill_of_lading import (
    BILL_OF_LADING,
    build_bill_of_lading_credential,
    iso6346_check_digit,
)

from ._shipment import DELETE, changed, refusal

CARRIER = "did:key:z6MkhghMibRvQ9j2yagTkQ6NZvCma6RBwer9qU4cPsf3CZoU"
BILL = ["billOfLading"]


@pytest.fixture
def request_(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """fixtures/shipment/bill-of-lading.yaml."""
    return trade_request("shipment", "bill-of-lading")


def test_the_bill_has_typed_parties_places_containers_and_goods(request_: dict[str, Any]) -> None:
    subject = build_bill_of_lading_credential(request_, CARRIER)["credentialSubject"]
    assert subject["type"] == "MultiModalBillOfLading"
    assert {subject[p]["type"] for p in ("shipper", "consignee", "notifyParty", "carrier")} == {"Organization"}
    assert {subject[p]["type"] for p in ("placeOfReceipt", "portOfLoading", "portOfDischarge", "placeOfDelivery")} == {"Place"}
    assert [c["type"] for c in subject["containers"]] == ["Container"] * 3
    assert [g["type"] for g in subject["goods"]] == ["ShippedGood"] * 2


def test_iso6346_check_digits() -> None:
    assert iso6346_check_digit("CSQU3054383") == 3  # ISO 6346's own example
    assert iso6346_check_digit("GFIU1000070") == 0  # a remainder of 10 is written 0
    assert [iso6346_check_digit(n) for n in ("GFIU4120736", "GFIU4120886", "GFIU4120910")] == [6, 6, 0]  # the fixture's


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        ([*BILL, "billOfLadingNumber"], DELETE, "credentialSubject: 'billOfLadingNumber' is required"),
        ([*BILL, "carrier"], DELETE, "credentialSubject: 'carrier' is required"),
        ([*BILL, "portOfLoading"], DELETE, "credentialSubject: 'portOfLoading' is required"),
        ([*BILL, "shippedOnBoardDate"], DELETE, "credentialSubject: 'shippedOnBoardDate' is required"),
        ([*BILL, "goods", 1, "grossWeight"], DELETE, "credentialSubject.goods[1]: 'grossWeight' is required"),
        ([*BILL, "goods", 0, "weightUnit"], DELETE, "credentialSubject.goods[0]: 'weightUnit' is required"),
        ([*BILL, "portOfDischarge", "name"], DELETE, "credentialSubject.portOfDischarge: 'name' is required"),
        ([*BILL, "containers", 1, "containerNumber"], DELETE, "credentialSubject.containers[1]: 'containerNumber' is required"),
        ([*BILL, "carrier", "legalName"], DELETE, "credentialSubject.carrier: 'legalName' is required"),
        # a party is identified (anyOf), the carrier too
        ([*BILL, "shipper", "id"], DELETE, "credentialSubject.shipper must be a party identified by an id (a DID or URI)"),
        ([*BILL, "carrier", "id"], DELETE, "credentialSubject.carrier must be a party identified by an id (a DID or URI)"),
        # patterns
        ([*BILL, "carrier", "scac"], "gfil", "credentialSubject.carrier.scac: 'gfil' is not a Standard Carrier Alpha Code"),
        ([*BILL, "carrier", "scac"], "GFILX", "credentialSubject.carrier.scac: 'GFILX' is not a Standard Carrier Alpha Code"),
        ([*BILL, "portOfLoading", "unLocode"], "MX-ATM", "credentialSubject.portOfLoading.unLocode: 'MX-ATM' is not a UN/LOCODE"),
        ([*BILL, "placeOfReceipt", "unLocode"], "MXMT1", "credentialSubject.placeOfReceipt.unLocode: 'MXMT1' is not a UN/LOCODE"),
        ([*BILL, "placeOfDelivery", "addressCountry"], "USA", "credentialSubject.placeOfDelivery.addressCountry: 'USA' is not an ISO 3166-1 alpha-2"),
        ([*BILL, "containers", 0, "containerNumber"], "GFIU412073",
         "credentialSubject.containers[0].containerNumber: 'GFIU412073' is not an ISO 6346 container number"),
        ([*BILL, "shippedOnBoardDate"], "06/11/2026", "credentialSubject.shippedOnBoardDate: '06/11/2026' is not a date written YYYY-MM-DD"),
        ([*BILL, "goods", 0, "hsCode"], "7208", "credentialSubject.goods[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        ([*BILL, "consignee", "importerOfRecordNumber"], "74 3198265",
         "credentialSubject.consignee.importerOfRecordNumber: '74 3198265' is not an importer-of-record number"),
        ([*BILL, "notifyParty", "phoneNumber"], "ask Rio Bravo", "credentialSubject.notifyParty.phoneNumber: 'ask Rio Bravo' is not a telephone number"),
        ([*BILL, "carrier", "id"], "Gulf Intermodal", "credentialSubject.carrier.id: 'Gulf Intermodal' is not a DID or URI"),
        # enum
        ([*BILL, "goods", 0, "weightUnit"], "KG", "credentialSubject.goods[0].weightUnit: 'KG' is not a mass unit: KGM, TNE or LBR"),
        # numbers
        ([*BILL, "goods", 0, "grossWeight"], 0, "credentialSubject.goods[0].grossWeight: 0 is less than or equal to the minimum of 0"),
        ([*BILL, "goods", 0, "packageCount"], 0, "credentialSubject.goods[0].packageCount: 0 is less than the minimum of 1"),
        ([*BILL, "goods", 0, "packageCount"], 26.5, "credentialSubject.goods[0].packageCount: 26.5 is not of type 'integer'"),
        # arrays
        ([*BILL, "goods"], [], "credentialSubject.goods: [] should be non-empty"),
        ([*BILL, "containers"], [], "credentialSubject.containers: [] should be non-empty"),
        ([*BILL, "containers", 0, "seals"], [""], "credentialSubject.containers[0].seals[0]: '' should be non-empty"),
        ([*BILL, "containers", 0, "seals"], "GFIL-S-884120", "credentialSubject.containers[0].seals: 'GFIL-S-884120' is not of type 'array'"),
        # strings, types, unknown fields
        ([*BILL, "vessel"], "", "credentialSubject.vessel: '' should be non-empty"),
        ([*BILL, "portOfLoading", "type"], "Port", "credentialSubject.portOfLoading.type: 'Place' was expected"),
        ([*BILL, "containers", 0, "type"], "FlatRack", "credentialSubject.containers[0].type: 'Container' was expected"),
        ([*BILL, "freightCharges"], "prepaid", "credentialSubject: fields are not allowed ('freightCharges' was unexpected)"),
        ([*BILL, "portOfLoading", "terminal"], "TMA", "credentialSubject.portOfLoading: fields are not allowed ('terminal' was unexpected)"),
        ([*BILL, "containers", 0, "sizeType"], "45P3", "credentialSubject.containers[0]: fields are not allowed ('sizeType' was unexpected)"),
        ([*BILL, "goods", 0, "netWeight"], 480, "credentialSubject.goods[0]: fields are not allowed ('netWeight' was unexpected)"),
        ([*BILL, "shipper", "scac"], "ADNM", "credentialSubject.shipper: fields are not allowed ('scac' was unexpected)"),
        # the credential's own fields
        (["validUntil"], "2026-11-01T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_schema_constraints_refuse_a_bad_bill_naming_the_field(path: list[Any], value: Any, message: str,
                                                               request_: dict[str, Any]) -> None:
    assert message in str(refusal(build_bill_of_lading_credential, changed(request_, path, value), CARRIER))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ([*BILL, "containers", 2, "containerNumber"], "GFIU4120736",
         "credentialSubject.containers[2].containerNumber: container GFIU4120736 is listed twice (also containers[0])"),
        ([*BILL, "containers", 1, "containerNumber"], "GFIU4120887",
         "credentialSubject.containers[1].containerNumber: GFIU4120887 fails the ISO 6346 check digit (its 11th digit should be 6)"),
        ([*BILL, "portOfDischarge"], {"name": "Altamira, Tamaulipas", "unLocode": "MXATM"},
         "credentialSubject.portOfDischarge: the port of discharge (MXATM) is the port of loading"),
    ],
)
def test_rules_refuse_a_bad_bill_naming_the_field(path: list[Any], value: Any, message: str, request_: dict[str, Any]) -> None:
    bad = changed(request_, path, value)
    assert message in str(refusal(build_bill_of_lading_credential, bad, CARRIER))
    assert BILL_OF_LADING.schema.problems(BILL_OF_LADING.builder(bad, CARRIER, None)) == []  # the rule refuses it


def test_what_the_rules_allow(request_: dict[str, Any]) -> None:
    """Ports are compared by UN/LOCODE only (a port without one is not judged the same by name); breakbulk cargo has
    no containers; a container needs no seals; lines come in any weight unit."""
    bill = request_["billOfLading"]
    bill["portOfDischarge"] = {"name": "Altamira"}
    del bill["containers"]
    bill["goods"][1] |= {"grossWeight": 491189.1, "weightUnit": "LBR"}
    assert "containers" not in build_bill_of_lading_credential(request_, CARRIER)["credentialSubject"]
    bill["containers"] = [{"containerNumber": "CSQU3054383"}]
    assert build_bill_of_lading_credential(request_, CARRIER)["credentialSubject"]["containers"] == [
        {"type": "Container", "containerNumber": "CSQU3054383"}]


def test_the_summary_of_a_malformed_subject() -> None:
    """`vctrade show` words any document, even one that fails its schema: what cannot be read is a `?`."""
    assert BILL_OF_LADING.summary({"credentialSubject": {"goods": [{"grossWeight": True}]}}) == (
        "bill of lading ?: ? → ?, shipped on board ?; 0 container(s), 1 good(s), ? gross; ? → ?")

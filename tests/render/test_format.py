"""Numbers as a printed document shows them: Decimal arithmetic, currency minor units, one format per column."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from vctrade import Key, VerificationResult, sign
from vctrade.render import render_html
from vctrade.render._format import amount, column, date_time, decimal, money, quantity, totals_line
from vctrade.render._layouts import build_body

from ._page import Page

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(("values", "shown"), [
    ([780.0, 1200], ["780", "1,200"]),
    ([489.6, 222], ["489.6", "222.0"]),
    ([0.06, 0.07, 0.18], ["0.06", "0.07", "0.18"]),
    ([0.012, 0.5, 3], ["0.012", "0.500", "3.000"]),
    ([1250000, 7.25], ["1,250,000.00", "7.25"]),
    ([1.123456789], ["1.1235"]),  # at most four decimals
    ([None, "n/a", True, 5], ["", "n/a", "True", "5"]),  # what is not a number is shown as it is
])
def test_a_column_of_numbers_shares_one_format(values: list[Any], shown: list[str]) -> None:
    assert column(values) == shown


@pytest.mark.parametrize(("value", "currency", "shown"), [
    (780.0, "USD", "780.00 USD"),
    (1200, "USD", "1,200.00 USD"),
    (812.5, "USD", "812.50 USD"),
    (0.125, "USD", "0.13 USD"),  # half up, on the decimal 0.125 (the float is 0.12499…)
    (150000, "JPY", "150,000 JPY"),
    (12.3456, "KWD", "12.346 KWD"),
    (5, None, "5.00"),
    ("about 5", "USD", "about 5"),
])
def test_money_has_its_currencys_minor_units(value: Any, currency: Any, shown: str) -> None:
    assert money(value, currency) == shown


def test_arithmetic_is_decimal() -> None:
    assert decimal(0.1) is not None and decimal(0.1) * 3 == Decimal("0.3")  # 0.1 * 3 is 0.30000000000000004 in floats
    assert amount(Decimal(480) * decimal(812.5), "USD") == "390,000.00"  # type: ignore[operator]
    assert decimal(float("nan")) is None and decimal(float("inf")) is None and decimal(False) is None


def test_totals_never_add_two_currencies_or_two_units() -> None:
    assert totals_line({"USD": Decimal("1200"), "EUR": Decimal("99.5")}) == "1,200.00 USD + 99.50 EUR"
    assert totals_line({"TNE": Decimal("700"), "KGM": Decimal("12.5")}, "quantity") == "700 t + 12.5 kg"
    assert quantity(1250.5, "TNE") == "1,250.5 t" and quantity(3, "XYZ") == "3 XYZ"


def test_dates_have_one_format() -> None:
    assert date_time("2026-11-02") == "2026-11-02"
    assert date_time("2026-11-02T00:00:00Z") == "2026-11-02 00:00 UTC"
    assert date_time("2027-04-30T23:59:59Z") == "2027-04-30 23:59:59 UTC"
    assert date_time("2026-11-02T08:30:00-06:00") == "2026-11-02 14:30 UTC"
    assert date_time("next Tuesday") == "next Tuesday"


def test_goods_in_several_currencies_are_totalled_per_currency() -> None:
    credential = {"type": ["VerifiableCredential", "CertificateOfOrigin"], "credentialSubject": {
        "agreement": "CAFTA-DR", "goods": [
            {"description": "shirts", "quantity": 1000, "unitCode": "H87", "unitPrice": 4.5, "currency": "USD"},
            {"description": "trousers", "quantity": 200, "unitCode": "H87", "unitPrice": 1500, "currency": "JPY"},
            {"description": "belts", "quantity": 10, "unitCode": "H87", "unitPrice": 2, "currency": "USD"},
        ]}}
    layout, [body] = build_body("origin", credential, "Certificate of origin")
    goods = body.tables[0]
    assert layout == "origin"
    assert [c.label for c in goods.columns][-2:] == ["Unit price", "Amount"]
    assert [row[-1] for row in goods.rows] == ["4,500.00 USD", "300,000 JPY", "20.00 USD"]
    assert [(f.label, f.value) for f in goods.totals] == [("Total", "4,520.00 USD + 300,000 JPY")]


def test_the_issue_example_780_and_1200_print_alike(key_of: Callable[[str], Key],
                                                    checked: Callable[..., VerificationResult],
                                                    render_now: datetime) -> None:
    """`780.0` and `1200` in one column print as 780.00 and 1,200.00 (money), quantities with their unit."""
    from vctrade.trade._types.invoice import build_invoice_credential

    seller, buyer = key_of("aceros-del-norte"), key_of("acme-imports")
    request = {"id": "urn:uuid:1d1c7b0e-1111-4e0a-9c61-2f5a8e7d4b10", "invoice": {
        "invoiceNumber": "INV-7", "invoiceDate": "2026-11-02", "currency": "USD",
        "seller": {"id": seller.did, "legalName": "Aceros del Norte", "address": {"addressCountry": "MX"}},
        "buyer": {"id": buyer.did, "legalName": "ACME", "address": {"addressCountry": "US"}},
        "lines": [
            {"description": "plate", "hsCode": "7208.51.0030", "quantity": 2.5, "unitCode": "TNE", "unitPrice": 780.0,
             "countryOfOrigin": "MX", "heatNumbers": ["H1"]},
            {"description": "bar", "hsCode": "7214.20.0000", "quantity": 10, "unitCode": "TNE", "unitPrice": 1200,
             "countryOfOrigin": "MX", "heatNumbers": ["H2"]},
        ]}}
    credential = sign(build_invoice_credential(request, seller.did), seller, created=CREATED)
    page = Page(render_html(credential, checked(credential), now=render_now))
    rows = page.html[page.html.index("<tbody>"):page.html.index("</tbody>")]
    assert '<td class="num">780.00</td>' in rows and '<td class="num">1,200.00</td>' in rows
    assert '<td class="num">1,950.00</td>' in rows and '<td class="num">12,000.00</td>' in rows  # line totals
    assert '<td class="num">2.5 t</td>' in rows and '<td class="num">10.0 t</td>' in rows  # one quantity format, with the unit
    assert "Total of the lines 13,950.00 USD" in page.text

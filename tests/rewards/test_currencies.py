"""A company buys in its own currency, which earns at the club's rate for that currency;
its people read their points' value in it; club-wide figures stay in the base currency.

A purchase in a currency that is no currency, one the programme has no rate for, or one its
company does not buy in is refused on its own, with a message saying which; the rest of a
batch or a file lands.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from api.services import api_client_create
from members.models import Country
from rewards.ledger.notices import purchase_points_notify
from rewards.ledger.selectors import account_summary
from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import LedgerEntry, ProgrammeCurrency, ProgrammeRules, Purchase
from rewards.purchases.services import PurchaseInvalid, purchase_record
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory

from .test_imports import csv_bytes, error_rows, row, run

pytestmark = pytest.mark.django_db

YESTERDAY = (timezone.now() - timedelta(days=1)).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _default_language_after():
    """A Dutch member's request leaves Dutch active in this thread; later tests expect English."""
    yield
    translation.deactivate()


@pytest.fixture
def eur(rules) -> ProgrammeCurrency:
    """SEK earns 1 point per krona, a point worth 0.05 SEK; EUR 10.75 points per euro, a point
    worth 0.0045 EUR — the club's two decisions, no exchange rate."""
    return ProgrammeCurrency.objects.create(
        currency="EUR",
        points_per_currency_unit=Decimal("10.75"),
        point_value=Decimal("0.0045"),
        reporting_rate=Decimal("11.5"),
    )


@pytest.fixture
def dutch(rules):
    return CompanyFactory(name="Van Dijk B.V.", country=Country.NETHERLANDS, org_number="12345678", external_id="NL-1")


def _api_post(client, token: str, path: str, body) -> dict:
    response = client.post(
        f"/api/v1{path}",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


def _body(company, external_id: str, amount: str = "123.45", **overrides) -> dict:
    return {
        "external_id": external_id,
        "company": company.external_id,
        "occurred_at": YESTERDAY.isoformat(),
        "net_amount": amount,
        "currency": "EUR",
        "lines": [],
    } | overrides


def _earned(external_id: str) -> int:
    return LedgerEntry.objects.get(purchase__external_id=external_id, kind="earn").pending_points


def test_a_company_buys_in_its_countrys_currency_unless_staff_set_another(rules):
    assert CompanyFactory(country=Country.NETHERLANDS, org_number="87654321").currency == "EUR"
    assert CompanyFactory(country=Country.SWEDEN).currency == "SEK"
    assert CompanyFactory(country=Country.NETHERLANDS, org_number="11111111", currency="SEK").currency == "SEK"
    company = CompanyFactory.build(currency="EURO")
    with pytest.raises(ValidationError) as refused:
        company.full_clean()
    assert "currency" in refused.value.message_dict


def test_an_eur_purchase_earns_at_the_eur_rate_through_the_api_and_both_csv_paths_alike(client, dutch, eur):
    _api_client, token = api_client_create(name="ERP", source="erp", created_by=None)
    answer = _api_post(client, token, "/purchases", _body(dutch, "API-1"))
    # 123.45 EUR × 10.75 points per euro = 1327.09 → 1327 points (rounded once, half up).
    assert answer["points"] == 1327 == _earned("API-1")
    assert answer["currency"] == "EUR"
    # Left out, the currency is the company's own.
    assert _api_post(client, token, "/purchases", _body(dutch, "API-2", currency=None))["points"] == 1327

    by_services = run(csv_bytes([row("NL-1", "CSV-1", "123.45", currency="EUR")]))
    assert by_services.rows_created == 1 and _earned("CSV-1") == 1327
    # Semicolons and a decimal comma, as a Dutch spreadsheet writes the file.
    content = "\ufeffcompany_external_id;source;external_id;occurred_at;net_amount;currency\n"
    content += "NL-1;erp;CSV-2;2026-06-10;123,45;EUR\n"
    semicolons = run(content.encode())
    assert semicolons.rows_created == 1 and _earned("CSV-2") == 1327


@pytest.mark.postgres
def test_the_set_based_import_earns_an_eur_row_at_the_eur_rate(require_postgres, dutch, eur):
    imported = run(csv_bytes([row("NL-1", "CSV-3", "123.45", currency="EUR")]), set_based=True)
    assert imported.rows_created == 1 and _earned("CSV-3") == 1327


def test_the_api_batch_refuses_each_bad_currency_alone_and_lands_the_rest(client, dutch, eur, company):
    nok = CompanyFactory(name="Fjord AS", external_id="NO-1", currency="NOK")
    _api_client, token = api_client_create(name="ERP", source="erp", created_by=None)
    answer = _api_post(
        client,
        token,
        "/purchases/batch",
        {
            "items": [
                _body(dutch, "B-1"),
                _body(dutch, "B-2", currency="SEK"),  # not the company's
                _body(dutch, "B-3", currency="XYZ"),  # not a currency
                _body(nok, "B-4", currency="NOK"),  # the company's, but the programme has no rate
                _body(company, "B-5", currency="SEK"),
            ]
        },
    )
    outcomes = {item["external_id"]: item for item in answer["items"]}
    assert [outcomes[ref]["status"] for ref in ("B-1", "B-2", "B-3", "B-4", "B-5")] == [
        "created",
        "invalid",
        "invalid",
        "invalid",
        "created",
    ]
    assert outcomes["B-2"]["detail"] == "Company NL-1 buys in EUR, not SEK."
    assert outcomes["B-3"]["detail"] == "XYZ is not a currency code (ISO 4217, e.g. SEK or EUR)."
    assert outcomes["B-4"]["detail"].startswith("The programme has no earn rate for NOK (it runs in SEK, EUR)")
    assert all(outcomes[ref]["errors"][0]["loc"][-1] == "currency" for ref in ("B-2", "B-3", "B-4"))
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"B-1", "B-5"}


@pytest.mark.parametrize("set_based", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_a_csv_file_refuses_each_bad_currency_on_its_line_and_lands_the_rest(request, dutch, eur, company, set_based):
    if set_based:
        request.getfixturevalue("require_postgres")
    CompanyFactory(name="Fjord AS", external_id="NO-1", currency="NOK")
    imported = run(
        csv_bytes(
            [
                row("NL-1", "F-1", currency="EUR"),
                row("NL-1", "F-2", currency="SEK"),
                row("NL-1", "F-3", currency="XYZ"),
                row("NO-1", "F-4", currency="NOK"),
                row(company.external_id, "F-5", currency="SEK"),
            ]
        ),
        set_based=set_based,
    )
    assert (imported.rows_created, imported.rows_failed) == (2, 3)
    reasons = {line[0]: line[1] for line in error_rows(imported)[1:]}
    assert reasons["3"] == "Company NL-1 buys in EUR, not SEK."
    assert reasons["4"] == "XYZ is not a currency code (ISO 4217, e.g. SEK or EUR)."
    assert reasons["5"].startswith("The programme has no earn rate for NOK")
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"F-1", "F-5"}


def test_a_credit_note_is_in_its_purchases_currency(dutch, eur):
    purchase_record(
        company=dutch,
        source="erp",
        external_id="P-1",
        occurred_at=YESTERDAY,
        net_amount=Decimal("100"),
        currency="EUR",
        lines=[],
    )
    dutch.currency = "SEK"  # staff changed the company's currency since
    dutch.save()
    with pytest.raises(PurchaseInvalid) as refused:
        purchase_record(
            company=dutch,
            source="erp",
            external_id="C-1",
            occurred_at=YESTERDAY,
            net_amount=Decimal("-10"),
            currency="SEK",
            lines=[],
            original_external_id="P-1",
        )
    assert refused.value.field == "currency" and "P-1 is in EUR" in refused.value.message


def test_a_dutch_member_reads_their_points_worth_in_eur_and_staff_read_the_club_in_sek(client, dutch, eur, rules):
    purchaser = MembershipFactory(company=dutch, role="purchaser", user__language="").user  # reads Dutch
    points_adjust(
        account=points_account_for_company(company=dutch), points=10_000, reason="Welkom", by=StaffFactory(), key="w"
    )
    assert account_summary(company=dutch).balance_value == Decimal("45.00")
    assert account_summary(company=dutch).currency == "EUR"

    client.force_login(purchaser)
    page = client.get("/points/history/").content.decode()
    assert "45\u00a0EUR" in page and "SEK" not in page

    export = client.get("/points/history/", {"_export": "csv"}).getvalue().decode("utf-8-sig")  # it streams
    header, first = list(csv.reader(io.StringIO(export), delimiter=";"))[:2]  # Dutch: ; and decimal commas
    cells = dict(zip(header, first, strict=True))
    assert cells["Waarde (EUR)"] == "45,00"

    # Club-wide: the liability at the base currency's point value (0.05 SEK).
    staff_rules = ProgrammeRules.current()
    assert staff_rules.currency == "SEK" and staff_rules.in_currency("EUR").point_value == Decimal("0.0045")


def test_a_dutch_companys_points_notice_names_the_value_in_eur(dutch, eur):
    person = MembershipFactory(company=dutch, role="purchaser", user__language="en").user
    purchase_points_notify(
        company_id=dutch.pk, purchase_id=1, external_id="P-1", points=10_000, available_at=None, now=timezone.now()
    )
    notice = person.notifications.get()
    assert "(45\u00a0EUR)" in notice.title + notice.body


def test_a_currency_view_of_the_rules_is_never_saved(rules, eur):
    with pytest.raises(ValueError):
        rules.in_currency("EUR").save()
    assert rules.in_currency("NOK") is None
    assert rules.in_currency_or_base("NOK") is rules
    assert rules.in_currency("EUR").in_currency("SEK") is rules  # a view leads back to the base
    assert rules.in_currency("EUR").in_currency_or_base("NOK") is rules


def test_a_large_purchase_threshold_in_the_base_currency_is_reached_at_the_club_parity(rules, eur):
    from campaigns.earn import large_enough
    from campaigns.templatetags.campaigns import threshold_in

    in_eur = rules.in_currency("EUR")
    # 50 000 SEK earn 50 000 points; 4 651.17 EUR earn 50 000.08 at 10.75 a euro, 4 651.16 not quite.
    assert large_enough(Decimal("4651.17"), Decimal("50000"), in_eur)
    assert not large_enough(Decimal("4651.16"), Decimal("50000"), in_eur)
    assert large_enough(Decimal("50000"), Decimal("50000"), rules)
    # What a Dutch member reads: "from 4 652 EUR", rounded up so the amount shown qualifies.
    assert threshold_in(Decimal("50000"), in_eur) == Decimal("4652")
    assert threshold_in(Decimal("50000"), rules) == Decimal("50000")

"""Wherever staff type a currency — a company's, a reward's, the programme's base currency, a
programme currency — " eur " is read as EUR and saved so, and something that is not an ISO 4217
code gets "XYZ is not a currency code (ISO 4217).", once, on the currency field; never Django's
generic "Enter a valid value." (``core.currencies.CurrencyField``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members.models import Company, Country
from rewards.models import ProgrammeCurrency, ProgrammeRules, Reward
from tests.factories import CompanyFactory, StaffFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.test_reward_currency import admin_add_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def club_admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False  # staff MFA has its own tests
    client.force_login(StaffFactory(group="Club admins"))
    return client


def company_form(client, company: Company, **changes) -> dict:
    """The company's admin change form as it stands, with ``changes``."""
    form = client.get(reverse("admin:members_company_change", args=[company.pk])).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "sales_rep"}
    management = {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}
    return data | management | changes


def rules_form(**changes) -> dict:
    rules = ProgrammeRules.current()
    data = {
        "points_per_currency_unit": str(rules.points_per_currency_unit),
        "point_value": str(rules.point_value),
        "currency": rules.currency,
        "return_window_days": str(rules.return_window_days),
        "expiry_months": str(rules.expiry_months),
        "closing_rule": rules.closing_rule,
    }
    return data | changes


def programme_currency_form(**changes) -> dict:
    data = {"currency": "EUR", "points_per_currency_unit": "11", "point_value": "0.0018", "reporting_rate": "11"}
    return data | changes


# --- Typed with spaces and in lower case: read as the code -------------------------------------


def test_given_a_company_when_staff_type_eur_in_lower_case_with_spaces_then_it_buys_in_eur(club_admin_client):
    company = CompanyFactory(name="Bergström Bygg AB")
    url = reverse("admin:members_company_change", args=[company.pk])

    response = club_admin_client.post(url, company_form(club_admin_client, company, currency=" eur "))

    assert response.status_code == 302
    assert Company.objects.get(pk=company.pk).currency == "EUR"


def test_given_the_programme_rules_when_staff_type_eur_in_lower_case_then_the_base_currency_is_eur(
    club_admin_client,
):
    url = reverse("admin:rewards_programmerules_change", args=[ProgrammeRules.current().pk])

    response = club_admin_client.post(url, rules_form(currency=" eur "))

    assert response.status_code == 302
    assert ProgrammeRules.current().currency == "EUR"


def test_given_a_club_in_sek_when_staff_add_the_programme_currency_nok_in_lower_case_then_it_is_nok(
    club_admin_client,
):
    response = club_admin_client.post(
        reverse("admin:rewards_programmecurrency_add"), programme_currency_form(currency=" nok ")
    )

    assert response.status_code == 302
    assert ProgrammeCurrency.objects.get().currency == "NOK"


def test_given_a_club_in_sek_and_eur_when_staff_add_a_gift_card_in_eur_typed_in_lower_case_then_it_is_in_eur(
    club_admin_client,
):
    """The reward's own currency rule (a gift card in a currency the club runs in) reads the
    code too: " eur " is EUR, which the club runs in."""
    ProgrammeCurrency.objects.create(
        currency="EUR", points_per_currency_unit=Decimal("11"), point_value=Decimal("0.0018"), reporting_rate=11
    )

    response = club_admin_client.post(
        reverse("admin:rewards_reward_add"), admin_add_form(kind="voucher", currency=" eur ")
    )

    assert response.status_code == 302
    assert Reward.objects.get().currency == "EUR"


def test_given_a_club_in_sek_when_staff_add_the_base_currency_in_lower_case_as_a_programme_currency_then_refused(
    club_admin_client,
):
    """Typed " sek " is SEK, the base currency: the programme currency's own rule still sees it."""
    response = club_admin_client.post(
        reverse("admin:rewards_programmecurrency_add"), programme_currency_form(currency=" sek ")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["currency"] == [
        "This is the programme's base currency; set its rates in the rules."
    ]
    assert not ProgrammeCurrency.objects.exists()


# --- Not a currency: the clear message, once, on the field --------------------------------------


def _currency_errors(response) -> list[str]:
    assert response.status_code == 200  # the form again
    return response.context["adminform"].form.errors["currency"]


@pytest.mark.parametrize("typed", ["xyz", "EURO", "eu"])
def test_given_each_admin_form_when_staff_type_no_currency_code_then_the_field_says_so_and_nothing_changes(
    club_admin_client, typed
):
    company = CompanyFactory()
    code = typed.upper()
    expected = [f"{code} is not a currency code (ISO 4217)."]

    company_url = reverse("admin:members_company_change", args=[company.pk])
    company_response = club_admin_client.post(company_url, company_form(club_admin_client, company, currency=typed))
    rules_url = reverse("admin:rewards_programmerules_change", args=[ProgrammeRules.current().pk])
    rules_response = club_admin_client.post(rules_url, rules_form(currency=typed))
    term_response = club_admin_client.post(
        reverse("admin:rewards_programmecurrency_add"), programme_currency_form(currency=typed)
    )
    reward_response = club_admin_client.post(
        reverse("admin:rewards_reward_add"), admin_add_form(kind="physical", currency=typed)
    )

    assert _currency_errors(company_response) == expected
    assert _currency_errors(rules_response) == expected
    assert _currency_errors(term_response) == expected
    assert _currency_errors(reward_response) == expected
    assert Company.objects.get(pk=company.pk).currency == "SEK"
    assert ProgrammeRules.current().currency == "SEK"
    assert not ProgrammeCurrency.objects.exists()
    assert not Reward.objects.exists()


def test_given_a_company_when_staff_empty_its_currency_then_it_buys_in_its_countrys_again(club_admin_client):
    """Empty stays allowed on a company: its country's currency."""
    company = CompanyFactory(country=Country.SWEDEN, currency="EUR")
    url = reverse("admin:members_company_change", args=[company.pk])

    response = club_admin_client.post(url, company_form(club_admin_client, company, currency="  "))

    assert response.status_code == 302
    assert Company.objects.get(pk=company.pk).currency == "SEK"


# --- Outside a form: the same reading and the same message --------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda currency: CompanyFactory.build(currency=currency),
        lambda currency: RewardFactory.build(kind="physical", currency=currency),
        lambda currency: ProgrammeCurrency(
            currency=currency, points_per_currency_unit=1, point_value=Decimal("0.01"), reporting_rate=1
        ),
        lambda currency: ProgrammeRules(currency=currency),
    ],
    ids=["company", "reward", "programme currency", "programme rules"],
)
def test_given_a_model_with_a_typed_currency_when_full_clean_then_it_reads_the_code_or_says_it_is_none(build):
    typed = build(" nok ")
    typed.full_clean(validate_unique=False, validate_constraints=False)
    assert typed.currency == "NOK"

    wrong = build("EURO")
    with pytest.raises(ValidationError) as refused:
        wrong.full_clean(validate_unique=False, validate_constraints=False)
    assert refused.value.message_dict["currency"] == ["EURO is not a currency code (ISO 4217)."]

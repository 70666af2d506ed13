"""Organisation numbers: Swedish (ten digits, Luhn check digit) and Dutch KvK (eight digits)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from members.models import Company, Country
from members.validators import _luhn_ok, validate_org_number


def _with_check_digit(nine_digits: str) -> str:
    return next(nine_digits + str(check) for check in range(10) if _luhn_ok(nine_digits + str(check)))


@pytest.mark.parametrize("written", ["556016-0680", "5560160680", " 556016 0680 ", "556016-06-80"])
def test_given_a_valid_swedish_number_in_any_spelling_when_validated_then_canonical_form(written):
    assert validate_org_number(written, "SE") == "556016-0680"


def test_given_a_swedish_number_with_a_wrong_check_digit_when_validated_then_refused():
    with pytest.raises(ValidationError, match="wrong check digit"):
        validate_org_number("556016-0681", "SE")


@pytest.mark.parametrize("written", ["", "556016-068", "556016-06801", "55601A-0680"])
def test_given_a_swedish_number_of_the_wrong_shape_when_validated_then_refused(written):
    with pytest.raises(ValidationError, match="ten digits"):
        validate_org_number(written, "SE")


@pytest.mark.parametrize(("written", "canonical"), [("12345678", "12345678"), ("1234 5678", "12345678")])
def test_given_a_dutch_kvk_number_when_validated_then_eight_digits(written, canonical):
    assert validate_org_number(written, "NL") == canonical


@pytest.mark.parametrize("written", ["1234567", "123456789", "1234567A"])
def test_given_a_dutch_number_of_the_wrong_shape_when_validated_then_refused(written):
    with pytest.raises(ValidationError, match="eight digits"):
        validate_org_number(written, "NL")


def test_given_an_unsupported_country_when_validated_then_refused():
    with pytest.raises(ValidationError, match="not supported"):
        validate_org_number("12345678", "DE")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_ten_digits_with_a_valid_luhn_digit_are_accepted_and_normalised(nine_digits):
    number = _with_check_digit(nine_digits)

    assert validate_org_number(number, "SE") == f"{number[:6]}-{number[6:]}"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(min_value=1, max_value=9))
def test_any_swedish_number_with_a_changed_check_digit_is_refused(nine_digits, shift):
    number = _with_check_digit(nine_digits)
    wrong = number[:9] + str((int(number[9]) + shift) % 10)

    with pytest.raises(ValidationError):
        validate_org_number(wrong, "SE")


@pytest.mark.django_db
def test_given_a_company_with_a_bad_org_number_when_full_clean_then_error_on_the_field():
    company = Company(name="Felaktig AB", country=Country.SWEDEN, org_number="556016-0681")

    with pytest.raises(ValidationError) as error:
        company.full_clean()

    assert list(error.value.message_dict) == ["org_number"]
    assert "wrong check digit" in error.value.message_dict["org_number"][0]


@pytest.mark.django_db
def test_given_a_company_with_a_swedish_number_without_dash_when_full_clean_then_stored_canonical():
    company = Company(name="Rätt AB", country=Country.SWEDEN, org_number="5560160680")

    company.full_clean()

    assert company.org_number == "556016-0680"


@pytest.mark.django_db
def test_given_a_dutch_company_with_a_swedish_number_when_full_clean_then_error_on_the_field():
    company = Company(name="Verkeerd B.V.", country=Country.NETHERLANDS, org_number="556016-0680")

    with pytest.raises(ValidationError) as error:
        company.full_clean()

    assert "eight digits" in error.value.message_dict["org_number"][0]

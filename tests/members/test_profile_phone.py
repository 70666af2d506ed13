"""The profile's phone number: something a person (or a courier) can dial, or nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from members.forms import ProfileForm

pytestmark = pytest.mark.django_db


def _form(user, phone: str) -> ProfileForm:
    data = {"first_name": "Anna", "last_name": "Berg", "phone": phone, "language": "en", "email_notifications": "on"}
    return ProfileForm(data, instance=user)


@pytest.mark.parametrize(
    "phone", ["+46 8 123 456 78", "08-123 456 78", "(020) 123 4567", "+31 (0)20 123 4567", "0612345678", ""]
)
def test_given_a_dialable_number_or_none_when_saving_the_profile_then_accepted(purchaser, phone):
    assert _form(purchaser, phone).is_valid()


@pytest.mark.parametrize(
    "phone",
    [
        "1e400",
        "hello",
        "12345",  # too few digits
        "+46 8 123 456 78 90 12 34",  # more than 15 digits
        "46+8123456",  # "+" only in front
        "+٤٦ ٨ ١٢٣ ٤٥٦",  # digits other than 0-9
        "0612345678; DROP TABLE",
        "+46.8.123.456",
    ],
)
def test_given_text_that_is_no_phone_number_when_saving_the_profile_then_a_clear_error(purchaser, phone):
    with translation.override("en"):
        form = _form(purchaser, phone)
        assert not form.is_valid()
        assert form.errors["phone"] == [
            "Enter a phone number of 6 to 15 digits, such as +46 8 123 456 78. "
            "Use only digits, spaces, “+”, “-” and parentheses."
        ]


def test_given_a_member_when_posting_a_bad_phone_then_the_page_says_why_and_nothing_is_saved(member_client, purchaser):
    response = member_client.post(
        reverse("members:profile"),
        {"first_name": "Anna", "last_name": "Berg", "phone": "1e400", "language": "en", "email_notifications": "on"},
    )

    assert response.status_code == 200
    assert "Enter a phone number of 6 to 15 digits" in response.content.decode()
    purchaser.refresh_from_db()
    assert purchaser.phone == ""

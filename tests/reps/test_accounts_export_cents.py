"""My accounts as CSV writes its purchase amounts in cents: they are summed in SQL, and the
export gave ``37799.9600000000`` (SQLite's fifteen significant digits)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reps.activity import account_activity_catch_up
from rewards.models import Purchase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _rows(response, delimiter=",") -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


@pytest.fixture
def purchases(company):
    now = timezone.now()
    for n, (days, amount) in enumerate(((10, "12599.99"), (20, "25199.97"), (120, "0.10"), (130, "0.20"))):
        Purchase.objects.create(
            company=company,
            source="erp",
            external_id=f"P-{n}",
            occurred_at=now - timedelta(days=days),
            net_amount=Decimal(amount),
        )
    account_activity_catch_up()


@pytest.mark.parametrize("user", ["rep", "club_admin"])
def test_the_purchase_amounts_of_the_accounts_export_are_in_cents(client, request, purchases, user):
    # Given an account that bought 37 799.96 in the last 90 days and 0.30 in the 90 before
    client.force_login(request.getfixturevalue(user))
    # when its rep (or a club admin) downloads the accounts
    header, *body = _rows(client.get(reverse("reps:accounts"), {"_export": "csv"}))
    row = dict(zip(header, body[0], strict=True))
    # then the amounts have two decimals, no more
    assert row["Purchases, last 90 days (SEK)"] == "37799.96"
    assert row["Purchases, 90 days before (SEK)"] == "0.30"


def test_a_swedish_reader_gets_cents_with_a_decimal_comma(client, rep, purchases):
    rep.language = "sv"
    rep.save(update_fields=["language"])
    client.force_login(rep)
    header, *body = _rows(client.get(reverse("reps:accounts"), {"_export": "csv"}), delimiter=";")
    amounts = body[0][-3:-1]  # the two amounts, before the change in per cent
    assert amounts == ["37799,96", "0,30"], header

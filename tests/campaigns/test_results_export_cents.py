"""A campaign's results as CSV write the revenue in cents: it is summed in SQL, and came back
with the database's scale (SQLite: ``45849.9800000000``)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rewards.models import Purchase
from tests.factories import StaffFactory

from .factories import CampaignFactory, run_campaign

pytestmark = pytest.mark.django_db


def test_the_results_export_writes_revenue_in_cents(client, settings, owner, treated_company, held_out_company):
    settings.STAFF_MFA_REQUIRED = False
    now = timezone.now()
    campaign = CampaignFactory(owner=owner, starts_at=now - timedelta(days=10), ends_at=now + timedelta(days=10))
    run_campaign(campaign, treated=[treated_company], held_out=[held_out_company])
    # Given orders during the campaign and before it
    for n, (company, days, amount) in enumerate(
        (
            (treated_company, 2, "15283.33"),
            (treated_company, 3, "15283.33"),
            (treated_company, 4, "15283.32"),
            (held_out_company, 15, "0.10"),
            (held_out_company, 16, "0.20"),
        )
    ):
        Purchase.objects.create(
            company=company,
            source="erp",
            external_id=f"R-{n}",
            occurred_at=now - timedelta(days=days),
            net_amount=Decimal(amount),
        )
    client.force_login(StaffFactory(group="Club admins"))
    # when a club admin downloads the results
    response = client.get(reverse("admin:campaigns_campaign_results_csv", args=[campaign.pk]))
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    # then each company's revenue before and during is in cents
    amounts = {row[0]: (row[3], row[4]) for row in rows}
    assert amounts == {"Treated AB": ("0.00", "45849.98"), "Held Out AB": ("0.30", "0.00")}, header

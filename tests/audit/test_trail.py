"""The audit trail: staff ledger corrections are in it, it is read-only in the admin, and its
CSV export is formula-safe and follows the list's search."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from rewards.ledger.services import entry_reverse, points_account_for_company, points_adjust
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def test_a_staff_adjustment_and_its_reversal_are_in_the_trail_by_whom(company, club_admin):
    account = points_account_for_company(company=company)
    entry = points_adjust(account=account, points=250, reason="=HYPERLINK(1) goodwill", by=club_admin, key="k1")
    # A retry with the same key records nothing new.
    points_adjust(account=account, points=250, reason="=HYPERLINK(1) goodwill", by=club_admin, key="k1")
    reversal = entry_reverse(entry=entry, reason="wrong company", by=club_admin)

    rows = list(LogEntry.objects.filter(content_type__model="ledgerentry").order_by("pk"))
    assert [row.object_pk for row in rows] == [str(entry.pk), str(reversal.pk)]
    assert rows[0].actor == club_admin
    assert rows[0].changes["points"] == [None, 250]
    assert rows[1].changes["reverses"] == [None, entry.pk]


def test_the_trail_is_read_only_even_for_a_superuser(client, company):
    superuser = StaffFactory(is_superuser=True)
    client.force_login(superuser)
    company.name = "Renamed AB"
    company.save()
    row = LogEntry.objects.get_for_object(company).latest("pk")

    assert client.get(reverse("admin:auditlog_logentry_change", args=[row.pk])).status_code == 200
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    assert LogEntry.objects.filter(pk=row.pk).exists()


def test_the_export_is_formula_safe_and_follows_the_search(client, company, club_admin):
    client.force_login(club_admin)
    company.name = '=HYPERLINK("http://evil","x")'
    company.save()
    company.name = "Searchable Name AB"
    company.save()
    account = points_account_for_company(company=company)
    points_adjust(account=account, points=10, reason="goodwill", by=club_admin, key="x")

    response = client.get(reverse("admin:auditlog_logentry_export") + "?q=goodwill")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "memo_params: None → {'text': 'goodwill'}" in text  # the reason as typed
    assert "HYPERLINK" not in text  # the renames do not match the search

    everything = b"".join(client.get(reverse("admin:auditlog_logentry_export")).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in everything
    assert ",=HYPERLINK" not in everything and ";=HYPERLINK" not in everything


def test_a_member_cannot_see_or_export_the_trail(member_client):
    assert member_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 302
    assert member_client.get(reverse("admin:auditlog_logentry_export")).status_code == 302


def test_a_branding_change_in_wagtail_is_in_the_trail_by_whom(portal_site, club_admin):
    from auditlog.context import set_actor

    from core.models import Branding

    branding = Branding.for_site(portal_site)
    with set_actor(club_admin):
        branding.primary_colour = "#123456"
        branding.save()
    row = LogEntry.objects.get_for_object(branding).latest("pk")
    assert row.actor == club_admin
    assert row.changes["primary_colour"][1] == "#123456"


@pytest.mark.parametrize("query", ["?resource_type=garbage", "?timestamp__gte=0001-01-01", "?q=%00"])
def test_an_export_with_a_query_string_the_list_refuses_is_refused_before_the_download(client, club_admin, query):
    client.force_login(club_admin)

    response = client.get(reverse("admin:auditlog_logentry_export") + query)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:auditlog_logentry_changelist") + "?e=1"

"""A campaign's name, headline and description are kept per language: members read them in
theirs (a missing one falls back to the club's default, marked with its lang), the notice of
its start and the ledger's campaign points name it in each reader's language, and the admin
edits every language on one page and lists what is not translated yet."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.services import campaign_announce
from members.models import MembershipRole
from notifications.models import Notification
from tests.factories import MembershipFactory

from .factories import CampaignFactory, CampaignRuleFactory, run_campaign
from .test_admin import staff_client  # noqa: F401  (the admin fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_after():
    yield
    translation.activate("en")


@pytest.fixture
def campaign(rules, tools, owner, treated_company, held_out_company, portal_site):
    now = timezone.now()
    campaign = CampaignFactory(
        name_en="Tools week",
        name_sv="Verktygsveckan",
        headline_en="Double points on power tools.",
        headline_sv="Dubbla poäng på elverktyg.",
        description_en="Every drill counts.",
        owner=owner,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
    )
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("2"), categories=[tools])
    run_campaign(campaign, treated=[treated_company], held_out=[held_out_company])
    return campaign


def _member(company, language):
    user = MembershipFactory(company=company, role=MembershipRole.ADMIN).user
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_a_swedish_member_reads_the_campaign_in_swedish_and_a_dutch_one_the_default_marked_english(
    client, campaign, treated_company
):
    url = reverse("campaigns:campaign", args=[campaign.pk])
    client.force_login(_member(treated_company, "sv"))
    swedish = client.get(url).content.decode()
    client.force_login(_member(treated_company, "nl"))
    dutch = client.get(url).content.decode()

    assert "Verktygsveckan" in swedish and "Tools week" not in swedish
    assert '<p class="lead">Dubbla poäng på elverktyg.</p>' in swedish
    assert '<p lang="en">Every drill counts.</p>' in swedish  # no Swedish description yet
    assert '<span lang="en">Tools week</span>' in dutch and "Verktygsveckan" not in dutch
    assert '<p class="lead" lang="en">Double points on power tools.</p>' in dutch


def test_the_dashboard_banner_names_the_campaign_in_the_readers_language(client, campaign, treated_company):
    client.force_login(_member(treated_company, "sv"))

    page = client.get(reverse("dashboard")).content.decode()

    assert '<h2 class="h5 mb-1">Verktygsveckan</h2>' in page


def test_the_start_notice_names_the_campaign_in_each_readers_language(campaign, treated_company):
    _member(treated_company, "sv")

    campaign_announce(campaign_id=campaign.pk)

    notice = Notification.objects.get(key=f"campaign:{campaign.pk}:started")
    with translation.override("sv"):
        assert notice.title.endswith(": Verktygsveckan") and notice.body == "Dubbla poäng på elverktyg."
    with translation.override("nl"):
        assert notice.title.endswith(": Tools week") and notice.body == "Double points on power tools."


def test_the_admin_edits_every_language_and_lists_the_untranslated_campaigns(staff_client, campaign):  # noqa: F811
    form = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    listing = staff_client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    missing_dutch = staff_client.get(
        reverse("admin:campaigns_campaign_changelist"), {"missing_translation": "nl"}
    ).content.decode()
    missing_english = staff_client.get(
        reverse("admin:campaigns_campaign_changelist"), {"missing_translation": "en"}
    ).content.decode()

    for field in ("name", "headline", "description"):
        for language in ("en", "sv", "nl"):
            assert f'name="{field}_{language}"' in form
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Tools week(?:(?!</tr>).)*</tr>", listing, re.S)
    assert row and "Swedish" in row.group(0) and "Dutch" in row.group(0)  # no Swedish description, no Dutch
    assert "Tools week" in missing_dutch and "Tools week" not in missing_english


@pytest.mark.usefixtures("require_postgres")
@pytest.mark.parametrize("set_based", [False, True], ids=["row by row", "set-based"])
def test_an_imported_earns_campaign_points_name_the_campaign_in_each_readers_language(
    rules, tools, owner, treated_company, set_based
):
    from rewards.models import EntryKind, LedgerEntry
    from tests.rewards.factories import NOW
    from tests.rewards.test_imports import csv_bytes, row, run

    campaign = CampaignFactory(
        name_en="Tools week", name_sv="Verktygsveckan", owner=owner, starts_at=NOW - timedelta(days=30)
    )
    Campaign = type(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=NOW + timedelta(days=10))
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("2"), categories=[tools])
    run_campaign(campaign, treated=[treated_company], now=NOW - timedelta(days=30))

    run(csv_bytes([row("TREATED", "P-1", "1000.00", category="TOOLS")]), set_based=set_based)

    earn = LedgerEntry.objects.get(kind=EntryKind.EARN, purchase__external_id="P-1")
    assert earn.memo_params["campaigns"][0]["campaign"] == {"en": "Tools week", "sv": "Verktygsveckan"}
    with translation.override("sv"):
        assert earn.memo.endswith("kampanjpoäng: Verktygsveckan")
    with translation.override("nl"):
        assert earn.memo.endswith(": Tools week")

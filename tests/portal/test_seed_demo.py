"""``manage.py seed_demo`` builds the demo club once; running it again changes nothing."""

from __future__ import annotations

from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page

from members.models import Company, CompanyStatus, Membership, MembershipRole, User
from portal.demo import FIRST_NAMES_NL, SeedSummary


def _row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "staff": User.objects.filter(is_staff=True).count(),
        "companies": Company.objects.count(),
        "memberships": Membership.objects.count(),
        "pages": Page.objects.count(),
    }


@pytest.mark.django_db
def test_given_an_empty_database_when_seeding_twice_then_the_second_run_creates_nothing(client):
    first_output = StringIO()
    call_command("seed_demo", quiet_logins=True, stdout=first_output)
    after_first = _row_counts()

    second_output = StringIO()
    call_command("seed_demo", quiet_logins=True, stdout=second_output)

    assert _row_counts() == after_first
    assert "Demo data already in place; nothing changed." in second_output.getvalue()
    assert "Created" in first_output.getvalue()
    assert after_first["companies"] == 46  # 40 from the start, 6 joined in the last year
    assert after_first["staff"] == 6  # two Marketing logins: one submits a page, the other approves
    assert after_first["memberships"] == 138
    assert after_first["users"] == 144
    assert Company.objects.filter(status=CompanyStatus.ACTIVE).count() == 46
    every_company_has_an_admin = not Company.objects.exclude(memberships__role=MembershipRole.ADMIN).exists()
    assert every_company_has_an_admin
    assert User.objects.get(email="admin@bergstrom.example").membership.is_admin
    _assert_demo_readers()
    for company in Company.objects.all():
        company.full_clean()  # every demo org number passes the validators
    _assert_demo_campaigns()
    _assert_demo_insights_tell_a_story()
    _assert_demo_entries_name_content_in_every_language()
    _assert_points_histories_add_up_in_date_order(client)
    # Seeded pages are published cleanly: none shows "LIVE + DRAFT" in the admin.
    assert not Page.objects.filter(live=True, has_unpublished_changes=True).exists()
    assert User.objects.filter(email="marketing.lars@club.example", groups__name="Marketing").exists()


def _assert_demo_entries_name_content_in_every_language() -> None:
    """The demo's challenge and activity points are recorded after their texts exist in
    every language, so a Dutch or Swedish reader's history names them in their language."""
    from rewards.models import LedgerEntry

    named = LedgerEntry.objects.filter(memo_key__in=["campaigns.challenge", "campaigns.activity"])
    assert named.exists()
    for key, params in named.values_list("memo_key", "memo_params"):
        assert sorted(params["title"]) == ["en", "nl", "sv"], (key, params)


def _assert_points_histories_add_up_in_date_order(client) -> None:
    """Every account's points history, read in date order as the member pages list it, adds
    up: each entry's balance after is the one before plus its points (from nothing) and the
    last is the account's balance. The demo records things in the past (campaign purchases,
    survey answers) at their dates in the history, so ``balance_after``, stored in the order
    entries are written, never jumps; and ``manage.py check_ledger`` (which checks it in that
    order) passes. The advertised Swedish reader's page shows it too."""
    from portal.demo import SWEDISH_READER
    from rewards.ledger.selectors import company_ledger_entries
    from rewards.models import PointsAccount

    accounts = list(PointsAccount.objects.select_related("company"))
    assert len(accounts) == 46
    for account in accounts:
        balance = 0
        for entry in list(company_ledger_entries(company=account.company))[::-1]:  # oldest first
            balance += entry.points
            assert entry.balance_after == balance, (account.company.external_id, entry.idempotency_key)
        assert balance == account.balance, account.company.external_id
    call_command("check_ledger", stdout=StringIO())

    reader = User.objects.select_related("membership__company").get(email=SWEDISH_READER)
    client.force_login(reader)
    shown = [row.record for row in client.get("/points/history/").context["table"].page.object_list]
    assert len(shown) > 10 and shown[0].balance_after == reader.membership.company.points_account.balance
    for newer, older in zip(shown, shown[1:], strict=False):
        assert newer.balance_after == older.balance_after + newer.points, (older.idempotency_key, newer.idempotency_key)


def _assert_demo_readers() -> None:
    """A reader in each language: Bergström's contacts chose English; the Swedish and the
    Dutch purchaser chose nothing, so their company's country decides."""
    from members.languages import person_language
    from portal.demo import DUTCH_READER, SWEDISH_READER

    dutch = User.objects.select_related("membership__company").get(email=DUTCH_READER)
    swede = User.objects.select_related("membership__company").get(email=SWEDISH_READER)
    assert (dutch.language, dutch.membership.company.country, person_language(dutch)) == ("", "NL", "nl")
    assert (swede.language, swede.membership.company.country, person_language(swede)) == ("", "SE", "sv")
    assert person_language(User.objects.get(email="purchaser@bergstrom.example")) == "en"
    dutch_contacts = User.objects.filter(membership__company__country="NL")
    assert dutch_contacts.count() == 54 and not dutch_contacts.exclude(first_name__in=FIRST_NAMES_NL).exists()
    output = StringIO()
    call_command("seed_demo", stdout=output)
    assert DUTCH_READER in output.getvalue() and SWEDISH_READER in output.getvalue()
    _assert_dutch_reader_is_offered_nothing_in_sek(dutch)


def _assert_dutch_reader_is_offered_nothing_in_sek(dutch) -> None:
    """The Dutch reader's company buys in EUR: no gift card, invoice credit or donation in
    SEK is in its catalogue (``rewards.catalogue.selectors.offered_to_q``), and it has EUR ones."""
    from rewards.catalogue.selectors import catalogue_rewards

    offered = catalogue_rewards(company=dutch.membership.company)
    assert not [reward.sku for reward in offered if "SEK" in reward.title_en]
    assert {"GC-EUR-25", "INVOICE-EUR-100", "DONATE-EUR"} <= {reward.sku for reward in offered}


def _assert_demo_insights_tell_a_story() -> None:
    """What a club admin sees in Insights: a cohort of the last year that keeps buying and one
    that dropped off, promoters who stopped buying, loyal buyers who slipped to at risk or
    hibernating, and new members counted from when they joined. On PostgreSQL the pages
    read the snapshots the seed built."""
    from django.db import connection
    from django.db.models import F

    from insights.behaviour import PROMOTERS, STOPPED, satisfaction_cell
    from insights.cohorts import cohort_grid
    from insights.lifetime import segment_movement
    from insights.selectors import AT_RISK, CHAMPIONS, HIBERNATING, LOST, LOYAL, summary_ready
    from rewards.models import Purchase

    admin = User.objects.get(email="admin@club.example")
    cohorts = [cohort for cohort in cohort_grid(user=admin) if cohort.companies]
    assert len(cohorts) >= 3

    def later_shares(cohort):  # months 3 and on that have begun, not the current one
        return [cell.share for cell in cohort.cells[3:-1] if cell is not None]

    stays = [cohort for cohort in cohorts if later_shares(cohort) and min(later_shares(cohort)) >= 50]
    drops = [cohort for cohort in cohorts if later_shares(cohort) and later_shares(cohort)[-1] == 0]
    assert stays and drops, [(cohort.month, later_shares(cohort)) for cohort in cohorts]

    stopped_promoters = satisfaction_cell(nps=PROMOTERS, behaviour=STOPPED, user=admin)
    assert {row.company_id for row in stopped_promoters} >= set(
        Company.objects.filter(external_id__in=["ERP-1013", "ERP-1029"]).values_list("pk", flat=True)
    )

    slipped = 0
    for days in (90, 365):
        _segments, moves = segment_movement(user=admin, days=days)
        slipped += sum(
            count
            for (then, now), count in moves.items()
            if then in (CHAMPIONS, LOYAL) and now in (AT_RISK, HIBERNATING, LOST)
        )
    assert slipped >= 3

    # The newcomers joined in the last year and bought nothing before they joined.
    year_ago = timezone.now() - timedelta(days=365)
    newcomers = Company.objects.filter(created_at__gte=year_ago)
    assert newcomers.count() == 6
    assert not Purchase.objects.filter(company__in=newcomers, occurred_at__lt=F("company__created_at")).exists()

    assert summary_ready() == (connection.vendor == "postgresql")


def _assert_demo_campaigns() -> None:
    """Two ended campaigns, one with a visible uplift and one without, one running, one
    scheduled; activities with participation and NPS answers; Bergström treated, a held-out
    login printed."""
    from campaigns.demo import holdout_login
    from campaigns.models import ActivityCompletion, BadgeAward, Campaign, CampaignStatus
    from campaigns.selectors import campaign_results, nps_figures

    statuses = dict(Campaign.objects.values_list("name", "status"))
    assert statuses == {
        "Own-brand triple points": CampaignStatus.ENDED,
        "Spring power tools boost": CampaignStatus.ENDED,
        "Workwear weeks": CampaignStatus.ACTIVE,
        "Autumn HVAC service": CampaignStatus.SCHEDULED,
    }
    spring = campaign_results(campaign=Campaign.objects.get(name="Spring power tools boost"))
    assert spring.treated_size and spring.holdout_size
    assert spring.uplift_per_company > 0 and spring.points_issued > 0
    own_brand = campaign_results(campaign=Campaign.objects.get(name="Own-brand triple points"))
    assert own_brand.treated_size and own_brand.holdout_size and own_brand.points_issued > 0
    # The treated bought no more than the hold-out, and no more than their own trend.
    assert own_brand.revenue_uplift_percent <= 0 and own_brand.uplift_per_company <= 0
    running = Campaign.objects.get(name="Workwear weeks")
    assert running.members.filter(company__external_id="ERP-1000", in_holdout=False).exists()
    # It runs to the end of its last day in the club's time zone, 20 days from the seed: its
    # (exclusive) end is the local midnight after that day, so members see that day as the last.
    assert timezone.localtime(running.ends_at).time() == time.min
    assert (running.last_day - timezone.localdate()).days in (19, 20)  # 19 if midnight passed since seeding
    summary = SeedSummary()
    holdout_login(summary)
    assert "held out of “Workwear weeks”" in summary.logins[0][0]
    assert ActivityCompletion.objects.filter(status="awarded").count() > 40
    assert nps_figures(ActivityCompletion.objects.all()).answers > 40
    assert BadgeAward.objects.exists()

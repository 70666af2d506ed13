"""Reads for campaigns, activities and gamification.

Every selector runs a fixed number of queries whatever the number of campaigns,
companies, purchases or completions (the number of *challenges* shown to a member changes
the SQL, not the number of statements).
"""

from __future__ import annotations

import hashlib
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import caches
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.connection import ConnectionProxy

from core.figures_cache import figures_key, remembered
from core.spreadsheets import money_cell
from members.models import Company, CompanyStatus, Membership, User
from members.selectors import staff_company_q, staff_sees_every_company
from rewards.models import PointsAccount, ProgrammeRules, Purchase, Redemption, RedemptionStatus
from rewards.purchases.selectors import net_amount_in_base

from .earn import stacking_example
from .models import (
    Activity,
    ActivityCompletion,
    ActivityKind,
    ActivityScope,
    AudienceKind,
    BadgeAward,
    Campaign,
    CampaignAward,
    CampaignMember,
    CampaignRule,
    CampaignStatus,
    Challenge,
    ChallengeCompletion,
    ChallengeGoal,
    CompletionStatus,
    LeaderboardOptIn,
    Referral,
    RuleKind,
    Segment,
)

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=15, decimal_places=2)


# --- Audience and hold-out ------------------------------------------------------------------------


def campaign_entry_origins(entry_ids) -> dict[int, str]:
    """``{ledger entry id: "Campaign “Spring bonus”"}`` for the entries that are a campaign's
    own award (an activity, a challenge; a purchase's extra points ride on its earn entry,
    which the ERP caused). One query; registered with ``rewards.ledger.origins`` at start-up."""
    from django.utils.translation import gettext as _

    awards = CampaignAward.objects.filter(entry_id__in=entry_ids, purchase__isnull=True)
    return {
        entry_id: _("Campaign “%(name)s”") % {"name": name}
        for entry_id, name in awards.values_list("entry_id", "campaign__name")
    }


def in_holdout(*, seed: str, company_id: int, percent: int) -> bool:
    """Whether the company falls in a campaign's hold-out group. Pure and stable.

    SHA-256 of ``"<campaign's holdout seed>:<company id>"`` gives the company a bucket
    0–9 999; the hold-out is the buckets below ``percent`` × 100. The same company always
    lands in the same group of a campaign, whoever else is in the audience, and each
    campaign (its own seed) splits the club differently.
    """
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{company_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


def segment_companies(segment: Segment, *, now: datetime, companies: QuerySet[Company] | None = None):
    """The companies (of ``companies``, default all) meeting every criterion of ``segment`` at ``now``.

    * no purchase (credit notes aside) in the ``no_purchase_days`` days up to ``now``;
    * net spend (credit notes deducted) in the ``spend_days`` days up to ``now`` between
      ``min_spend`` and ``max_spend``; a company without purchases has spent 0.
    """
    companies = Company.objects.all() if companies is None else companies
    if segment.no_purchase_days:
        recent = Purchase.objects.filter(
            company_id=OuterRef("pk"),
            original__isnull=True,
            occurred_at__gt=now - timedelta(days=segment.no_purchase_days),
            occurred_at__lte=now,
        )
        companies = companies.exclude(Exists(recent))
    if segment.min_spend is not None or segment.max_spend is not None:
        spend = (
            Purchase.objects.filter(
                company_id=OuterRef("pk"),
                occurred_at__gt=now - timedelta(days=segment.spend_days),
                occurred_at__lte=now,
            )
            .order_by()
            .values("company_id")
            .annotate(total=Sum(net_amount_in_base()))
            .values("total")
        )
        companies = companies.annotate(segment_spend=Coalesce(Subquery(spend, output_field=MONEY), Value(ZERO)))
        if segment.min_spend is not None:
            companies = companies.filter(segment_spend__gte=segment.min_spend)
        if segment.max_spend is not None:
            companies = companies.filter(segment_spend__lte=segment.max_spend)
    return companies


def audience_from(
    *,
    kind: str,
    tiers: Iterable = (),
    countries: Iterable[str] = (),
    companies: Iterable = (),
    segment: Segment | None = None,
    now: datetime,
) -> QuerySet[Company]:
    """The active member companies an audience definition selects at ``now``.

    For forms (unsaved choices) and for ``campaign_audience``. Suspended companies are
    never in an audience; a tier audience needs a points account in one of the tiers.
    """
    queryset = Company.objects.filter(status=CompanyStatus.ACTIVE)
    if kind == AudienceKind.TIERS:
        queryset = queryset.filter(points_account__tier__in=[getattr(tier, "pk", tier) for tier in tiers])
    elif kind == AudienceKind.COUNTRIES:
        queryset = queryset.filter(country__in=list(countries))
    elif kind == AudienceKind.COMPANIES:
        queryset = queryset.filter(pk__in=[getattr(company, "pk", company) for company in companies])
    elif kind == AudienceKind.SEGMENT:
        queryset = segment_companies(segment, now=now, companies=queryset) if segment else queryset.none()
    return queryset


def campaign_audience(campaign: Campaign, *, now: datetime) -> QuerySet[Company]:
    """The companies ``campaign``'s audience selects at ``now`` (before it starts; after, see
    ``CampaignMember``)."""
    return audience_from(
        kind=campaign.audience_kind,
        tiers=campaign.tiers.all() if campaign.audience_kind == AudienceKind.TIERS else (),
        countries=campaign.countries,
        companies=campaign.companies.all() if campaign.audience_kind == AudienceKind.COMPANIES else (),
        segment=campaign.segment,
        now=now,
    )


def audience_split(campaign: Campaign, company_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """``(treated, hold_out)`` company ids of ``company_ids`` for ``campaign``. Pure."""
    treated, holdout = [], []
    for company_id in company_ids:
        group = (
            holdout
            if in_holdout(seed=campaign.holdout_seed, company_id=company_id, percent=campaign.holdout_percent)
            else treated
        )
        group.append(company_id)
    return treated, holdout


# --- Member pages -----------------------------------------------------------------------------------


def _treated_in(company_id: int):
    return Exists(CampaignMember.objects.filter(campaign_id=OuterRef("pk"), company_id=company_id, in_holdout=False))


def running_campaigns_for(*, company: Company, now: datetime | None = None) -> list[Campaign]:
    """The running campaigns ``company`` is treated in (never those it is held out of), with
    their rules, categories and offer page, newest first. Three queries."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(status=CampaignStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now)
        .filter(_treated_in(company.pk))
        .select_related("offer_page")
        .prefetch_related(Prefetch("rules", queryset=CampaignRule.objects.prefetch_related("categories")))
        .order_by("ends_at", "pk")
    )


def campaign_for_member(*, company: Company, campaign_id: int) -> Campaign | None:
    """A campaign the company is treated in (running or ended), or None. Three queries."""
    return (
        Campaign.objects.filter(pk=campaign_id, status__in=[CampaignStatus.ACTIVE, CampaignStatus.ENDED])
        .filter(_treated_in(company.pk))
        .select_related("offer_page")
        .prefetch_related(Prefetch("rules", queryset=CampaignRule.objects.prefetch_related("categories")))
        .first()
    )


def _open_now(now: datetime) -> Q:
    return (Q(opens_at__isnull=True) | Q(opens_at__lte=now)) & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))


def open_activities_for(*, company: Company, now: datetime) -> QuerySet[Activity]:
    """Published activities open now to ``company``: those of no campaign, and those of a
    running campaign it is treated in whose budget still covers them."""
    in_campaign = Exists(
        CampaignMember.objects.filter(campaign_id=OuterRef("campaign_id"), company_id=company.pk, in_holdout=False)
    )
    return (
        Activity.objects.filter(is_published=True)
        .filter(_open_now(now))
        .filter(
            Q(campaign__isnull=True)
            | (
                Q(campaign__status=CampaignStatus.ACTIVE, campaign__starts_at__lte=now, campaign__ends_at__gt=now)
                & Q(campaign__points_budget__gte=F("campaign__points_awarded") + F("points"))
                & in_campaign
            )
        )
        .select_related("campaign", "event")
    )


def activity_for_member(*, company: Company, activity_id: int, now: datetime | None = None) -> Activity | None:
    """An activity open now to ``company``, or None (closed, another campaign's audience, hold-out)."""
    return open_activities_for(company=company, now=now or timezone.now()).filter(pk=activity_id).first()


def scope_key_for(activity: Activity, *, company_id: int, user_id: int | None) -> str:
    """Who may complete ``activity`` once: the company or the contact (see ``ActivityCompletion``)."""
    if activity.scope == ActivityScope.CONTACT and user_id is not None:
        return f"user:{user_id}"
    return f"company:{company_id}"


PROFILE_FIELDS = ("first_name", "last_name", "phone")


def profile_completeness(user: User) -> tuple[int, int, list[str]]:
    """``(filled, total, missing field names)`` of the contact details the profile activity asks for."""
    missing = [name for name in PROFILE_FIELDS if not (getattr(user, name, "") or "").strip()]
    return len(PROFILE_FIELDS) - len(missing), len(PROFILE_FIELDS), missing


@dataclass(frozen=True)
class ActivityCard:
    activity: Activity
    completion: ActivityCompletion | None

    @property
    def state(self) -> str:
        """``open``, ``waiting`` (submitted, staff to confirm) or ``done``."""
        if self.completion is None:
            return "open"
        return "done" if self.completion.status == CompletionStatus.AWARDED else "waiting"


@dataclass(frozen=True)
class ChallengeProgress:
    challenge: Challenge
    progress: int
    completed_at: datetime | None

    @property
    def done(self) -> bool:
        return self.completed_at is not None or self.progress >= self.challenge.target

    @property
    def percent(self) -> int:
        return 100 if self.done else min(100, int(self.progress * 100 / self.challenge.target))

    @property
    def remaining(self) -> int:
        return max(0, self.challenge.target - self.progress)


@dataclass
class ActivitiesPage:
    campaigns: list[Campaign]
    cards: list[ActivityCard]
    challenges: list[ChallengeProgress]
    done: list[ActivityCompletion]
    badges: list[BadgeAward]
    referrals: list[Referral]
    profile: tuple[int, int, list[str]]
    on_leaderboard: bool
    points_earned: int = 0
    challenges_done: list[ChallengeCompletion] = field(default_factory=list)

    @property
    def open_cards(self) -> list[ActivityCard]:
        return [card for card in self.cards if card.state != "done"]

    @property
    def done_cards(self) -> list[ActivityCard]:
        return [card for card in self.cards if card.state == "done"]


DONE_SHOWN = 20


def activities_page(*, membership: Membership, now: datetime | None = None) -> ActivitiesPage:
    """Everything the member's Activities page shows, for the member's company and the
    contact in front of us: running campaigns (treated only), open activities with their
    state, challenges with progress, the latest awards, badges, referrals. At most twenty
    queries whatever the number of rows."""
    now = now or timezone.now()
    company, user = membership.company, membership.user
    activities = list(open_activities_for(company=company, now=now).order_by("campaign_id", "title"))
    keys = {activity.pk: scope_key_for(activity, company_id=company.pk, user_id=user.pk) for activity in activities}
    completions = {
        (completion.activity_id, completion.scope_key): completion
        for completion in ActivityCompletion.objects.filter(
            activity__in=activities, status__in=[CompletionStatus.SUBMITTED, CompletionStatus.AWARDED]
        ).filter(Q(company=company) | Q(user=user))
    }
    cards = [ActivityCard(activity, completions.get((activity.pk, keys[activity.pk]))) for activity in activities]
    done = list(
        ActivityCompletion.objects.filter(company=company, status=CompletionStatus.AWARDED)
        .select_related("activity", "user")
        .order_by("-created_at", "-pk")[:DONE_SHOWN]
    )
    earned = (
        ActivityCompletion.objects.filter(company=company, status=CompletionStatus.AWARDED).aggregate(
            total=Coalesce(Sum("points"), 0)
        )["total"]
        + ChallengeCompletion.objects.filter(company=company).aggregate(total=Coalesce(Sum("points"), 0))["total"]
    )
    return ActivitiesPage(
        campaigns=running_campaigns_for(company=company, now=now),
        cards=cards,
        challenges=challenge_progress_for(company=company, now=now),
        done=done,
        badges=company_badges(company=company),
        referrals=list(Referral.objects.filter(referrer=company).order_by("-created_at")[:10]),
        profile=profile_completeness(user),
        on_leaderboard=LeaderboardOptIn.objects.filter(company=company).exists(),
        points_earned=earned,
        challenges_done=list(
            ChallengeCompletion.objects.filter(company=company)
            .select_related("challenge")
            .order_by("-completed_at", "-pk")[:DONE_SHOWN]
        ),
    )


def company_badges(*, company: Company) -> list[BadgeAward]:
    """The company's badges, newest first. One query."""
    return list(BadgeAward.objects.filter(company=company).select_related("badge").order_by("-awarded_at", "-pk"))


def open_challenges_for(*, company: Company, now: datetime) -> QuerySet[Challenge]:
    in_campaign = Exists(
        CampaignMember.objects.filter(campaign_id=OuterRef("campaign_id"), company_id=company.pk, in_holdout=False)
    )
    return (
        Challenge.objects.filter(is_published=True, starts_at__lte=now, ends_at__gt=now)
        .filter(Q(campaign__isnull=True) | (Q(campaign__status=CampaignStatus.ACTIVE) & in_campaign))
        .select_related("badge")
        .order_by("ends_at", "pk")
    )


def challenge_progress(challenges: list[Challenge], *, company_ids: Iterable[int] | None) -> dict[int, dict[int, int]]:
    """``{challenge id: {company id: progress}}`` for ``challenges``, for the companies
    ``company_ids`` (None: every company with progress). One query per goal kind present.

    * categories: distinct product categories in the company's purchases in the window;
    * purchases: purchases (credit notes aside) in the window;
    * spend: net amount (credit notes deducted) in the window, whole currency units;
    * activities: activity completions awarded in the window.

    Each query reads only the rows inside the challenges' windows (the per-challenge
    ``FILTER`` alone would still read the company's whole history), so its cost follows
    the window, not the years of purchases before it; a company with no row in any window
    has no entry (its progress is 0).
    """
    result: dict[int, dict[int, int]] = {challenge.pk: {} for challenge in challenges}
    by_goal: dict[str, list[Challenge]] = defaultdict(list)
    for challenge in challenges:
        by_goal[challenge.goal].append(challenge)
    scope = {"company_id__in": list(company_ids)} if company_ids is not None else {}

    def window(challenge: Challenge, field: str = "occurred_at") -> Q:
        return Q(**{f"{field}__gte": challenge.starts_at, f"{field}__lt": challenge.ends_at})

    def any_window(challenges: list[Challenge], field: str = "occurred_at") -> Q:
        return reduce(operator.or_, (window(challenge, field) for challenge in challenges))

    if by_goal[ChallengeGoal.CATEGORIES]:
        # From the purchases of the windows to their lines (an outer join, lines without a
        # category not counted): led by the lines, PostgreSQL merge-joined them with every
        # purchase in id order and read millions of rows when the lines were older than
        # the window.
        rows = (
            Purchase.objects.filter(any_window(by_goal[ChallengeGoal.CATEGORIES]), original__isnull=True, **scope)
            .values("company_id")
            .annotate(
                **{
                    f"c{ch.pk}": Count("lines__category", distinct=True, filter=window(ch))
                    for ch in by_goal[ChallengeGoal.CATEGORIES]
                }
            )
            .order_by()
        )
        for row in rows:
            for ch in by_goal[ChallengeGoal.CATEGORIES]:
                result[ch.pk][row["company_id"]] = row[f"c{ch.pk}"]
    if by_goal[ChallengeGoal.PURCHASES] or by_goal[ChallengeGoal.SPEND]:
        annotations = {}
        for ch in by_goal[ChallengeGoal.PURCHASES]:
            annotations[f"c{ch.pk}"] = Count("pk", filter=window(ch) & Q(original__isnull=True))
        for ch in by_goal[ChallengeGoal.SPEND]:
            annotations[f"c{ch.pk}"] = Coalesce(Sum("net_amount", filter=window(ch)), Value(ZERO), output_field=MONEY)
        rows = (
            Purchase.objects.filter(**scope)
            .filter(any_window(by_goal[ChallengeGoal.PURCHASES] + by_goal[ChallengeGoal.SPEND]))
            .values("company_id")
            .annotate(**annotations)
            .order_by()
        )
        for row in rows:
            for ch in by_goal[ChallengeGoal.PURCHASES] + by_goal[ChallengeGoal.SPEND]:
                result[ch.pk][row["company_id"]] = int(row[f"c{ch.pk}"])
    if by_goal[ChallengeGoal.ACTIVITIES]:
        rows = (
            ActivityCompletion.objects.filter(status=CompletionStatus.AWARDED, **scope)
            .filter(any_window(by_goal[ChallengeGoal.ACTIVITIES], "created_at"))
            .values("company_id")
            .annotate(
                **{
                    f"c{ch.pk}": Count("pk", filter=window(ch, "created_at"))
                    for ch in by_goal[ChallengeGoal.ACTIVITIES]
                }
            )
            .order_by()
        )
        for row in rows:
            for ch in by_goal[ChallengeGoal.ACTIVITIES]:
                result[ch.pk][row["company_id"]] = row[f"c{ch.pk}"]
    return result


def challenge_progress_for(*, company: Company, now: datetime) -> list[ChallengeProgress]:
    """The open challenges of ``company`` with its progress and completion. At most six queries."""
    challenges = list(open_challenges_for(company=company, now=now))
    if not challenges:
        return []
    progress = challenge_progress(challenges, company_ids=[company.pk])
    completed = dict(
        ChallengeCompletion.objects.filter(challenge__in=challenges, company=company).values_list(
            "challenge_id", "completed_at"
        )
    )
    return [
        ChallengeProgress(challenge, progress[challenge.pk].get(company.pk, 0), completed.get(challenge.pk))
        for challenge in challenges
    ]


def campaign_banners_for(*, company: Company, now: datetime | None = None) -> list[Campaign]:
    """Running campaigns to show as banners on the member's dashboard: treated only. One query."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(status=CampaignStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now)
        .filter(_treated_in(company.pk))
        .select_related("offer_page")
        .order_by("ends_at", "pk")[:3]
    )


# --- Leaderboard -------------------------------------------------------------------------------------


def quarter_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    month = 3 * ((local.month - 1) // 3) + 1
    return local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    company_id: int
    company_name: str
    score: int
    badges: int
    is_you: bool


@dataclass(frozen=True)
class Leaderboard:
    tier_name: str
    since: datetime
    rows: list[LeaderboardRow]
    opted_in: bool


LEADERBOARD_SIZE = 25


def leaderboard_for(*, company: Company, now: datetime | None = None) -> Leaderboard:
    """The opt-in leaderboard of ``company``'s tier: companies that joined it, ranked by the
    points they earned from activities and challenges this quarter (purchases do not count,
    so the board says nothing about a company's spend), then by badges. Shown only to a
    company that joined (you see others as they see you). Three queries."""
    now = now or timezone.now()
    since = quarter_start(now)
    account = PointsAccount.objects.filter(company=company).select_related("tier").first()
    tier = account.tier if account else None
    opted_in = LeaderboardOptIn.objects.filter(company=company).exists()
    if not opted_in:
        return Leaderboard(tier_name=tier.name if tier else "", since=since, rows=[], opted_in=False)
    activity_points = (
        ActivityCompletion.objects.filter(
            company_id=OuterRef("company_id"), status=CompletionStatus.AWARDED, created_at__gte=since
        )
        .order_by()
        .values("company_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    challenge_points = (
        ChallengeCompletion.objects.filter(company_id=OuterRef("company_id"), completed_at__gte=since)
        .order_by()
        .values("company_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    badges = (
        BadgeAward.objects.filter(company_id=OuterRef("company_id"))
        .order_by()
        .values("company_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    entries = (
        LeaderboardOptIn.objects.filter(company__status=CompanyStatus.ACTIVE)
        .filter(company__points_account__tier=tier)
        .annotate(
            score=Coalesce(Subquery(activity_points, output_field=IntegerField()), 0)
            + Coalesce(Subquery(challenge_points, output_field=IntegerField()), 0),
            badge_count=Coalesce(Subquery(badges, output_field=IntegerField()), 0),
        )
        .order_by("-score", "-badge_count", "company__name")
        .values_list("company_id", "company__name", "score", "badge_count")[:LEADERBOARD_SIZE]
    )
    rows = []
    previous = None
    rank = 0
    for position, (company_id, name, score, badge_count) in enumerate(entries, start=1):
        if (score, badge_count) != previous:
            rank = position
            previous = (score, badge_count)
        rows.append(LeaderboardRow(rank, company_id, name, score, badge_count, company_id == company.pk))
    return Leaderboard(tier_name=tier.name if tier else "", since=since, rows=rows, opted_in=True)


# --- Staff: one company's campaigns (the rep's account page) -----------------------------------------


@dataclass(frozen=True)
class CompanyCampaign:
    campaign: Campaign
    in_holdout: bool
    points: int  # campaign points the company received


def company_campaigns(*, company: Company, limit: int = 5) -> list[CompanyCampaign]:
    """The campaigns whose audience ``company`` was in (newest start first), whether it was
    treated or held out, and the campaign points it received. One query."""
    points = (
        CampaignAward.objects.filter(campaign_id=OuterRef("campaign_id"), company_id=company.pk)
        .order_by()
        .values("campaign_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    memberships = (
        CampaignMember.objects.filter(company=company)
        .select_related("campaign")
        .annotate(points=Coalesce(Subquery(points, output_field=IntegerField()), 0))
        .order_by("-campaign__starts_at", "-pk")[:limit]
    )
    return [CompanyCampaign(member.campaign, member.in_holdout, member.points) for member in memberships]


# --- Staff: the campaign list ----------------------------------------------------------------------------


def campaign_redemptions_subquery() -> Subquery:
    """The one place "redemptions" of a campaign are counted: reward orders placed by the
    campaign's treated companies while it ran, except those rejected or cancelled."""
    return Subquery(
        Redemption.objects.filter(
            company__campaign_memberships__campaign_id=OuterRef("pk"),
            company__campaign_memberships__in_holdout=False,
            requested_at__gte=OuterRef("starts_at"),
            requested_at__lt=OuterRef("ends_at"),
        )
        .exclude(status__in=[RedemptionStatus.REJECTED, RedemptionStatus.CANCELLED])
        .order_by()
        .values("company__campaign_memberships__campaign_id")
        .annotate(total=Count("pk"))
        .values("total"),
        output_field=IntegerField(),
    )


def campaigns_with_figures(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """The campaign list's rows with ``participant_count`` (companies given campaign points)
    and ``redemption_count`` annotated: one query for the page, whatever the number of
    campaigns, members and awards."""
    participants = (
        CampaignAward.objects.filter(campaign_id=OuterRef("pk"))
        .order_by()
        .values("campaign_id")
        .annotate(total=Count("company_id", distinct=True))
        .values("total")
    )
    return queryset.select_related("owner").annotate(
        participant_count=Coalesce(Subquery(participants, output_field=IntegerField()), 0),
        redemption_count=Coalesce(campaign_redemptions_subquery(), 0),
    )


# --- Staff: results against the hold-out ---------------------------------------------------------------


@dataclass(frozen=True)
class GroupFigures:
    """One group's buying in one period."""

    size: int
    revenue: Decimal
    buyers: int

    @property
    def revenue_per_company(self) -> Decimal | None:
        return (self.revenue / self.size).quantize(Decimal("0.01")) if self.size else None

    @property
    def active_share(self) -> Decimal | None:
        """Share of the group's companies that bought at least once in the period (0–1): the
        group's active share. Not Insights' repurchase rate (the share of the active companies
        that ordered twice or more)."""
        return Decimal(self.buyers) / self.size if self.size else None


@dataclass(frozen=True)
class WeekFigures:
    week: date
    treated_per_company: Decimal
    holdout_per_company: Decimal
    during: bool


@dataclass(frozen=True)
class NpsFigures:
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> int | None:
        """Net Promoter Score: % promoters (9–10) − % detractors (0–6), −100 … 100."""
        if not self.answers:
            return None
        return round((self.promoters - self.detractors) * 100 / self.answers)


@dataclass(frozen=True)
class CampaignResults:
    """Treated against hold-out, during the campaign and in the same-length period before.

    Revenue is net purchases (credit notes deducted) by ``occurred_at``; the active share
    is the share of a group's companies that bought at least once in the period
    (``GroupFigures.active_share``).
    """

    campaign: Campaign
    before_start: datetime
    start: datetime
    end: datetime
    treated_before: GroupFigures
    treated_during: GroupFigures
    holdout_before: GroupFigures
    holdout_during: GroupFigures
    points_issued: int
    points_value: Decimal
    currency: str
    participants: int
    weeks: list[WeekFigures] = field(default_factory=list)
    nps: NpsFigures | None = None

    @property
    def treated_size(self) -> int:
        return self.treated_during.size

    @property
    def holdout_size(self) -> int:
        return self.holdout_during.size

    @property
    def comparable(self) -> bool:
        return bool(self.treated_size and self.holdout_size)

    @property
    def revenue_uplift_percent(self) -> Decimal | None:
        """Treated revenue per company during the campaign against the hold-out's, in %."""
        treated, holdout = self.treated_during.revenue_per_company, self.holdout_during.revenue_per_company
        if treated is None or not holdout:
            return None
        return ((treated / holdout - 1) * 100).quantize(Decimal("0.1"))

    @property
    def uplift_per_company(self) -> Decimal | None:
        """Difference in differences: (treated during − before) − (hold-out during − before),
        per company: the change the campaign made, with the groups' own trends removed."""
        figures = [
            self.treated_during.revenue_per_company,
            self.treated_before.revenue_per_company,
            self.holdout_during.revenue_per_company,
            self.holdout_before.revenue_per_company,
        ]
        if any(value is None for value in figures):
            return None
        treated_during, treated_before, holdout_during, holdout_before = figures
        return (treated_during - treated_before) - (holdout_during - holdout_before)

    @property
    def incremental_revenue(self) -> Decimal | None:
        uplift = self.uplift_per_company
        return None if uplift is None else (uplift * self.treated_size).quantize(Decimal("0.01"))

    @property
    def active_share_uplift_points(self) -> Decimal | None:
        """Treated active share during minus the hold-out's, in percentage points."""
        treated, holdout = self.treated_during.active_share, self.holdout_during.active_share
        if treated is None or holdout is None:
            return None
        return ((treated - holdout) * 100).quantize(Decimal("0.1"))

    @property
    def active_share_uplift_adjusted_points(self) -> Decimal | None:
        """The same, with each group's change from the period before (difference in differences)."""
        rates = [
            self.treated_during.active_share,
            self.treated_before.active_share,
            self.holdout_during.active_share,
            self.holdout_before.active_share,
        ]
        if any(rate is None for rate in rates):
            return None
        return (((rates[0] - rates[1]) - (rates[2] - rates[3])) * 100).quantize(Decimal("0.1"))

    @property
    def revenue_per_point_value(self) -> Decimal | None:
        """Incremental revenue per unit of money the points cost."""
        incremental = self.incremental_revenue
        if incremental is None or not self.points_value:
            return None
        return (incremental / self.points_value).quantize(Decimal("0.01"))


def results_periods(campaign: Campaign, *, now: datetime) -> tuple[datetime, datetime, datetime]:
    """``(before_start, start, end)``: the campaign so far (up to its end or now) and the
    period of the same length just before it."""
    start = campaign.starts_at
    end = max(start, min(campaign.ends_at, now))
    return start - (end - start), start, end


def campaign_results(
    *, campaign: Campaign, now: datetime | None = None, rules: ProgrammeRules | None = None, weeks: bool = True
) -> CampaignResults:
    """The results page's figures for a started campaign (see ``CampaignResults``). Six
    queries whatever the number of members and purchases, one of them the reporting rates
    (and the rules, unless given).

    The groups' revenue and buyers come from the members' purchases of the window summed per
    company and period in the database (6 000 rows at real size; grouping by the hold-out
    flag with a distinct count sorted all 143 000 purchases on disk), and with ``weeks``
    each week's revenue per group from a second pass that numbers the weeks by comparing
    with their first moments (``_WeekNumber``): 18 rows instead of 30 000, and no time-zone
    conversion per purchase. Both read only the purchases' period index."""
    now = now or timezone.now()
    rules = rules or ProgrammeRules.current()
    before_start, start, end = results_periods(campaign, now=now)
    holdout_of = dict(CampaignMember.objects.filter(campaign=campaign).values_list("company_id", "in_holdout"))
    sizes = {False: 0, True: 0}
    for in_holdout in holdout_of.values():
        sizes[in_holdout] += 1
    amount = net_amount_in_base()
    purchases = Purchase.objects.filter(occurred_at__gte=before_start, occurred_at__lt=end).order_by()
    per_company = (
        purchases.filter(company_id__in=CampaignMember.objects.filter(campaign=campaign).values("company_id"))
        .annotate(
            during=Case(
                When(occurred_at__gte=start, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .values("company_id", "during")
        # Counting a column the period index holds (not the key) lets it answer without the rows.
        .annotate(revenue=Sum(amount), orders=Count("occurred_at", filter=Q(original__isnull=True)))
    )
    revenue = {(holdout, period): ZERO for holdout in (False, True) for period in (False, True)}
    buyers = dict.fromkeys(revenue, 0)
    for company_id, during, company_revenue, orders in per_company.values_list(
        "company_id", "during", "revenue", "orders"
    ):
        holdout = holdout_of.get(company_id)
        if holdout is None:  # joined the audience between the two reads
            continue
        revenue[holdout, during] += company_revenue or ZERO
        buyers[holdout, during] += 1 if orders else 0

    def figures(holdout: bool, in_campaign: bool) -> GroupFigures:
        key = (holdout, in_campaign)
        return GroupFigures(size=sizes[holdout], revenue=revenue[key], buyers=buyers[key])

    participants = CampaignAward.objects.filter(campaign=campaign).values("company_id").distinct().count()
    return CampaignResults(
        campaign=campaign,
        before_start=before_start,
        start=start,
        end=end,
        treated_before=figures(False, False),
        treated_during=figures(False, True),
        holdout_before=figures(True, False),
        holdout_during=figures(True, True),
        points_issued=campaign.points_awarded,
        points_value=(Decimal(campaign.points_awarded) * rules.point_value).quantize(Decimal("0.01")),
        currency=rules.currency,
        participants=participants,
        weeks=_weekly(purchases, campaign=campaign, amount=amount, window=(before_start, start, end), sizes=sizes)
        if weeks
        else [],
        nps=nps_figures(ActivityCompletion.objects.filter(activity__campaign=campaign)),
    )


# Computed figures kept a while (settings: Redis, else each process's memory).
figures_cache = ConnectionProxy(caches, "figures")


def remembered_campaign_results(*, campaign: Campaign, rules: ProgrammeRules) -> tuple[CampaignResults, datetime]:
    """``campaign_results`` and when they were computed, kept for the next reader for
    ``CAMPAIGN_RESULTS_CACHE_SECONDS`` (``core.figures_cache``): at real size a 3 000-company
    audience's results read 200 000 purchases twice (0.2 s), and several people open the same
    results. The key holds the campaign's schedule, status and points and the programme's
    currency and point value, so a change to any of them is seen at once; purchases, awards
    and answers arriving meanwhile (and a changed reporting rate) are at most that old."""
    key = figures_key(
        "campaigns:results:v1:",
        (
            campaign.pk,
            campaign.status,
            campaign.starts_at,
            campaign.ends_at,
            campaign.points_awarded,
            rules.currency,
            Decimal(rules.point_value).normalize(),
        ),
    )
    return remembered(
        figures_cache,
        key,
        seconds=settings.CAMPAIGN_RESULTS_CACHE_SECONDS,
        compute=lambda: campaign_results(campaign=campaign, rules=rules),
    )


class _WeekNumber(Func):
    """Which of the weeks starting at ``firsts`` (sorted moments, ``firsts[0]`` the earliest)
    a moment falls in: 0 before ``firsts[1]``, 1 before ``firsts[2]``, … Comparing with
    moments made in Python keeps a week's start at local midnight across a daylight-saving
    change and costs the database no time-zone conversion per row. PostgreSQL finds the
    week by binary search (``width_bucket`` over an array); other databases by a ``CASE``."""

    output_field = IntegerField()

    def __init__(self, expression, firsts: list[datetime]):
        super().__init__(expression)
        self.edges = firsts[1:]

    def as_sql(self, compiler, connection, **extra_context):
        if not self.edges:
            return compiler.compile(Value(0, output_field=IntegerField()))
        case = Case(
            *(
                When(LessThan(self.source_expressions[0], edge), then=Value(number))
                for number, edge in enumerate(self.edges)
            ),
            default=Value(len(self.edges)),
            output_field=IntegerField(),
        )
        return compiler.compile(case.resolve_expression(compiler.query))

    def as_postgresql(self, compiler, connection, **extra_context):
        if not self.edges:
            return compiler.compile(Value(0, output_field=IntegerField()))
        moment_sql, moment_params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({moment_sql}, %s::timestamptz[])", (*moment_params, list(self.edges))


def _week_firsts(since: datetime, until: datetime) -> list[datetime]:
    """The first moments (Monday, local midnight) of the weeks from the one holding
    ``since`` to the one holding ``until``."""
    zone = timezone.get_current_timezone()
    day = timezone.localtime(since).date()
    monday = day - timedelta(days=day.weekday())
    firsts = []
    while not firsts or firsts[-1] < until:
        firsts.append(timezone.make_aware(datetime.combine(monday, datetime.min.time()), zone))
        monday += timedelta(days=7)
    if len(firsts) > 1 and firsts[-1] >= until:
        firsts.pop()
    return firsts


def _weekly(
    purchases: QuerySet[Purchase],
    *,
    campaign: Campaign,
    amount,
    window: tuple[datetime, datetime, datetime],
    sizes: dict,
) -> list[WeekFigures]:
    """Each week's revenue per company of both groups (weeks starting Monday, local time)
    among ``purchases`` (those of the results ``window``: before start, start, end), for the
    weeks that have any. One query."""
    before_start, start, end = window
    firsts = _week_firsts(before_start, end)
    rows = (
        purchases.filter(company__campaign_memberships__campaign=campaign)
        .values(holdout=F("company__campaign_memberships__in_holdout"), week=_WeekNumber("occurred_at", firsts))
        .annotate(revenue=Sum(amount))
        .values_list("holdout", "week", "revenue")
    )
    by_week: dict[date, dict[bool, Decimal]] = defaultdict(lambda: {False: ZERO, True: ZERO})
    for holdout, number, week_revenue in rows:
        by_week[timezone.localtime(firsts[number]).date()][holdout] += week_revenue or ZERO
    treated_size, holdout_size = sizes.get(False, 0), sizes.get(True, 0)
    start_week = timezone.localtime(start).date() - timedelta(days=timezone.localtime(start).weekday())
    return [
        WeekFigures(
            week=week,
            treated_per_company=(values.get(False, ZERO) / treated_size).quantize(Decimal("0.01"))
            if treated_size
            else ZERO,
            holdout_per_company=(values.get(True, ZERO) / holdout_size).quantize(Decimal("0.01"))
            if holdout_size
            else ZERO,
            during=week >= start_week,
        )
        for week, values in sorted(by_week.items())
    ]


@dataclass(frozen=True)
class CompanyResult:
    company_id: int
    company_name: str
    external_id: str
    in_holdout: bool
    revenue_before: Decimal
    revenue_during: Decimal
    purchases_during: int
    campaign_points: int


def campaign_results_by_company(*, campaign: Campaign, now: datetime | None = None, visible_to: User | None = None):
    """Per member company: group, revenue before and during (in cents: summed in SQL, they
    come back with the database's scale), purchases during, campaign points; for the CSV
    export. Only the companies ``visible_to`` may see when given
    (``members.selectors.staff_company_q``: a rep's own accounts). One query, iterated."""
    now = now or timezone.now()
    before_start, start, end = results_periods(campaign, now=now)
    revenue = Purchase.objects.filter(company_id=OuterRef("company_id")).order_by().values("company_id")
    amount = net_amount_in_base()

    def summed(**filters):
        return Coalesce(
            Subquery(revenue.filter(**filters).annotate(total=Sum(amount)).values("total"), output_field=MONEY),
            Value(ZERO),
            output_field=MONEY,
        )

    points = (
        CampaignAward.objects.filter(campaign=campaign, company_id=OuterRef("company_id"))
        .order_by()
        .values("company_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    purchases_during = (
        Purchase.objects.filter(
            company_id=OuterRef("company_id"), original__isnull=True, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by()
        .values("company_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    members = CampaignMember.objects.filter(campaign=campaign)
    if visible_to is not None:
        members = members.filter(staff_company_q(user=visible_to, path="company"))
    rows = (
        members.annotate(
            revenue_before=summed(occurred_at__gte=before_start, occurred_at__lt=start),
            revenue_during=summed(occurred_at__gte=start, occurred_at__lt=end),
            purchases_during=Coalesce(Subquery(purchases_during, output_field=IntegerField()), 0),
            campaign_points=Coalesce(Subquery(points, output_field=IntegerField()), 0),
        )
        .order_by("in_holdout", "company__name")
        .values_list(
            "company_id",
            "company__name",
            "company__external_id",
            "in_holdout",
            "revenue_before",
            "revenue_during",
            "purchases_during",
            "campaign_points",
        )
    )
    for values in rows.iterator(chunk_size=2000):
        company_id, name, external_id, holdout, before, during, count, points_total = values
        yield CompanyResult(
            company_id, name, external_id or "", holdout, money_cell(before), money_cell(during), count, points_total
        )


# --- NPS -----------------------------------------------------------------------------------------------


def nps_figures(completions: QuerySet[ActivityCompletion]) -> NpsFigures:
    """NPS of the survey answers among ``completions``. One query."""
    totals = completions.filter(activity__kind=ActivityKind.SURVEY, score__isnull=False).aggregate(
        answers=Count("pk"),
        promoters=Count("pk", filter=Q(score__gte=9)),
        passives=Count("pk", filter=Q(score__in=[7, 8])),
        detractors=Count("pk", filter=Q(score__lte=6)),
    )
    return NpsFigures(**totals)


@dataclass(frozen=True)
class NpsRow:
    label: str
    figures: NpsFigures
    campaign_id: int | None = None
    month: date | None = None


def _nps_annotations():
    return {
        "answers": Count("pk"),
        "promoters": Count("pk", filter=Q(score__gte=9)),
        "passives": Count("pk", filter=Q(score__in=[7, 8])),
        "detractors": Count("pk", filter=Q(score__lte=6)),
    }


def nps_by_campaign() -> list[NpsRow]:
    """NPS per campaign with survey answers, newest campaign first, plus the answers of no
    campaign. One query."""
    rows = (
        ActivityCompletion.objects.filter(activity__kind=ActivityKind.SURVEY, score__isnull=False)
        .values("activity__campaign_id", "activity__campaign__name", "activity__campaign__starts_at")
        .annotate(**_nps_annotations())
        .order_by(F("activity__campaign__starts_at").desc(nulls_last=True))
    )
    return [
        NpsRow(
            label=row["activity__campaign__name"] or "",
            figures=NpsFigures(row["answers"], row["promoters"], row["passives"], row["detractors"]),
            campaign_id=row["activity__campaign_id"],
        )
        for row in rows
    ]


def nps_by_month(*, now: datetime | None = None, months: int = 12) -> list[NpsRow]:
    """NPS per calendar month over the last ``months`` months, oldest first; months without
    answers have none. One query."""
    now = timezone.localtime(now or timezone.now())
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - relativedelta(months=months - 1)
    rows = (
        ActivityCompletion.objects.filter(
            activity__kind=ActivityKind.SURVEY, score__isnull=False, created_at__gte=first
        )
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(**_nps_annotations())
        .order_by("month")
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        month = timezone.localtime(month).date() if isinstance(month, datetime) else month
        by_month[month] = NpsFigures(row["answers"], row["promoters"], row["passives"], row["detractors"])
    result = []
    for offset in range(months):
        month = (first + relativedelta(months=offset)).date()
        result.append(NpsRow(label=month.isoformat(), figures=by_month.get(month, NpsFigures(0, 0, 0, 0)), month=month))
    return result


@dataclass(frozen=True)
class LatestAnswer:
    company_id: int
    score: int
    answered_at: datetime


def latest_nps_answers(
    *, since: datetime, visible_to: User | None = None, where: Q | None = None
) -> dict[int, LatestAnswer]:
    """Each company's latest survey score (0–10) given at or after ``since``, by company id;
    rejected completions and suspended companies left out, restricted to the companies
    ``visible_to`` may see when given, and to the answers matching ``where`` (a condition on
    the completion, e.g. on its company). One query (answers are few: one per contact and
    survey)."""
    answers = ActivityCompletion.objects.filter(
        activity__kind=ActivityKind.SURVEY, score__isnull=False, created_at__gte=since
    ).exclude(status=CompletionStatus.REJECTED)
    answers = answers.exclude(company__status=CompanyStatus.SUSPENDED)
    if visible_to is not None:
        answers = answers.filter(staff_company_q(user=visible_to, path="company"))
    if where is not None:
        answers = answers.filter(where)
    latest: dict[int, LatestAnswer] = {}
    rows = answers.order_by("company_id", "-created_at", "-pk").values_list("company_id", "score", "created_at")
    for company_id, score, created_at in rows:
        if company_id not in latest:
            latest[company_id] = LatestAnswer(company_id, score, created_at)
    return latest


NPS_COMMENTS_SHOWN = 20


def nps_latest_comments(*, limit: int = NPS_COMMENTS_SHOWN, visible_to: User | None = None) -> list[ActivityCompletion]:
    """The latest survey answers with a comment, of the companies ``visible_to`` may see
    when given (each names its company). One query."""
    answers = ActivityCompletion.objects.filter(activity__kind=ActivityKind.SURVEY, score__isnull=False)
    if visible_to is not None:
        answers = answers.filter(staff_company_q(user=visible_to, path="company"))
    return list(
        answers.exclude(text="").select_related("company", "activity__campaign").order_by("-created_at", "-pk")[:limit]
    )


def campaign_stacking_example(*, campaign: Campaign, company: Company, rules: ProgrammeRules):
    """The stacking rule worked through for this campaign and the company's tier: 1 000 of
    the campaign's first category (or any purchase) with its multiplier and first-purchase
    bonus. None when the campaign has neither. One query (the company's tier)."""
    campaign_rules = list(campaign.rules.all())
    multiplier_rule = next((rule for rule in campaign_rules if rule.kind == RuleKind.MULTIPLIER), None)
    bonus_rule = next((rule for rule in campaign_rules if rule.kind == RuleKind.FIRST_PURCHASE), None)
    if multiplier_rule is None and bonus_rule is None:
        return None
    category = next(iter(multiplier_rule.categories.all()), None) if multiplier_rule else None
    account = PointsAccount.objects.filter(company=company).select_related("tier").first()
    tier = account.tier if account else None
    return stacking_example(
        per_unit=rules.points_per_currency_unit,
        category_name=category.name if category else "",
        category_multiplier=category.multiplier if category else Decimal("1"),
        tier_name=tier.name if tier else "",
        tier_multiplier=tier.earn_multiplier if tier else Decimal("1"),
        campaign_multiplier=multiplier_rule.multiplier if multiplier_rule else Decimal("1"),
        bonus=bonus_rule.bonus_points if bonus_rule else 0,
        currency=rules.currency,
    )


@dataclass(frozen=True)
class CampaignTrailStep:
    """One step of a campaign's audit trail as staff read it."""

    when: datetime
    kind: str
    by: str
    changes: list[tuple[str, str, str]]


def campaign_trail(*, campaign: Campaign, viewer: User) -> list[CampaignTrailStep]:
    """The campaign's audit trail, oldest first, with field names as staff read them.

    Staff who see only some companies (reps) read how many companies were chosen before
    and after a change, not their names: the others belong to other reps' accounts.
    """
    every = staff_sees_every_company(viewer)
    labels = {
        field.name: str(field.verbose_name) for field in Campaign._meta.get_fields() if hasattr(field, "verbose_name")
    }
    labels.update(
        {"rules": str(CampaignRule._meta.verbose_name_plural), "activities": str(Activity._meta.verbose_name_plural)}
    )
    steps = []
    for event in campaign.events.select_related("actor").order_by("created_at", "pk"):
        changes = []
        for name, values in sorted(event.changes.items()):
            if name == "companies" and not every:
                values = [str(len(value)) for value in values]
            before, after = (", ".join(value) if isinstance(value, list) else value for value in values)
            changes.append((labels.get(name, name), before, after))
        steps.append(
            CampaignTrailStep(
                when=event.created_at,
                kind=event.get_kind_display(),
                by=(event.actor.get_full_name() or event.actor.email) if event.actor else "",
                changes=changes,
            )
        )
    return steps

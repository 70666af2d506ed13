"""Demo campaigns, activities and gamification, run through the real services.

Called by ``portal.demo.seed()`` as ``seed_campaigns(summary, companies, history=history)``
from inside ``rewards.demo.seed_points``: after the content (events, offers) and the points
history's purchases exist, before the history is replayed. What this seed records in the past
(campaign purchases, survey answers, reviews, a campaign's end) is not done here but added to
``history`` (``rewards.demo.DemoHistory``) and run by the replay at its date, so every
account's ledger entries are written in date order and the balance after each one reads
right in the points history; what it records as of today (the autumn campaign's schedule,
challenges) runs after the history. The campaigns are started before the replay, so the
history's own purchases by treated companies in a campaign's weeks earn its points too, as
they would live.

* **Own-brand triple points** — ended 180–152 days ago: triple points on own-brand
  consumables for Swedish members, with a 25 % hold-out, and no uplift: held out or not,
  about half of the companies bought own-brand in those weeks (``_seed_own_brand``).
* **Spring power tools boost** — ended: double points on power tools for Swedish members
  100–70 days ago, with a 25 % hold-out. The treated companies bought more during it (extra
  purchases, replayed at their dates through the earn pipeline, so they carry campaign
  points), which gives the results page a visible uplift; its survey has NPS answers.
* **Workwear weeks** — running: Swedish members, double points on workwear and a bonus for
  the first purchase, a product review and a staff-confirmed photo activity.
* **Autumn HVAC service** — scheduled: Gold and Platinum members, ×1.5 on heating and
  ventilation and a bonus for large orders.
* Standalone activities (an NPS survey with answers over six months, profile completion,
  referrals, event attendance), challenges with badges, and leaderboard opt-ins.

The companies with a story (``rewards.demo_story``) place no campaign orders (their buying
is their story) and answer the survey only as it says: two that stopped buying are promoters.

The demo's hold-out seeds are chosen so that Bergström Bygg (whose logins ``make run``
prints) is treated in every campaign, and a second company's contact is printed as the
hold-out login of the running campaign.

Idempotent: each campaign, activity and challenge is looked up by its name first; when
the spring campaign exists the whole seed is skipped.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from cms.models import EventPage
from core.content_language import translations_fill
from members.models import Company, Country, Membership, MembershipRole, User
from members.staff_groups import CLUB_ADMINS, MARKETING
from members.validators import _luhn_ok
from rewards.demo import DEMO_SEK_PER_EUR, DemoHistory
from rewards.demo_story import story_for
from rewards.ledger.services import points_earn_for_purchase, points_release_pending, tiers_evaluate_all
from rewards.models import ProductCategory, Purchase, PurchaseLine, Tier

from . import demo_translations
from .models import (
    Activity,
    ActivityKind,
    ActivityScope,
    AudienceKind,
    Badge,
    BadgeIcon,
    Campaign,
    CampaignRule,
    CampaignStatus,
    Challenge,
    ChallengeGoal,
    LeaderboardOptIn,
    Referral,
    RuleKind,
    Segment,
)
from .selectors import in_holdout, quarter_start
from .services import (
    CampaignError,
    activity_complete,
    campaign_end,
    campaign_schedule,
    campaign_start,
    challenges_evaluate,
)

RANDOM_SEED = 20261124
DEMO_SOURCE = "demo-erp"
SPRING = "Spring power tools boost"
OWN_BRAND = "Own-brand triple points"
WORKWEAR = "Workwear weeks"
AUTUMN = "Autumn HVAC service"
BERGSTROM_EXTERNAL_ID = "ERP-1000"

SURVEY_COMMENTS = {
    "high": [
        "Fast delivery and a sales rep who knows our business.",
        "The points make a real difference for our team events.",
        "Snabba leveranser och bra sortiment.",
        "Good prices on own-brand consumables.",
    ],
    "mid": ["Fine overall, but the web shop could be faster.", "Leveranserna är ibland sena.", ""],
    "low": ["Two late deliveries this month.", "Hard to reach customer service by phone.", ""],
}


def _staff_owner() -> User | None:
    return (
        User.objects.filter(is_staff=True, groups__name=MARKETING).order_by("pk").first()
        or User.objects.filter(is_staff=True, groups__name=CLUB_ADMINS).order_by("pk").first()
        or User.objects.filter(is_staff=True).order_by("pk").first()
    )


def _seed_for(
    campaign: Campaign,
    audience: list[Company],
    *,
    treated: Company,
    held_out_pool: list[Company],
    trend: dict[int, Decimal] | None = None,
    uplift: bool = True,
    during: dict[int, Decimal] | None = None,
) -> str:
    """A hold-out seed that treats ``treated``, holds out at least one of ``held_out_pool`` and
    splits ``audience`` closest to the campaign's share (a small demo club varies a lot).
    With ``trend`` (each company's revenue change from the period before the campaign to its
    own weeks, before the campaign's extra orders), the groups are balanced as an experiment
    designer would: among the closest splits, the one whose groups' trends differ least, the
    treated not behind, so the results show what the campaign's orders added. Without
    ``uplift`` (``trend`` and ``during``, each company's revenue in the campaign's weeks, then
    include every order of those weeks), the hold-out not behind in either: the results show
    that the campaign added nothing."""
    expected = len(audience) * campaign.holdout_percent / 100

    def mean(values: dict[int, Decimal], group: list[Company]) -> Decimal:
        return sum((values.get(c.pk, Decimal(0)) for c in group), Decimal(0)) / len(group)

    candidates = []
    for attempt in range(1, 100):  # the seed's column holds 32 characters
        seed = f"demo-{campaign.name.lower().replace(' ', '-')}-{attempt}"
        if in_holdout(seed=seed, company_id=treated.pk, percent=campaign.holdout_percent):
            continue
        if not any(in_holdout(seed=seed, company_id=c.pk, percent=campaign.holdout_percent) for c in held_out_pool):
            continue
        held = [c for c in audience if in_holdout(seed=seed, company_id=c.pk, percent=campaign.holdout_percent)]
        kept = [c for c in audience if c not in held]
        imbalance = Decimal(0)
        if trend is not None and held and kept:
            imbalance = mean(trend, held) - mean(trend, kept)  # > 0: the hold-out was already growing faster
        behind = int(imbalance > 0)
        if not uplift:
            bought_more = during is not None and held and kept and mean(during, kept) > mean(during, held)
            behind = int(imbalance < 0 or bought_more)
        candidates.append((abs(len(held) - expected), behind, abs(imbalance), attempt, seed))
    return min(candidates)[-1] if candidates else campaign.holdout_seed


ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=15, decimal_places=2)


def _revenue_trend(companies: list[Company], start: datetime, end: datetime) -> dict[int, Decimal]:
    """Each company's revenue in [start, end) minus the same length before ``start``."""
    before = start - (end - start)
    rows = (
        Purchase.objects.filter(company__in=companies, occurred_at__gte=before, occurred_at__lt=end)
        .values("company_id")
        .annotate(
            during=Coalesce(Sum("net_amount", filter=Q(occurred_at__gte=start)), Value(ZERO), output_field=MONEY),
            previous=Coalesce(Sum("net_amount", filter=Q(occurred_at__lt=start)), Value(ZERO), output_field=MONEY),
        )
    )
    return {row["company_id"]: row["during"] - row["previous"] for row in rows}


def _revenue_during(companies: list[Company], start: datetime, end: datetime) -> dict[int, Decimal]:
    """Each company's revenue in [start, end)."""
    rows = Purchase.objects.filter(company__in=companies, occurred_at__gte=start, occurred_at__lt=end)
    return dict(rows.values("company_id").annotate(total=Sum("net_amount")).values_list("company_id", "total"))


def _purchase(company: Company, external_id: str, at: datetime, lines: list[tuple[ProductCategory, Decimal]]):
    currency = company.purchase_currency
    if currency == "EUR":  # a Dutch company buys in EUR: the same order, sized in EUR
        lines = [(category, (amount / DEMO_SEK_PER_EUR).quantize(Decimal("0.01"))) for category, amount in lines]
    purchase = Purchase.objects.create(
        company=company,
        source=DEMO_SOURCE,
        external_id=external_id,
        occurred_at=at,
        net_amount=sum((amount for _category, amount in lines), Decimal("0")),
        currency=currency,
    )
    new_lines = PurchaseLine.objects.bulk_create(
        PurchaseLine(purchase=purchase, sku=f"{category.code}-{index + 100}", category=category, amount=amount)
        for index, (category, amount) in enumerate(lines)
    )
    points_earn_for_purchase(purchase=purchase, now=at, new_lines=new_lines)
    return purchase


def _contacts(companies: list[Company]) -> dict[int, list[User]]:
    result: dict[int, list[User]] = {}
    memberships = Membership.objects.filter(company__in=companies).select_related("user").order_by("user__email")
    for membership in memberships:
        result.setdefault(membership.company_id, []).append(membership.user)
    return result


def seed_campaigns(summary, companies: list[Company], *, history: DemoHistory, now: datetime | None = None) -> None:
    """The demo's campaigns, activities, challenges, badges and leaderboard (see the module
    docstring), with Swedish and Dutch texts for what members read; their dated calls are
    added to the points ``history``."""
    # The demo's own texts are English: they go to the English columns whatever the club's
    # default language is; the Swedish and Dutch ones are filled in after.
    with translation.override("en"):
        _seed_campaigns(summary, companies, now=now, history=history)
    _translate(summary)


def _in_english(step: Callable[..., object], *args, **kwargs) -> object:
    with translation.override("en"):
        return step(*args, **kwargs)


def _at(history: DemoHistory, moment: datetime, step: Callable[..., object], /, *args, **kwargs) -> None:
    """The call ``step(*args, **kwargs)``, made at ``moment`` of the points history (see the
    module docstring), in English as the rest of this seed."""
    history.at(moment, functools.partial(_in_english, step, *args, **kwargs))


def _today(history: DemoHistory, step: Callable[[], object]) -> None:
    """``step()`` as of today, after the points history and the day's jobs."""
    history.today(functools.partial(_in_english, step))


def _complete(summary, what: str | None, **answer) -> None:
    """``activity_complete(**answer)``, counted as ``what``; a completion the rules refuse (the
    activity closed, its campaign's budget used up) is simply not made."""
    with contextlib.suppress(CampaignError):
        _completion, created = activity_complete(**answer)
        if what:
            summary.count(what, created)


def _create_translated(model, table: dict, **values):
    """A demo activity or challenge created with its Swedish and Dutch title and description
    from ``table`` (keyed by the English title), so what is recorded about it from then on (a
    completion's ledger text keeps the title in every language it has) reads in each reader's
    language."""
    for language, (title, description) in table.get(values["title"], {}).items():
        values[f"title_{language}"], values[f"description_{language}"] = title, description
    return model.objects.create(**values)


def _translate(summary) -> None:
    def texts(table: dict, fields: tuple[str, str]) -> dict:
        return {
            key: {language: dict(zip(fields, text, strict=True)) for language, text in languages.items()}
            for key, languages in table.items()
        }

    for model, key, table, fields, what in [
        (Activity, "title_en", demo_translations.ACTIVITIES, ("title", "description"), "activities"),
        (Challenge, "title_en", demo_translations.CHALLENGES, ("title", "description"), "challenges"),
        (Badge, "name_en", demo_translations.BADGES, ("name", "description"), "badges"),
    ]:
        summary.count(
            f"Swedish and Dutch texts of {what}", translations_fill(model, key=key, texts=texts(table, fields))
        )


def _seed_campaigns(summary, companies: list[Company], *, now: datetime | None, history: DemoHistory) -> None:
    if Campaign.objects.filter(name=SPRING).exists():
        summary.count("campaigns", False)
        holdout_login(summary)
        return
    now = now or timezone.now()
    owner = _staff_owner()
    if owner is None or not companies:
        return
    rng = random.Random(RANDOM_SEED)
    categories = {category.code: category for category in ProductCategory.objects.all()}
    bergstrom = next((c for c in companies if c.external_id == BERGSTROM_EXTERNAL_ID), companies[0])
    contacts = _contacts(companies)
    with transaction.atomic():
        Segment.objects.get_or_create(
            name="Quiet for 90 days",
            defaults={"description": "Members who have not bought anything for three months.", "no_purchase_days": 90},
        )
        Segment.objects.get_or_create(
            name="Big buyers",
            defaults={"description": "Spent at least 200 000 SEK over the last year.", "min_spend": Decimal("200000")},
        )
        own_brand = _seed_own_brand(summary, companies, owner, categories, bergstrom, now, history)
        spring = _seed_spring(summary, companies, owner, categories, bergstrom, contacts, rng, now, history)
        _seed_workwear(summary, companies, owner, categories, bergstrom, contacts, rng, now, history)
        _seed_autumn(summary, owner, categories, now, history)
        _seed_standalone(summary, companies, contacts, rng, now, history)
        _seed_challenges(summary, now, history)
        for company in [bergstrom, *rng.sample(companies[1:], min(8, len(companies) - 1))]:
            admin_contact = next(
                (u for u in contacts.get(company.pk, []) if u.membership.role == MembershipRole.ADMIN), None
            )
            _opt_in, created = LeaderboardOptIn.objects.get_or_create(
                company=company, defaults={"opted_in_by": admin_contact}
            )
            summary.count("leaderboard opt-ins", created)

    def as_of_today() -> None:
        # The replayed purchases' return windows have passed; tiers as of today.
        points_release_pending(now=now)
        tiers_evaluate_all(now=now, allow_downgrade=False)
        for campaign in (spring, own_brand):
            campaign.refresh_from_db()
            summary.count("campaign results", campaign.status == CampaignStatus.ENDED)

    _today(history, as_of_today)
    holdout_login(summary)


def _seed_spring(summary, companies, owner, categories, bergstrom, contacts, rng, now, history) -> Campaign:
    start = (now - timedelta(days=100)).replace(hour=6, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=30)
    campaign = Campaign.objects.create(
        name=SPRING,
        **demo_translations.campaign_texts(SPRING),
        headline="Double points on every power tool until the end of the month.",
        description="Drills, saws and grinders earn double points, tier bonus included.",
        owner=owner,
        starts_at=start,
        ends_at=end,
        # Swedish members: its results compare revenue, and amounts in SEK and EUR do not add
        # up (the club keeps no exchange rate; docs/architecture.md, *Currencies*).
        audience_kind=AudienceKind.COUNTRIES,
        countries=[Country.SWEDEN],
        holdout_percent=25,
        points_budget=600_000,
    )
    swedish = [c for c in companies if c.country == Country.SWEDEN]
    others = [c for c in swedish if c.pk != bergstrom.pk]
    campaign.holdout_seed = _seed_for(
        campaign, swedish, treated=bergstrom, held_out_pool=others, trend=_revenue_trend(swedish, start, end)
    )
    campaign.save(update_fields=["holdout_seed"])
    rule = CampaignRule.objects.create(campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=Decimal("2"))
    if "POWERTOOLS" in categories:
        rule.categories.set([categories["POWERTOOLS"]])
    survey = _create_translated(
        Activity,
        demo_translations.ACTIVITIES,
        kind=ActivityKind.SURVEY,
        title="Spring survey: how did we do?",
        description="One question, one minute.",
        points=300,
        scope=ActivityScope.CONTACT,
        campaign=campaign,
        opens_at=start,
        closes_at=end,
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)
    campaign_start(campaign_id=campaign.pk, now=start)
    summary.count("campaigns", True)
    treated = list(campaign.members.filter(in_holdout=False).select_related("company"))
    power = categories.get("POWERTOOLS") or next(iter(categories.values()))
    hand = categories.get("HANDTOOLS") or power
    # The campaign worked: most treated companies bought power tools during it (not those
    # whose buying follows their story: rewards.demo_story).
    for index, member in enumerate(treated):
        if rng.random() > 0.8 or story_for(member.company.external_id):
            continue
        for order in range(rng.choice([1, 1, 2])):
            at = start + timedelta(days=rng.randint(1, 28), hours=rng.randint(7, 15))
            amount = Decimal(rng.randint(40, 160) * 100)
            _at(
                history,
                at,
                _purchase,
                member.company,
                f"{member.company.external_id}-SPRING-{order + 1}",
                at,
                [(power, amount), (hand, (amount * Decimal("0.2")).quantize(Decimal("1")))],
            )
            summary.count("purchases", True)
        for user in contacts.get(member.company_id, [])[:1] if index % 2 == 0 else []:
            score = rng.choice([10, 10, 10, 9, 9, 9, 8, 8, 7, 6])
            _answer(history, summary, survey, user, score, rng, start + timedelta(days=rng.randint(2, 25), hours=10))
    _at(history, end, campaign_end, campaign_id=campaign.pk, now=end)
    return campaign


def _seed_own_brand(summary, companies, owner, categories, bergstrom, now, history) -> Campaign:
    """Ended 180–152 days ago: triple points on own-brand consumables for Swedish members,
    with a 25 % hold-out, and no uplift. About half of the companies bought own-brand in those
    weeks, held out or not: each company's orders come from its own random stream, whatever
    its group, so the campaign only changed who got points for them. The hold-out split is
    the one whose groups' revenue changed alike (the treated not ahead), so its results page
    shows what a campaign that did not work looks like: points issued, nothing gained."""
    start = (now - timedelta(days=180)).replace(hour=6, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=28)
    campaign = Campaign.objects.create(
        name=OWN_BRAND,
        **demo_translations.campaign_texts(OWN_BRAND),
        headline="Triple points on our own-brand consumables for four weeks.",
        description="Gloves, tape, screws and cleaning products under our own brand earn triple points, tier bonus included.",
        owner=owner,
        starts_at=start,
        ends_at=end,
        audience_kind=AudienceKind.COUNTRIES,  # Swedish members: revenue in SEK only (see the spring campaign)
        countries=[Country.SWEDEN],
        holdout_percent=25,
        points_budget=300_000,
    )
    swedish = [c for c in companies if c.country == Country.SWEDEN]
    own_brand = categories.get("OWNBRAND") or next(iter(categories.values()))
    fasteners = categories.get("FASTENERS") or own_brand
    orders: list[tuple[Company, datetime, Decimal]] = []
    for company in swedish:
        if story_for(company.external_id):
            continue  # its buying follows its story
        stream = random.Random(f"{RANDOM_SEED}-{OWN_BRAND}-{company.external_id}")
        if stream.random() < 0.5:
            at = start + timedelta(days=stream.randint(1, 26), hours=stream.randint(7, 15))
            orders.append((company, at, Decimal(stream.randint(20, 60) * 100)))
    trend = _revenue_trend(swedish, start, end)
    during = _revenue_during(swedish, start, end)
    for company, _when, amount in orders:
        total = amount + (amount * Decimal("0.3")).quantize(Decimal("1"))
        trend[company.pk] = trend.get(company.pk, ZERO) + total
        during[company.pk] = during.get(company.pk, ZERO) + total
    campaign.holdout_seed = _seed_for(
        campaign,
        swedish,
        treated=bergstrom,
        held_out_pool=[c for c in swedish if c.pk != bergstrom.pk],
        trend=trend,
        uplift=False,
        during=during,
    )
    campaign.save(update_fields=["holdout_seed"])
    rule = CampaignRule.objects.create(campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=Decimal("3"))
    rule.categories.set([own_brand])
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)
    campaign_start(campaign_id=campaign.pk, now=start)
    summary.count("campaigns", True)
    for company, at, amount in orders:
        _at(
            history,
            at,
            _purchase,
            company,
            f"{company.external_id}-OWNBRAND-1",
            at,
            [(own_brand, amount), (fasteners, (amount * Decimal("0.3")).quantize(Decimal("1")))],
        )
        summary.count("purchases", True)
    _at(history, end, campaign_end, campaign_id=campaign.pk, now=end)
    return campaign


def _answer(
    history: DemoHistory,
    summary,
    survey: Activity,
    user: User,
    score: int,
    rng: random.Random,
    at: datetime,
    *,
    counted: str | None = None,
) -> None:
    """``user`` answers ``survey`` with ``score`` and a comment drawn now, at ``at`` of the history."""
    bucket = "high" if score >= 9 else "mid" if score >= 7 else "low"
    text = rng.choice(SURVEY_COMMENTS[bucket])
    _at(history, at, _complete, summary, counted, activity_id=survey.pk, user=user, score=score, text=text, now=at)


def _seed_workwear(summary, companies, owner, categories, bergstrom, contacts, rng, now, history) -> Campaign:
    start = (now - timedelta(days=10)).replace(hour=6, minute=0, second=0, microsecond=0)
    # To the end of its last day in the club's time zone: the (exclusive) end is the local
    # midnight after it, so members read that day as the last one (``Campaign.last_day``).
    last_day = timezone.localdate(now) + timedelta(days=20)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    campaign = Campaign.objects.create(
        name=WORKWEAR,
        **demo_translations.campaign_texts(WORKWEAR),
        headline="Double points on workwear, and 1 000 extra points on your first order.",
        description="Jackets, boots and safety gear earn double points for Swedish members until the end of the campaign.",
        owner=owner,
        starts_at=start,
        ends_at=end,
        audience_kind=AudienceKind.COUNTRIES,
        countries=[Country.SWEDEN],
        holdout_percent=20,
        points_budget=400_000,
    )
    swedish = [c for c in companies if c.country == Country.SWEDEN]
    campaign.holdout_seed = _seed_for(
        campaign, swedish, treated=bergstrom, held_out_pool=[c for c in swedish if c.pk != bergstrom.pk]
    )
    campaign.save(update_fields=["holdout_seed"])
    multiplier = CampaignRule.objects.create(campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=Decimal("2"))
    if "WORKWEAR" in categories:
        multiplier.categories.set([categories["WORKWEAR"]])
    CampaignRule.objects.create(campaign=campaign, kind=RuleKind.FIRST_PURCHASE, bonus_points=1000)
    review = _create_translated(
        Activity,
        demo_translations.ACTIVITIES,
        kind=ActivityKind.REVIEW,
        title="Review the new winter work jacket",
        description="Tell other members what you think of the Nordic Pro winter jacket.",
        subject="Nordic Pro winter work jacket",
        points=300,
        scope=ActivityScope.CONTACT,
        campaign=campaign,
    )
    photo = _create_translated(
        Activity,
        demo_translations.ACTIVITIES,
        kind=ActivityKind.CUSTOM,
        title="Show us your crew in our workwear",
        description="Send a photo of your team on site to your sales rep, then tell us here. Staff confirm it.",
        points=1000,
        scope=ActivityScope.COMPANY,
        campaign=campaign,
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)
    campaign_start(campaign_id=campaign.pk, now=start)
    summary.count("campaigns", True)
    workwear = categories.get("WORKWEAR") or next(iter(categories.values()))
    fasteners = categories.get("FASTENERS") or workwear
    treated = list(campaign.members.filter(in_holdout=False).select_related("company"))
    for index, member in enumerate(treated):
        if member.company_id == bergstrom.pk or rng.random() < 0.5 or story_for(member.company.external_id):
            continue
        at = start + timedelta(days=rng.randint(0, 8), hours=rng.randint(7, 15))
        if at >= now:
            continue
        amount = Decimal(rng.randint(20, 80) * 100)
        _at(
            history,
            at,
            _purchase,
            member.company,
            f"{member.company.external_id}-WORKWEAR-1",
            at,
            [(workwear, amount), (fasteners, amount / 2)],
        )
        summary.count("purchases", True)
        users = contacts.get(member.company_id, [])
        if users and index % 3 == 0:
            _at(
                history,
                at + timedelta(days=1),
                _complete,
                summary,
                "activity completions",
                activity_id=review.pk,
                user=users[1 % len(users)],
                rating=rng.choice([4, 5, 5, 3]),
                text="Warm, well made and the reflective parts hold up after many washes.",
                now=at + timedelta(days=1),
            )
        if users and index % 4 == 1:
            _at(
                history,
                min(now, at + timedelta(days=2)),
                _complete,
                summary,
                None,
                activity_id=photo.pk,
                user=users[0],
                text="Sent the photo of our crew in Göteborg to Anna.",
                now=min(now, at + timedelta(days=2)),
            )
    return campaign


def _seed_autumn(summary, owner, categories, now, history) -> Campaign:
    start = (now + timedelta(days=14)).replace(hour=6, minute=0, second=0, microsecond=0)
    campaign = Campaign.objects.create(
        name=AUTUMN,
        **demo_translations.campaign_texts(AUTUMN),
        headline="×1.5 points on heating and ventilation, and 2 000 extra points on orders from 50 000 SEK.",
        description="Get ready for the heating season.",
        owner=owner,
        starts_at=start,
        ends_at=start + timedelta(days=30),
        audience_kind=AudienceKind.TIERS,
        holdout_percent=10,
        points_budget=250_000,
    )
    campaign.tiers.set(Tier.objects.filter(name_en__in=["Gold", "Platinum"]))
    rule = CampaignRule.objects.create(campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=Decimal("1.5"))
    if "HVAC" in categories:
        rule.categories.set([categories["HVAC"]])
    CampaignRule.objects.create(
        campaign=campaign, kind=RuleKind.LARGE_PURCHASE, bonus_points=2000, min_amount=Decimal("50000")
    )

    # Scheduled for the Gold and Platinum members as of today, after the history: without any
    # (a fresh club) it stays a draft staff can widen.
    def schedule() -> None:
        with contextlib.suppress(CampaignError):
            campaign_schedule(campaign=campaign, by=owner, now=now)

    _today(history, schedule)
    summary.count("campaigns", True)
    return campaign


def _seed_standalone(summary, companies, contacts, rng, now, history) -> None:
    survey = _create_translated(
        Activity,
        demo_translations.ACTIVITIES,
        kind=ActivityKind.SURVEY,
        title="How are we doing?",
        description="Our quarterly question to every member. It takes a minute.",
        points=200,
        scope=ActivityScope.CONTACT,
    )
    _create_translated(
        Activity,
        demo_translations.ACTIVITIES,
        kind=ActivityKind.PROFILE,
        title="Complete your profile",
        description="Add your name and phone number so your sales rep can reach you.",
        points=250,
        scope=ActivityScope.CONTACT,
    )
    referral = _create_translated(
        Activity,
        demo_translations.ACTIVITIES,
        kind=ActivityKind.REFERRAL,
        title="Recommend a company",
        description="Know a company that should be in the club? Recommend it: you get points when it makes its first purchase.",
        points=2500,
        scope=ActivityScope.COMPANY,
    )

    event = EventPage.objects.live().filter(locale__language_code="en").order_by("starts_at").first()
    if event is not None:
        _create_translated(
            Activity,
            demo_translations.ACTIVITIES,
            kind=ActivityKind.EVENT,
            title=f"Attend {event.title}",
            description="Come to the event; staff confirm attendance afterwards and your company gets the points.",
            points=500,
            scope=ActivityScope.CONTACT,
            event=event,
        )
    # NPS answers spread over six months, from about a third of the contacts; the companies
    # with a story (rewards.demo_story) answer as it says, and only then.
    users = [
        user for company in companies if not story_for(company.external_id) for user in contacts.get(company.pk, [])
    ]
    for user in rng.sample(users, min(45, len(users))):
        score = rng.choice([10, 10, 9, 9, 8, 8, 7, 7, 6, 5, 3, 9, 10])
        at = now - timedelta(days=rng.randint(1, 180), hours=rng.randint(0, 8))
        _answer(history, summary, survey, user, score, rng, at, counted="survey answers")
    for company in companies:
        story = story_for(company.external_id)
        if story is None or story.answer is None or not contacts.get(company.pk):
            continue
        score, days_ago, comment = story.answer
        at = now - timedelta(days=days_ago, hours=2)
        _at(
            history,
            at,
            _complete,
            summary,
            "survey answers",
            activity_id=survey.pk,
            user=contacts[company.pk][0],
            score=score,
            text=comment,
            now=at,
        )
    for number, (name, org_number) in enumerate(
        [("Vänersborgs Bygg AB", "556677-8899"), ("Trollhättans Rör AB", "559012-3452")]
    ):
        referrer = companies[(number * 7 + 3) % len(companies)]
        Referral.objects.get_or_create(
            country=Country.SWEDEN,
            org_number=_valid_org_number(org_number),
            defaults={
                "activity": referral,
                "referrer": referrer,
                "referred_by": (contacts.get(referrer.pk) or [None])[0],
                "company_name": name,
                "contact_name": "Karin Lund",
                "created_at": now - timedelta(days=5 + number * 9),
            },
        )


def _valid_org_number(text: str) -> str:
    digits = text.replace("-", "")[:9]
    for check in range(10):
        if _luhn_ok(digits + str(check)):
            return f"{digits[:6]}-{digits[6:]}{check}"
    return text


def _seed_challenges(summary, now, history) -> None:
    start = quarter_start(now)
    end = (start + timedelta(days=95)).replace(day=1)
    rounder, _created = Badge.objects.get_or_create(
        name="All-rounder",
        defaults={
            "description": "Bought from three product ranges in one quarter.",
            "icon": BadgeIcon.STAR,
            "colour": "#b8962e",
        },
    )
    regular, _created = Badge.objects.get_or_create(
        name="Regular",
        defaults={"description": "Four orders in one quarter.", "icon": BadgeIcon.LIGHTNING, "colour": "#2f6f4f"},
    )
    _create_translated(
        Challenge,
        demo_translations.CHALLENGES,
        title="Buy from 3 product ranges this quarter",
        description="Mix it up: fasteners, tools, workwear, HVAC — any three ranges count.",
        goal=ChallengeGoal.CATEGORIES,
        target=3,
        starts_at=start,
        ends_at=end,
        points=1500,
        badge=rounder,
    )
    _create_translated(
        Challenge,
        demo_translations.CHALLENGES,
        title="Four orders this quarter",
        description="Order at least four times before the quarter ends.",
        goal=ChallengeGoal.PURCHASES,
        target=4,
        starts_at=start,
        ends_at=end,
        points=800,
        badge=regular,
    )

    def evaluate() -> None:  # as of today, on the whole history
        summary.count("challenge completions", bool(challenges_evaluate(now=now)))

    _today(history, evaluate)


def holdout_login(summary) -> None:
    """Print a contact of a company held out of the running campaign (it sees no campaign)."""
    campaign = Campaign.objects.filter(name=WORKWEAR).first()
    if campaign is None:
        return
    member = (
        campaign.members.filter(in_holdout=True, company__memberships__role=MembershipRole.PURCHASER)
        .select_related("company")
        .order_by("company__external_id")
        .first()
    )
    if member is None:
        return
    user = User.objects.filter(membership__company=member.company, membership__role=MembershipRole.PURCHASER).first()
    if user is not None:
        summary.logins.append((f"Purchaser at {member.company.name} (held out of “{WORKWEAR}”)", user.email))

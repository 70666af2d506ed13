"""Demo points: two years of purchases for the demo companies, run through the real services.

Called by ``portal.demo.seed()`` as ``seed_points(summary, companies)``.

The programme's base currency is **SEK**; Dutch companies buy in **EUR**, which earns at
its own rate (11 points per EUR, a point worth 0.0018 EUR: the same 2 % back as 1 point
per SEK at 0.02 SEK), set by the club in ``ProgrammeCurrency`` — not derived from an
exchange rate. A Dutch company's purchases, returns and points values are all in EUR.

How the history is built: purchases, returns, reward orders (with their approvals,
rejections, cancellations and fulfilments) and staff adjustments are generated for the last
25 months from a fixed random seed and replayed in date order through ``rewards.ledger.services``
and ``rewards.redemptions.services``, each with ``now`` set to its own date; the periodic jobs
(release pending points weekly, expiry monthly, the yearly tier evaluation with
downgrades) run at their dates in between. Finally pending points are released, expiry
is run and tiers are evaluated as of today. So pending points (the last 14 days),
points expiring in the next 60 days (bought about two years ago) and tiers are all real.
A few companies buy as their story says (``rewards.demo_story``: newcomers of the last year,
buyers slipping away), so Insights has cohorts, segment movement and at-risk accounts.

The catalogue (``rewards.catalogue.demo``: 25 rewards with Pillow-drawn pictures) comes
first. Orders are real ``Redemption`` rows in every status; Bergström's show each status to
its logins (an order awaiting its admin's approval, one approved and waiting for the club,
one requested, fulfilled ones with a voucher code and a tracking number, a rejected and a
cancelled one), and orders of the last 45 days notify their people as they would live.

Every account's entries are written in date order. Each entry stores ``balance_after``, the
account's balance right after it in the order entries are written (``manage.py check_ledger``
checks it by id), and the points history lists entries by date: an entry written after a
later-dated one would show a balance that jumps. So the purchases of the history are created
first (not yet earned: campaigns choose their hold-out from them), then the seeds that record
things in the past (``campaigns.demo``: campaign purchases, survey answers) set themselves up
in ``seed_points(alongside=…)`` and add each dated call to the ``DemoHistory`` instead of
making it, and the replay runs those calls at their moments among its own events.

Idempotent: rules, categories, tiers and rewards are looked up by natural key; when demo purchases
already exist the replay is skipped and only the as-of-today jobs run, which are
idempotent themselves, so a second run on the same day changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from core.content_language import translations_fill
from members.languages import language_for_country
from members.models import Company, Membership, MembershipRole, User
from members.staff_groups import CLUB_ADMINS
from rewards import demo_translations
from rewards.catalogue.demo import seed_catalogue
from rewards.catalogue.services import approval_threshold_set, reward_goal_set
from rewards.demo_story import story_for
from rewards.ledger.services import (
    points_account_for_company,
    points_adjust,
    points_earn_for_purchase,
    points_expire,
    points_release_pending,
    purchase_return,
    tiers_evaluate_all,
)
from rewards.models import (
    PointsAccount,
    ProductCategory,
    ProgrammeCurrency,
    ProgrammeRules,
    Purchase,
    PurchaseLine,
    Redemption,
    RedemptionStatus,
    Tier,
)
from rewards.redemptions.services import (
    DeliveryAddress,
    RedemptionError,
    redemption_approve,
    redemption_cancel,
    redemption_fulfil,
    redemption_reject,
    redemption_request,
)

DEMO_SOURCE = "demo-erp"
RANDOM_SEED = 20261123
HISTORY_MONTHS = 25

PROGRAMME = {
    "points_per_currency_unit": Decimal("1"),  # 1 point per SEK before multipliers
    "point_value": Decimal("0.02"),  # 1 point = 0.02 SEK: 2 % back, up to ~7 % on own brand at Platinum
    "currency": "SEK",
    "return_window_days": 14,
    "expiry_months": 24,
}
# Only to size a Dutch company's generated orders like a Swedish one's (the demo's spend is
# drawn in SEK), and the club's reporting rate for EUR revenue in Insights; no point is ever
# converted with it.
DEMO_SEK_PER_EUR = Decimal("11")
# The programme's other currencies: (points per currency unit, value of one point, the
# reporting rate: what one unit counts as in SEK in the club's revenue figures).
PROGRAMME_CURRENCIES = {"EUR": (Decimal("11"), Decimal("0.0018"), DEMO_SEK_PER_EUR)}
# (code, name, earn multiplier, share of a typical basket)
CATEGORIES = [
    ("FASTENERS", "Fasteners and fixings", Decimal("1.00"), 30),
    ("HANDTOOLS", "Hand tools", Decimal("1.00"), 20),
    ("POWERTOOLS", "Power tools", Decimal("1.50"), 15),
    ("HVAC", "Heating and ventilation", Decimal("1.25"), 15),
    ("WORKWEAR", "Workwear and safety", Decimal("2.00"), 12),
    ("OWNBRAND", "Own-brand consumables", Decimal("3.00"), 8),
]
# (name, qualifying points over 12 months, earn multiplier, colour, benefits)
TIERS = [
    ("Bronze", 0, Decimal("1.00"), "#a86b32", "Points on every purchase and members-only offers."),
    ("Silver", 100_000, Decimal("1.10"), "#8a9097", "10 % more points and early access to launches."),
    ("Gold", 300_000, Decimal("1.25"), "#b8962e", "25 % more points, free delivery and invitations to events."),
    ("Platinum", 750_000, Decimal("1.50"), "#4b5d6b", "50 % more points, a named account team and priority service."),
]
# Orders of the other redeeming companies, by article number (rewards.catalogue.demo).
ORDER_SKUS = [
    "GC-500",
    "COFFEE-SITE",
    "LUNCH-TEAM",
    "TOOLBAG-40",
    "DONATE-CHILD",
    "HEADLAMP",
    "FACTORY-TOUR",
    "GC-1000",
    "JACKET-WINTER",
    "CINEMA-2",
]
# Bergström's orders, so its logins see every status: (key, how long ago, sku, quantity, who
# orders, note, [(after, follow-up, data)]). Its approval limit is 20 000 points.
_DAY = timedelta(days=1)
BERGSTROM_ORDERS = [
    ("b1", relativedelta(months=7), "GC-500", 1, "purchaser", "",
     [(_DAY, "approve", {"comment": "Enjoy, well deserved!"}), (3 * _DAY, "fulfil", {})]),
    ("b2", relativedelta(months=2), "GC-200", 1, "purchaser", "", [(2 * _DAY, "fulfil", {})]),
    ("b3", timedelta(days=40), "THERMOS", 2, "purchaser", "",
     [(timedelta(hours=2), "cancel", {"reason": "Ordered twice by mistake."})]),
    ("b4", timedelta(days=20), "RADIO-SITE", 1, "purchaser", "For the new site in Kungsbacka.",
     [(_DAY, "reject", {"comment": "Not this quarter: we are saving for the espresso machine."})]),
    ("b5", timedelta(days=6), "GLOVES-10", 1, "admin", "",
     [(2 * _DAY, "fulfil", {"tracking": "PostNord 00370712345678901234", "note": "Two parcels."})]),
    ("b6", timedelta(days=4), "JACKET-WINTER", 1, "purchaser", "Size L, please.", [(_DAY, "approve", {"comment": ""})]),
    ("b7", timedelta(days=1), "CAPS-5", 1, "purchaser", "Logo sent to our sales rep.", []),
    ("b8", timedelta(hours=3), "BEANS-3KG", 2, "purchaser", "", []),
]  # fmt: skip
BERGSTROM_APPROVAL_LIMIT = 20_000
BERGSTROM_GOAL = "ESPRESSO-PRO"
# A bonus when Bergström signed its framework agreement, about two years ago: with its orders
# above, first in, first out, some of those points still expire soon.
# Reasons staff typed are kept as typed (core.texts): the demo's staff write to each company
# in its language, as the club's staff would.
BERGSTROM_WELCOME = ("Bonus för tecknat ramavtal", 160_000, relativedelta(months=23))
# Orders placed in the last weeks notify their people (and e-mail them); older ones are history.
NOTIFY_WITHIN = timedelta(days=45)
GOODWILL = {
    "sv": [
        ("Goodwill: leveransen kom två dagar för sent", 5_000),
        ("Välkomstbonus för ifylld företagsprofil", 2_500),
        ("Rättelse: poäng som saknades på en order som affärssystemet delade", 1_200),
    ],
    "nl": [
        ("Goodwill: levering twee dagen te laat", 5_000),
        ("Welkomstbonus voor het ingevulde bedrijfsprofiel", 2_500),
        ("Correctie: punten die ontbraken bij een order die het ERP had gesplitst", 1_200),
    ],
    "en": [
        ("Goodwill: delivery two days late", 5_000),
        ("Welcome bonus for completing the company profile", 2_500),
        ("Correction: points missing from an order split by the ERP", 1_200),
    ],
}
REJECT_COMMENT = {
    "sv": "Slut hos vår leverantör till i vår; poängen är tillbaka hos er.",
    "nl": "Uitverkocht bij onze leverancier tot het voorjaar; uw punten staan weer op uw saldo.",
    "en": "Out of stock at our supplier until spring; your points are back.",
}


def _typed_language(company) -> str:
    """The language the demo's staff type a reason in for ``company``: its country's."""
    return language_for_country(company.country) or "en"


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    company: Company | None = field(compare=False)
    data: dict = field(compare=False, default_factory=dict)


class DemoHistory:
    """What other seeds add to the points history (see the module docstring): calls that
    write ledger entries dated in the past, run by the replay at their moments, so every
    account's entries are written in date order and their ``balance_after`` reads right in the
    points history. ``today`` calls run after the history and the as-of-today jobs."""

    def __init__(self) -> None:
        self.steps: list[_Event] = []
        self.today_steps: list[Callable[[], object]] = []

    def at(self, moment: datetime, step: Callable[[], object]) -> None:
        """Run ``step()`` at ``moment`` of the history (the services it calls get that ``now``)."""
        self.steps.append(_Event(moment, 0, "step", None, {"run": step}))

    def today(self, step: Callable[[], object]) -> None:
        """Run ``step()`` as of today, after the history and the day's release, expiry and tiers."""
        self.today_steps.append(step)


def seed_points(
    summary,
    companies: list[Company],
    *,
    now: datetime | None = None,
    alongside: Callable[[DemoHistory], None] | None = None,
) -> None:
    """Programme rules, categories, tiers and two years of points history for ``companies``.

    ``alongside(history)`` is called once the tiers, the catalogue and the history's purchases
    exist, before any of them is earned: a seed that records things in the past sets itself up
    there and adds its dated calls to ``history`` (a ``DemoHistory``) for the replay to run."""
    now = now or timezone.now()
    with transaction.atomic():
        first_run = not Purchase.objects.filter(source=DEMO_SOURCE).exists()
        if first_run:
            _seed_rules()
        _seed_currencies(summary)
        categories = _seed_categories(summary)
        _seed_tiers(summary)
        catalogue = seed_catalogue(summary, now=now)
        events: list[_Event] = []
        if first_run:
            _seed_approval_limits(companies)
            events = _history_events(summary, companies, categories, now=now)
        history = DemoHistory()
        if alongside is not None:
            alongside(history)
        if first_run:
            _replay_history(summary, companies, events + history.steps, catalogue, now=now)
        else:  # nothing of the history is replayed again; a later seed's steps (if any) in date order
            for step in sorted(history.steps):
                step.data["run"]()
        # As of today; each is idempotent for the same moment and day.
        released = points_release_pending(now=now)
        expired = points_expire(now=now)
        changed = tiers_evaluate_all(now=now, allow_downgrade=False)
        summary.count("points releases", bool(released))
        summary.count("points expiries", bool(expired))
        summary.count("tier changes", bool(changed))
        for step in history.today_steps:
            step()
        if first_run:
            _seed_goals(companies, catalogue)


def _seed_rules() -> None:
    rules = ProgrammeRules.current()
    for name, value in PROGRAMME.items():
        setattr(rules, name, value)
    rules.save()


def _seed_currencies(summary) -> None:
    """The programme's EUR terms, unless staff have set them (their edit is kept)."""
    for currency, (per_unit, value, reporting_rate) in PROGRAMME_CURRENCIES.items():
        _term, created = ProgrammeCurrency.objects.get_or_create(
            currency=currency,
            defaults={"points_per_currency_unit": per_unit, "point_value": value, "reporting_rate": reporting_rate},
        )
        summary.count("programme currencies", created)


def _seed_categories(summary) -> list[tuple[ProductCategory, int]]:
    result = []
    for code, name, multiplier, weight in CATEGORIES:
        category, created = ProductCategory.objects.get_or_create(
            code=code, defaults={"name_en": name, "multiplier": multiplier}
        )
        summary.count("product categories", created)
        result.append((category, weight))
    texts = {
        code: {"sv": {"name": sv}, "nl": {"name": nl}}
        for code, (sv, nl) in demo_translations.PRODUCT_CATEGORIES.items()
    }
    summary.count(
        "Swedish and Dutch texts of product categories", translations_fill(ProductCategory, key="code", texts=texts)
    )
    return result


def _seed_tiers(summary) -> None:
    # The demo's texts are English: written to the English columns whatever the club's
    # default language, and looked up there (the Swedish and Dutch come from demo_translations).
    for name, qualifying, multiplier, colour, benefits in TIERS:
        if Tier.objects.filter(name_en=name).exists():
            summary.count("tiers", False)
            continue
        Tier.objects.create(
            name_en=name, qualifying_points=qualifying, earn_multiplier=multiplier, colour=colour, benefits_en=benefits
        )
        summary.count("tiers", True)
    texts = {
        name: {language: {"name": text[0], "benefits": text[1]} for language, text in languages.items()}
        for name, languages in demo_translations.TIERS.items()
    }
    summary.count("Swedish and Dutch texts of tiers", translations_fill(Tier, key="name_en", texts=texts))


def history_start(now: datetime) -> datetime:
    """The start of the demo's history: the first day of the month ``HISTORY_MONTHS - 1``
    months before this one (local time). The demo's first companies joined then."""
    this_month = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return this_month - relativedelta(months=HISTORY_MONTHS - 1)


def _company_events(
    index: int, company: Company, categories: list[tuple[ProductCategory, int]], start: datetime, now: datetime
) -> list[_Event]:
    """One company's purchases, returns, redemptions and goodwill, from its own random stream
    (so adding a company never changes another's history). A company with a story
    (``rewards.demo_story``) buys as it says in its months, and a newcomer nothing before it
    joined."""
    rng = random.Random(RANDOM_SEED + index)
    story = story_for(company.external_id)
    today = timezone.localdate(now)
    # Bergström (the company whose logins `make run` prints) is a steady Silver customer
    # on its way to Gold; the others range from small to Platinum-sized.
    monthly_spend = 14_000 if index == 0 else rng.choice([6_000, 12_000, 20_000, 35_000, 60_000])
    if story and story.monthly_spend:
        monthly_spend = story.monthly_spend
    # Few, larger orders per month keep the seed fast (every purchase runs the real services).
    orders_per_month = [2] if index == 0 else [0, 1, 1]
    redeems = index % 3 == 0
    events: list[_Event] = []
    month = start
    seq = 0
    while month < now:
        orders = rng.choice(orders_per_month)
        share = story.share_in(timezone.localdate(month), today=today) if story else None
        if share is not None:
            orders = 1 if share else 0
        elif story and story.newcomer:
            orders = 0  # not a member yet
        for _ in range(orders):
            at = month + timedelta(days=rng.randint(0, 27), hours=rng.randint(7, 16), minutes=rng.randint(0, 59))
            if at >= now - timedelta(hours=1):
                continue
            seq += 1
            amount = Decimal(rng.randint(60, 140) * monthly_spend // (100 * orders))
            if share is not None:  # the story's month, give or take a tenth
                amount = Decimal(rng.randint(90, 110) * monthly_spend * share // 10_000)
            events.append(_Event(at, seq, "purchase", company, {"seq": seq, "amount": amount, "rng": rng.random()}))
            if rng.random() < 0.04:  # a partial return a few days later
                events.append(_Event(at + timedelta(days=rng.randint(2, 30)), seq, "return", company, {"seq": seq}))
        month += relativedelta(months=1)
    if index == 0:
        for key, ago, sku, quantity, by, note, follow_ups in BERGSTROM_ORDERS:
            at = now - ago
            order = {"key": key, "sku": sku, "quantity": quantity, "by": by, "note": note}
            events.append(_Event(at, 0, "order", company, order))
            for after, kind, data in follow_ups:
                events.append(_Event(at + after, 1, kind, company, {"key": key, **data}))
        memo, points, ago = BERGSTROM_WELCOME
        events.append(_Event(now - ago, 0, "adjust", company, {"memo": memo, "points": points, "key": "welcome"}))
    elif redeems:
        for number, months_ago in enumerate((20, 14, 9, 4, 1)):
            at = now - relativedelta(months=months_ago) + timedelta(days=rng.randint(0, 20), hours=10)
            key = f"o{number}"
            sku = ORDER_SKUS[(index + number) % len(ORDER_SKUS)]
            events.append(_Event(at, 0, "order", company, {"key": key, "sku": sku, "quantity": 1, "by": "purchaser"}))
            outcome = "fulfil" if months_ago >= 4 else ("wait", "fulfil", "approve", "reject")[index % 4]
            if outcome in ("fulfil", "approve"):
                events.append(_Event(at + _DAY, 1, "approve", company, {"key": key, "comment": ""}))
            if outcome == "fulfil":
                events.append(_Event(at + 3 * _DAY, 2, "fulfil", company, {"key": key}))
            elif outcome == "reject":
                comment = REJECT_COMMENT[_typed_language(company)]
                events.append(
                    _Event(at + 2 * _DAY, 2, "reject", company, {"key": key, "comment": comment, "by": "staff"})
                )
    if index % 4 == 0:
        reasons = GOODWILL[_typed_language(company)]
        memo, points = reasons[index % len(reasons)]
        at = now - relativedelta(months=rng.randint(2, 10)) + timedelta(hours=11)
        events.append(_Event(at, 0, "adjust", company, {"memo": memo, "points": points}))
    if story and story.newcomer:  # no reward orders or goodwill before it joined
        joined = story.joined_at(now)
        events = [event for event in events if event.at >= joined]
    return events


def _history_events(summary, companies, categories, *, now: datetime) -> list[_Event]:
    """The history's events in date order, with its purchases and credit notes created (in
    that order; earned and returned by the replay, at their dates)."""
    start = history_start(now)
    # What would happen after today (a return weeks after a recent purchase) has not happened yet:
    # the demo's history ends now, so no entry is dated in the future.
    events = sorted(
        event
        for index, company in enumerate(companies)
        for event in _company_events(index, company, categories, start, now)
        if event.at <= now
    )
    purchases: dict[tuple[int, int], Purchase] = {}
    for event in events:
        company = event.company
        if event.kind == "purchase":
            purchase = _purchase(company, event, categories)
            purchases[(company.pk, event.data["seq"])] = purchase
            event.data["purchase"] = purchase
            summary.count("purchases", True)
        elif event.kind == "return":
            original = purchases[(company.pk, event.data["seq"])]
            event.data["credit_note"] = Purchase.objects.create(
                company=company,
                source=DEMO_SOURCE,
                external_id=f"{original.external_id}-CR",
                occurred_at=event.at,
                net_amount=-(original.net_amount * Decimal("0.3")).quantize(Decimal("0.01")),
                currency=original.currency,
                original=original,
            )
            summary.count("returns", True)
    return events


def _replay_history(summary, companies, events: list[_Event], catalogue, *, now: datetime) -> None:
    """Run ``events`` (the history's and the other seeds' steps) in date order, each with
    ``now`` set to its own date, and the periodic jobs at their dates in between."""
    start = history_start(now)
    staff = (
        User.objects.filter(is_staff=True, groups__name=CLUB_ADMINS).order_by("pk").first()
        or User.objects.filter(is_staff=True).order_by("pk").first()
    )
    memberships = {
        (membership.company_id, membership.role): membership
        for membership in Membership.objects.filter(
            company__in=companies, role__in=[MembershipRole.PURCHASER, MembershipRole.ADMIN]
        ).select_related("user", "company")
    }
    orders: dict[tuple[int, str], Redemption] = {}
    next_release = start + timedelta(days=7)
    next_expiry = start + relativedelta(months=1)
    next_yearly = start.replace(month=1) + relativedelta(years=1)
    for event in sorted(events):  # by date (then order); a tie keeps the order listed
        # The periodic jobs that would have run before this moment.
        while next_release <= event.at:
            points_release_pending(now=next_release)
            next_release += timedelta(days=7)
        while next_expiry <= event.at:
            points_expire(now=next_expiry)
            next_expiry += relativedelta(months=1)
        while next_yearly <= event.at:
            tiers_evaluate_all(now=next_yearly, allow_downgrade=True)
            next_yearly += relativedelta(years=1)
        company = event.company
        if event.kind == "step":
            event.data["run"]()
        elif event.kind == "purchase":
            points_earn_for_purchase(purchase=event.data["purchase"], now=event.at)
        elif event.kind == "return":
            purchase_return(credit_note=event.data["credit_note"], now=event.at)
        elif event.kind == "order":
            redemption = _order(event, memberships, catalogue, now=now)
            if redemption is not None:
                orders[(company.pk, event.data["key"])] = redemption
                summary.count("redemptions", True)
        elif event.kind in ("approve", "reject", "cancel", "fulfil"):
            redemption = orders.get((company.pk, event.data["key"]))
            if redemption is not None:
                orders[(company.pk, event.data["key"])] = _follow_up(event, redemption, memberships, staff, now=now)
        elif event.kind == "adjust" and staff is not None:
            points_adjust(
                account=points_account_for_company(company=company),
                points=event.data["points"],
                reason=event.data["memo"],
                by=staff,
                key=f"demo:{company.external_id}" + (f":{event.data['key']}" if "key" in event.data else ""),
                now=event.at,
            )
            summary.count("adjustments", True)


def _purchase(company: Company, event: _Event, categories) -> Purchase:
    rng = random.Random(event.data["rng"])
    currency = company.purchase_currency
    amount = event.data["amount"]
    if currency == "EUR":
        amount = (amount / DEMO_SEK_PER_EUR).quantize(Decimal("0.01"))
    purchase = Purchase.objects.create(
        company=company,
        source=DEMO_SOURCE,
        external_id=f"{company.external_id}-{event.data['seq']:04d}",
        occurred_at=event.at,
        net_amount=amount,
        currency=currency,
    )
    chosen = rng.choices(categories, weights=[weight for _category, weight in categories], k=rng.randint(1, 3))
    left = purchase.net_amount
    lines = []
    for number, (category, _weight) in enumerate(chosen):
        last = number == len(chosen) - 1
        amount = left if last else (left * Decimal(rng.randint(25, 60)) / 100).quantize(Decimal("0.01"))
        left -= amount
        lines.append(
            PurchaseLine(
                purchase=purchase, sku=f"{category.code}-{rng.randint(100, 999)}", category=category, amount=amount
            )
        )
    PurchaseLine.objects.bulk_create(lines)
    return purchase


def _seed_approval_limits(companies: list[Company]) -> None:
    """Bergström and every other even-numbered company have purchasers' orders above 20 000
    points approved by a company admin."""
    admins = {
        membership.company_id: membership.user
        for membership in Membership.objects.filter(company__in=companies, role=MembershipRole.ADMIN).select_related(
            "user"
        )
    }
    for index, company in enumerate(companies):
        if index % 2 == 0 and company.pk in admins:
            approval_threshold_set(company=company, threshold=BERGSTROM_APPROVAL_LIMIT, by=admins[company.pk])


def _order(event: _Event, memberships, catalogue, *, now: datetime) -> Redemption | None:
    """Place one demo order through ``redemption_request``; None if a rule refuses it (not
    enough points yet, a limit, a tier): that company simply did not get it."""
    company = event.company
    role = MembershipRole.ADMIN if event.data["by"] == "admin" else MembershipRole.PURCHASER
    membership = memberships.get((company.pk, role))
    reward = catalogue.get(event.data["sku"])
    if membership is None or reward is None:
        return None
    try:
        redemption, _created = redemption_request(
            reward=reward,
            membership=membership,
            quantity=event.data["quantity"],
            request_key=f"demo-{company.external_id}-{event.data['key']}",
            delivery=DeliveryAddress.for_member(company=company, user=membership.user),
            note=event.data.get("note", ""),
            now=event.at,
            notify=now - event.at <= NOTIFY_WITHIN,
        )
    except RedemptionError:
        return None
    return redemption


def _follow_up(event: _Event, redemption: Redemption, memberships, staff, *, now: datetime) -> Redemption:
    """An approval, rejection, cancellation or fulfilment of a demo order, at its own moment."""
    company = event.company
    admin = memberships.get((company.pk, MembershipRole.ADMIN))
    notify = now - event.at <= NOTIFY_WITHIN
    data = event.data
    try:
        if event.kind == "approve":
            if redemption.status == RedemptionStatus.AWAITING_APPROVAL and admin is not None:
                redemption = redemption_approve(
                    redemption=redemption, by=admin.user, comment=data["comment"], now=event.at, notify=notify
                )
        elif event.kind == "reject":
            by = staff if data.get("by") == "staff" else (admin.user if admin else None)
            if by is not None:
                redemption = redemption_reject(
                    redemption=redemption, by=by, comment=data["comment"], now=event.at, notify=notify
                )
        elif event.kind == "cancel":
            redemption = redemption_cancel(
                redemption=redemption, by=redemption.requested_by, reason=data["reason"], now=event.at, notify=notify
            )
        elif event.kind == "fulfil" and staff is not None:
            redemption, _changed = redemption_fulfil(
                redemption=redemption,
                by=staff,
                tracking_reference=data.get("tracking", ""),
                note=data.get("note", ""),
                now=event.at,
                notify=notify,
            )
    except RedemptionError:
        pass  # e.g. a fulfilment of an order still waiting for approval: it stays as it is
    return redemption


def _seed_goals(companies: list[Company], catalogue) -> None:
    """Bergström saves for the espresso machine; a few others for the next reward they cannot
    afford yet."""
    purchasers = {
        membership.company_id: membership.user
        for membership in Membership.objects.filter(
            company__in=companies, role=MembershipRole.PURCHASER
        ).select_related("user")
    }
    balances = dict(PointsAccount.objects.filter(company__in=companies).values_list("company_id", "balance"))
    by_cost = sorted(catalogue.values(), key=lambda reward: reward.points_cost)
    for index, company in enumerate(companies):
        user = purchasers.get(company.pk)
        if user is None or (index != 0 and index % 5 != 2):
            continue
        if index == 0:
            goal = catalogue.get(BERGSTROM_GOAL)
        else:
            balance = balances.get(company.pk, 0)
            goal = next(
                (reward for reward in by_cost if reward.points_cost > balance and not reward.tier_required_id), None
            )
        if goal is not None:
            reward_goal_set(company=company, reward=goal, by=user)

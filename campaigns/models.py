"""Campaigns, activities and gamification.

A ``Campaign`` rewards an audience of member companies for a period, through its
``CampaignRule``s (a multiplier on purchases of chosen product categories, a fixed bonus for
the first purchase in the period or for a purchase above an amount) and through the
``Activity``s and ``Challenge``s linked to it, within a points budget.

When a campaign starts, its audience is frozen into ``CampaignMember`` rows. Each company is
either *treated* or in the *hold-out* group, decided by a stable hash of the campaign's
``holdout_seed`` and the company id (``campaigns.selectors.in_holdout``): the hold-out gets
nothing and sees nothing, so the results page can compare the two fixed groups before and
during the campaign. Freezing also keeps a "no purchase in 90 days" audience from dropping a
company at its first purchase.

Points always move through ``rewards.ledger.services``. Every point a campaign gives is recorded
here as a ``CampaignAward`` that links the ledger entry, and ``Campaign.points_awarded`` —
changed only under the campaign's row lock, taken after the points account's — never
exceeds ``points_budget`` (a CHECK constraint is the last guard).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rewards.bounds import PointsMaxValidator

# A campaign multiplier above this is a typo, not a promotion.
MAX_CAMPAIGN_MULTIPLIER = Decimal("5")
MAX_HOLDOUT_PERCENT = 50


def _new_holdout_seed() -> str:
    return secrets.token_hex(8)


def last_day_before(end: datetime) -> date:
    """The last day something that ends at ``end`` still runs, as members read it.

    Campaign, challenge and activity ends are exclusive moments (running means ``now <
    end``), so this is the local date of the last moment before ``end``: an end at local
    midnight on 1 January has 31 December as its last day; an end at 15:00 on 5 March has
    5 March. Every page that tells a member until when something runs shows this date,
    with "until" read as "up to and including"."""
    return timezone.localtime(end - timedelta(microseconds=1)).date()


# --- Audiences ---------------------------------------------------------------------------------


class Segment(models.Model):
    """A saved audience defined by buying behaviour, evaluated when a campaign starts.

    Every criterion that is set must hold: "no purchase in the last 90 days", "spent at
    least 50 000 in the last 365 days", or both.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    no_purchase_days = models.PositiveIntegerField(
        _("no purchase in the last … days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Companies that have not bought anything in this many days (win-back)."),
    )
    min_spend = models.DecimalField(
        _("spent at least"),
        max_digits=13,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "Net purchases in the spend period, credit notes deducted, in the base currency "
            "(other currencies at their reporting rate)."
        ),
    )
    max_spend = models.DecimalField(
        _("spent at most"),
        max_digits=13,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    spend_days = models.PositiveIntegerField(
        _("spend period (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3 * 365)],
        help_text=_("The period the spend criteria look back over; 365 days is the last year."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(no_purchase_days__isnull=False) | Q(min_spend__isnull=False) | Q(max_spend__isnull=False),
                name="campaigns_segment_has_a_criterion",
            ),
            models.CheckConstraint(
                condition=Q(min_spend__isnull=True) | Q(max_spend__isnull=True) | Q(min_spend__lte=F("max_spend")),
                name="campaigns_segment_spend_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.no_purchase_days is None and self.min_spend is None and self.max_spend is None:
            raise ValidationError(_("Give at least one criterion: days without a purchase, or a spend range."))
        if self.min_spend is not None and self.max_spend is not None and self.min_spend > self.max_spend:
            raise ValidationError({"max_spend": _("The upper spend limit must be at least the lower one.")})


class AudienceKind(models.TextChoices):
    ALL = "all", _("All member companies")
    TIERS = "tiers", _("Chosen tiers")
    COUNTRIES = "countries", _("Chosen countries")
    COMPANIES = "companies", _("Chosen companies")
    SEGMENT = "segment", _("A saved segment")


# --- Campaigns ---------------------------------------------------------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    ACTIVE = "active", _("Running")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """A planned promotion for an audience, a period and a points budget.

    Status moves draft → scheduled (``campaign_schedule``, by staff) → active → ended (by the
    beat task ``campaigns.tasks.advance_campaigns``, at ``starts_at`` and ``ends_at``), or to
    cancelled; only ``campaigns.services`` changes it. ``points_awarded`` is the sum of the
    campaign's ``CampaignAward`` points, moved only under this row's lock.
    """

    name = models.CharField(_("name"), max_length=120)
    headline = models.CharField(
        _("headline"), max_length=160, help_text=_("One line for the members' dashboard banner.")
    )
    description = models.TextField(_("description for members"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_campaigns",
        limit_choices_to={"is_staff": True},
        help_text=_("Receives the e-mail when the budget is used up."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, editable=False
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    audience_kind = models.CharField(
        _("audience"), max_length=12, choices=AudienceKind.choices, default=AudienceKind.ALL
    )
    tiers = models.ManyToManyField("rewards.Tier", verbose_name=_("tiers"), blank=True, related_name="+")
    countries = models.JSONField(_("countries"), default=list, blank=True)
    companies = models.ManyToManyField("members.Company", verbose_name=_("companies"), blank=True, related_name="+")
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out share (%)"),
        default=10,
        validators=[MaxValueValidator(MAX_HOLDOUT_PERCENT)],
        help_text=_(
            "This share of the audience, picked at random but always the same companies, gets nothing and "
            "sees nothing: the comparison group for the results."
        ),
    )
    holdout_seed = models.CharField(_("hold-out seed"), max_length=32, default=_new_holdout_seed, editable=False)

    points_budget = models.PositiveIntegerField(
        _("points budget"),
        validators=[MinValueValidator(1), PointsMaxValidator()],
        help_text=_("Awards stop when this many points have been given; the owner is told."),
    )
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0, editable=False)
    budget_alert_sent_at = models.DateTimeField(_("budget alert sent"), null=True, blank=True, editable=False)
    audience_size = models.PositiveIntegerField(_("audience size"), default=0, editable=False)
    holdout_size = models.PositiveIntegerField(_("hold-out size"), default=0, editable=False)
    audience_counted_at = models.DateTimeField(_("audience counted"), null=True, blank=True, editable=False)

    offer_page = models.ForeignKey(
        "cms.OfferPage",
        verbose_name=_("offer page"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Optional: the members-only offer page the banner links to."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["status", "starts_at"], name="campaigns_status_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaigns_campaign_ends_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=CampaignStatus.values), name="campaigns_campaign_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(audience_kind__in=AudienceKind.values), name="campaigns_campaign_audience_valid"
            ),
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=MAX_HOLDOUT_PERCENT), name="campaigns_campaign_holdout_share"
            ),
            models.CheckConstraint(condition=Q(points_budget__gte=1), name="campaigns_campaign_budget_positive"),
            # The budget is never exceeded, whatever races the services lose.
            models.CheckConstraint(
                condition=Q(points_awarded__lte=F("points_budget")), name="campaigns_campaign_within_budget"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def points_left(self) -> int:
        return max(0, self.points_budget - self.points_awarded)

    @property
    def budget_used_percent(self) -> int:
        return min(100, int(self.points_awarded * 100 / self.points_budget)) if self.points_budget else 0

    @property
    def is_running(self) -> bool:
        return self.status == CampaignStatus.ACTIVE

    @property
    def last_day(self) -> date:
        """The last day of the campaign (``last_day_before(ends_at)``)."""
        return last_day_before(self.ends_at)

    def is_editable(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


class RuleKind(models.TextChoices):
    MULTIPLIER = "multiplier", _("Points multiplier on purchases")
    FIRST_PURCHASE = "first_purchase", _("Bonus for the first purchase in the period")
    LARGE_PURCHASE = "large_purchase", _("Bonus for a purchase above an amount")


class CampaignRule(models.Model):
    """One mechanic of a campaign. See ``campaigns.earn`` for how it meets the earn rules.

    * multiplier: purchases in ``categories`` (none chosen: every purchase) earn
      ``multiplier`` times their points, tier bonus included;
    * first purchase: ``bonus_points`` once per company, for its first purchase recorded in
      the period;
    * large purchase: ``bonus_points`` for every purchase of at least ``min_amount``.
    """

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("mechanic"), max_length=16, choices=RuleKind.choices)
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For example 2 for double points. More than 1, at most 5."),
    )
    categories = models.ManyToManyField(
        "rewards.ProductCategory",
        verbose_name=_("product categories"),
        blank=True,
        related_name="+",
        help_text=_("The multiplier applies to these categories; none chosen: to every purchase."),
    )
    bonus_points = models.PositiveIntegerField(
        _("bonus points"), null=True, blank=True, validators=[PointsMaxValidator()]
    )
    min_amount = models.DecimalField(
        _("minimum purchase amount"), max_digits=13, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("campaign rule")
        verbose_name_plural = _("campaign rules")
        ordering = ["campaign", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RuleKind.values), name="campaigns_rule_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.MULTIPLIER) | Q(multiplier__gt=1, multiplier__lte=MAX_CAMPAIGN_MULTIPLIER),
                name="campaigns_rule_multiplier_range",
            ),
            models.CheckConstraint(
                condition=Q(kind=RuleKind.MULTIPLIER) | Q(bonus_points__gte=1), name="campaigns_rule_bonus_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.LARGE_PURCHASE) | Q(min_amount__gt=0),
                name="campaigns_rule_large_purchase_amount",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == RuleKind.MULTIPLIER:
            return _("×%(multiplier)s points") % {"multiplier": _plain(self.multiplier)}
        if self.kind == RuleKind.FIRST_PURCHASE:
            return _("%(points)s bonus points for the first purchase") % {"points": self.bonus_points}
        return _("%(points)s bonus points for purchases from %(amount)s") % {
            "points": self.bonus_points,
            "amount": _plain(self.min_amount),
        }


def _plain(value):
    if not isinstance(value, Decimal):
        return value
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class CampaignMember(models.Model):
    """A company in a started campaign's frozen audience, treated or in the hold-out group."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="members")
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    in_holdout = models.BooleanField(_("in the hold-out group"))
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "company"], name="campaigns_member_once_per_campaign")
        ]
        indexes = [models.Index(fields=["company", "in_holdout"], name="campaigns_member_company")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.company_id}{' (hold-out)' if self.in_holdout else ''}"


class CampaignEventKind(models.TextChoices):
    CREATED = "created", _("created")
    CHANGED = "changed", _("changed")
    SCHEDULED = "scheduled", _("scheduled")
    UNSCHEDULED = "unscheduled", _("back to draft")
    CANCELLED = "cancelled", _("cancelled")
    STARTED = "started", _("started")
    ENDED = "ended", _("ended")


class CampaignEvent(models.Model):
    """One step in a campaign's life: what happened, who did it, and what changed.

    Written by ``campaigns.services`` in the same transaction as the change, and never
    changed afterwards; the campaign's admin page lists them. ``actor`` is empty for what
    the beat task does (start, end). ``changes`` maps each changed field to
    ``[before, after]`` as text, so the trail stays readable after the field's choices or
    the related objects change.
    """

    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("what"), max_length=12, choices=CampaignEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CampaignEventKind.values), name="campaigns_campaignevent_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.kind}"


class AwardKind(models.TextChoices):
    MULTIPLIER = "multiplier", _("Purchase multiplier")
    FIRST_PURCHASE = "first_purchase", _("First purchase bonus")
    LARGE_PURCHASE = "large_purchase", _("Large purchase bonus")
    ACTIVITY = "activity", _("Activity")
    CHALLENGE = "challenge", _("Challenge")


class CampaignAward(models.Model):
    """Points a campaign gave a company, and the ledger entry that carries them.

    For a purchase, the points are part of the purchase's earn entry (pending, released and
    returned with it); for an activity or a challenge, the entry is the award itself. Written
    with the entry, in its transaction; the campaign's ``points_awarded`` moves by ``points``.
    """

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="awards")
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AwardKind.choices)
    points = models.PositiveIntegerField(_("points"))
    entry = models.ForeignKey(
        "rewards.LedgerEntry", verbose_name=_("ledger entry"), on_delete=models.PROTECT, related_name="+"
    )
    purchase = models.ForeignKey(
        "rewards.Purchase",
        verbose_name=_("purchase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign award")
        verbose_name_plural = _("campaign awards")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "company"], name="campaigns_award_company")]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=1), name="campaigns_award_points_positive"),
            models.CheckConstraint(condition=Q(kind__in=AwardKind.values), name="campaigns_award_kind_valid"),
            models.UniqueConstraint(fields=["campaign", "entry", "kind"], name="campaigns_award_once_per_entry"),
            # The first-purchase bonus is given once per company and campaign, whatever races.
            models.UniqueConstraint(
                fields=["campaign", "company"],
                condition=Q(kind="first_purchase"),
                name="campaigns_award_one_first_purchase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.points} ({self.kind})"


# --- Activities --------------------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    REVIEW = "review", _("Product review")
    SURVEY = "survey", _("Survey (NPS)")
    EVENT = "event", _("Event attendance")
    REFERRAL = "referral", _("Refer a company")
    PROFILE = "profile", _("Complete your profile")
    CUSTOM = "custom", _("Custom activity, confirmed by staff")


class ActivityScope(models.TextChoices):
    COMPANY = "company", _("Once per company")
    CONTACT = "contact", _("Once per contact")


DEFAULT_NPS_QUESTION = _("How likely is it that you would recommend us to a colleague or business partner?")


class Activity(models.Model):
    """Something a member does for points: review, survey, event, referral, profile, custom.

    Points are given once per company or once per contact (``scope``), through
    ``campaigns.services``; a referral gives its points for each company referred, when that
    company's first purchase arrives. An activity linked to a campaign is open only to the
    campaign's treated companies while it runs, and its points count against its budget.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description for members"), blank=True)
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1), PointsMaxValidator()])
    scope = models.CharField(_("awarded"), max_length=8, choices=ActivityScope.choices, default=ActivityScope.COMPANY)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        help_text=_("Optional: then only the campaign's audience sees it, while it runs, within its budget."),
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    is_published = models.BooleanField(_("open to members"), default=True)
    event = models.ForeignKey(
        "cms.EventPage",
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For event attendance: staff confirm attendance from its sign-ups."),
    )
    subject = models.CharField(
        _("product or range"), max_length=120, blank=True, help_text=_("For a review: what members review.")
    )
    question = models.CharField(_("question"), max_length=250, blank=True, help_text=_("For a survey."))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActivityKind.values), name="campaigns_activity_kind_valid"),
            models.CheckConstraint(condition=Q(points__gte=1), name="campaigns_activity_points_positive"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="campaigns_activity_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ActivityKind.EVENT) | Q(event__isnull=False), name="campaigns_activity_event_given"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.kind == ActivityKind.EVENT and not self.event_id:
            errors["event"] = _("Choose the event whose attendance earns the points.")
        if self.kind != ActivityKind.EVENT and self.event_id:
            errors["event"] = _("Only an event attendance activity has an event.")
        if self.kind == ActivityKind.REVIEW and not self.subject:
            errors["subject"] = _("Say which product or range members review.")
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The activity must close after it opens.")
        if errors:
            raise ValidationError(errors)

    @property
    def survey_question(self) -> str:
        return self.question or str(DEFAULT_NPS_QUESTION)

    @property
    def last_day(self) -> date | None:
        """The last day the activity is open (``last_day_before(closes_at)``); None if it never closes."""
        return last_day_before(self.closes_at) if self.closes_at else None


class CompletionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for confirmation")
    AWARDED = "awarded", _("Points awarded")
    REJECTED = "rejected", _("Not confirmed")


class ActivityCompletion(models.Model):
    """A company's (or a contact's) completion of an activity, with what they answered.

    ``scope_key`` names who may complete it once (``company:<id>``, ``user:<id>`` or, for a
    referral, ``referral:<id>``); a UNIQUE index over (activity, scope_key) for open and
    awarded completions makes a second completion impossible, and the ledger key
    ``activity:<activity id>:<scope_key>`` makes a second award impossible.
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="completions"
    )
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="activity_completions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activity_completions",
    )
    scope_key = models.CharField(_("once per"), max_length=40)
    status = models.CharField(_("status"), max_length=12, choices=CompletionStatus.choices)
    points = models.PositiveIntegerField(_("points"), default=0)
    entry = models.ForeignKey(
        "rewards.LedgerEntry",
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    score = models.PositiveSmallIntegerField(
        _("score (0–10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    text = models.TextField(_("text"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("completed"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("activity completion")
        verbose_name_plural = _("activity completions")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "status"], name="campaigns_compl_company"),
            models.Index(fields=["activity", "status"], name="campaigns_compl_activity"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "scope_key"],
                condition=Q(status__in=["submitted", "awarded"]),
                name="campaigns_completion_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CompletionStatus.values), name="campaigns_completion_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=10), name="campaigns_completion_score_range"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="campaigns_completion_rating_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="awarded") | Q(entry__isnull=False), name="campaigns_completion_awarded_has_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} – {self.company}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for their first purchase")
    REWARDED = "rewarded", _("Points awarded")
    DECLINED = "declined", _("Declined by staff")


class Referral(models.Model):
    """A member's recommendation of another company, rewarded at that company's first purchase.

    The referred company is recognised by country and organisation number (normalised like
    ``Company.org_number``); a company can be referred once while a referral is open or
    rewarded (UNIQUE), so two members cannot both be paid for it.
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="referrals"
    )
    referrer = models.ForeignKey(
        "members.Company", verbose_name=_("referred by"), on_delete=models.CASCADE, related_name="referrals_made"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    company_name = models.CharField(_("company name"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    org_number = models.CharField(_("organisation number"), max_length=20)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    referred_company = models.ForeignKey(
        "members.Company",
        verbose_name=_("company that joined"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    completion = models.OneToOneField(
        ActivityCompletion,
        verbose_name=_("award"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral",
    )
    created_at = models.DateTimeField(_("referred"), default=timezone.now)
    rewarded_at = models.DateTimeField(_("rewarded"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "org_number"],
                condition=Q(status__in=["pending", "rewarded"]),
                name="campaigns_referral_once_per_company",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="campaigns_referral_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["country", "org_number", "status"], name="campaigns_referral_lookup")]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.org_number})"


# --- Challenges, badges, leaderboard ----------------------------------------------------------


class BadgeIcon(models.TextChoices):
    AWARD = "award", _("Rosette")
    TROPHY = "trophy", _("Trophy")
    STAR = "star-fill", _("Star")
    LIGHTNING = "lightning-charge-fill", _("Lightning")
    ROCKET = "rocket-takeoff", _("Rocket")
    HEART = "heart-fill", _("Heart")
    GEM = "gem", _("Gem")
    FLAG = "flag-fill", _("Flag")


class Badge(models.Model):
    """A distinction a company earns by completing a challenge; shown on its company page."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    icon = models.CharField(_("icon"), max_length=32, choices=BadgeIcon.choices, default=BadgeIcon.AWARD)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#b8962e",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give a colour like #b8962e."))],
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChallengeGoal(models.TextChoices):
    CATEGORIES = "categories", _("Buy from a number of product categories")
    PURCHASES = "purchases", _("Make a number of purchases")
    SPEND = "spend", _("Spend at least an amount")
    ACTIVITIES = "activities", _("Complete a number of activities")


class Challenge(models.Model):
    """A multi-step goal for a company within a period, e.g. "buy from 3 categories this quarter".

    Progress is read live from purchases and activities (``campaigns.selectors``); the beat
    task ``campaigns.tasks.evaluate_challenges`` records each company's completion once
    (UNIQUE), with its points and its badge.
    """

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description for members"), blank=True)
    goal = models.CharField(_("goal"), max_length=12, choices=ChallengeGoal.choices)
    target = models.PositiveIntegerField(
        _("target"), validators=[MinValueValidator(1)], help_text=_("How many, or for spend the amount.")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    points = models.PositiveIntegerField(_("points on completion"), default=0, validators=[PointsMaxValidator()])
    badge = models.ForeignKey(
        Badge, verbose_name=_("badge"), on_delete=models.PROTECT, null=True, blank=True, related_name="challenges"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="challenges",
        help_text=_("Optional: then only the campaign's audience takes part, and its points count against the budget."),
    )
    is_published = models.BooleanField(_("open to members"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["ends_at", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="campaigns_challenge_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(goal__in=ChallengeGoal.values), name="campaigns_challenge_goal_valid"),
            models.CheckConstraint(condition=Q(target__gte=1), name="campaigns_challenge_target_positive"),
            models.CheckConstraint(
                condition=Q(points__gte=1) | Q(badge__isnull=False), name="campaigns_challenge_rewards_something"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The challenge must end after it starts.")
        if not self.points and not self.badge_id:
            errors["points"] = _("Give points, a badge, or both.")
        if errors:
            raise ValidationError(errors)

    @property
    def last_day(self) -> date:
        """The last day of the challenge (``last_day_before(ends_at)``)."""
        return last_day_before(self.ends_at)


class ChallengeCompletion(models.Model):
    """A company's completion of a challenge, recorded once, with the entry of its points."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.PROTECT, related_name="completions"
    )
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="challenge_completions"
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    entry = models.ForeignKey(
        "rewards.LedgerEntry",
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)

    class Meta:
        verbose_name = _("challenge completion")
        verbose_name_plural = _("challenge completions")
        ordering = ["-completed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "company"], name="campaigns_challenge_completed_once")
        ]

    def __str__(self) -> str:
        return f"{self.challenge} – {self.company}"


class BadgeAward(models.Model):
    """A badge a company holds; at most once per badge (UNIQUE)."""

    badge = models.ForeignKey(Badge, verbose_name=_("badge"), on_delete=models.PROTECT, related_name="awards")
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="badge_awards"
    )
    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    awarded_at = models.DateTimeField(_("awarded"), default=timezone.now)

    class Meta:
        verbose_name = _("badge award")
        verbose_name_plural = _("badge awards")
        ordering = ["-awarded_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["badge", "company"], name="campaigns_badge_once_per_company")]

    def __str__(self) -> str:
        return f"{self.badge} – {self.company}"


class LeaderboardOptIn(models.Model):
    """A company that chose to appear on the leaderboard of its tier (a company admin's choice)."""

    company = models.OneToOneField(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="leaderboard_opt_in"
    )
    opted_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opted_in_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("leaderboard opt-in")
        verbose_name_plural = _("leaderboard opt-ins")

    def __str__(self) -> str:
        return str(self.company_id)

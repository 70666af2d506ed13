"""Writes for campaigns, activities and gamification.

Lock order, everywhere: a company's points account row first (``rewards.ledger.services
.points_account_lock``), then the row this module guards — an activity completion, a
referral, a campaign (for its budget). No function here locks a campaign and then an
account. A status change locks only its campaign.

Points move only through ``rewards.ledger.services``: purchases' campaign points inside their earn
(``campaigns.earn``), everything else through ``points_award`` with a key that makes a
second award impossible (``activity:<id>:<who>``, ``challenge:<id>:company:<id>``). A
broken rule raises ``CampaignError`` with a message for the person, and nothing is written.
Side effects (members' notifications, the owner's budget e-mail) happen after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cms.models import EventRegistration, RegistrationStatus
from core.content_language import languages as content_languages
from core.content_language import translations_of
from core.mail import send_branded_mail
from core.texts import StoredText
from members.languages import person_language
from members.models import Company, CompanyStatus, Membership, User
from members.selectors import company_contacts, member_contacts
from members.validators import validate_org_number
from notifications.models import NotificationKind
from notifications.services import notifications_send
from outbox.services import outbox_enqueue
from rewards.ledger.notices import points_with_value_param
from rewards.ledger.services import LedgerError, points_account_lock, points_award
from rewards.models import ProgrammeRules, Purchase

from . import texts
from .earn import EARNING_STATUSES, LATE_PURCHASE_DAYS, budget_take
from .models import (
    MAX_CAMPAIGN_MULTIPLIER,
    Activity,
    ActivityCompletion,
    ActivityKind,
    AwardKind,
    BadgeAward,
    Campaign,
    CampaignAward,
    CampaignEvent,
    CampaignEventKind,
    CampaignMember,
    CampaignStatus,
    Challenge,
    ChallengeCompletion,
    CompletionStatus,
    LeaderboardOptIn,
    Referral,
    ReferralStatus,
    RuleKind,
)
from .selectors import (
    activity_for_member,
    audience_split,
    campaign_audience,
    challenge_progress,
    profile_completeness,
    scope_key_for,
)


class CampaignError(Exception):
    """A campaign or activity rule was broken; the message is meant for the person who tried."""


REVIEW_MIN_LENGTH = 20
TEXT_MAX_LENGTH = 2000


# --- Rules: what may run together ------------------------------------------------------------------


def rule_errors(rules: Iterable[tuple[str, Decimal | None, int | None, Decimal | None, set[int]]]) -> list[str]:
    """What is wrong with one campaign's rules, as messages; empty when they are fine.

    ``rules`` are ``(kind, multiplier, bonus_points, min_amount, category ids)``. A
    multiplier is more than 1 and at most ``MAX_CAMPAIGN_MULTIPLIER``; two rules that would
    reward the same purchase twice are refused: two multipliers sharing a category (or one
    of them on every category), or two bonuses of the same kind.
    """
    errors = []
    multipliers: list[set[int]] = []
    seen_bonus: set[str] = set()
    for kind, multiplier, bonus_points, min_amount, categories in rules:
        if kind == RuleKind.MULTIPLIER:
            if multiplier is None:
                errors.append(_("Give the multiplier, for example 2 for double points."))
            elif multiplier <= 1:
                errors.append(
                    _("A campaign multiplier must be more than 1 (1 changes nothing; below 1 takes points away).")
                )
            elif multiplier > MAX_CAMPAIGN_MULTIPLIER:
                errors.append(
                    _("A campaign multiplier of %(multiplier)s is too high; at most %(max)s is allowed.")
                    % {"multiplier": multiplier, "max": MAX_CAMPAIGN_MULTIPLIER}
                )
            for other in multipliers:
                if not other or not categories or other & categories:
                    errors.append(
                        _(
                            "Two multipliers cover the same purchases (a multiplier without categories covers "
                            "them all); a purchase would be multiplied twice. Give each its own categories."
                        )
                    )
                    break
            multipliers.append(set(categories))
        else:
            if not bonus_points:
                errors.append(_("Give the bonus points of each bonus rule."))
            if kind == RuleKind.LARGE_PURCHASE and (min_amount is None or min_amount <= 0):
                errors.append(_("Give the purchase amount from which the bonus is given."))
            if kind in seen_bonus:
                errors.append(
                    _("Only one rule of each bonus kind per campaign: two would give the same purchase two bonuses.")
                )
            seen_bonus.add(kind)
    return list(dict.fromkeys(errors))


def _rule_tuples(campaign: Campaign):
    return [
        (
            rule.kind,
            rule.multiplier,
            rule.bonus_points,
            rule.min_amount,
            {category.pk for category in rule.categories.all()},
        )
        for rule in campaign.rules.prefetch_related("categories")
    ]


def _rules_overlap(mine, theirs) -> str | None:
    """The kind of reward two campaigns would both give the same purchase, or None."""
    for kind, _m, _b, _a, categories in mine:
        for other_kind, _om, _ob, _oa, other_categories in theirs:
            if kind != other_kind:
                continue
            if kind != RuleKind.MULTIPLIER or not categories or not other_categories or categories & other_categories:
                return kind
    return None


def campaign_overlaps(campaign: Campaign, *, now: datetime) -> list[str]:
    """Messages about other scheduled or running campaigns that would reward the same purchases
    of the same companies in the same period as ``campaign``: same kind of rule, overlapping
    categories (for multipliers), overlapping dates, shared audience. Empty when none."""
    mine = _rule_tuples(campaign)
    if not mine:
        return []
    others = (
        Campaign.objects.filter(
            status__in=[CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE],
            starts_at__lt=campaign.ends_at,
            ends_at__gt=campaign.starts_at,
        )
        .exclude(pk=campaign.pk)
        .order_by("starts_at")
    )
    messages = []
    my_companies = None
    for other in others:
        kind = _rules_overlap(mine, _rule_tuples(other))
        if kind is None:
            continue
        if my_companies is None:
            my_companies = set(campaign_audience(campaign, now=now).values_list("pk", flat=True))
        if other.status == CampaignStatus.ACTIVE:
            theirs = set(other.members.filter(in_holdout=False).values_list("company_id", flat=True))
        else:
            theirs = set(campaign_audience(other, now=now).values_list("pk", flat=True))
        shared = len(my_companies & theirs)
        if shared:
            messages.append(
                _(
                    "“%(other)s” already gives a %(rule)s to %(count)s of the same companies between %(start)s and "
                    "%(end)s: their purchases would be rewarded twice. Change the dates, the audience or the categories."
                )
                % {
                    "other": other.name,
                    "rule": RuleKind(kind).label.lower(),
                    "count": shared,
                    "start": formats.date_format(timezone.localtime(other.starts_at), "SHORT_DATE_FORMAT"),
                    "end": formats.date_format(other.last_day, "SHORT_DATE_FORMAT"),
                }
            )
    return messages


# --- Campaign lifecycle ----------------------------------------------------------------------------


def _locked_campaign(campaign_id: int) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign_id)


def _as_text(value) -> str | list[str]:
    """A field value as the audit trail keeps it, readable and stable if the object changes
    later: text, or a sorted list of texts for a choice of several objects."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, list | tuple | set):
        return sorted(str(_as_text(item)) for item in value)
    return str(value)


def campaign_event_record(
    *, campaign: Campaign, kind: str, by: User | None, changes: dict | None = None
) -> CampaignEvent:
    """Add a step to the campaign's audit trail. Call it inside the transaction that makes the
    change, so the trail holds exactly what was committed. ``changes`` maps a field name to
    ``(before, after)``; values are stored as text (lists of texts for several objects)."""
    return CampaignEvent.objects.create(
        campaign=campaign,
        kind=kind,
        actor=by,
        changes={name: [_as_text(before), _as_text(after)] for name, (before, after) in (changes or {}).items()},
        created_at=timezone.now(),  # when it was done, also for a step the beat runs late
    )


def campaign_related_changed(*, campaign: Campaign, changes: dict, by: User) -> CampaignEvent:
    """Record a change the admin's forms made to a campaign's chosen tiers or companies, rules
    or activities (saved by those forms, in the admin's transaction)."""
    return campaign_event_record(campaign=campaign, kind=CampaignEventKind.CHANGED, by=by, changes=changes)


def campaign_create(*, campaign: Campaign, by: User) -> Campaign:
    """Save a new draft campaign and record who created it."""
    with transaction.atomic():
        campaign.status = CampaignStatus.DRAFT
        campaign.save()
        campaign_event_record(campaign=campaign, kind=CampaignEventKind.CREATED, by=by)
    return campaign


def campaign_audience_refresh(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """Count the audience and hold-out a campaign that has not started would have now, and
    store the estimate for the staff list. A started campaign keeps its frozen counts."""
    now = now or timezone.now()
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        return campaign
    ids = list(campaign_audience(campaign, now=now).values_list("pk", flat=True))
    _treated, holdout = audience_split(campaign, ids)
    Campaign.objects.filter(pk=campaign.pk, status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]).update(
        audience_size=len(ids), holdout_size=len(holdout), audience_counted_at=now
    )
    campaign.audience_size, campaign.holdout_size, campaign.audience_counted_at = len(ids), len(holdout), now
    return campaign


# Fields staff may still change once a campaign is scheduled or running; the rest (dates
# aside from a later end, audience, hold-out, rules) is the plan the results are measured by.
LIVE_EDITABLE_FIELDS = ("name", "headline", "description", "owner", "points_budget", "ends_at", "offer_page")
# The texts members read, kept per language (campaigns/translation.py): each language's
# column may change when the field may.
LIVE_EDITABLE_TEXTS = ("name", "headline", "description")


def campaign_editable_fields(campaign: Campaign) -> tuple[str, ...] | None:
    """The fields staff may change now: all (None) for a draft, ``LIVE_EDITABLE_FIELDS`` once
    scheduled or running, none once ended or cancelled."""
    if campaign.status == CampaignStatus.DRAFT:
        return None
    if campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE):
        return LIVE_EDITABLE_FIELDS + tuple(
            f"{name}_{language}" for name in LIVE_EDITABLE_TEXTS for language in content_languages()
        )
    return ()


def campaign_update(*, campaign_id: int, changes: dict, by: User, now: datetime | None = None) -> Campaign:
    """Save staff's changes to a campaign's own fields, locking its row so a concurrent award's
    ``points_awarded`` (and the status the beat task moves) is never overwritten: only the
    changed fields are written. Refused: fields the status no longer allows, a budget below
    what was given, an end that is not after the start (or, once scheduled, in the past or
    rewarding the same purchases as another campaign)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        allowed = campaign_editable_fields(campaign)
        if allowed is not None:
            refused = sorted(set(changes) - set(allowed))
            if refused:
                names = [str(Campaign._meta.get_field(name).verbose_name) for name in refused]
                raise CampaignError(
                    _("A %(status)s campaign's %(fields)s can no longer be changed.")
                    % {"status": campaign.get_status_display().lower(), "fields": ", ".join(names)}
                )
        before = {name: getattr(campaign, name) for name in changes}
        for name, value in changes.items():
            setattr(campaign, name, value)
        if campaign.ends_at <= campaign.starts_at:
            raise CampaignError(_("The campaign must end after it starts."))
        if campaign.points_budget < campaign.points_awarded:
            raise CampaignError(
                _("%(awarded)s points have already been given; the budget cannot be lower.")
                % {"awarded": campaign.points_awarded}
            )
        if allowed is not None and "ends_at" in changes:
            if campaign.ends_at <= now:
                raise CampaignError(_("The new end must be in the future."))
            overlaps = campaign_overlaps(campaign, now=now)
            if overlaps:
                raise CampaignError(" ".join(overlaps))
        fields = list(changes)
        if "points_budget" in changes and campaign.points_left > 0 and campaign.budget_alert_sent_at is not None:
            # More budget: the owner is told again when this one is used up too.
            campaign.budget_alert_sent_at = None
            fields.append("budget_alert_sent_at")
        if fields:
            campaign.save(update_fields=fields)
        changed = {name: (before[name], value) for name, value in changes.items() if before[name] != value}
        if changed:
            campaign_event_record(campaign=campaign, kind=CampaignEventKind.CHANGED, by=by, changes=changed)
    return campaign


def campaign_schedule_errors(campaign: Campaign, *, now: datetime) -> list[str]:
    """Why ``campaign`` cannot be scheduled now, as messages (empty: it can)."""
    errors = []
    if campaign.ends_at <= campaign.starts_at:
        errors.append(_("The campaign must end after it starts."))
    if campaign.ends_at <= now:
        errors.append(_("The campaign's end is in the past."))
    rules = _rule_tuples(campaign)
    errors += rule_errors(rules)
    if not rules and not campaign.activities.exists() and not campaign.challenges.exists():
        errors.append(_("Give the campaign at least one rule, activity or challenge before scheduling it."))
    audience = campaign_audience(campaign, now=now).count()
    if not audience:
        errors.append(_("The audience is empty: no active member company matches it."))
    errors += campaign_overlaps(campaign, now=now)
    return errors


def campaign_schedule(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Draft → scheduled: the beat task starts it at ``starts_at``. Refused with every reason
    at once (dates, rules, an empty audience, another campaign rewarding the same purchases)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _locked_campaign(campaign.pk)
        if campaign.status != CampaignStatus.DRAFT:
            raise CampaignError(_("Only a draft campaign can be scheduled."))
        errors = campaign_schedule_errors(campaign, now=now)
        if errors:
            raise CampaignError(" ".join(errors))
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status"])
        campaign_audience_refresh(campaign=campaign, now=now)
        campaign_event_record(campaign=campaign, kind=CampaignEventKind.SCHEDULED, by=by)
    return campaign


def campaign_unschedule(*, campaign: Campaign, by: User) -> Campaign:
    """Scheduled → draft, to change it; only before it started."""
    with transaction.atomic():
        campaign = _locked_campaign(campaign.pk)
        if campaign.status != CampaignStatus.SCHEDULED:
            raise CampaignError(_("Only a scheduled campaign that has not started can go back to draft."))
        campaign.status = CampaignStatus.DRAFT
        campaign.save(update_fields=["status"])
        campaign_event_record(campaign=campaign, kind=CampaignEventKind.UNSCHEDULED, by=by)
    return campaign


def campaign_cancel(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Draft, scheduled or running → cancelled. A running campaign stops rewarding at once;
    points already given stay with the companies (a correction is a reversal in rewards)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _locked_campaign(campaign.pk)
        if campaign.status in (CampaignStatus.ENDED, CampaignStatus.CANCELLED):
            raise CampaignError(_("An ended or cancelled campaign cannot be cancelled."))
        campaign.status = CampaignStatus.CANCELLED
        campaign.cancelled_at = now
        campaign.save(update_fields=["status", "cancelled_at"])
        campaign_event_record(campaign=campaign, kind=CampaignEventKind.CANCELLED, by=by)
    return campaign


def campaign_start(*, campaign_id: int, now: datetime) -> bool:
    """Start a scheduled campaign whose start has come: freeze its audience into
    ``CampaignMember`` rows, each treated or held out (``selectors.in_holdout``), and make it
    active. Returns whether it started; a second call (or a concurrent one, which waits for
    the row lock) changes nothing."""
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        if campaign.status != CampaignStatus.SCHEDULED or campaign.starts_at > now:
            return False
        ids = list(campaign_audience(campaign, now=now).order_by("pk").values_list("pk", flat=True))
        treated, holdout = audience_split(campaign, ids)
        CampaignMember.objects.bulk_create(
            [CampaignMember(campaign=campaign, company_id=pk, in_holdout=False, added_at=now) for pk in treated]
            + [CampaignMember(campaign=campaign, company_id=pk, in_holdout=True, added_at=now) for pk in holdout],
            batch_size=2000,
            ignore_conflicts=True,
        )
        campaign.status = CampaignStatus.ACTIVE
        campaign.started_at = now
        campaign.audience_size, campaign.holdout_size, campaign.audience_counted_at = len(ids), len(holdout), now
        campaign.save(update_fields=["status", "started_at", "audience_size", "holdout_size", "audience_counted_at"])
        campaign_event_record(campaign=campaign, kind=CampaignEventKind.STARTED, by=None)
        from .tasks import announce_campaign  # lazy: the tasks import this module

        outbox_enqueue(announce_campaign, campaign.pk)
    return True


def campaign_announce(*, campaign_id: int, now: datetime | None = None) -> int:
    """Tell the treated companies' contacts that a campaign they are in has started: in the
    portal and by e-mail (as each person prefers), linking to the campaign's page. The
    hold-out group hears nothing, as it sees nothing. Once per campaign and person (key
    ``campaign:<id>:started``), so a second run notifies nobody; nothing for a campaign that
    is no longer running (also one that was started and ended in the same beat run).
    Returns the notices (new or not)."""
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.ACTIVE, ends_at__gt=now).first()
    if campaign is None:
        return 0
    people = member_contacts(
        companies=Company.objects.filter(
            campaign_memberships__campaign=campaign, campaign_memberships__in_holdout=False
        )
    )
    notices = notifications_send(
        users=people.iterator(chunk_size=1000),
        kind=NotificationKind.ACTIVITY,
        key=f"campaign:{campaign.pk}:started",
        title=StoredText(texts.CAMPAIGN_STARTED, {"campaign": translations_of(campaign, "name")}),
        body=StoredText(texts.CAMPAIGN_HEADLINE, {"headline": translations_of(campaign, "headline")})
        if campaign.headline
        else None,
        url=reverse("campaigns:campaign", args=[campaign.pk]),
    )
    return len(notices)


def campaign_end(*, campaign_id: int, now: datetime) -> bool:
    """End a running campaign whose end has come. Returns whether it ended; idempotent."""
    with transaction.atomic():
        campaign = _locked_campaign(campaign_id)
        if campaign.status != CampaignStatus.ACTIVE or campaign.ends_at > now:
            return False
        campaign.status = CampaignStatus.ENDED
        campaign.ended_at = now
        campaign.save(update_fields=["status", "ended_at"])
        campaign_event_record(campaign=campaign, kind=CampaignEventKind.ENDED, by=None)
    return True


def campaigns_start_due(*, now: datetime) -> int:
    """Start every scheduled campaign whose start has come (``campaign_start``, one short
    transaction each); returns how many started. Also called before each chunk of a CSV
    import, so purchases in a campaign's first minute are not imported without it."""
    return sum(
        campaign_start(campaign_id=pk, now=now)
        for pk in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, starts_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def campaigns_advance(*, now: datetime) -> tuple[int, int]:
    """Start every scheduled campaign whose start has come and end every running one whose
    end has come (a campaign missed entirely is started, then ended, in the same run).
    One short transaction per campaign. Returns ``(started, ended)``; safe to run twice."""
    started = campaigns_start_due(now=now)
    ended = sum(
        campaign_end(campaign_id=pk, now=now)
        for pk in Campaign.objects.filter(status=CampaignStatus.ACTIVE, ends_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return started, ended


def budget_alert_send(*, campaign_id: int, now: datetime | None = None) -> bool:
    """E-mail the owner that the campaign's budget is used up; at most once (the row is
    locked and ``budget_alert_sent_at`` set in the same transaction). Returns whether sent."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related("owner").get(pk=campaign_id)
        if campaign.budget_alert_sent_at is not None or campaign.points_awarded < campaign.points_budget:
            return False
        owner = campaign.owner
        if owner.email and owner.is_active:
            send_branded_mail(
                template="campaigns/email/budget_spent",
                to=owner.email,
                context={
                    "campaign": campaign,
                    "owner": owner,
                    "admin_url": settings.SITE_URL + reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
                    "results_url": settings.SITE_URL + reverse("admin:campaigns_campaign_results", args=[campaign.pk]),
                },
                language=person_language(owner),
            )
        campaign.budget_alert_sent_at = now
        campaign.save(update_fields=["budget_alert_sent_at"])
    return True


# --- Awards: points within a campaign's budget ----------------------------------------------------------


def _award(
    *,
    company_id: int,
    campaign_id: int | None,
    points: int,
    key: str,
    memo: StoredText,
    kind: str,
    by: User | None,
    now: datetime,
):
    """Give ``points`` to the company, counted against the campaign's budget when there is
    one: all of them or none (``CampaignError`` when the budget cannot cover them). The
    caller is in a transaction and already holds the company's account lock; the campaign
    row is locked here, after it. Returns the ledger entry."""
    points_account_lock(company_id=company_id)
    campaign = None
    if campaign_id is not None:
        campaign = _locked_campaign(campaign_id)
        if campaign.status not in EARNING_STATUSES:
            raise CampaignError(_("The campaign “%(campaign)s” is not running.") % {"campaign": campaign.name})
        if campaign.points_left < points:
            raise CampaignError(
                _("The points budget of “%(campaign)s” is used up, so these points cannot be given.")
                % {"campaign": campaign.name}
            )
    try:
        entry, created = points_award(company_id=company_id, points=points, key=key, memo=memo, by=by, now=now)
    except LedgerError as exc:
        raise CampaignError(str(exc)) from exc
    if created and campaign is not None:
        CampaignAward.objects.create(
            campaign=campaign, company_id=company_id, kind=kind, points=points, entry=entry, created_at=now
        )
        budget_take(campaign, points)
    return entry


def _notify_award(*, company_id: int, key: str, title: StoredText, users: list[User] | None = None) -> None:
    """Tell the company's contacts (or ``users``) about points they received, in the award's
    transaction: the notices commit with the points or not at all, and their e-mails are
    queued through the outbox (``notifications_send``), so nothing is lost after the commit."""
    notifications_send(
        users=users if users is not None else company_contacts(company_id=company_id),
        kind=NotificationKind.ACTIVITY,
        key=key,
        title=title,
        url=reverse("campaigns:activities"),
    )


def _activity_memo(activity: Activity) -> StoredText:
    return StoredText(texts.ACTIVITY, {"kind": activity.kind, "title": translations_of(activity, "title")})


def _complete_and_award(completion: ActivityCompletion, *, by: User | None, now: datetime) -> ActivityCompletion:
    """Award the completion's activity points and mark it awarded. Caller holds the account lock."""
    activity = completion.activity
    entry = _award(
        company_id=completion.company_id,
        campaign_id=activity.campaign_id,
        points=activity.points,
        key=f"activity:{activity.pk}:{completion.scope_key}",
        memo=_activity_memo(activity),
        kind=AwardKind.ACTIVITY,
        by=by,
        now=now,
    )
    completion.status = CompletionStatus.AWARDED
    completion.points = activity.points
    completion.entry = entry
    completion.decided_by = by
    completion.decided_at = now
    completion.save(update_fields=["status", "points", "entry", "decided_by", "decided_at"])
    _notify_award(
        company_id=completion.company_id,
        key=f"activity:{activity.pk}:{completion.scope_key}",
        title=StoredText(
            texts.ACTIVITY_AWARDED,
            {
                "points": points_with_value_param(
                    activity.points, ProgrammeRules.current().base.for_company(completion.company)
                ),
                "activity": translations_of(activity, "title"),
            },
        ),
        users=[completion.user] if completion.user_id and activity.scope == "contact" else None,
    )
    return completion


def _check_answer(activity: Activity, *, user: User, rating, score, text: str) -> str:
    text = (text or "").strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise CampaignError(_("Keep it to %(max)s characters.") % {"max": TEXT_MAX_LENGTH})
    if activity.kind == ActivityKind.REVIEW:
        if rating is None or not 1 <= int(rating) <= 5:
            raise CampaignError(_("Give the product 1 to 5 stars."))
        if len(text) < REVIEW_MIN_LENGTH:
            raise CampaignError(
                _("Write at least %(min)s characters about the product: what it is good at, what not.")
                % {"min": REVIEW_MIN_LENGTH}
            )
    elif activity.kind == ActivityKind.SURVEY:
        if score is None or isinstance(score, bool) or not 0 <= int(score) <= 10:
            raise CampaignError(_("Choose a score from 0 to 10."))
    elif activity.kind == ActivityKind.PROFILE:
        _filled, _total, missing = profile_completeness(user)
        if missing:
            labels = [str(User._meta.get_field(name).verbose_name) for name in missing]
            raise CampaignError(
                _("Your profile still lacks: %(fields)s. Fill it in on your profile page first.")
                % {"fields": ", ".join(labels)}
            )
    elif activity.kind == ActivityKind.CUSTOM:
        if not text:
            raise CampaignError(_("Tell us briefly what you did, so staff can confirm it."))
    else:
        raise CampaignError(_("This activity is confirmed by staff; there is nothing to fill in."))
    return text


def activity_complete(
    *,
    activity_id: int,
    user: User,
    rating: int | None = None,
    score: int | None = None,
    text: str = "",
    now: datetime | None = None,
) -> tuple[ActivityCompletion, bool]:
    """A contact completes an activity for their company: a review (1–5 stars and a text), a
    survey (an NPS score 0–10 and a comment), their completed profile, or a custom activity
    (a note for staff, who confirm it: ``activity_confirm``).

    Returns ``(completion, created)``. Once per company or per contact as the activity says:
    completing it again returns the first completion with ``created=False`` and awards
    nothing, also when two contacts race (the account lock serialises them, the UNIQUE
    index of ``ActivityCompletion`` and the ledger key back it). Refused with
    ``CampaignError`` when the activity is not open to the person's company (closed, the
    hold-out, budget used up) or the answer is incomplete; then nothing is written.
    """
    now = now or timezone.now()
    membership = Membership.objects.select_related("company").filter(user=user).first()
    if membership is None or membership.company.status != CompanyStatus.ACTIVE:
        raise CampaignError(_("Activities are for contacts of member companies."))
    company = membership.company
    activity = activity_for_member(company=company, activity_id=activity_id, now=now)
    if activity is None:
        raise CampaignError(_("This activity is not open to your company."))
    text = _check_answer(activity, user=user, rating=rating, score=score, text=text)
    scope_key = scope_key_for(activity, company_id=company.pk, user_id=user.pk)
    open_statuses = [CompletionStatus.SUBMITTED, CompletionStatus.AWARDED]
    with transaction.atomic():
        points_account_lock(company_id=company.pk)
        existing = ActivityCompletion.objects.filter(
            activity=activity, scope_key=scope_key, status__in=open_statuses
        ).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                completion = ActivityCompletion.objects.create(
                    activity=activity,
                    company=company,
                    user=user,
                    scope_key=scope_key,
                    status=CompletionStatus.SUBMITTED,
                    rating=int(rating) if activity.kind == ActivityKind.REVIEW else None,
                    score=int(score) if activity.kind == ActivityKind.SURVEY else None,
                    text=text,
                    created_at=now,
                )
        except IntegrityError:  # a double submit that slipped past the lock (SQLite has none)
            return ActivityCompletion.objects.get(
                activity=activity, scope_key=scope_key, status__in=open_statuses
            ), False
        if activity.kind != ActivityKind.CUSTOM:
            _complete_and_award(completion, by=None, now=now)
    return completion, True


def _lock_completion(completion_id: int) -> ActivityCompletion:
    company_id = ActivityCompletion.objects.values_list("company_id", flat=True).get(pk=completion_id)
    points_account_lock(company_id=company_id)
    return ActivityCompletion.objects.select_for_update(of=("self",)).select_related("activity").get(pk=completion_id)


def activity_confirm(*, completion_id: int, by: User, now: datetime | None = None) -> ActivityCompletion:
    """Staff confirm a submitted custom activity: its points are awarded (within the
    campaign's budget). Confirming an awarded one again changes nothing."""
    if not by.is_staff:
        raise CampaignError(_("Only staff can confirm activities."))
    now = now or timezone.now()
    with transaction.atomic():
        completion = _lock_completion(completion_id)
        if completion.status == CompletionStatus.AWARDED:
            return completion
        if completion.status != CompletionStatus.SUBMITTED:
            raise CampaignError(_("This activity was not confirmed; the member can submit it again."))
        return _complete_and_award(completion, by=by, now=now)


def activity_reject(*, completion_id: int, by: User, now: datetime | None = None) -> ActivityCompletion:
    """Staff turn down a submitted custom activity; the member may submit it again."""
    if not by.is_staff:
        raise CampaignError(_("Only staff can turn down activities."))
    now = now or timezone.now()
    with transaction.atomic():
        completion = _lock_completion(completion_id)
        if completion.status != CompletionStatus.SUBMITTED:
            raise CampaignError(_("Only an activity waiting for confirmation can be turned down."))
        completion.status = CompletionStatus.REJECTED
        completion.decided_by = by
        completion.decided_at = now
        completion.save(update_fields=["status", "decided_by", "decided_at"])
    return completion


def event_attendance_confirm(
    *, activity_id: int, user_ids: Iterable[int], by: User, now: datetime | None = None
) -> tuple[int, list[str]]:
    """Staff confirm who attended the activity's event, from its confirmed sign-ups, and each
    attendee's company (or the attendee, per the activity's scope) gets the points once.

    One short transaction per attendee. Returns ``(awarded, problems)``: people confirmed
    before, without a confirmed sign-up or a member company are left out with a reason.
    """
    if not by.is_staff:
        raise CampaignError(_("Only staff can confirm attendance."))
    now = now or timezone.now()
    activity = Activity.objects.select_related("event", "campaign").get(pk=activity_id)
    if activity.kind != ActivityKind.EVENT or activity.event is None:
        raise CampaignError(_("This activity is not an event attendance."))
    if activity.event.starts_at > now:
        raise CampaignError(_("Attendance can be confirmed once the event has started."))
    registrations = {
        registration.user_id: registration
        for registration in EventRegistration.objects.filter(
            event=activity.event, status=RegistrationStatus.CONFIRMED, user_id__in=list(user_ids)
        ).select_related("user__membership__company")
    }
    awarded, problems = 0, []
    for user_id in user_ids:
        registration = registrations.get(user_id)
        if registration is None:
            problems.append(_("Person %(id)s has no confirmed place at the event.") % {"id": user_id})
            continue
        user = registration.user
        membership = getattr(user, "membership", None)
        if membership is None:
            problems.append(_("%(person)s is not a member company's contact.") % {"person": user})
            continue
        scope_key = scope_key_for(activity, company_id=membership.company_id, user_id=user.pk)
        try:
            with transaction.atomic():
                points_account_lock(company_id=membership.company_id)
                if ActivityCompletion.objects.filter(
                    activity=activity,
                    scope_key=scope_key,
                    status__in=[CompletionStatus.SUBMITTED, CompletionStatus.AWARDED],
                ).exists():
                    problems.append(_("%(person)s: already confirmed.") % {"person": user})
                    continue
                completion = ActivityCompletion.objects.create(
                    activity=activity,
                    company_id=membership.company_id,
                    user=user,
                    scope_key=scope_key,
                    status=CompletionStatus.SUBMITTED,
                    created_at=now,
                )
                _complete_and_award(completion, by=by, now=now)
                awarded += 1
        except CampaignError as exc:
            problems.append(f"{user}: {exc}")
    return awarded, problems


# --- Referrals ---------------------------------------------------------------------------------------------


def referral_create(
    *,
    activity_id: int,
    user: User,
    company_name: str,
    country: str,
    org_number: str,
    contact_name: str = "",
    contact_email: str = "",
    now: datetime | None = None,
) -> Referral:
    """A contact refers another company. Its points come when that company, once a member,
    makes its first purchase (``referral_reward``).

    Refused: the activity is not open to the company, the organisation number is not valid,
    it is the contact's own company, the company is already a buying member, or another
    member referred it first (UNIQUE per country and organisation number).
    """
    now = now or timezone.now()
    membership = Membership.objects.select_related("company").filter(user=user).first()
    if membership is None:
        raise CampaignError(_("Activities are for contacts of member companies."))
    activity = activity_for_member(company=membership.company, activity_id=activity_id, now=now)
    if activity is None or activity.kind != ActivityKind.REFERRAL:
        raise CampaignError(_("This activity is not open to your company."))
    company_name = company_name.strip()
    if not company_name:
        raise CampaignError(_("Give the company's name."))
    try:
        org_number = validate_org_number(org_number, country)
    except ValidationError as exc:
        raise CampaignError(" ".join(exc.messages)) from exc
    own = membership.company
    if own.country == country and own.org_number == org_number:
        raise CampaignError(_("That is your own company."))
    if Purchase.objects.filter(company__country=country, company__org_number=org_number).exists():
        raise CampaignError(_("%(name)s is already a member of the club.") % {"name": company_name})
    try:
        with transaction.atomic():
            return Referral.objects.create(
                activity=activity,
                referrer=own,
                referred_by=user,
                company_name=company_name[:200],
                country=country,
                org_number=org_number,
                contact_name=contact_name.strip()[:150],
                contact_email=contact_email.strip(),
                created_at=now,
            )
    except IntegrityError as exc:
        raise CampaignError(
            _("%(name)s has already been recommended by a member; thank you all the same.") % {"name": company_name}
        ) from exc


def referral_reward(*, referral_id: int, now: datetime | None = None) -> ActivityCompletion | None:
    """Reward a pending referral whose company has made its first purchase: the referrer's
    company gets the activity's points (within the campaign's budget, if the activity has a
    campaign: when that is used up the referral stays pending). Returns the award, or None.

    Locks the referrer's account, then the referral row; idempotent (a rewarded referral is
    left alone, and the ledger key ``activity:<id>:referral:<id>`` is unique), so the task
    queued by both purchase paths and the periodic sweep may all run it.
    """
    now = now or timezone.now()
    referral = Referral.objects.select_related("activity").filter(pk=referral_id).first()
    if referral is None or referral.status != ReferralStatus.PENDING:
        return None
    company = Company.objects.filter(country=referral.country, org_number=referral.org_number).first()
    if company is None or not Purchase.objects.filter(company=company, original__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            points_account_lock(company_id=referral.referrer_id)
            referral = Referral.objects.select_for_update(of=("self",)).select_related("activity").get(pk=referral_id)
            if referral.status != ReferralStatus.PENDING:
                return None
            completion = ActivityCompletion.objects.create(
                activity=referral.activity,
                company_id=referral.referrer_id,
                user_id=referral.referred_by_id,
                scope_key=f"referral:{referral.pk}",
                status=CompletionStatus.SUBMITTED,
                text=referral.company_name,
                created_at=now,
            )
            _complete_and_award(completion, by=None, now=now)
            referral.status = ReferralStatus.REWARDED
            referral.referred_company = company
            referral.completion = completion
            referral.rewarded_at = now
            referral.save(update_fields=["status", "referred_company", "completion", "rewarded_at"])
    except CampaignError:
        return None  # the campaign's budget is used up: it stays pending
    return completion


def referrals_reward_due(*, now: datetime | None = None) -> int:
    """Reward every pending referral whose company has bought (the periodic safety net behind
    the tasks both purchase paths queue). Returns how many were rewarded."""
    now = now or timezone.now()
    bought = Purchase.objects.filter(
        original__isnull=True, company__country=OuterRef("country"), company__org_number=OuterRef("org_number")
    )
    due = (
        Referral.objects.filter(status=ReferralStatus.PENDING)
        .filter(Exists(bought))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(referral_reward(referral_id=pk, now=now) is not None for pk in list(due))


def referral_decline(*, referral_id: int, by: User) -> Referral:
    """Staff decline a pending referral (not a real prospect, a duplicate); it earns nothing."""
    if not by.is_staff:
        raise CampaignError(_("Only staff can decline referrals."))
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral_id)
        if referral.status != ReferralStatus.PENDING:
            raise CampaignError(_("Only a pending referral can be declined."))
        referral.status = ReferralStatus.DECLINED
        referral.save(update_fields=["status"])
    return referral


# --- Challenges and badges --------------------------------------------------------------------------


def challenge_complete(*, challenge: Challenge, company_id: int, now: datetime) -> ChallengeCompletion | None:
    """Record that the company completed ``challenge``: its points (within the campaign's
    budget, if any: when that is used up the badge is still given) and its badge. Once per
    company (UNIQUE); returns None when it was recorded before."""
    with transaction.atomic():
        points_account_lock(company_id=company_id)
        try:
            with transaction.atomic():
                completion = ChallengeCompletion.objects.create(
                    challenge=challenge, company_id=company_id, completed_at=now
                )
        except IntegrityError:
            return None
        if challenge.points:
            try:
                with transaction.atomic():
                    entry = _award(
                        company_id=company_id,
                        campaign_id=challenge.campaign_id,
                        points=challenge.points,
                        key=f"challenge:{challenge.pk}:company:{company_id}",
                        memo=StoredText(texts.CHALLENGE, {"title": translations_of(challenge, "title")}),
                        kind=AwardKind.CHALLENGE,
                        by=None,
                        now=now,
                    )
                completion.points, completion.entry = challenge.points, entry
                completion.save(update_fields=["points", "entry"])
            except CampaignError:
                pass  # the campaign's budget is used up: the badge is still earned
        if challenge.badge_id:
            BadgeAward.objects.get_or_create(
                badge_id=challenge.badge_id, company_id=company_id, defaults={"challenge": challenge, "awarded_at": now}
            )
        _notify_award(
            company_id=company_id,
            key=f"challenge:{challenge.pk}",
            title=StoredText(texts.CHALLENGE_COMPLETED, {"challenge": translations_of(challenge, "title")}),
        )
    return completion


def challenges_evaluate(*, now: datetime | None = None) -> int:
    """Record every company that has reached the target of a challenge that is open, or
    ended less than ``LATE_PURCHASE_DAYS`` ago (late purchases still count). Companies of a
    campaign's challenge must be in its treated group. A few queries per challenge, one
    transaction per new completion. Returns how many were recorded; safe to run twice."""
    now = now or timezone.now()
    challenges = list(
        Challenge.objects.filter(
            is_published=True, starts_at__lte=now, ends_at__gt=now - timedelta(days=LATE_PURCHASE_DAYS)
        ).select_related("campaign")
    )
    recorded = 0
    for challenge in challenges:
        if challenge.campaign_id and challenge.campaign.status not in EARNING_STATUSES:
            continue
        progress = challenge_progress([challenge], company_ids=None)[challenge.pk]
        reached = {company_id for company_id, value in progress.items() if value >= challenge.target}
        if not reached:
            continue
        reached -= set(ChallengeCompletion.objects.filter(challenge=challenge).values_list("company_id", flat=True))
        eligible = Company.objects.filter(pk__in=reached, status=CompanyStatus.ACTIVE)
        if challenge.campaign_id:
            eligible = eligible.filter(
                campaign_memberships__campaign_id=challenge.campaign_id, campaign_memberships__in_holdout=False
            )
        for company_id in eligible.order_by("pk").values_list("pk", flat=True):
            recorded += challenge_complete(challenge=challenge, company_id=company_id, now=now) is not None
    return recorded


# --- Leaderboard ----------------------------------------------------------------------------------


def leaderboard_join(*, membership: Membership) -> LeaderboardOptIn:
    """A company admin puts the company on its tier's leaderboard. Idempotent."""
    if not membership.is_admin:
        raise CampaignError(_("Only a company admin can decide whether the company is on the leaderboard."))
    opt_in, _created = LeaderboardOptIn.objects.get_or_create(
        company=membership.company, defaults={"opted_in_by": membership.user}
    )
    return opt_in


def leaderboard_leave(*, membership: Membership) -> None:
    """A company admin takes the company off the leaderboard. Idempotent."""
    if not membership.is_admin:
        raise CampaignError(_("Only a company admin can decide whether the company is on the leaderboard."))
    LeaderboardOptIn.objects.filter(company=membership.company).delete()

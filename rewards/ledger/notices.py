"""What the points economy tells members in the portal (and by e-mail, if they want it).

Every notice goes through ``notifications.services.notifications_send``: idempotent per
recipient and key, stored as message keys with JSON parameters (``rewards.texts``) and
rendered in the reader's language, e-mailed after commit. Every points figure carries its
money value (``core.texts.points_param``). Called from tasks (``rewards.ledger.tasks``) after the write they report has
committed, so the purchase path and the CSV import pay nothing for them:

* a purchase recorded through ``rewards.purchases.services.purchase_record`` (the API): one notice per
  purchase that earned points, key ``points:purchase:<purchase id>``, in the portal at once;
  e-mailed by ``points_emails_send`` (beat), which sends each person at most one e-mail
  every ``POINTS_EMAIL_INTERVAL_MINUTES`` with every such notice since the last one, so an
  ERP posting purchase after purchase does not fill their inbox;
* a CSV import (``rewards.purchases.imports``) or an API batch: one notice per company for the whole
  import or batch, key ``points:import:<import id>`` / ``points:batch:<first purchase id>``;
* points about to expire (``rewards.ledger.services.expiry_reminder_send``): one notice per
  reminder run and company, key ``expiry:<first reminder id>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.currencies import currency_for_country
from core.formatting import format_money, format_points
from core.texts import StoredText, points_param
from members.models import Company
from members.selectors import company_contacts, contacts_by_company
from notifications.models import NotificationKind
from notifications.services import BATCH_SIZE, notification_digests_send, notifications_send
from rewards import texts
from rewards.ledger.selectors import points_value
from rewards.models import ProgrammeRules


def points_with_value(points: int, rules: ProgrammeRules) -> str:
    """ "1 200 points (24 SEK)", in the active language."""
    return _("%(points)s (%(value)s)") % {
        "points": format_points(points),
        "value": format_money(points_value(points=points, rules=rules), rules.currency),
    }


def points_with_value_param(points: int, rules: ProgrammeRules) -> dict:
    """Points and their money value by ``rules`` (the company's currency), as a text
    parameter rendered "1 200 points (24 SEK)" in the reader's language."""
    return points_param(points, points_value(points=points, rules=rules), rules.currency)


def purchase_points_notify(
    *,
    company_id: int,
    purchase_id: int,
    external_id: str,
    points: int,
    available_at: datetime | None,
    now: datetime | None = None,
) -> int:
    """Tell the company's contacts, in the portal, that a purchase earned ``points``; the
    e-mail follows with ``points_emails_send``. Returns notices written."""
    if points <= 0:
        return 0
    rules = ProgrammeRules.current().for_company(company_id)
    pending = available_at is not None and available_at > (now or timezone.now())
    notices = notifications_send(
        users=company_contacts(company_id=company_id),
        kind=NotificationKind.POINTS,
        key=f"points:purchase:{purchase_id}",
        title=StoredText(texts.POINTS_ARRIVED, {"points": points_with_value_param(points, rules)}),
        body=StoredText(
            texts.PURCHASE_PENDING, {"ref": external_id, "date": timezone.localdate(available_at).isoformat()}
        )
        if pending
        else StoredText(texts.PURCHASE_SPENDABLE, {"ref": external_id}),
        url=reverse("rewards:history"),
        email=False,  # points_emails_send e-mails these, several at once
        now=now,
    )
    return len(notices)


def points_emails_send(*, now: datetime | None = None) -> int:
    """E-mail the single-purchase points notices: one e-mail per person at most every
    ``POINTS_EMAIL_INTERVAL_MINUTES``, listing each purchase since the last one (see
    ``notifications.services.notification_digests_send``). Returns e-mails sent."""
    return notification_digests_send(
        kind=NotificationKind.POINTS,
        key_prefix="points:purchase:",
        interval=timedelta(minutes=settings.POINTS_EMAIL_INTERVAL_MINUTES),
        now=now,
    )


class CompanyEarnings(TypedDict):
    """What many purchases earned one company: the tally a CSV import or an API batch hands
    to ``notify_purchases_points`` across the Celery boundary (JSON with named fields)."""

    company_id: int
    purchases: int
    points: int


def company_earnings(company_id: int, purchases: int, points: int) -> CompanyEarnings:
    return CompanyEarnings(company_id=company_id, purchases=purchases, points=points)


def _earnings(item: CompanyEarnings | Sequence[int]) -> CompanyEarnings:
    """A tally from the task's arguments; also the positional ``[company id, purchases,
    points]`` of tasks queued before the tally had named fields."""
    if isinstance(item, dict):
        return company_earnings(item["company_id"], item["purchases"], item["points"])
    company_id, purchases, points = item
    return company_earnings(company_id, purchases, points)


def purchases_points_notify(*, key: str, earned: Sequence[CompanyEarnings | Sequence[int]]) -> int:
    """One notice per company for many purchases at once (a CSV import, an API batch).

    ``earned`` is a list of ``CompanyEarnings`` (the old positional ``[company id,
    purchases, points]`` form is still read); companies whose purchases earned nothing are
    left out. The contacts are read ``BATCH_SIZE`` companies per query. Returns notices written.
    """
    base = ProgrammeRules.current()
    tallies = [_earnings(item) for item in earned]
    wanted = [(t["company_id"], t["purchases"], t["points"]) for t in tallies if t["points"] > 0]
    written = 0
    for start in range(0, len(wanted), BATCH_SIZE):
        batch = wanted[start : start + BATCH_SIZE]
        contacts = contacts_by_company(company_ids=[company_id for company_id, _p, _pts in batch])
        # Each company reads its points' value in its own currency.
        currency_of = {
            pk: currency or currency_for_country(country)
            for pk, currency, country in Company.objects.filter(
                pk__in=[company_id for company_id, _p, _pts in batch if company_id in contacts]
            ).values_list("pk", "currency", "country")
        }
        for company_id, purchases, points in batch:
            people = contacts.get(company_id)
            if not people:
                continue
            rules = base.in_currency_or_base(currency_of.get(company_id, base.currency))
            written += len(
                notifications_send(
                    users=people,
                    kind=NotificationKind.POINTS,
                    key=key,
                    title=StoredText(texts.POINTS_ARRIVED, {"points": points_with_value_param(points, rules)}),
                    body=StoredText(texts.PURCHASES_EARNED, {"purchases": purchases}),
                    url=reverse("rewards:history"),
                )
            )
    return written


def expiry_notify(
    *, company, reminder_key: str, items: Sequence[tuple[date, int]], rules: ProgrammeRules | None = None
) -> int:
    """Tell the company's contacts which points expire when (``items``: (day, points), by day)."""
    rules = (rules or ProgrammeRules.current()).base.for_company(company)
    total = sum(points for _day, points in items)
    first_on, last_on = items[0][0], items[-1][0]
    notices = notifications_send(
        users=company_contacts(company_id=company.pk),
        kind=NotificationKind.EXPIRY,
        key=reminder_key,
        title=StoredText(
            texts.EXPIRING if first_on == last_on else texts.EXPIRING_BY,
            {"points": points_with_value_param(total, rules), "date": last_on.isoformat()},
        ),
        body=StoredText(
            texts.EXPIRING_BODY,
            {
                "company": company.name,
                "items": [
                    {"date": day.isoformat(), "points": points_with_value_param(points, rules)} for day, points in items
                ],
            },
        ),
        url=reverse("dashboard"),
    )
    return len(notices)

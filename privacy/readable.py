"""A person's data as they read it on their "My data" page.

The download (``privacy.selectors.person_data``) is for machines: every field of every row
the registry links to the person, with its raw codes, ids and keys, as JSON. The page shows
the same rows for a person to read, in their language:

* a choice as its label (``get_FOO_display``: "Purchaser", not ``purchaser``);
* a link to another row as what it names (the company's name, the reward's name in the
  reader's language, the event's title in the reader's language, an order's number), never
  its id; the link to the person themself is left out (the whole page is about them);
* a stored text (a notification's title and text, ``core.texts``) rendered in the reader's
  language, never its message key or parameters;
* dates in the language's format, numbers grouped, money with its currency, yes/no;
* no internal field: ids, idempotency and dedupe keys, message keys and parameters, links
  to ledger entries (``HIDDEN``). They stay in the download.

One query per registry entry, whatever the number of rows (plus one for the titles of the
events a person signed up for).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Page

from core.content_language import reading_order
from core.formatting import format_money, format_number
from members.models import Country, User
from privacy.registry import PERSONAL_DATA, PersonalData
from privacy.sessions import sessions_of

SECTION_LABELS = {
    "profile": gettext_lazy("Profile"),
    "membership": gettext_lazy("Membership"),
    "invitations": gettext_lazy("Invitations"),
    "notifications": gettext_lazy("Notifications"),
    "notification_preferences": gettext_lazy("E-mail choices"),
    "conversations_started": gettext_lazy("Conversations you started"),
    "messages": gettext_lazy("Messages you wrote"),
    "conversations_read": gettext_lazy("Conversations you have read"),
    "broadcasts": gettext_lazy("Broadcasts you sent"),
    "activity_answers": gettext_lazy("Activity answers"),
    "activity_answers_decided": gettext_lazy("Activity answers you decided"),
    "referrals": gettext_lazy("Referrals"),
    "leaderboard_consents": gettext_lazy("Leaderboard consent"),
    "event_registrations": gettext_lazy("Event sign-ups"),
    "orders_placed": gettext_lazy("Orders you placed"),
    "orders_decided": gettext_lazy("Orders you decided"),
    "order_events": gettext_lazy("Order history entries"),
    "staff_notes": gettext_lazy("Notes you wrote"),
    "goodwill_given": gettext_lazy("Goodwill points you gave"),
    "logins": gettext_lazy("Log-ins and consents"),
    "email_addresses": gettext_lazy("E-mail addresses"),
    "single_sign_on": gettext_lazy("Single sign-on"),
    "second_factors": gettext_lazy("Two-factor authentication"),
    "sessions": gettext_lazy("Open sessions"),
}

# Labels of what the page shows that is not a model field.
EXTRA_LABELS = {
    "title": gettext_lazy("title"),
    "body": gettext_lazy("text"),
    "number": gettext_lazy("order number"),
    "last_login": gettext_lazy("last log-in"),
    "date_joined": gettext_lazy("joined"),
    "email_notifications": gettext_lazy("e-mail notifications"),
    "email": gettext_lazy("e-mail address"),
    "verified": gettext_lazy("verified"),
    "primary": gettext_lazy("primary"),
    "provider": gettext_lazy("provider"),
    "type": gettext_lazy("type"),
    "created_at": gettext_lazy("created"),
    "last_used_at": gettext_lazy("last used"),
    "expires": gettext_lazy("expires"),
}

# Never on the page (the download keeps them): no row's own id, no password hash.
ALWAYS_HIDDEN = frozenset({"id", "password"})

# Per model, the fields that are the portal's internals, not something a person reads: keys,
# message keys and their parameters (the page shows the rendered text instead), links to
# ledger entries and other bookkeeping rows, counters of message ids. ``tests/privacy``
# checks that every JSON field, key and link to a row without a readable name is here.
HIDDEN: dict[str, frozenset[str]] = {
    "members.User": frozenset({"is_superuser", "is_staff", "is_active"}),
    "notifications.Notification": frozenset({"title_key", "title_params", "body_key", "body_params", "url", "key"}),
    "messaging.Thread": frozenset({"broadcast", "last_message", "email_checked_upto"}),
    "messaging.Message": frozenset({"broadcast"}),
    "messaging.ThreadReadState": frozenset({"last_read_message_id", "last_emailed_message_id"}),
    # The audience is the rep's filter as a query string (described in words on the rep's
    # pages, which this floor does not import); the attachments are file references.
    "messaging.Broadcast": frozenset({"audience", "attachments", "key"}),
    "campaigns.ActivityCompletion": frozenset({"scope_key", "entry"}),
    "campaigns.Referral": frozenset({"completion"}),
    # ``reward`` and ``currency`` are shown through ``reward_title`` and ``value_each``.
    "rewards.Redemption": frozenset({"reward", "currency", "request_key", "redeem_entry", "return_entry"}),
    "reps.GoodwillAward": frozenset({"budget", "entry", "key"}),
}

# Rows a model's page values read besides its shown links (the reward, for its name).
SELECTED: dict[str, tuple[str, ...]] = {"rewards.Redemption": ("reward",)}


def _country(code: str) -> str | None:
    if not code:
        return None
    try:
        return str(Country(code).label)
    except ValueError:
        return code


# Per model, what a field shows instead of its stored value.
SHOWN_AS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "rewards.Redemption": {
        "reward_title": lambda row: row.reward_name,
        "value_each": lambda row: format_money(row.value_each, row.currency),
    },
    "rewards.RedemptionEvent": {"redemption": lambda row: row.redemption.number},
    "campaigns.Referral": {"country": lambda row: _country(row.country)},
}

# Per model, what the page shows first that is not a field (each a property of the row).
LEADING: dict[str, tuple[str, ...]] = {"rewards.Redemption": ("number",)}


def readable_value(value: Any) -> Any:
    """A value as a person reads it in the active language: dates in its format, numbers
    grouped, yes/no; None for nothing (the page shows a dash)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, Decimal):
        return format_number(value, 0 if value == value.to_integral_value() else 2)
    if isinstance(value, (dict, list)):
        # Not expected (every JSON field is in HIDDEN or SHOWN_AS); never Python's repr.
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def hidden_fields(entry: PersonalData) -> frozenset[str]:
    """The fields of ``entry``'s rows the page leaves out: internals, and the link to the person."""
    return ALWAYS_HIDDEN | HIDDEN.get(entry.model, frozenset()) | {entry.person}


def _label(model: type[models.Model], name: str) -> str:
    try:
        return model._meta.get_field(name).verbose_name
    except FieldDoesNotExist:  # a property of the row
        return EXTRA_LABELS.get(name, name.replace("_", " "))


def _page_titles(pages) -> dict[int, str]:
    """Each Wagtail page's title in the reader's language: its live translation's, in the
    order the portal reads content (``reading_order``), else its own. One query."""
    pages = {page.pk: page for page in pages}
    if not pages:
        return {}
    order = reading_order()
    found: dict[str, dict[str, str]] = {}
    for key, language, title in (
        Page.objects.live()
        .filter(translation_key__in={page.translation_key for page in pages.values()}, locale__language_code__in=order)
        .values_list("translation_key", "locale__language_code", "title")
    ):
        found.setdefault(str(key), {})[language] = title
    titles = {}
    for pk, page in pages.items():
        translated = found.get(str(page.translation_key), {})
        titles[pk] = next((translated[language] for language in order if translated.get(language)), page.title)
    return titles


def _rows(entry: PersonalData, user: User) -> list[list[tuple[str, Any]]]:
    model = apps.get_model(entry.model)
    hidden = hidden_fields(entry)
    fields = [field for field in model._meta.concrete_fields if field.name not in hidden]
    links = [field.name for field in fields if field.is_relation]
    rows = list(
        model._default_manager.filter(**{entry.person: user.pk})
        .select_related(*links, *SELECTED.get(entry.model, ()))
        .order_by("pk")
    )
    page_links = [field.name for field in fields if field.is_relation and issubclass(field.related_model, Page)]
    page_titles = _page_titles(
        {getattr(row, name) for row in rows for name in page_links if getattr(row, name) is not None}
    )
    shown_as = SHOWN_AS.get(entry.model, {})
    readable = []
    for row in rows:
        pairs = [(_label(model, name), readable_value(getattr(row, name))) for name in LEADING.get(entry.model, ())]
        pairs += [(EXTRA_LABELS.get(name, name), readable_value(str(getattr(row, name)))) for name in entry.rendered]
        for field in fields:
            if field.name in shown_as:
                value = shown_as[field.name](row)
            elif field.is_relation:
                related = getattr(row, field.name)
                value = (
                    None if related is None else page_titles.get(related.pk) if field.name in page_links else related
                )
            elif hasattr(row, f"get_{field.name}_display") and getattr(row, field.attname) not in (None, ""):
                value = getattr(row, f"get_{field.name}_display")()  # a choice's label, a country's name
            else:
                value = getattr(row, field.attname)
            pairs.append((field.verbose_name, readable_value(value)))
        readable.append(pairs)
    return readable


SECOND_FACTORS = {
    Authenticator.Type.TOTP: gettext_lazy("Authenticator app"),
    Authenticator.Type.RECOVERY_CODES: gettext_lazy("Recovery codes"),
    Authenticator.Type.WEBAUTHN: gettext_lazy("Security key"),
}


def _provider_name(request, provider_id: str) -> str:
    """A single sign-on provider's name as the log-in page shows it, else its id."""
    try:
        return get_social_adapter(request).get_app(request, provider=provider_id).name or provider_id
    except (SocialApp.DoesNotExist, SocialApp.MultipleObjectsReturned):  # no longer configured
        return provider_id


def _logins(request, user: User) -> dict[str, list[list[tuple[str, Any]]]]:
    def pairs(values: dict[str, Any]) -> list[tuple[str, Any]]:
        return [(EXTRA_LABELS[name], readable_value(value)) for name, value in values.items()]

    return {
        "logins": [
            pairs(
                {
                    "last_login": user.last_login,
                    "date_joined": user.date_joined,
                    "email_notifications": user.email_notifications,
                }
            )
        ],
        "email_addresses": [
            pairs({"email": address.email, "verified": address.verified, "primary": address.primary})
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        # The account's id at the provider (``uid``) is in the download.
        "single_sign_on": [
            pairs({"provider": _provider_name(request, account.provider), "last_login": account.last_login})
            for account in SocialAccount.objects.filter(user=user).order_by("pk")
        ],
        "second_factors": [
            pairs(
                {
                    "type": SECOND_FACTORS.get(factor.type, factor.type),
                    "created_at": factor.created_at,
                    "last_used_at": factor.last_used_at,
                }
            )
            for factor in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "sessions": [pairs({"expires": session.expire_date}) for session in sessions_of(user=user)],
    }


def readable_sections(request, user: User) -> list[tuple[str, list[list[tuple[str, Any]]]]]:
    """``(section title, rows)`` for every section that has rows, each row a list of
    ``(label, value)``; a value of None is nothing held (the page shows a dash)."""
    sections: dict[str, list] = {}
    for entry in PERSONAL_DATA:
        sections.setdefault(entry.title, []).extend(_rows(entry, user))
    sections.update(_logins(request, user))
    return [(SECTION_LABELS.get(title, title), rows) for title, rows in sections.items() if rows]

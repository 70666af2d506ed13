"""Everything the portal holds about one company, as one JSON document, for a company
leaving the club (``privacy.admin``: *Export the company's data*).

**What is in it.** ``tables``: every model whose rows belong to the company through a chain
of foreign keys (at most three, never through a person) — found by walking the models, so a
new table is exported from its first day: the company, its points account, ledger,
purchases and their lines, orders and their timelines, invoice credits, conversations and
messages, campaign membership and awards, activity answers, webhook events, closures...
``people``: the contacts' data through the privacy registry (``privacy.registry``: profile,
membership, notifications, messages they wrote, activity answers...), and their log-in
records (addresses, single sign-on accounts, second factors — never their secrets).
Fields that hold secrets (passwords, tokens, signing secrets) are left out everywhere.

**How.** Streamed (``company_export_chunks``): one query per table, rows read in chunks of
2 000 and written as they come, so a company with a million ledger entries costs the same
memory as one with ten and the download starts at once. JSON, so no spreadsheet formula
can hide in it (the CSV exports elsewhere neutralise formulas; here there are none).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.db import models
from django.utils import timezone

from members.models import Company, User
from privacy.registry import PERSONAL_DATA

FORMAT = "clubportal.company-export"
VERSION = 1
MAX_DEPTH = 3
CHUNK = 2000
# Never exported: models that are not the company's story (sessions, the outbox, logs of
# staff work), and fields that are secrets.
SKIPPED_APPS = {"sessions", "admin", "auditlog", "outbox", "django_celery_beat", "contenttypes", "auth"}
SECRET_MARKERS = ("password", "secret", "token")


def _is_secret(name: str) -> bool:
    return any(marker in name for marker in SECRET_MARKERS)


def _company_path(model, depth: int = 0, seen: tuple = ()) -> str | None:
    """The shortest chain of foreign keys from ``model`` to ``Company`` (``"account__company"``),
    not through a person, or None."""
    if model is Company:
        return ""
    if depth >= MAX_DEPTH:
        return None
    best: str | None = None
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.is_relation and not field.many_to_many and field.related_model is not None
    ]
    for field in fields:
        if field.related_model is Company:
            return field.name
    for field in fields:
        related = field.related_model
        if related is User or related is model or related in seen:
            continue
        rest = _company_path(related, depth + 1, (*seen, model))
        if rest is not None:
            candidate = f"{field.name}__{rest}" if rest else field.name
            if best is None or candidate.count("__") < best.count("__"):
                best = candidate
    return best


@cache
def company_tables() -> tuple[tuple[str, str], ...]:
    """``(model label, path to the company)`` of every model whose rows are a company's."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label in SKIPPED_APPS or model is User or model._meta.proxy:
            continue
        path = _company_path(model)
        if path is not None:
            found.append((model._meta.label, path))
    return tuple(sorted(found))


def _value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if not _is_secret(field.name)]


def _rows(queryset: models.QuerySet, columns: list[str]) -> Iterator[str]:
    for row in queryset.order_by("pk").values(*columns).iterator(chunk_size=CHUNK):
        yield json.dumps({key: _value(value) for key, value in row.items()}, ensure_ascii=False, default=str)


def _array(rows: Iterator[str]) -> Iterator[str]:
    yield "["
    first = True
    for row in rows:
        yield row if first else "," + row
        first = False
    yield "]"


def company_export_chunks(*, company: Company) -> Iterator[str]:
    """The export of ``company`` (see the module docstring) as JSON text, piece by piece."""
    header = {"format": FORMAT, "version": VERSION, "exported_at": timezone.now().isoformat(), "company_id": company.pk}
    yield json.dumps(header)[:-1] + ',"tables":{'
    for index, (label, path) in enumerate(company_tables()):
        model = apps.get_model(label)
        rows = model._default_manager.filter(**{path or "pk": company.pk})
        yield ("," if index else "") + json.dumps(label) + ":"
        yield from _array(_rows(rows, _columns(model)))
    yield '},"people":{'
    sections: dict[str, list] = {}
    for entry in PERSONAL_DATA:
        sections.setdefault(entry.title, []).append(entry)
    for index, (title, entries) in enumerate(sections.items()):
        yield ("," if index else "") + json.dumps(title) + ":["
        first = True
        for entry in entries:
            model = apps.get_model(entry.model)
            person = "" if entry.person == "pk" else f"{entry.person}__"
            rows = model._default_manager.filter(**{f"{person}membership__company": company.pk})
            for row in _rows(rows, _columns(model)):
                yield row if first else "," + row
                first = False
        yield "]"
    logins = (
        ("email_addresses", EmailAddress, ["user_id", "email", "verified", "primary"]),
        ("single_sign_on", SocialAccount, ["user_id", "provider", "uid", "last_login", "date_joined"]),
        ("second_factors", Authenticator, ["user_id", "type", "created_at", "last_used_at"]),
    )
    for title, model, columns in logins:
        yield "," + json.dumps(title) + ":"
        yield from _array(_rows(model.objects.filter(user__membership__company=company.pk), columns))
    yield "}}"

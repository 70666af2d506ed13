"""Reading everything the portal holds about a person, for their download and their page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.db import models

from members.models import User
from privacy.models import ErasureRequest, ErasureStatus
from privacy.registry import PERSONAL_DATA


def _value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def _row(instance: models.Model) -> dict[str, Any]:
    row = {}
    for field in instance._meta.concrete_fields:
        if field.name == "password":
            continue
        if field.is_relation:
            row[field.name] = getattr(instance, field.attname)
        else:
            row[field.name] = _value(getattr(instance, field.attname))
    return row


def person_data(*, user: User) -> dict[str, list[dict[str, Any]]]:
    """Every row the registry links to ``user``, all its fields, by section; plus the log-in
    records (e-mail addresses, single sign-on accounts, second factors without their secrets).

    One query per registry entry, whatever the number of rows."""
    data: dict[str, list[dict[str, Any]]] = {}
    for entry in PERSONAL_DATA:
        model = apps.get_model(entry.model)
        rows = model._default_manager.filter(**{entry.person: user.pk}).order_by("pk")
        data.setdefault(entry.title, []).extend(
            {**_row(row), **{name: str(getattr(row, name)) for name in entry.rendered}} for row in rows
        )
    data["logins"] = [
        {
            "last_login": _value(user.last_login),
            "date_joined": _value(user.date_joined),
            "email_notifications": user.email_notifications,
        }
    ]
    data["email_addresses"] = [
        {"email": address.email, "verified": address.verified, "primary": address.primary}
        for address in EmailAddress.objects.filter(user=user).order_by("pk")
    ]
    data["single_sign_on"] = [
        {"provider": account.provider, "uid": account.uid, "last_login": _value(account.last_login)}
        for account in SocialAccount.objects.filter(user=user).order_by("pk")
    ]
    data["second_factors"] = [
        {"type": factor.type, "created_at": _value(factor.created_at), "last_used_at": _value(factor.last_used_at)}
        for factor in Authenticator.objects.filter(user=user).order_by("pk")
    ]
    return data


def open_erasure_request(*, user: User) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user=user, status=ErasureStatus.REQUESTED).first()

"""Every write through the Django admin lands in the audit trail, with who and what changed.

The test walks every registered model admin: a model the admin can write must be followed by
the trail (``audit.registration``), and one that is not must be read-only in the admin and
named with its reason in ``NOT_TRACKED``. Then, for every model admin with a row in the test
club, it opens the row's change page as a superuser, edits a text field the way a person
would (the form as the page renders it, one field changed) and saves: the trail must show
that change with its before and after, by that person.
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from audit.registration import NOT_TRACKED, admin_models
from tests.admin_forms import AdminFormReader
from tests.factories import StaffFactory
from tests.members.admin_world import build_club

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _superuser_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _writable(model_admin, request, *, parent_only: bool = False) -> bool:
    if isinstance(model_admin, admin.ModelAdmin):
        can_add = model_admin.has_add_permission(request)
    else:
        can_add = model_admin.has_add_permission(request, None)
    if parent_only:
        return can_add or model_admin.has_change_permission(request)
    return can_add or model_admin.has_change_permission(request) or model_admin.has_delete_permission(request)


def test_every_admin_model_is_audited_or_read_only_with_a_reason():
    superuser = StaffFactory(is_superuser=True)
    request = _superuser_request(superuser)
    problems = []
    for model in sorted(admin_models(), key=lambda m: m._meta.label):
        label = model._meta.label
        if auditlog.contains(model):
            continue
        if label not in NOT_TRACKED:
            problems.append(f"{label}: written in the admin but not in the audit trail")
            continue
        model_admin = admin.site._registry.get(model)
        if model_admin is not None and _writable(model_admin, request):
            problems.append(f"{label}: not audited ({NOT_TRACKED[label]}) yet writable in {type(model_admin).__name__}")
        for parent_admin in admin.site._registry.values():
            for inline_class in parent_admin.inlines:
                if inline_class.model is not model:
                    continue
                inline = inline_class(parent_admin.model, admin.site)
                # An inline writes only through a parent form that can be saved.
                if _writable(inline, request) and _writable(parent_admin, request, parent_only=True):
                    problems.append(
                        f"{label}: not audited ({NOT_TRACKED[label]}) yet writable in {inline_class.__name__}"
                    )
    assert problems == []


def _editable_field(model, names: list[str]) -> str | None:
    """A free text field to append to, else a number to raise by one."""
    numbers = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except Exception:
            continue
        if field.choices or field._validators or field.default_validators:
            continue  # not free text: " audited" would not be a valid value (a currency code, a URL)
        if isinstance(field, (models.CharField, models.TextField)) and not isinstance(field, models.EmailField):
            return name
        if isinstance(field, (models.IntegerField, models.DecimalField)) and not field.primary_key:
            numbers.append(name)
    return numbers[0] if numbers else None


def _edited(model, name: str, before: str) -> str:
    field = model._meta.get_field(name)
    if isinstance(field, (models.IntegerField, models.DecimalField)):
        return str(int(float(before or 0)) + 1)
    return (before + " audited")[: field.max_length or None]


def test_a_change_through_the_admin_of_every_model_is_in_the_trail(client):
    build_club()
    # allauth's admin cannot save a social account whose provider data is empty ({} counts as
    # missing for a required JSON field): give it some, as a real log-in would.
    SocialAccount.objects.update(extra_data={"sub": "1"})
    superuser = StaffFactory(is_superuser=True)
    client.force_login(superuser)
    request = _superuser_request(superuser)
    checked, problems, without_text = [], [], []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        if not auditlog.contains(model) or not model_admin.has_change_permission(request):
            continue
        row = model._default_manager.order_by("pk").first()
        if row is None:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        page = client.get(url)
        if page.status_code != 200:
            problems.append(f"{opts.label}: change page answered {page.status_code}")
            continue
        reader = AdminFormReader(f"{opts.model_name}_form")
        reader.feed(page.content.decode())
        field = _editable_field(model, reader.text_fields)
        if field is None:
            without_text.append(opts.label)
            continue
        data: dict[str, list[str]] = {}
        for name, value in reader.data:
            data.setdefault(name, []).append(value)
        before = data[field][0]
        data[field] = [_edited(model, field, before)]
        data["_save"] = ["Save"]
        response = client.post(url, data)
        if response.status_code != 302:
            errors = response.context["adminform"].form.errors if response.context else response.status_code
            problems.append(f"{opts.label}: the admin refused the edit: {errors}")
            continue
        entry = LogEntry.objects.get_for_object(row).filter(action=LogEntry.Action.UPDATE).first()
        if entry is None or entry.actor_id != superuser.pk or field not in (entry.changes or {}):
            problems.append(f"{opts.label}: the edit of {field} is not in the trail")
            continue
        assert str(entry.changes[field][0]) == before
        checked.append(opts.label)
    assert problems == []
    print("checked:", checked, "no free text field to edit:", without_text)
    # The walk really edited the models staff work with every day.
    for label in ("members.Company", "members.User", "rewards.Reward", "campaigns.Campaign", "api.ApiClient"):
        assert label in checked, checked

"""A related field of a Django admin form given a key that is no key gets the form back
with "Select a valid choice", never a server error.

An autocomplete, a raw id or a multiple choice is posted with ``abc``, a NUL character and
a number past 64 bits, as a club admin editing a row that exists: the change form answers
200 with the error beside the field (or in the inline's row), and the row is unchanged.
"""

from __future__ import annotations

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from api.models import ApiClient
from campaigns.models import Activity, BadgeAward, Campaign, Challenge
from groups.models import CompanyGroup, CompanyGroupMember
from members.models import IdentityProvider
from tests.admin_forms import AdminFormReader
from tests.campaigns.factories import CampaignFactory
from tests.members.admin_world import build_club

pytestmark = pytest.mark.django_db

NOT_A_KEY = ("abc", "1\x00", "99999999999999999999", "-99999999999999999999")

# (the model whose change form is posted, the form field's name, or its suffix in an inline row)
RELATED_FIELDS = [
    (Campaign, "segment"),
    (Challenge, "campaign"),
    (Activity, "campaign"),
    (Activity, "event"),
    (BadgeAward, "company"),
    (CompanyGroup, "pool_company"),
    (CompanyGroup, "-0-company"),
    (ApiClient, "companies"),
    (IdentityProvider, "company"),
]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def club_admin_browser():
    club = build_club()
    CampaignFactory(name="Autumn draft", owner=club.club_admin)  # a draft's audience is editable
    browser = Client(raise_request_exception=False)
    browser.force_login(club.club_admin)
    return browser


def _snapshot(*models: type[Model]) -> list[list[dict]]:
    return [list(model._default_manager.order_by("pk").values()) for model in models]


def _field_errors(context, name: str) -> list[str]:
    """The errors shown beside the form field ``name`` (of the form or an inline's row)."""
    form = context["adminform"].form
    if name in form.errors:
        return list(form.errors[name])
    for inline in context["inline_admin_formsets"]:
        for row in inline.formset.forms:
            field = name.removeprefix(f"{row.prefix}-")
            if name.startswith(f"{row.prefix}-") and field in row.errors:
                return list(row.errors[field])
    return []


def test_a_related_field_given_a_key_that_is_no_key_gets_the_form_back_with_an_error(club_admin_browser):
    problems = []
    for model, field in RELATED_FIELDS:
        row = model._default_manager.order_by("-pk").first()
        assert row is not None, model
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        page = club_admin_browser.get(url)
        assert page.status_code == 200, (url, page.status_code)
        reader = AdminFormReader(f"{opts.model_name}_form")
        reader.feed(page.content.decode())
        fields = reader.fields()
        if field.startswith("-"):  # an inline's first row
            names = [name for name in fields if name.endswith(field)]
            assert len(names) == 1, (opts.label, field, sorted(fields))
            name = names[0]
        else:
            name = field
            assert name in page.context["adminform"].form.fields, (opts.label, name, "not editable")
        for value in NOT_A_KEY:
            before = _snapshot(model, CompanyGroupMember, ApiClient.companies.through)
            data = {**fields, name: [value], "_save": ["Save"]}
            response = club_admin_browser.post(url, data)
            what = f"{opts.label}.{name}={value!r}"
            if response.status_code != 200:
                problems.append(f"{what}: {response.status_code}")
                continue
            errors = _field_errors(response.context, name)
            if not errors:
                problems.append(f"{what}: no error beside the field")
            if _snapshot(model, CompanyGroupMember, ApiClient.companies.through) != before:
                problems.append(f"{what}: saved")
    assert problems == []


def test_an_add_form_given_a_key_that_is_no_key_in_its_address_opens_empty(club_admin_browser):
    problems = []
    for model, field in RELATED_FIELDS:
        if field.startswith("-"):
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        for value in NOT_A_KEY:
            response = club_admin_browser.get(url, {field: value})
            if response.status_code != 200:
                problems.append(f"{opts.label} ?{field}={value!r}: {response.status_code}")
    assert problems == []

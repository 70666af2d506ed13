"""A crafted query string or action never gives a server error in the Django admin.

Every registered model admin's change list is opened with hostile lookups (a year past
9999, the first day of year 1, whose conversion to UTC from Stockholm time underflows, the
last day of year 9999, a NUL character or garbage in every list filter) and answers with
the list or Django's "incorrect lookup parameters" redirect (``?e=1``). Every admin's first
action is posted with ids that are no primary key (not a number, past 64 bits): the list
says to select items, or runs on nothing, and nothing changes.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.messages import get_messages
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from rewards.models import LedgerEntry, Tier
from tests.factories import StaffFactory
from tests.members.admin_world import build_club

pytestmark = [
    pytest.mark.django_db,
    # "9999-12-31" is a sane bound: Django reads a naive date-time in the default zone, with a warning.
    pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning"),
]

NOT_A_KEY = ("abc", "99999999999999999999", "1\x00")


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def superuser():
    build_club()
    return StaffFactory(email="root@club.example", is_superuser=True)


@pytest.fixture
def browser(superuser):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    return client


def _registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _date_paths(model_admin, request) -> set[str]:
    """Every date and date-time field of the model, and those its filters and date
    hierarchy reach through relations."""
    paths = {
        field.name
        for field in model_admin.model._meta.concrete_fields
        if isinstance(field, models.DateField)  # DateTimeField is one too
    }
    candidates = [model_admin.date_hierarchy] if model_admin.date_hierarchy else []
    for list_filter in model_admin.get_list_filter(request):
        if isinstance(list_filter, (list, tuple)):
            list_filter = list_filter[0]
        if isinstance(list_filter, str):
            candidates.append(list_filter)
    for path in candidates:
        if isinstance(get_fields_from_path(model_admin.model, path)[-1], models.DateField):
            paths.add(path)
    return paths


def _filter_parameters(model_admin, request) -> set[str]:
    changelist = model_admin.get_changelist_instance(request)
    return {name for spec in changelist.filter_specs for name in spec.expected_parameters()}


def _hostile_queries(model_admin, request) -> list[dict]:
    queries = []
    for path in sorted(_date_paths(model_admin, request)):
        queries += [
            {f"{path}__year": "99999"},
            {f"{path}__year": "0"},
            {f"{path}__year": "1"},
            {f"{path}__gte": "0001-01-01"},
            {f"{path}__lt": "9999-12-31"},
            {f"{path}__gte": "garbage"},
        ]
    if model_admin.date_hierarchy:
        queries += [
            {f"{model_admin.date_hierarchy}__year": "9999"},
            {f"{model_admin.date_hierarchy}__year": "9999", f"{model_admin.date_hierarchy}__month": "12"},
        ]
    for parameter in sorted(_filter_parameters(model_admin, request)):
        queries += [{parameter: "\x00"}, {parameter: "garbage"}]
    queries.append({"q": "\x00"})
    return queries


def _snapshot(model) -> list[dict]:
    return list(model._default_manager.order_by("pk").values())


def test_no_change_list_answers_a_hostile_query_string_with_a_server_error(browser, superuser):
    request = _request(superuser)
    problems = []
    for model, model_admin in _registry():
        url = _changelist_url(model)
        for query in _hostile_queries(model_admin, request):
            response = browser.get(f"{url}?{urlencode(query)}")
            if response.status_code not in (200, 302):
                problems.append(f"{model._meta.label} {query}: {response.status_code}")
            elif response.status_code == 302 and response["Location"] != f"{url}?e=1":
                problems.append(f"{model._meta.label} {query}: redirected to {response['Location']}")
    assert problems == []


def test_no_admin_action_runs_on_ids_that_are_not_primary_keys(browser, superuser):
    request = _request(superuser)
    trail_before = LogEntry.objects.count()
    problems = []
    posted = 0
    for model, model_admin in _registry():
        actions = model_admin.get_actions(request)
        if not actions:
            continue
        action = "delete_selected" if "delete_selected" in actions else next(iter(actions))
        url = _changelist_url(model)
        before = _snapshot(model)
        for selected in NOT_A_KEY:
            # As the list's form sends it, and as the confirmation page of "delete selected" does.
            for form in ({"index": "0"}, {"post": "yes"}):
                data = {"action": action, "_selected_action": selected, **form}
                response = browser.post(url, data)
                posted += 1
                if response.status_code not in (200, 302):
                    problems.append(f"{model._meta.label} {data}: {response.status_code}")
        if _snapshot(model) != before:
            problems.append(f"{model._meta.label}: {action} changed rows")
    assert posted > 40
    assert problems == []
    assert LogEntry.objects.count() == trail_before


def test_the_reported_pages_answer_as_django_does_for_incorrect_lookups(browser):
    audit = _changelist_url(LogEntry)
    ledger = _changelist_url(LedgerEntry)
    purchases = reverse("admin:rewards_purchase_changelist")

    for url, query in [
        (audit, "resource_type=garbage"),
        (audit, "resource_type=%00"),
        (purchases, "occurred_at__year=99999"),
        (ledger, "created_at__gte=0001-01-01"),
        (ledger, "created_at__lt=9999-12-31%2023:59&created_at__year=1"),
    ]:
        response = browser.get(f"{url}?{query}")

        assert response.status_code == 302, query
        assert response["Location"] == f"{url}?e=1", query

    # A sane date still filters as before.
    assert browser.get(f"{ledger}?created_at__gte=2020-01-01").status_code == 200


def test_an_action_on_ids_that_are_not_keys_asks_to_select_items(browser):
    url = _changelist_url(Tier)
    tiers_before = _snapshot(Tier)

    response = browser.post(url, {"action": "delete_selected", "index": "0", "_selected_action": ["abc", "1" * 20]})

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Items must be selected in order to perform actions on them. No items have been changed."
    ]
    assert _snapshot(Tier) == tiers_before


def test_a_valid_id_among_invalid_ones_still_reaches_the_action(browser):
    url = _changelist_url(Tier)
    tier = Tier.objects.order_by("pk").first()

    response = browser.post(url, {"action": "delete_selected", "index": "0", "_selected_action": ["abc", tier.pk]})

    assert response.status_code == 200  # the confirmation page, for the one real row
    assert list(response.context["queryset"]) == [tier]

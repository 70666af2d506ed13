"""The "My data" page is for a person to read, in their language: choices as their labels,
notifications and reward names rendered in the reader's language, dates formatted, and none
of the portal's internals (message keys, JSON parameters, ids, dedupe keys). The download
keeps every field, internals included, as proper JSON."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from members.models import Membership, MembershipRole
from notifications.models import Notification, NotificationKind
from privacy.readable import HIDDEN, SHOWN_AS, hidden_fields
from privacy.registry import PERSONAL_DATA
from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import RedemptionStatus, RewardKind
from rewards.redemptions.services import redemption_request
from tests.factories import MembershipFactory, UserFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db

DEDUPE_KEY = "points:purchase:683"


@pytest.fixture
def dutch_member(company, club_admin):
    """A Dutch purchaser who ordered a donation (a notification with the reward's name in
    every language) and got a notice about an offer."""
    member = MembershipFactory(
        company=company, role=MembershipRole.PURCHASER, user=UserFactory(language="nl", first_name="Femke")
    ).user
    points_adjust(
        account=points_account_for_company(company=company), points=50_000, reason="welcome", by=club_admin, key="w"
    )
    reward = RewardFactory(title="Winter work jacket", kind=RewardKind.DONATION, points_cost=12_500)
    reward.title_nl = "Winterwerkjas"
    reward.save()
    redemption_request(reward=reward, membership=member.membership, quantity=1, request_key="order-nl")
    Notification.objects.create(
        recipient=member,
        kind=NotificationKind.OFFER,
        title_key="notice.offer",
        title_params={"title": {"en": "Double points on heat pumps", "nl": "Dubbele punten op warmtepompen"}},
        key=DEDUPE_KEY,
    )
    return member


def _pairs(page: str) -> list[tuple[str, str]]:
    """What the page shows, as (label, value) text: each ``<dt>`` and its ``<dd>``."""

    def text(part: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", part)).strip()

    found = re.findall(
        r'<dt class="col-sm-4 text-break">(.*?)</dt>\s*<dd class="col-sm-8 text-break">(.*?)</dd>', page, re.S
    )
    return [(text(label), text(value)) for label, value in found]


def test_the_page_reads_in_the_readers_language_without_internals(client, dutch_member, company):
    client.force_login(dutch_member)

    response = client.get(reverse("privacy:my_data"))

    page = response.content.decode()
    pairs = _pairs(page)
    shown_labels = {label for label, _value in pairs}
    values = [value for _label, value in pairs]
    notification = Notification.objects.get(recipient=dutch_member, kind=NotificationKind.REDEMPTION)
    order = dutch_member.membership.company.redemptions.get()
    with translation.override("nl"):
        labels = {
            str(MembershipRole.PURCHASER.label),
            str(RedemptionStatus(order.status).label),
            str(RewardKind.DONATION.label),
            str(NotificationKind.OFFER.label),
            str(NotificationKind.REDEMPTION.label),
        }
        title = notification.title
        created = date_format(timezone.localtime(notification.created_at), "DATETIME_FORMAT")
        company_label = str(Membership._meta.get_field("company").verbose_name).capitalize()
        # The membership's link to its person ("Ontvanger", a notification's, is also an
        # order's "recipient", a delivery name).
        person_link = str(Membership._meta.get_field("user").verbose_name).capitalize()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "nl"
    # Choices as their labels, in Dutch.
    assert labels <= set(values), labels - set(values)
    # Notifications rendered for the reader, the reward by its Dutch name, dates formatted.
    assert title in values and "Winterwerkjas" in title
    assert "Nieuwe aanbieding: Dubbele punten op warmtepompen" in values
    assert "Winterwerkjas" in values
    assert created in values
    assert (company_label, company.name) in pairs and order.number in values
    # No internals: raw codes, Python dicts, message keys, dedupe keys, ids.
    for raw in ("purchaser", order.status, "donation", "redemption", "offer", "points"):
        assert raw not in values, raw
    assert not [value for value in values if value.startswith(("{", "["))]
    assert "{&#x27;" not in page and "{'" not in page
    assert "notice." not in page
    assert DEDUPE_KEY not in page and notification.key not in page
    assert "order-nl" not in page  # the order's request key
    # No ids: neither a row's own nor the link to the person the page is about.
    assert "ID" not in shown_labels and person_link not in shown_labels


def test_the_download_keeps_the_internals_as_proper_json(client, dutch_member):
    client.force_login(dutch_member)

    response = client.get(reverse("privacy:download"))

    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.content.decode()
    data = json.loads(body)["data"]
    assert "{'" not in body
    notice = next(row for row in data["notifications"] if row["key"] == DEDUPE_KEY)
    assert notice["title_key"] == "notice.offer"
    assert notice["title_params"] == {
        "title": {"en": "Double points on heat pumps", "nl": "Dubbele punten op warmtepompen"}
    }
    order = next(row for row in data["notifications"] if row["kind"] == "redemption")
    assert isinstance(order["title_params"]["reward"], dict)
    assert data["membership"][0]["role"] == "purchaser"
    assert data["orders_placed"][0]["request_key"].endswith("order-nl")


def test_every_internal_field_of_the_registry_stays_off_the_page():
    """A new JSON field, key or link to a row without a readable name on a model the page
    shows is hidden (``HIDDEN``) or shown in words (``SHOWN_AS``), never raw."""
    undecided = []
    for entry in PERSONAL_DATA:
        model = apps.get_model(entry.model)
        hidden = hidden_fields(entry) | set(SHOWN_AS.get(entry.model, {}))
        for field in model._meta.concrete_fields:
            if field.name in hidden:
                continue
            internal = (
                isinstance(field, models.JSONField)
                or field.name.endswith(("key", "_id"))
                or (field.is_relation and field.related_model.__str__ is models.Model.__str__)
            )
            if internal:
                undecided.append(f"{entry.model}.{field.name}")
    assert undecided == []
    assert set(HIDDEN) <= {entry.model for entry in PERSONAL_DATA}

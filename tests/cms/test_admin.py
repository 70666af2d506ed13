"""The Wagtail editor opens every content page type, and marketing sees event sign-ups."""

from __future__ import annotations

import pytest

from cms import services
from cms.models import HowPointsWorkPage, StandardPage
from tests.cms.conftest import add_page, make_article, make_event, make_offer
from tests.factories import MembershipFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(group="Marketing"))
    return client


def test_the_editor_opens_every_page_type(
    marketer_client, home, offer_index, news_index, event_index, search_page, tiers
):
    pages = [
        home,
        offer_index,
        make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]]),
        news_index,
        make_article(news_index, "Launch"),
        event_index,
        make_event(event_index, "Tour"),
        add_page(home, StandardPage, title="Terms"),
        add_page(home, HowPointsWorkPage, title="How points work"),
        search_page,
    ]
    for page in pages:
        response = marketer_client.get(f"/cms/pages/{page.pk}/edit/")
        assert response.status_code == 200, (page, response.status_code)


def test_marketing_sees_who_signed_up(marketer_client, event_index):
    event = make_event(event_index, "Tour")
    person = MembershipFactory(user=UserFactory(email="signed.up@example.com")).user
    services.event_sign_up(event_id=event.pk, user=person)

    response = marketer_client.get("/cms/event_registrations/")

    assert response.status_code == 200
    assert "Tour" in response.content.decode()


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_the_sign_ups_export_neutralises_formula_cells(marketer_client, event_index, export_format):
    import csv
    import io

    import openpyxl

    evil = '=HYPERLINK("http://evil","x")'
    event = make_event(event_index, "Tour")
    person = MembershipFactory(user=UserFactory(first_name=evil, last_name="", email="e@example.com")).user
    services.event_sign_up(event_id=event.pk, user=person)

    response = marketer_client.get("/cms/event_registrations/", {"export": export_format})

    content = b"".join(response.streaming_content) if response.streaming else response.content
    if export_format == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    user_cells = [str(row[1]) for row in rows[1:]]
    assert user_cells and all(cell.startswith("'=") for cell in user_cells), user_cells


def test_wagtail_reports_neutralise_formula_cells_too(client, settings, home):
    import csv
    import io

    settings.STAFF_MFA_REQUIRED = False
    editor = StaffFactory(is_superuser=True)
    client.force_login(editor)
    page = add_page(home, StandardPage, title='=HYPERLINK("http://evil","x")', slug="evil")
    page.locked, page.locked_by = True, editor
    page.save(update_fields=["locked", "locked_by"])

    response = client.get("/cms/reports/locked/", {"export": "csv"})

    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert ["'" + page.title] in [row[:1] for row in rows[1:]], rows

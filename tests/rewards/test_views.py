"""Member points pages: the dashboard panels and the history with filters and exports.

Every page keeps a fixed query count however many entries the company has, every figure
shows its money value, and no member ever sees another company's entries.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rewards.ledger.services import points_account_for_company
from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProgrammeRules
from tests.factories import MembershipFactory, StaffFactory
from tests.mfa import login_with_totp

from .factories import TierFactory
from .helpers import earn, redeem

pytestmark = pytest.mark.django_db

# Session, user, membership, site and branding, menu, the points panels (summary, months,
# recent entries, rules) and the other apps' panels; measured, with a little headroom.
DASHBOARD_BUDGET = 32
HISTORY_BUDGET = 24  # + the account id, read first so the entries walk their index; + the company group, if any
EXPORT_BUDGET = 15  # + who caused the entries (one query for every row)

HISTORY_URL = "/points/history/"


@pytest.fixture
def sek_rules(rules) -> ProgrammeRules:
    rules.point_value = Decimal("0.05")
    rules.currency = "SEK"
    rules.save()
    return rules


@pytest.fixture
def tiers(db):
    return {
        "bronze": TierFactory(name="Bronze", qualifying_points=0),
        "silver": TierFactory(name="Silver", qualifying_points=10_000),
        "gold": TierFactory(name="Gold", qualifying_points=40_000),
    }


def add_history(account: PointsAccount, count: int, *, start: int = 0) -> None:
    """``count`` entries of every kind spread over two years, written in bulk (the services
    are tested elsewhere; here only the number of rows matters). The account's buckets are
    set to the sums, so the ledger stays consistent."""
    now = timezone.now()
    kinds = [EntryKind.EARN, EntryKind.RELEASE, EntryKind.REDEEM, EntryKind.ADJUST, EntryKind.EXPIRE]
    entries = []
    balance = sum(LedgerEntry.objects.filter(account=account).values_list("points", flat=True))
    for number in range(start, start + count):
        kind = kinds[number % len(kinds)]
        at = now - timedelta(hours=17 * number + 1)
        fields = {"points": 0, "pending_points": 0}
        if kind == EntryKind.EARN:
            fields = {
                "pending_points": 100,
                "available_at": at + timedelta(days=14),
                "expires_at": at + timedelta(days=730),
            }
        elif kind == EntryKind.RELEASE:
            fields = {"points": 100, "pending_points": -100, "expires_at": now + timedelta(days=number % 90)}
        elif kind == EntryKind.ADJUST:
            fields = {"points": 100, "expires_at": now + timedelta(days=number % 90)}
        else:
            fields = {"points": -10}
        balance += fields.get("points", 0)
        entries.append(
            LedgerEntry(
                account=account,
                kind=kind,
                balance_after=balance,  # as the services store it: the running balance in write order
                idempotency_key=f"bulk:{account.pk}:{number}",
                memo_key="text",
                memo_params={"text": f"Entry {number}"},
                created_at=at,
                **fields,
            )
        )
    LedgerEntry.objects.bulk_create(entries)
    rows = LedgerEntry.objects.filter(account=account)
    PointsAccount.objects.filter(pk=account.pk).update(
        balance=sum(rows.values_list("points", flat=True)),
        pending=sum(rows.values_list("pending_points", flat=True)),
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        response.getvalue()  # a streamed export reads while it is written
    assert response.status_code == 200, url
    return len(captured)


# --- The points figure -----------------------------------------------------------------------


def test_given_a_point_value_when_a_figure_is_rendered_then_it_shows_points_and_money(sek_rules):
    request = RequestFactory().get("/")
    template = Template("{% load points %}{% points_figure 12400 %}|{{ 12400|points }}|{% points_value 12400 %}")

    html = template.render(Context({"request": request}))

    figure, points_text, value_text = html.split("|")
    assert "12\u202f400 points" in figure
    assert "620\u00a0SEK" in figure
    assert points_text == "12\u202f400 points"
    assert value_text == "620\u00a0SEK"


def test_given_many_figures_on_a_page_when_rendered_then_the_rules_are_read_once(sek_rules):
    request = RequestFactory().get("/")
    template = Template("{% load points %}{% for n in numbers %}{% points_figure n %}{% endfor %}")

    with CaptureQueriesContext(connection) as captured:
        template.render(Context({"request": request, "numbers": range(50)}))

    assert len(captured) == 1


def test_given_a_fractional_value_when_rendered_then_cents_are_shown(sek_rules):
    html = Template("{% load points %}{% points_value 3 %}").render(Context({"request": RequestFactory().get("/")}))

    assert html == "0.15\u00a0SEK"


# --- Dashboard ---------------------------------------------------------------------------------


def test_given_points_when_member_opens_dashboard_then_balance_value_pending_expiry_tier_and_chart_show(
    member_client, company, sek_rules, tiers, portal_site
):
    now = timezone.now()
    earn(company, 12_000, at=now - timedelta(days=400), release=True)  # expires in about 330 days
    earn(company, 3_000, at=now - timedelta(days=700), release=True)  # expires in about 30 days
    earn(company, 2_000, at=now - timedelta(days=3))  # pending for 11 more days
    account = PointsAccount.objects.get(company=company)
    redeem(account, 1_000, key="coffee", at=now - timedelta(days=20))  # first in, first out: from the oldest

    page = member_client.get(reverse("dashboard")).content.decode()

    assert "14\u202f000 points" in page  # balance: 12 000 + 3 000 − 1 000
    assert "700\u00a0SEK" in page  # its value at 0.05 SEK
    assert "2\u202f000 points" in page and "100\u00a0SEK" in page  # pending and its value
    assert "available on" in page
    assert "2\u202f000 points expire on" in page  # what is left of the oldest lot
    # Silver since the big purchase (downgrades wait for the yearly evaluation); only the
    # 2 000 pending points count in the last 12 months, so 38 000 more reach Gold
    assert "Silver" in page
    assert "38\u202f000 points (1\u202f900\u00a0SEK) to Gold" in page
    assert 'role="progressbar"' in page
    # The chart component: a canvas drawn from a JSON block (no inline script or style)
    assert (
        'data-chart="points-chart-data"' in page and '<script id="points-chart-data" type="application/json">' in page
    )
    assert "Points earned and spent per month" in page  # the screen-reader table
    assert 'style="' not in page  # strict CSP: no inline styles


def test_given_no_points_yet_when_member_opens_dashboard_then_empty_panels_render(member_client, portal_site):
    page = member_client.get(reverse("dashboard")).content.decode()

    assert "0 points" in page
    assert "No points yet" in page


def test_given_10_or_1000_entries_when_member_opens_dashboard_then_same_number_of_queries(
    member_client, company, sek_rules, tiers, portal_site, django_assert_max_num_queries
):
    account = points_account_for_company(company=company)
    add_history(account, 10)
    member_client.get(reverse("dashboard"))  # warm per-process caches
    with django_assert_max_num_queries(DASHBOARD_BUDGET):
        small = count_queries(member_client, reverse("dashboard"))

    add_history(account, 990, start=10)
    with django_assert_max_num_queries(DASHBOARD_BUDGET):
        large = count_queries(member_client, reverse("dashboard"))

    assert LedgerEntry.objects.filter(account=account).count() == 1000
    assert large == small


# --- History ---------------------------------------------------------------------------------


def test_given_10_or_1000_entries_when_member_opens_history_then_same_number_of_queries(
    member_client, company, sek_rules, tiers, portal_site, django_assert_max_num_queries
):
    account = points_account_for_company(company=company)
    add_history(account, 10)
    member_client.get(HISTORY_URL)
    with django_assert_max_num_queries(HISTORY_BUDGET):
        small = count_queries(member_client, HISTORY_URL)
    with django_assert_max_num_queries(EXPORT_BUDGET):
        small_export = count_queries(member_client, HISTORY_URL + "?_export=csv")

    add_history(account, 990, start=10)
    with django_assert_max_num_queries(HISTORY_BUDGET):
        large = count_queries(member_client, HISTORY_URL + "?page=3")
    with django_assert_max_num_queries(HISTORY_BUDGET):
        last = count_queries(member_client, HISTORY_URL + "?page=40")
    with django_assert_max_num_queries(EXPORT_BUDGET):
        large_export = count_queries(member_client, HISTORY_URL + "?_export=csv")

    assert (large, last, large_export) == (small, small, small_export)


def test_given_entries_when_member_opens_history_then_rows_show_points_and_value_paginated(
    member_client, company, sek_rules, portal_site
):
    add_history(points_account_for_company(company=company), 60)

    page = member_client.get(HISTORY_URL).content.decode()
    second = member_client.get(HISTORY_URL + "?page=3").content.decode()

    assert "Entry 0<" in page and "Entry 24<" in page and "Entry 25<" not in page
    assert "+100" in page and "+5\u00a0SEK" in page  # a release row and its value
    assert "\u221210" in page and "\u22120.50\u00a0SEK" in page  # a redeem row and its value
    assert "Entry 59<" in second


def test_given_kind_and_date_filters_when_member_filters_then_only_matching_rows(
    member_client, company, sek_rules, portal_site
):
    account = points_account_for_company(company=company)
    add_history(account, 40)
    today = timezone.localdate()

    redeems = member_client.get(HISTORY_URL, {"kind": EntryKind.REDEEM}).context["table"]
    recent = member_client.get(HISTORY_URL, {"date_from": (today - timedelta(days=3)).isoformat()}).context["table"]
    window = member_client.get(
        HISTORY_URL,
        {"date_from": (today - timedelta(days=20)).isoformat(), "date_to": (today - timedelta(days=10)).isoformat()},
    ).context["table"]

    assert {row.record.kind for row in redeems.rows} == {EntryKind.REDEEM}
    assert len(redeems.rows) == 8
    assert recent.rows and all(
        timezone.localdate(row.record.created_at) >= today - timedelta(days=3) for row in recent.rows
    )
    assert window.rows and all(
        today - timedelta(days=20) <= timezone.localdate(row.record.created_at) <= today - timedelta(days=10)
        for row in window.rows
    )


@pytest.mark.parametrize("query", [{"kind": "bogus"}, {"kind": "redeem\x00"}])
def test_given_a_kind_the_history_does_not_offer_then_every_entry_shows_under_the_fields_error_not_an_empty_list(
    member_client, company, sek_rules, portal_site, query
):
    add_history(points_account_for_company(company=company), 10)

    response = member_client.get(HISTORY_URL, query)

    # The history is not strict (a filter that cannot apply shows every entry with its
    # error), so it never reads "nothing happened" for a value it does not offer.
    page = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["table"].rows) == 10
    assert 'class="invalid-feedback d-block"' in page


def test_given_a_filter_when_member_exports_csv_then_rows_match_the_filtered_entries(
    member_client, company, sek_rules, portal_site
):
    account = points_account_for_company(company=company)
    add_history(account, 40)

    response = member_client.get(HISTORY_URL, {"kind": EntryKind.ADJUST, "_export": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == ["Date", "Kind", "Description", "Dates", "Points", "Value (SEK)", "By", "Balance after"]
    expected = LedgerEntry.objects.filter(account=account, kind=EntryKind.ADJUST).order_by("-created_at", "-pk")
    assert len(body) == 8
    assert [row[2] for row in body] == [entry.memo for entry in expected]
    assert {row[1] for row in body} == {"Adjusted"}
    assert {(row[4], row[5]) for row in body} == {("100", "5.00")}


def test_given_entries_when_member_exports_xlsx_then_the_workbook_opens_with_every_row(
    member_client, company, sek_rules, portal_site
):
    add_history(points_account_for_company(company=company), 30)

    response = member_client.get(HISTORY_URL, {"_export": "xlsx"})

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.active.title == "Ledger entries"  # a sentence, not django-tables2's "Ledger Entries"
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("Date", "Kind", "Description", "Dates", "Points", "Value (SEK)", "By", "Balance after")
    assert len(rows) == 31
    assert {row[4] for row in rows[1:]} == {100, -10, 0}  # a release changes the total by 0
    assert {Decimal(str(row[5])) for row in rows[1:]} == {Decimal("5"), Decimal("-0.5"), Decimal("0")}
    assert "100 points (5\u00a0SEK) became spendable. Entry 1" in {row[2] for row in rows[1:]}  # with their value


# --- Scoping -------------------------------------------------------------------------------------

POINTS_URLS = [
    HISTORY_URL,
    HISTORY_URL + "?_export=csv",
    HISTORY_URL + "?_export=xlsx",
    HISTORY_URL + "?kind=redeem",
    "/dashboard/",
]


@pytest.fixture
def victim_history(company, sek_rules):
    account = points_account_for_company(company=company)
    add_history(account, 12)
    return account


def test_given_another_companys_member_when_opening_every_points_url_then_they_never_see_our_entries(
    client, victim_history, other_company_member, portal_site
):
    client.force_login(other_company_member)

    for url in POINTS_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Entry 3" not in response.getvalue(), url
    table = client.get(HISTORY_URL).context["table"]
    assert len(table.rows) == 0


def test_given_anonymous_visitor_when_opening_points_urls_then_sent_to_login(client, victim_history):
    for url in POINTS_URLS[:-1]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))


def test_given_staff_without_a_company_when_opening_history_then_403(client, victim_history, portal_site):
    login_with_totp(client, StaffFactory())

    for url in POINTS_URLS[:-1]:
        assert client.get(url).status_code == 403, url


def test_given_a_viewer_of_the_company_when_opening_history_then_they_see_the_companys_entries(
    client, company, victim_history, portal_site
):
    viewer = MembershipFactory(company=company, role="viewer").user
    client.force_login(viewer)

    assert len(client.get(HISTORY_URL).context["table"].rows) == 12


def test_given_a_member_when_menu_renders_then_points_is_in_it(member_client, portal_site):
    page = member_client.get(reverse("dashboard")).content.decode()

    assert f'href="{HISTORY_URL}"' in page


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_the_history_export_neutralises_formula_cells(member_client, company, sek_rules, portal_site, export_format):
    from rewards.ledger.services import points_adjust

    evil = '=HYPERLINK("http://evil","x")'
    account = points_account_for_company(company=company)
    points_adjust(account=account, points=100, reason=evil, by=StaffFactory(), key="evil-memo")

    response = member_client.get(HISTORY_URL, {"_export": export_format})

    if export_format == "csv":
        rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    else:
        rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][2] == "'" + evil
    assert str(rows[1][4]) == "100"

"""The staff fulfilment pages: the queue with its filters, bulk "mark fulfilled", the CSV for
the warehouse, low-stock warnings, rejections that return the points, voucher code uploads
with their report, and the admin's guard against overwriting a stock that moved."""

from __future__ import annotations

import csv
import inspect
import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_tables2 import RequestConfig

from rewards.catalogue.services import CatalogueError, approval_threshold_set, voucher_codes_upload
from rewards.models import Redemption, RedemptionStatus, Reward, VoucherCode
from rewards.redemptions.selectors import fulfilment_queue, fulfilment_queue_page
from rewards.redemptions.services import redemption_approve, redemption_cancel, redemption_fulfil, redemption_reject
from rewards.redemptions.tables import FulfilmentTable
from tests.factories import CompanyFactory, MembershipFactory

from .factories import RewardFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import fresh, give_points, request_redemption

pytestmark = pytest.mark.django_db

QUEUE_URL = "/staff/rewards/"
QUEUE_BUDGET = 18  # + the unread badges on the bell and Messages (2)


def streamed(response) -> str:
    """The export's text: it is streamed from a cursor, never built whole in the request."""
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.fixture
def buyer(purchaser, account):
    give_points(account, 1_000_000)
    return purchaser.membership


def numbers(response) -> list[str]:
    return re.findall(r">(R-\d{5})</a>", response.content.decode())


def test_given_orders_in_every_state_when_the_queue_opens_then_it_shows_what_is_ready_oldest_first(
    client, fulfiller, buyer, company_admin
):
    approval_threshold_set(company=buyer.company, threshold=5_000, by=company_admin)
    reward = RewardFactory(points_cost=1_000)
    old = request_redemption(buyer, reward, now=timezone.now() - timedelta(days=8))
    new = request_redemption(buyer, reward)
    waiting = request_redemption(buyer, RewardFactory(points_cost=10_000))
    done = request_redemption(buyer, reward)
    redemption_fulfil(redemption=done, by=fulfiller)

    assert numbers(client.get(QUEUE_URL)) == [old.number, new.number]
    assert '1\u202f000 <span class="d-block small text-body-secondary">50\u00a0SEK</span>' in (
        client.get(QUEUE_URL).content.decode()
    ), "each order's points with their value"
    assert numbers(client.get(QUEUE_URL, {"status": "awaiting_approval"})) == [waiting.number]
    assert numbers(client.get(QUEUE_URL, {"status": "fulfilled"})) == [done.number]
    assert numbers(client.get(QUEUE_URL, {"status": "open"})) == [old.number, new.number, waiting.number]
    assert numbers(client.get(QUEUE_URL, {"age": "7"})) == [old.number]
    assert numbers(client.get(QUEUE_URL, {"q": old.number})) == [old.number]


def test_given_the_kind_filter_then_only_that_kind(client, fulfiller, buyer):
    parcel = request_redemption(buyer, RewardFactory(points_cost=1_000))
    donation = request_redemption(buyer, RewardFactory(points_cost=1_000, kind="donation", charity_name="Red Cross"))

    assert numbers(client.get(QUEUE_URL, {"kind": "donation"})) == [donation.number]
    assert numbers(client.get(QUEUE_URL, {"kind": "physical"})) == [parcel.number]


@pytest.mark.parametrize("query", [{"status": "bogus"}, {"kind": "bogus"}, {"age": "9999"}, {"status": "open\x00"}])
def test_given_a_filter_the_queue_does_not_offer_then_it_says_so_instead_of_all_dealt_with(
    client, fulfiller, buyer, query
):
    request_redemption(buyer, RewardFactory(points_cost=1_000))
    response = client.get(QUEUE_URL, query)
    page = response.content.decode()
    assert response.status_code == 400
    assert "This filter is not one the queue offers" in page
    assert "every order matching the filter is dealt with" not in page
    assert 'class="invalid-feedback d-block"' in page  # the field that is wrong is marked
    export = client.get(QUEUE_URL, {**query, "_export": "csv"})
    assert export.status_code == 400 and not export.get("Content-Disposition")  # no empty download


def test_given_e_vouchers_then_the_queue_lists_only_orders_that_need_hands(client, fulfiller, buyer):
    parcel = request_redemption(buyer, RewardFactory(points_cost=1_000))
    voucher = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory(reward=voucher)
    instant = request_redemption(buyer, voucher)

    assert numbers(client.get(QUEUE_URL)) == [parcel.number]
    assert numbers(client.get(QUEUE_URL, {"status": "fulfilled"})) == [instant.number]


def test_given_ticked_orders_when_marked_fulfilled_then_each_is_fulfilled_or_explained(
    client, fulfiller, buyer, company_admin
):
    approval_threshold_set(company=buyer.company, threshold=5_000, by=company_admin)
    ready = [request_redemption(buyer, RewardFactory(points_cost=1_000)) for _ in range(3)]
    waiting = request_redemption(buyer, RewardFactory(points_cost=10_000))

    response = client.post(
        reverse("rewards_staff:bulk_fulfil"),
        {"selected": [r.pk for r in ready] + [waiting.pk], "note": "Sent with DHL", "querystring": "kind=physical"},
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{QUEUE_URL}?kind=physical"
    assert "3 orders marked fulfilled." in page
    assert f"Order {waiting.number} still waits for the company" in page
    assert sorted(Redemption.objects.filter(status=RedemptionStatus.FULFILLED).values_list("pk", flat=True)) == [
        r.pk for r in ready
    ]
    assert set(Redemption.objects.filter(pk__in=[r.pk for r in ready]).values_list("fulfilment_note", flat=True)) == {
        "Sent with DHL"
    }


def test_given_nothing_ticked_when_marking_fulfilled_then_a_message_and_nothing_changes(client, fulfiller, buyer):
    request_redemption(buyer, RewardFactory(points_cost=1_000))

    response = client.post(reverse("rewards_staff:bulk_fulfil"), {"note": "x"}, follow=True)

    assert "Tick the orders to mark fulfilled." in response.content.decode()
    assert not Redemption.objects.filter(status=RedemptionStatus.FULFILLED).exists()


def test_given_the_queue_when_exported_then_the_warehouse_gets_every_filtered_row_with_the_address(
    client, fulfiller, buyer
):
    reward = RewardFactory(points_cost=1_000, sku="THERMOS", title="Thermos")
    orders = [request_redemption(buyer, reward, quantity=2, note="Leave at the gate") for _ in range(60)]

    response = client.get(QUEUE_URL, {"_export": "csv"})

    rows = list(csv.reader(io.StringIO(streamed(response))))
    header = rows[0]
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 61  # every row, not one page
    for column in ("Order", "Article number", "Recipient", "Street address", "Postal code", "City", "Country", "Note"):
        assert column in header
    first = dict(zip(header, rows[1], strict=True))
    assert first["Order"] == orders[0].number
    assert (first["Article number"], first["Qty"], first["City"], first["Note"]) == (
        "THERMOS",
        "2",
        "Göteborg",
        "Leave at the gate",
    )
    assert "Select all" not in ",".join(header)


def test_given_many_orders_when_the_queue_opens_then_its_queries_stay_the_same(
    client, fulfiller, buyer, django_assert_max_num_queries
):
    reward = RewardFactory(points_cost=1_000)
    for _ in range(3):
        request_redemption(buyer, reward)
    client.get(QUEUE_URL)
    with CaptureQueriesContext(connection) as small:
        client.get(QUEUE_URL)
    for index in range(80):
        company = CompanyFactory()
        MembershipFactory(company=company)
        request_redemption(buyer, RewardFactory(points_cost=1_000, stock=3 if index % 10 == 0 else None))

    with django_assert_max_num_queries(QUEUE_BUDGET):
        response = client.get(QUEUE_URL)
    with CaptureQueriesContext(connection) as large:
        client.get(QUEUE_URL)

    assert len(numbers(response)) == 50
    assert len(large) == len(small)


def test_given_many_orders_when_the_queue_opens_then_no_cell_compiles_a_template_or_inspects_a_renderer(
    client, fulfiller, buyer
):
    # django-tables2's own rows inspect each cell's renderer and a DateTimeColumn compiles a
    # template for each cell: 550 of each on a page of 50 orders. The queue does that once a page.
    reward = RewardFactory(points_cost=1_000)
    for _ in range(3):
        request_redemption(buyer, reward)
    client.get(QUEUE_URL)
    small = work_done(client)
    for _ in range(60):
        request_redemption(buyer, reward)

    large = work_done(client)

    assert large == small


def work_done(client) -> tuple[int, int]:
    """How many functions the queue's page inspects and how many templates it compiles."""
    compile_nodelist = Template.compile_nodelist
    with (
        mock.patch("inspect.signature", wraps=inspect.signature) as inspected,
        mock.patch.object(Template, "compile_nodelist", autospec=True, side_effect=compile_nodelist) as compiled,
    ):
        assert len(numbers(client.get(QUEUE_URL))) > 0
    return inspected.call_count, compiled.call_count


@pytest.mark.parametrize("language", ["en", "sv"])
def test_given_orders_of_every_kind_and_state_then_the_queue_shows_django_tables2s_own_cells(
    fulfiller, buyer, company_admin, rules, language
):
    # The queue renders its rows itself (FulfilmentTable.body_rows) from fewer columns
    # (fulfilment_queue_page); the table must read as django-tables2 renders it from the
    # whole queue: every cell, its attributes, labels, defaults and escaping.
    company = buyer.company
    company.name = 'Bygg & <Söner> "AB"'
    company.save(update_fields=["name"])
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)
    parcel = RewardFactory(points_cost=1_000, title="Kaffe <3 & te")
    request_redemption(buyer, parcel, now=timezone.now() - timedelta(days=8))
    request_redemption(buyer, RewardFactory(points_cost=1_000, kind="donation", charity_name="Red Cross"))
    voucher = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory(reward=voucher)
    request_redemption(buyer, voucher)
    redemption_fulfil(redemption=request_redemption(buyer, parcel), by=fulfiller)
    redemption_reject(redemption=request_redemption(buyer, parcel), by=fulfiller, comment="Sold out")
    approved = request_redemption(buyer, RewardFactory(points_cost=10_000))
    redemption_approve(redemption=approved, by=company_admin)
    request_redemption(buyer, RewardFactory(points_cost=10_000))  # awaits approval
    cancel = request_redemption(buyer, parcel)
    redemption_cancel(redemption=cancel, by=cancel.requested_by)
    request = RequestFactory().get(QUEUE_URL, {"status": "", "sort": "-age"})
    request.user = fulfiller

    with translation.override(language):
        page = table_html(fulfilment_queue_page(visible_to=fulfiller), request, rules)
        stock = table_html(
            fulfilment_queue(visible_to=fulfiller), request, rules, "django_tables2/bootstrap5-responsive.html"
        )

    assert page.count("<tr") == 1 + 8
    assert page == stock


def table_html(queryset, request, rules, template_name=None) -> str:
    """The table as rendered, with the whitespace between tags left out."""
    table = FulfilmentTable(queryset, rules=rules, template_name=template_name)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", table.as_html(request)))


def test_given_rewards_running_low_then_the_queue_warns_with_links_to_restock(client, fulfiller):
    RewardFactory(title="Site radio", stock=2, low_stock_threshold=5)
    RewardFactory(title="Thermos", stock=40)
    empty = VoucherRewardFactory(title="Fuel card", low_stock_threshold=3)
    VoucherCodeFactory(reward=empty)

    page = client.get(QUEUE_URL).content.decode()

    warning = page[page.index('data-testid="low-stock"') :]
    assert "Site radio" in warning and "2 left in stock" in warning
    assert "Fuel card" in warning and "1 voucher code left" in warning
    assert "Thermos" not in warning.split("</section>")[0]
    assert f"{reverse('rewards_staff:voucher_upload')}?reward={empty.pk}" in warning


def test_given_an_order_when_staff_reject_it_then_the_points_come_back_and_the_member_is_told(
    client, fulfiller, buyer, account
):
    order = request_redemption(buyer, RewardFactory(points_cost=10_000))

    response = client.post(
        reverse("rewards_staff:reject", args=[order.pk]), {"reason": "Discontinued by the supplier"}, follow=True
    )

    order.refresh_from_db()
    assert order.status == RedemptionStatus.REJECTED
    assert fresh(account).balance == 1_000_000
    assert f"{order.company.name} has its 10\u202f000 points back." in response.content.decode()
    assert order.requested_by.notifications.filter(key=f"redemption:{order.pk}:rejected").exists()

    # rejected again (a second tab, a double click): said so, nothing given back twice
    again = client.post(reverse("rewards_staff:reject", args=[order.pk]), {"reason": "Again"}, follow=True)
    page = again.content.decode()
    assert f"Order {order.number} was already rejected; its points went back then." in page
    assert "has its 10\u202f000 points back" not in page
    assert fresh(account).balance == 1_000_000


def test_given_a_rejection_without_a_reason_then_refused(client, fulfiller, buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=10_000))

    response = client.post(reverse("rewards_staff:reject", args=[order.pk]), {"reason": ""}, follow=True)

    assert "This field is required." in response.content.decode()
    assert Redemption.objects.get().status == RedemptionStatus.REQUESTED


def test_given_an_order_when_fulfilled_with_tracking_and_corrected_later_then_the_member_sees_it(
    client, fulfiller, buyer, purchaser
):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    client.post(reverse("rewards_staff:fulfil", args=[order.pk]), {"tracking_reference": "PN-1", "note": "Two boxes"})
    client.post(reverse("rewards_staff:delivery", args=[order.pk]), {"tracking_reference": "PN-2", "note": "Two boxes"})

    order.refresh_from_db()
    assert (order.status, order.tracking_reference, order.fulfilment_note) == ("fulfilled", "PN-2", "Two boxes")
    client.force_login(purchaser)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "PN-2" in page and "Two boxes" in page


# --- Voucher codes --------------------------------------------------------------------------


def test_given_a_csv_with_duplicates_blanks_and_known_codes_when_uploaded_then_each_is_reported(fulfiller):
    reward = VoucherRewardFactory()
    VoucherCodeFactory(reward=reward, code="KNOWN-1")
    data = "code\nNEW-1\n\nNEW-2\nNEW-1\n  \nKNOWN-1\n" + "X" * 101 + "\nNEW-3\n"

    report = voucher_codes_upload(reward=reward, data=data.encode(), by=fulfiller)

    assert report.added == 3
    assert report.duplicates_in_file == [(5, "NEW-1", 2)]
    assert report.blank_lines == [3, 6]
    assert report.already_in_pool == [(7, "KNOWN-1")]
    assert report.rejected == [(8, "A code is at most 100 characters; this one has 101.")]
    assert report.codes_left == 4
    assert sorted(VoucherCode.objects.values_list("code", flat=True)) == ["KNOWN-1", "NEW-1", "NEW-2", "NEW-3"]


def test_given_the_same_file_uploaded_twice_then_nothing_is_added_the_second_time(fulfiller):
    reward = VoucherRewardFactory()
    data = b"A-1\nA-2\n"

    voucher_codes_upload(reward=reward, data=data, by=fulfiller)
    again = voucher_codes_upload(reward=reward, data=data, by=fulfiller)

    assert again.added == 0 and len(again.already_in_pool) == 2
    assert VoucherCode.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\xff\xfe\x00\x00binary", "not UTF-8"), (b"code\n" + b"\x00\x01", "Line 2 contains a NUL byte")],
)
def test_given_a_file_that_is_not_csv_text_when_uploaded_then_refused(fulfiller, data, message):
    with pytest.raises(CatalogueError, match=message):
        voucher_codes_upload(reward=VoucherRewardFactory(), data=data, by=fulfiller)
    assert not VoucherCode.objects.exists()


def test_given_a_physical_reward_when_codes_are_uploaded_then_refused(fulfiller):
    with pytest.raises(CatalogueError, match="not a voucher reward"):
        voucher_codes_upload(reward=RewardFactory(), data=b"A\n", by=fulfiller)


def test_given_the_upload_page_when_a_file_is_sent_then_the_report_lists_the_lines(client, fulfiller):
    reward = VoucherRewardFactory(title="Gift card 500")
    upload = SimpleUploadedFile("codes.csv", b"code\nG-1\nG-1\n\n", "text/csv")

    page = client.post(reverse("rewards_staff:voucher_upload"), {"reward": reward.pk, "file": upload}).content.decode()

    assert "1 code added to Gift card 500." in page
    assert "Line 3: <code>G-1</code> is already on line 2" in page
    assert "Blank lines (skipped)" in page


def test_given_a_file_that_is_not_csv_on_the_upload_page_then_the_form_says_so(client, fulfiller):
    reward = VoucherRewardFactory()
    upload = SimpleUploadedFile("codes.xlsx", b"PK\x03\x04", "application/vnd.ms-excel")

    page = client.post(reverse("rewards_staff:voucher_upload"), {"reward": reward.pk, "file": upload}).content.decode()

    assert "Upload a .csv or .txt file." in page
    assert not VoucherCode.objects.exists()


# --- The catalogue in the admin -------------------------------------------------------------


def test_given_a_stock_that_changed_while_the_admin_edited_it_when_saved_then_refused(client, fulfiller, buyer):
    reward = RewardFactory(points_cost=1_000, stock=10)
    url = reverse("admin:rewards_reward_change", args=[reward.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"stock": "10", "stock_seen": "10", "title": "Renamed", "is_active": "on"}
    data |= {"images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0", "images-MIN_NUM_FORMS": "0"}
    data |= {"images-MAX_NUM_FORMS": "1000", "category": "", "tier_required": ""}
    data = {
        key: value for key, value in data.items() if key not in ("available_from", "available_until", "event_starts_at")
    }
    request_redemption(buyer, reward)  # an order takes one while the page is open

    response = client.post(url, data)

    assert response.status_code == 200
    assert "The stock changed to 9 while you were editing" in response.content.decode()
    assert Reward.objects.get(pk=reward.pk).stock == 9

    data["stock_seen"] = "9"
    data["stock"] = "15"
    assert client.post(url, data).status_code == 302
    assert Reward.objects.get(pk=reward.pk).stock == 15


def test_given_a_note_that_looks_like_a_formula_when_exported_then_the_spreadsheet_sees_text(client, fulfiller, buyer):
    request_redemption(buyer, RewardFactory(points_cost=1_000), note='=HYPERLINK("https://evil.example","Click")')

    rows = list(csv.reader(io.StringIO(streamed(client.get(QUEUE_URL, {"_export": "csv"})))))

    note = dict(zip(rows[0], rows[1], strict=True))["Note"]
    assert note == '\'=HYPERLINK("https://evil.example","Click")'


def test_every_row_checkbox_of_the_queue_has_a_label(client, fulfiller, buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    page = client.get(QUEUE_URL).content.decode()

    assert f'aria-label="Select order {order.number}"' in page


def test_fulfilment_staff_who_are_not_club_admins_see_and_fulfil_only_their_own_accounts_orders(
    client, settings, rep, buyer, other_member
):
    # The queue follows the one scoping rule of the Django admin: a sales rep given the
    # fulfilment permission works on their own accounts' orders, never another rep's.
    from django.contrib.auth.models import Permission

    from rewards.ledger.services import points_account_for_company

    settings.STAFF_MFA_REQUIRED = False
    rep.user_permissions.add(Permission.objects.get(codename="fulfil_redemption"))
    give_points(points_account_for_company(company=other_member.membership.company), 1_000_000)
    own = request_redemption(buyer, RewardFactory(points_cost=1_000))
    others = request_redemption(other_member.membership, RewardFactory(points_cost=1_000))
    client.force_login(rep)

    queue = numbers(client.get(QUEUE_URL))
    export = streamed(client.get(QUEUE_URL, {"_export": "csv"}))
    page = client.get(reverse("rewards_staff:redemption", args=[others.pk]))
    client.post(reverse("rewards_staff:bulk_fulfil"), {"selected": [own.pk, others.pk], "note": "x"})
    client.post(reverse("rewards_staff:fulfil", args=[others.pk]), {"tracking_reference": "T1", "note": ""})

    assert queue == [own.number]
    assert own.number in export and others.number not in export
    assert page.status_code == 404
    assert fresh_status(own) == RedemptionStatus.FULFILLED
    assert fresh_status(others) == RedemptionStatus.REQUESTED


def fresh_status(redemption) -> str:
    return Redemption.objects.values_list("status", flat=True).get(pk=redemption.pk)


def test_the_queue_export_neutralises_formula_cells(client, fulfiller, buyer):
    evil = '=HYPERLINK("http://evil","x")'
    request_redemption(buyer, RewardFactory(points_cost=1_000), note=evil)

    response = client.get(QUEUE_URL, {"_export": "csv"})

    header, first = list(csv.reader(io.StringIO(streamed(response))))[:2]
    assert dict(zip(header, first, strict=True))["Note"] == "'" + evil

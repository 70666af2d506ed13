"""Every status change of a redemption tells the person who placed it (kind REDEMPTION), once,
in their language, e-mailed after the transaction commits; an order that needs approval asks
the company's admins (kind APPROVAL)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from notifications.models import Notification, NotificationKind
from rewards.catalogue.services import approval_threshold_set
from rewards.redemptions.services import redemption_approve, redemption_fulfil, redemption_reject
from tests.factories import StaffFactory

from .factories import RewardFactory
from .helpers import give_points, request_redemption

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(purchaser, account):
    give_points(account, 100_000)
    return purchaser.membership


def test_given_an_order_through_approval_to_fulfilment_then_the_buyer_hears_of_each_step_once(
    buyer, company_admin, django_capture_on_commit_callbacks
):
    approval_threshold_set(company=buyer.company, threshold=1_000, by=company_admin)
    staff = StaffFactory(group="Club admins")

    with django_capture_on_commit_callbacks(execute=True):
        order = request_redemption(buyer, RewardFactory(title="Thermos", points_cost=5_000))
    with django_capture_on_commit_callbacks(execute=True):
        redemption_approve(redemption=order, by=company_admin, comment="Fine")
        redemption_approve(redemption=order, by=company_admin, comment="Fine")  # a double click
    with django_capture_on_commit_callbacks(execute=True):
        redemption_fulfil(redemption=order, by=staff, tracking_reference="PN-77")

    to_buyer = Notification.objects.filter(recipient=buyer.user).order_by("pk")
    # Placing an order that needs approval is one notice: it waits for approval.
    assert [n.key.rsplit(":", 1)[1] for n in to_buyer] == ["awaiting_approval", "approved", "fulfilled"]
    assert {n.kind for n in to_buyer} == {NotificationKind.REDEMPTION}
    assert all(n.url == order.get_absolute_url() for n in to_buyer)
    assert "PN-77" in to_buyer.last().body
    # Every points figure with its money value (1 point = 0.05 SEK here).
    assert "The 5\u202f000 points (250\u00a0SEK) are reserved" in to_buyer.first().body
    to_admin = Notification.objects.get(recipient=company_admin)
    assert to_admin.kind == NotificationKind.APPROVAL and order.number in to_admin.title
    assert "for 5\u202f000 points (250\u00a0SEK)." in to_admin.body
    subjects = sorted(message.subject for message in mail.outbox)
    assert len([m for m in mail.outbox if m.to == [buyer.user.email]]) == 3
    assert [m.to for m in mail.outbox].count([company_admin.email]) == 1
    assert f"Order {order.number} has been fulfilled" in subjects


def test_given_a_swedish_buyer_when_the_order_is_rejected_then_the_notice_is_in_swedish(buyer, company_admin):
    buyer.user.language = "sv"
    buyer.user.save(update_fields=["language"])
    approval_threshold_set(company=buyer.company, threshold=1_000, by=company_admin)
    order = request_redemption(buyer, RewardFactory(points_cost=5_000))

    redemption_reject(redemption=order, by=company_admin, comment="Inte nu")

    rejected = Notification.objects.get(recipient=buyer.user, key=f"redemption:{order.pk}:rejected")
    with translation.override("sv"):  # what the buyer's pages show
        assert rejected.title == f"Beställning {order.number} avslogs"
        assert "Inte nu" in rejected.body
        assert "5\u00a0000 poäng (250\u00a0SEK) är tillbaka" in rejected.body


def test_given_notify_false_then_nobody_is_told(buyer):
    request_redemption(buyer, RewardFactory(points_cost=5_000), notify=False)

    assert not Notification.objects.exists()


def test_given_a_rolled_back_order_then_no_email_goes_out(buyer, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                request_redemption(buyer, RewardFactory(points_cost=5_000))
                raise RuntimeError("the request failed after the order")
        except RuntimeError:
            pass

    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_given_an_e_voucher_when_ordered_then_the_code_is_in_the_e_mail_in_the_buyers_language(
    buyer, django_capture_on_commit_callbacks
):
    from .factories import VoucherCodeFactory, VoucherRewardFactory

    buyer.user.language = "sv"
    buyer.user.save(update_fields=["language"])
    reward = VoucherRewardFactory(title="Presentkort 200 kr", points_cost=5_000)
    VoucherCodeFactory(reward=reward, code="NSC-4711-XYZ")

    with django_capture_on_commit_callbacks(execute=True):
        order = request_redemption(buyer, reward)

    (sent,) = mail.outbox
    assert sent.to == [buyer.user.email]
    assert order.number in sent.subject
    assert "Din presentkortskod: NSC-4711-XYZ" in sent.body
    assert "NSC-4711-XYZ" in sent.alternatives[0][0]

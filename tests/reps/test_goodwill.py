"""Goodwill points: a rep gives their own accounts points from a monthly budget set by club
admins, with a reason; each gift is a ledger adjustment by the rep. Anything else is refused
and changes nothing."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from members.models import CompanyStatus
from notifications.models import Notification, NotificationKind
from reps.models import GoodwillAward, GoodwillBudget
from reps.selectors import goodwill_status
from reps.services import RepsError, goodwill_award, goodwill_budget_set, month_of
from rewards.ledger.selectors import ledger_mismatches
from rewards.models import EntryKind, LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db


def give(rep, company, points=100, reason="Thanks for the big order", key="k-1", **kwargs):
    return goodwill_award(rep=rep, company=company, points=points, reason=reason, key=key, **kwargs)


def balance(company) -> int:
    account = PointsAccount.objects.filter(company=company).first()
    return account.balance if account else 0


def test_a_gift_is_a_ledger_adjustment_by_the_rep_with_the_reason_and_uses_the_budget(
    company, rep, purchaser, budget, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        award = give(rep, company, points=300)

    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.points, entry.created_by) == (EntryKind.ADJUST, 300, rep)
    assert entry.memo == "Goodwill from Anna Sälj: Thanks for the big order"
    assert entry.expires_at is not None  # goodwill points expire like earned ones
    assert award.entry == entry and balance(company) == 300
    budget.refresh_from_db()
    assert (budget.awarded, budget.left) == (300, 700)
    assert ledger_mismatches() == []
    notice = Notification.objects.get(recipient=purchaser)
    assert notice.kind == NotificationKind.POINTS and notice.title == "Anna Sälj gave you 300 points (15\u00a0SEK)"
    assert [message.to for message in mailoutbox] == [[purchaser.email]]


def test_the_same_form_sent_twice_gives_once(company, rep, budget):
    first = give(rep, company, points=200, key="form-1")
    again = give(rep, company, points=200, key="form-1")

    assert again.pk == first.pk
    assert balance(company) == 200 and GoodwillAward.objects.count() == 1
    with pytest.raises(RepsError, match="already used"):
        give(rep, company, points=999, key="form-1")


def test_more_than_is_left_of_the_budget_is_refused_and_nothing_changes(company, rep, budget):
    give(rep, company, points=900, key="a")

    # Figures grouped, and what is left with its money value.
    with pytest.raises(
        RepsError, match="^Only 100 points \\([0-9,.]+\u00a0SEK\\) of your 1\u202f000 goodwill points are left"
    ):
        give(rep, company, points=101, key="b")

    budget.refresh_from_db()
    assert (budget.awarded, balance(company), GoodwillAward.objects.count()) == (900, 900, 1)
    give(rep, company, points=100, key="c")  # exactly what is left is fine


def test_an_account_that_is_not_the_reps_is_refused(company, rep, budget, other_company, other_rep):
    with pytest.raises(RepsError, match="is not one of your accounts"):
        give(rep, other_company)
    GoodwillBudget.objects.create(rep=other_rep, month=budget.month, points=1000)
    with pytest.raises(RepsError, match="is not one of your accounts"):
        give(other_rep, company)

    assert not LedgerEntry.objects.exists() and not GoodwillAward.objects.exists()


@pytest.mark.parametrize(
    ("points", "reason", "message"),
    [
        (0, "Thanks", "positive number"),
        (-50, "Thanks", "positive number"),
        (100, "   ", "Say why"),
        (100, "x" * 301, "300 characters"),
    ],
)
def test_bad_gifts_are_refused(company, rep, budget, points, reason, message):
    with pytest.raises(RepsError, match=message):
        give(rep, company, points=points, reason=reason)
    assert not LedgerEntry.objects.exists()


def test_no_budget_no_gift_and_suspended_companies_get_none(company, rep):
    with pytest.raises(RepsError, match="no goodwill budget"):
        give(rep, company)
    GoodwillBudget.objects.create(rep=rep, month=month_of(timezone.now()), points=500)
    company.status = CompanyStatus.SUSPENDED
    company.save()
    with pytest.raises(RepsError, match="suspended"):
        give(rep, company)
    assert not LedgerEntry.objects.exists()


def test_a_budget_carries_over_to_the_next_month_with_nothing_used(company, rep):
    GoodwillBudget.objects.create(rep=rep, month=date(2026, 5, 1), points=800, awarded=800)
    june = timezone.make_aware(timezone.datetime(2026, 6, 10, 12, 0))

    assert goodwill_status(rep=rep, now=june).left == 800
    give(rep, company, points=300, now=june)

    june_budget = GoodwillBudget.objects.get(rep=rep, month=date(2026, 6, 1))
    assert (june_budget.points, june_budget.awarded) == (800, 300)


def test_a_club_admin_sets_a_budget_but_not_below_what_was_given(company, rep, club_admin, budget):
    give(rep, company, points=400)

    with pytest.raises(RepsError, match="already given 400 points"):
        goodwill_budget_set(rep=rep, month=budget.month, points=300, by=club_admin)
    assert goodwill_budget_set(rep=rep, month=budget.month, points=2000, by=club_admin).points == 2000
    with pytest.raises(RepsError, match="Only club admins"):
        goodwill_budget_set(rep=rep, month=budget.month, points=5000, by=rep)


def test_the_account_page_gives_points_and_shows_refusals(client, settings, company, rep, budget):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)
    url = reverse("reps:goodwill", args=[company.pk])

    refused = client.post(url, {"points": "5000", "reason": "Too generous", "key": "k-a"})
    assert refused.status_code == 400
    assert re.search(
        "Only 1\u202f000 points \\([0-9,.\u202f]+\u00a0SEK\\) of your 1\u202f000 goodwill points are left this month.",
        refused.content.decode(),
    )
    assert balance(company) == 0
    empty = client.post(url, {"points": "10", "reason": "", "key": "k-b"})
    assert empty.status_code == 400 and "Say why" in empty.content.decode()

    given = client.post(url, {"points": "250", "reason": "Ten years as a customer", "key": "k-c"})
    assert given.status_code == 302 and given["Location"].endswith("#goodwill")
    assert balance(company) == 250


@pytest.mark.parametrize("key", ["", " ", "k" * 65, None])
def test_a_tampered_key_is_refused_with_a_message_the_page_shows_and_nothing_is_given(
    client, settings, company, rep, budget, key
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(rep)
    data = {"points": "10", "reason": "Thanks"} | ({} if key is None else {"key": key})

    response = client.post(reverse("reps:goodwill", args=[company.pk]), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "No points were given. Please correct the problem below." in page
    assert "This form has expired; please reload the page and try again." in page  # the problem, shown
    assert balance(company) == 0 and not GoodwillAward.objects.exists()


# --- Under concurrency, on PostgreSQL -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_gifts_by_one_rep_never_exceed_the_budget(require_postgres):
    from tests.factories import CompanyFactory, StaffFactory

    rep = StaffFactory(group="Sales reps")
    companies = [CompanyFactory(sales_rep=rep) for _ in range(4)]
    GoodwillBudget.objects.create(rep=rep, month=month_of(timezone.now()), points=1000)
    threads_count = 12
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def gift(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                give(rep, companies[n % len(companies)], points=300, key=f"race-{n}")
                outcome = "given"
            except RepsError:
                outcome = "refused"
            except Exception as exc:  # anything else is a bug (a deadlock, a CHECK violation)
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    workers = [threading.Thread(target=gift, args=(n,)) for n in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(outcomes) == ["given"] * 3 + ["refused"] * 9
    budget = GoodwillBudget.objects.get(rep=rep)
    assert budget.awarded == 900 <= budget.points
    assert sum(balance(company) for company in companies) == 900
    assert GoodwillAward.objects.count() == 3
    assert ledger_mismatches() == []

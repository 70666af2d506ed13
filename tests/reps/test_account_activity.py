"""The purchase figures of "My accounts" (``reps.activity``): recomputed from the purchases
after purchases, credit notes, expiries and CSV imports; the catch-up picks up a purchase
that committed after a run had read the newest id; the rebuild command repairs any row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from reps.activity import CATCH_UP_OVERLAP, account_activity_catch_up, account_activity_rebuild
from reps.models import AccountActivity, AccountActivityRun
from rewards.ledger.services import points_expire
from rewards.models import PointsAccount, ProgrammeRules, Purchase
from rewards.purchases.imports import purchase_import_run
from rewards.purchases.services import PurchaseLineInput, purchase_record
from tests.conftest import IN_CI
from tests.factories import CompanyFactory
from tests.rewards.test_imports import csv_bytes, new_import, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(db):
    return ProgrammeRules.current()


def record(company, external_id, amount, days_ago, *, original=None, now=None, currency="SEK"):
    now = now or timezone.now()
    purchase, _created = purchase_record(
        company=company,
        source="erp",
        external_id=external_id,
        occurred_at=now - timedelta(days=days_ago),
        net_amount=Decimal(amount),
        currency=currency,
        lines=[PurchaseLineInput(sku="A", amount=Decimal(amount))],
        original_external_id=original,
        now=now,
    )
    return purchase


def figures(company):
    activity = AccountActivity.objects.get(company=company)
    return activity.purchases_recent, activity.purchases_before, activity.trend


def test_purchases_and_credit_notes_move_the_figures_at_the_next_catch_up(company, rules):
    other = CompanyFactory()
    account_activity_catch_up()  # the first run computes every company
    assert figures(company) == (Decimal("0"), Decimal("0"), None)

    record(company, "P-1", "1000.00", days_ago=100)
    record(company, "P-2", "1500.00", days_ago=10)
    assert account_activity_catch_up() == 1  # only the company that bought
    assert figures(company) == (Decimal("1500.00"), Decimal("1000.00"), Decimal("50.00"))
    assert timezone.localdate(AccountActivity.objects.get(company=company).last_purchase_at) == (
        timezone.localdate() - timedelta(days=10)
    )
    assert figures(other) == (Decimal("0"), Decimal("0"), None)

    # A credit note subtracts from its window and is not the "last purchase".
    record(company, "C-1", "-500.00", days_ago=1, original="P-2")
    account_activity_catch_up()
    assert figures(company) == (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"))
    assert timezone.localdate(AccountActivity.objects.get(company=company).last_purchase_at) == (
        timezone.localdate() - timedelta(days=10)
    )


def test_an_expiry_leaves_the_purchase_figures_and_the_list_reads_the_balance_live(company, rep, rules):
    from reps.selectors import rep_accounts

    record(company, "OLD", "400.00", days_ago=800)
    record(company, "NEW", "200.00", days_ago=20)
    account_activity_catch_up()
    before = figures(company)

    points_expire(now=timezone.now())
    account_activity_catch_up()

    assert figures(company) == before == (Decimal("200.00"), Decimal("0"), None)
    (row,) = rep_accounts(user=rep)
    assert row.balance == PointsAccount.objects.get(company=company).balance
    assert row.purchases_recent == Decimal("200.00")


def test_a_csv_import_moves_the_figures_of_every_company_in_it(rules):
    from django.db import connection

    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("PostgreSQL is required under CI=true")
        pytest.skip("the set-based import needs PostgreSQL")
    acme, globex = CompanyFactory(external_id="ACME"), CompanyFactory(external_id="GLOBEX")
    account_activity_catch_up()
    now = timezone.now()
    recent = (now - timedelta(days=5)).isoformat()
    before = (now - timedelta(days=120)).isoformat()
    content = csv_bytes(
        [row("ACME", f"A-{n}", "100.00", at=recent) for n in range(30)]
        + [row("ACME", "A-old", "1000.00", at=before), row("GLOBEX", "G-1", "40.00", at=recent)]
    )
    purchase_import = purchase_import_run(import_id=new_import(content).pk, set_based=True, chunk_size=10)
    assert purchase_import.rows_created == 32

    assert account_activity_catch_up() == 2
    assert figures(acme) == (Decimal("3000.00"), Decimal("1000.00"), Decimal("200.00"))
    assert figures(globex) == (Decimal("40.00"), Decimal("0"), None)


def test_a_purchase_committed_after_a_run_read_its_id_is_picked_up_by_a_later_run(company, rules):
    """Runs read the newest purchase id; a purchase whose transaction took an id below it
    but committed after the run is recomputed by the runs of the next ``CATCH_UP_OVERLAP``."""
    now = timezone.now()
    purchase = record(company, "LATE", "700.00", days_ago=3)
    AccountActivityRun.objects.create(started_at=now - CATCH_UP_OVERLAP * 2, upto_purchase_id=purchase.pk - 1)
    # This run "saw" the id but not the committed row (its figures lack the purchase).
    AccountActivityRun.objects.create(started_at=now - timedelta(minutes=1), upto_purchase_id=purchase.pk)
    AccountActivity.objects.create(company=company, computed_at=now)

    assert account_activity_catch_up(now=now) == 1
    assert figures(company)[0] == Decimal("700.00")


def test_the_rebuild_command_recomputes_every_row_and_moves_the_windows(company, rules, capsys):
    record(company, "P-1", "900.00", days_ago=80)
    account_activity_catch_up()
    AccountActivity.objects.filter(company=company).update(purchases_recent=Decimal("1"), trend=Decimal("-99"))

    call_command("rebuild_account_activity")
    assert figures(company) == (Decimal("900.00"), Decimal("0"), None)
    assert "Recomputed" in capsys.readouterr().out

    # Twenty days later the purchase has moved into the window before.
    account_activity_rebuild(now=timezone.now() + timedelta(days=20))
    assert figures(company) == (Decimal("0"), Decimal("900.00"), Decimal("-100.00"))


def test_old_runs_are_forgotten(company):
    AccountActivityRun.objects.create(started_at=timezone.now() - timedelta(days=5), upto_purchase_id=0)
    account_activity_catch_up()
    assert AccountActivityRun.objects.count() == 1
    assert Purchase.objects.count() == 0


def activity_rows():
    return list(
        AccountActivity.objects.order_by("company_id").values_list(
            "company_id", "last_purchase_at", "purchases_recent", "purchases_before", "trend", "computed_at"
        )
    )


@pytest.mark.postgres
def test_the_portable_path_writes_the_same_rows_as_the_postgresql_statement(require_postgres, rules):
    """SQLite (``make run``, ``make test`` without DATABASE_URL) computes the figures with
    the ORM; on PostgreSQL both paths run on the same purchases and must write the same rows:
    window edges, credit notes (in the sums, not the last purchase), purchases after ``now``,
    rounding, no purchases at all, a subset of companies with an id that is not a company,
    amounts in another currency at its reporting rate, rounded to cents per purchase."""
    from django.db import connection

    from reps.activity import TREND_DAYS, TREND_LIMIT, _refresh_portable, _refresh_sql, _trend
    from rewards.models import ProgrammeCurrency
    from rewards.purchases.selectors import reporting_rates

    ProgrammeCurrency.objects.create(
        currency="EUR",
        points_per_currency_unit=Decimal("11"),
        point_value=Decimal("0.0018"),
        reporting_rate=Decimal("11.123456"),
    )
    rates = reporting_rates()

    at = timezone.now() - timedelta(days=30)  # "now" of the runs: later purchases are ahead of it
    edges, credited, rounding, after, quiet = (CompanyFactory() for _ in range(5))
    record(edges, "E-now", "10.00", days_ago=0, now=at)  # not in the windows: they end before now
    record(edges, "E-recent", "20.00", days_ago=TREND_DAYS, now=at)  # first instant of the recent window
    record(edges, "E-before", "40.00", days_ago=2 * TREND_DAYS, now=at)  # first instant of the one before
    record(edges, "E-older", "80.00", days_ago=2 * TREND_DAYS + 1, now=at)
    record(credited, "C-1", "300.00", days_ago=100, now=at)
    record(credited, "C-2", "100.00", days_ago=50, now=at)
    record(credited, "C-1-credit", "-250.00", days_ago=5, now=at, original="C-1")  # later than C-2
    record(rounding, "R-1", "800.00", days_ago=120, now=at)
    record(rounding, "R-2", "100.12", days_ago=10, now=at)  # -87.485 %: half away from zero -> -87.49
    record(after, "A-1", "50.00", days_ago=60, now=at)
    ahead = record(after, "A-2", "70.00", days_ago=20)  # after "now": the last purchase, in no window
    euros = CompanyFactory(currency="EUR")
    record(euros, "EU-1", "100.01", days_ago=120, now=at, currency="EUR")  # 1112.4568... SEK -> 1112.46
    record(euros, "EU-2", "0.05", days_ago=10, now=at, currency="EUR")  # 0.5561728 SEK -> 0.56 per purchase,
    record(euros, "EU-3", "0.05", days_ago=11, now=at, currency="EUR")  # 1.12 together (1.11 if summed first)

    def both(company_ids):
        AccountActivity.objects.all().delete()
        count_sql = _refresh_sql(company_ids=company_ids, now=at, rates=rates)
        by_sql = activity_rows()
        AccountActivity.objects.update(purchases_recent=Decimal("1"), trend=Decimal("-99"))  # updated, not added
        count_portable = _refresh_portable(company_ids=company_ids, now=at, rates=rates)
        assert activity_rows() == by_sql
        AccountActivity.objects.all().delete()
        assert _refresh_portable(company_ids=company_ids, now=at, rates=rates) == count_portable == count_sql
        assert activity_rows() == by_sql
        return by_sql

    rows = {row[0]: row[1:5] for row in both(None)}
    assert rows[quiet.pk] == (None, Decimal("0"), Decimal("0"), None)
    assert rows[edges.pk][1:] == (Decimal("20.00"), Decimal("40.00"), Decimal("-50.00"))
    assert rows[credited.pk][1:] == (Decimal("-150.00"), Decimal("300.00"), Decimal("-150.00"))
    assert rows[rounding.pk][3] == Decimal("-87.49")
    assert rows[after.pk] == (ahead.occurred_at, Decimal("50.00"), Decimal("0"), None)
    assert rows[euros.pk][1:] == (Decimal("1.12"), Decimal("1112.46"), Decimal("-99.90"))
    assert [row[0] for row in both([credited.pk, quiet.pk, 10**9])] == [credited.pk, quiet.pk]

    # The trend alone, against the SQL's expression: rounding, nothing or less before, clamping.
    pairs = [("1", "3"), ("-1", "3"), ("100.12", "800"), ("0", "0"), ("5", "-5"), ("1000000000000", "0.01")]
    with connection.cursor() as cursor:
        for recent, before in pairs:
            cursor.execute(
                "SELECT CASE WHEN %(b)s::numeric > 0 THEN LEAST(GREATEST("
                "ROUND((%(r)s::numeric - %(b)s) * 100 / %(b)s, 2), -%(limit)s), %(limit)s) END",
                {"r": recent, "b": before, "limit": TREND_LIMIT},
            )
            assert _trend(Decimal(recent), Decimal(before)) == cursor.fetchone()[0], (recent, before)

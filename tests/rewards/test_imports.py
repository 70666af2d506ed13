"""CSV import of purchases: bad rows, idempotency, conflicts, credit notes, both pipelines, task, admin."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from members.models import Company
from privacy.closing import company_close
from rewards.ledger.services import points_account_for_company, points_earn_for_purchase, points_redeem, purchase_return
from rewards.models import (
    EntryKind,
    LedgerEntry,
    PointsAccount,
    Purchase,
    PurchaseImport,
    PurchaseImportStatus,
)
from rewards.purchases.imports import COLUMNS, ERROR_FILE_HEADER, purchase_import_create, purchase_import_run
from tests.factories import CompanyFactory, StaffFactory

from .factories import NOW, CreditNoteFactory, ProductCategoryFactory, PurchaseFactory, TierFactory
from .helpers import assert_ledger_consistent

# A purchase within the return window of NOW (pending) and one long before it (released at once).
RECENT = "2026-06-10T09:30:00+02:00"
LATE = "2026-04-01"


def csv_bytes(rows, header=COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def row(company, external_id, amount="100.00", *, at=RECENT, currency="SEK", category="", original="", source="erp"):
    return [company, source, external_id, at, amount, currency, category, original]


def new_import(content: bytes, name: str = "purchases.csv") -> PurchaseImport:
    purchase_import = PurchaseImport(original_name=name)
    purchase_import.file.save(name, ContentFile(content), save=False)
    purchase_import.save()
    return purchase_import


def run(content: bytes, **kwargs) -> PurchaseImport:
    kwargs.setdefault("now", NOW)
    return purchase_import_run(import_id=new_import(content).pk, **kwargs)


def error_rows(purchase_import: PurchaseImport) -> list[list[str]]:
    with purchase_import.error_file.open("rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode())))


@pytest.fixture
def acme(rules):
    return CompanyFactory(external_id="ACME")


@pytest.fixture
def globex(rules):
    return CompanyFactory(external_id="GLOBEX")


# --- Bad rows ---------------------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_listed_with_its_line_and_reason_and_good_rows_land(acme, globex):
    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("2"))
    content = csv_bytes(
        [
            row("ACME", "P-1", "100.00"),  # line 2: good
            row("NOBODY", "P-2"),  # 3: unknown company
            row("ACME", "P-3", at="15/06/2026"),  # 4: bad date
            row("ACME", "P-4", at="2026-06-10T09:30:00"),  # 5: no UTC offset
            row("ACME", "P-5", "1,50"),  # 6: decimal comma
            row("ACME", "P-6", "10.005"),  # 7: three decimals
            row("ACME", "P-7", currency="EUR"),  # 8: wrong currency
            row("ACME", "", "10"),  # 9: missing external id
            row("ACME", "P-9", category="NOPE"),  # 10: unknown category
            row("ACME", "P-1", "999.00"),  # 11: same id as line 2, different content
            row("ACME", "P-1", "100.00"),  # 12: exact repeat of line 2: a duplicate, not an error
            row("GLOBEX", "P-12", "-5.00"),  # 13: negative purchase
            row("GLOBEX", "C-13", "-5.00", original="NOPE-1"),  # 14: credit note of an unknown purchase
            ["ACME", "erp", "P-14"],  # 15: too few fields
            row("GLOBEX", "P-15", "50", category="TOOLS", at=LATE),  # 16: good, category, late
        ]
    )

    purchase_import = run(content)

    assert purchase_import.status == PurchaseImportStatus.DONE
    assert (purchase_import.rows_done, purchase_import.total_rows) == (15, 15)
    assert (purchase_import.rows_created, purchase_import.rows_duplicate, purchase_import.rows_failed) == (2, 1, 12)
    reasons = {int(line): reason for line, reason, *_rest in error_rows(purchase_import)[1:]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15]
    assert "Unknown company 'NOBODY'" in reasons[3]
    assert "occurred_at '15/06/2026'" in reasons[4]
    assert "UTC offset" in reasons[5]
    assert "net_amount '1,50'" in reasons[6]
    assert "at most 2 decimals" in reasons[7]
    assert "no earn rate for EUR" in reasons[8]  # the programme runs in SEK only here
    assert "Missing value(s): external_id" in reasons[9]
    assert "Unknown product category 'NOPE'" in reasons[10]
    assert "on line 2 with different content" in reasons[11]
    assert "0 or more" in reasons[13]
    assert "No purchase NOPE-1 from source erp to credit" in reasons[14]
    assert "fields" in reasons[15]
    header, first = error_rows(purchase_import)[:2]
    assert tuple(header) == ERROR_FILE_HEADER
    assert first[2:] == ["NOBODY", "erp", "P-2", RECENT, "100.00", "SEK", "", ""]

    assert sorted(Purchase.objects.values_list("external_id", flat=True)) == ["P-1", "P-15"]
    tools = Purchase.objects.get(external_id="P-15")
    assert [(line.sku, line.amount) for line in tools.lines.all()] == [("TOOLS", Decimal("50.00"))]
    acme_account, globex_account = (PointsAccount.objects.get(company=c) for c in (acme, globex))
    assert (acme_account.balance, acme_account.pending) == (0, 100)
    assert (globex_account.balance, globex_account.pending) == (100, 0)  # 50 SEK × 2, released at once
    assert_ledger_consistent()


def test_a_file_without_the_required_columns_fails_with_a_clear_message(rules):
    purchase_import = run(b"company,amount\nACME,10\n")

    assert purchase_import.status == PurchaseImportStatus.FAILED
    assert "lacks the column(s) source, external_id, occurred_at, net_amount" in purchase_import.error_message


def test_a_file_may_call_the_company_column_company_as_the_api_does(acme):
    header = ["company", *COLUMNS[1:]]

    purchase_import = run(csv_bytes([row("ACME", "P-1")], header=header))

    assert (purchase_import.status, purchase_import.rows_created) == (PurchaseImportStatus.DONE, 1)
    assert PointsAccount.objects.get(company=acme).pending == 100


def test_a_file_from_a_swedish_spreadsheet_separated_by_semicolons_with_decimal_commas_lands(acme):
    content = ("\ufeff" + ";".join(COLUMNS) + "\n" + "ACME;erp;P-1;2026-06-10;1234,50;SEK;;\n").encode()

    purchase_import = run(content)

    assert (purchase_import.status, purchase_import.rows_created, purchase_import.rows_failed) == (
        PurchaseImportStatus.DONE,
        1,
        0,
    )
    assert Purchase.objects.get(external_id="P-1").net_amount == Decimal("1234.50")


def test_a_semicolon_file_with_thousands_separators_is_told_the_cell_as_written_and_the_decimal_comma_format(acme):
    lines = [
        "ACME;erp;P-1;2026-06-10;1234,50;SEK;;",  # line 2: lands
        "ACME;erp;P-2;2026-06-10;1.234,50;SEK;;",  # 3: a thousands point
        "ACME;erp;P-3;2026-06-10;1 234,50;SEK;;",  # 4: a thousands space
        "ACME;erp;P-4;2026-06-10;1\u00a0234,50;SEK;;",  # 5: a no-break space, as Excel writes it
        "ACME;erp;P-5;2026-06-10;12,345;SEK;;",  # 6: three decimals
        "ACME;erp;P-6;2026-06-10;99.50;SEK;;",  # 7: a decimal point still lands
    ]
    content = (";".join(COLUMNS) + "\n" + "\n".join(lines) + "\n").encode()

    with translation.override("en"):
        purchase_import = run(content)

    assert (purchase_import.rows_created, purchase_import.rows_failed) == (2, 4)
    failed = {int(line): (reason, written) for line, reason, *written in error_rows(purchase_import)[1:]}
    for line, cell in [(3, "1.234,50"), (4, "1 234,50"), (5, "1\u00a0234,50"), (6, "12,345")]:
        reason, written = failed[line]
        assert reason == (
            f"net_amount '{cell}' is not an amount: in a file separated by semicolons (;), write it with a "
            "decimal comma, at most 2 decimals and no thousands separators, e.g. 1234,50."
        )
        assert written[4] == cell  # the error file's copy of the row is the row as written
    assert "'.'" not in " ".join(reason for reason, _written in failed.values())
    assert sorted(Purchase.objects.values_list("net_amount", flat=True)) == [Decimal("99.50"), Decimal("1234.50")]


def test_a_tab_separated_file_is_told_the_decimal_comma_format_and_a_comma_separated_one_the_decimal_point(acme):
    tabs = ("\t".join(COLUMNS) + "\n" + "ACME\terp\tP-1\t2026-06-10\t1.234,50\tSEK\t\t\n").encode()
    commas = csv_bytes([row("ACME", "P-2", "1,234.50")])

    with translation.override("en"):
        (tab_reason,) = (reason for _line, reason, *_row in error_rows(run(tabs))[1:])
        (comma_reason,) = (reason for _line, reason, *_row in error_rows(run(commas))[1:])

    assert tab_reason.startswith("net_amount '1.234,50' is not an amount: in a file separated by tabs, write it")
    assert comma_reason == "net_amount '1,234.50' is not a decimal number with '.' and at most 2 decimals."


def test_a_header_that_does_not_parse_says_which_delimiter_it_found(rules):
    with translation.override("en"):  # the messages are in the language of whoever runs the import
        piped = run(
            b"company_external_id|source|external_id|occurred_at|net_amount|currency\nACME|erp|P-1|2026-06-10|1|SEK\n"
        )
        # ``company`` is an accepted alias of ``company_external_id``; ``customer`` is not.
        semicolons = run(
            b"customer;source;external_id;occurred_at;net_amount;currency\nACME;erp;P-1;2026-06-10;1;SEK\n"
        )

    assert piped.status == semicolons.status == PurchaseImportStatus.FAILED
    assert "The header is separated by no delimiter." in piped.error_message
    assert "lacks the column(s) company_external_id" in semicolons.error_message
    assert "The header is separated by semicolons (;)." in semicolons.error_message


def test_bytes_that_are_not_utf8_fail_only_their_row(acme):
    content = csv_bytes([row("ACME", "P-1")]) + b"ACME,erp,P-\xff,2026-06-10,10.00,SEK,,\n"

    purchase_import = run(content)

    assert (purchase_import.rows_created, purchase_import.rows_failed) == (1, 1)
    assert "not valid UTF-8" in error_rows(purchase_import)[1][1]


# --- Idempotency, conflicts, credit notes ---------------------------------------------------------


def test_importing_the_same_file_again_adds_nothing(acme, globex):
    content = csv_bytes([row("ACME", f"P-{n}", f"{n}0.00") for n in range(1, 6)] + [row("GLOBEX", "G-1", at=LATE)])
    run(content)
    entries_before = LedgerEntry.objects.count()

    again = run(content)

    assert (again.rows_created, again.rows_duplicate, again.rows_failed) == (0, 6, 0)
    assert LedgerEntry.objects.count() == entries_before
    assert PointsAccount.objects.get(company=acme).pending == 150
    assert_ledger_consistent()


def test_a_row_already_recorded_with_different_content_is_a_conflict(acme):
    run(csv_bytes([row("ACME", "P-1", "100.00"), row("ACME", "P-2", "10.00")]))

    changed = run(csv_bytes([row("ACME", "P-1", "120.00"), row("ACME", "P-2", "10.00")]))

    assert (changed.rows_created, changed.rows_duplicate, changed.rows_failed) == (0, 1, 1)
    line, reason, *_rest = error_rows(changed)[1]
    assert line == "2"
    assert "Purchase P-1 from source erp was already recorded with a different net_amount" in reason
    assert Purchase.objects.get(external_id="P-1").net_amount == Decimal("100.00")
    assert PointsAccount.objects.get(company=acme).pending == 110


def test_credit_notes_take_back_the_points_of_their_purchase(acme, globex):
    earlier = PurchaseFactory(company=acme, external_id="OLD-1", net_amount=Decimal("400.00"), occurred_at=NOW)
    points_earn_for_purchase(purchase=earlier, now=NOW)
    content = csv_bytes(
        [
            row("ACME", "CN-1", "-100.00", original="OLD-1"),  # a quarter of an earlier purchase
            row("GLOBEX", "CN-2", "-50.00", original="NEW-1"),  # credits a purchase further down the file
            row("GLOBEX", "NEW-1", "200.00"),
            row("GLOBEX", "CN-3", "-1.00", original="OLD-1"),  # another company's purchase
        ]
    )

    purchase_import = run(content)

    assert (purchase_import.rows_created, purchase_import.rows_failed) == (3, 1)
    assert "belongs to another company" in error_rows(purchase_import)[1][1]
    assert PointsAccount.objects.get(company=acme).pending == 300
    assert PointsAccount.objects.get(company=globex).pending == 150
    reversal = LedgerEntry.objects.get(purchase__external_id="CN-1")
    assert (reversal.kind, reversal.pending_points) == (EntryKind.REVERSAL, -100)
    assert run(content).rows_duplicate == 3
    assert_ledger_consistent()


# --- Both pipelines give the same ledger (PostgreSQL) -----------------------------------------------


def _scenario_companies(prefix: str, gold) -> list[Company]:
    """Companies: plain, owing a shortfall, tiering up mid-file, already Gold, due for Gold."""
    companies = [CompanyFactory(external_id=f"{prefix}-{n}") for n in range(5)]
    owing = companies[1]
    purchase = PurchaseFactory(
        company=owing, source="seed", external_id=f"{prefix}-S", occurred_at=NOW - timedelta(days=60)
    )
    points_earn_for_purchase(purchase=purchase, now=NOW - timedelta(days=30))
    account = points_account_for_company(company=owing)
    points_redeem(account=account, points=900, key=f"seed-{prefix}", by=None, now=NOW - timedelta(days=20))
    credit_note = CreditNoteFactory(original=purchase, source="seed", external_id=f"{prefix}-SC")
    purchase_return(credit_note=credit_note, now=NOW - timedelta(days=10))
    assert PointsAccount.objects.get(pk=account.pk).shortfall == 900
    PointsAccount.objects.filter(pk=points_account_for_company(company=companies[3]).pk).update(tier=gold)
    # Company 4 qualifies for Gold but has not been upgraded yet: its first earn upgrades it.
    qualified = PurchaseFactory(company=companies[4], source="seed", external_id=f"{prefix}-Q", net_amount=3000)
    points_earn_for_purchase(purchase=qualified, now=NOW)
    PointsAccount.objects.filter(company=companies[4]).update(tier=None)
    return companies


def _scenario_file(prefix: str, source: str) -> bytes:
    rows = []
    for n in range(60):
        at = LATE if n % 3 == 0 else (NOW - timedelta(days=n % 10, hours=n)).isoformat()
        category = "TOOLS" if n % 5 == 0 else ""
        rows.append(
            row(f"{prefix}-{n % 4}", f"P-{n}", f"{100 + n * 7}.{n:02d}", at=at, category=category, source=source)
        )
    rows.append(row(f"{prefix}-0", "P-1", "999.00", source=source))  # a conflict
    rows.append(row(f"{prefix}-2", "P-2", rows[2][4], at=rows[2][3], source=source))  # an exact repeat
    rows.append(row(f"{prefix}-0", "C-1", "-50.00", original="P-0", source=source))
    rows.append(row(f"{prefix}-1", "C-2", "-10.00", original="P-1", source=source))
    rows.append(row("NOBODY", "X-1", source=source))
    rows += [row(f"{prefix}-4", f"Q-{n}", f"{n}00.00", at="2025-03-01", source=source) for n in range(1, 4)]
    return csv_bytes(rows)


def _ledger(prefix: str, source: str) -> tuple[list, list, list]:
    """The file's purchases, their entries and the accounts, keyed by what the file says, not by ids."""
    company = len(prefix)
    entries = sorted(
        (
            entry.account.company.external_id[company:],
            entry.idempotency_key.partition(":")[0],
            entry.kind,
            entry.purchase.external_id,
            (entry.releases.purchase.external_id if entry.releases else ""),
            entry.points,
            entry.pending_points,
            entry.shortfall_points,
            entry.memo,
            entry.created_at,
            entry.available_at,
            entry.expires_at,
        )
        for entry in LedgerEntry.objects.filter(purchase__source=source).select_related(
            "account__company", "purchase", "releases__purchase"
        )
    )
    accounts = sorted(
        (a.company.external_id[company:], a.balance, a.pending, a.shortfall, a.tier.name if a.tier else "")
        for a in PointsAccount.objects.filter(company__external_id__startswith=f"{prefix}-").select_related(
            "company", "tier"
        )
    )
    purchases = sorted(
        (
            p.company.external_id[company:],
            p.external_id,
            p.occurred_at,
            p.net_amount,
            p.currency,
            p.original.external_id if p.original else "",
            tuple((line.sku, line.category_id, line.amount) for line in p.lines.all()),
        )
        for p in Purchase.objects.filter(source=source).select_related("company", "original")
    )
    return entries, accounts, purchases


@pytest.mark.postgres
def test_set_based_import_writes_the_same_ledger_as_the_services(require_postgres, rules):
    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("1.25"))
    gold = TierFactory(name="Gold", qualifying_points=2000, earn_multiplier=Decimal("1.5"))
    _scenario_companies("A", gold)
    _scenario_companies("B", gold)

    by_services = run(_scenario_file("A", "erp-a"), set_based=False, chunk_size=25)
    set_based = run(_scenario_file("B", "erp-b"), set_based=True, chunk_size=25)

    counts = (by_services.rows_created, by_services.rows_duplicate, by_services.rows_failed)
    assert counts == (set_based.rows_created, set_based.rows_duplicate, set_based.rows_failed) == (65, 1, 2)
    a_errors = [r[:2] for r in error_rows(by_services)]
    assert a_errors == [[line, reason.replace("erp-b", "erp-a")] for line, reason, *_ in error_rows(set_based)]
    a_entries, a_accounts, a_purchases = _ledger("A", "erp-a")
    b_entries, b_accounts, b_purchases = _ledger("B", "erp-b")
    assert len(a_entries) > 80
    for a_entry, b_entry in zip(a_entries, b_entries, strict=True):
        assert a_entry == b_entry
    assert a_accounts == b_accounts
    assert a_purchases == b_purchases
    # The scenario exercised the exact paths: a shortfall paid off on release, tiers gained mid-file.
    assert any(entry[1] == "release" and entry[7] < 0 for entry in a_entries)
    assert [account[4] for account in a_accounts] == ["Gold"] * 5
    assert_ledger_consistent()
    call_command("check_ledger", stdout=io.StringIO())


# --- Resuming, running twice, progress --------------------------------------------------------------


def test_progress_is_counted_per_chunk_and_a_second_run_does_nothing(acme):
    content = csv_bytes([row("ACME", f"P-{n}") for n in range(7)])
    purchase_import = new_import(content)
    seen = []

    done = purchase_import_run(
        import_id=purchase_import.pk, now=NOW, chunk_size=3, progress=lambda i: seen.append((i.rows_done, i.total_rows))
    )
    again = purchase_import_run(import_id=purchase_import.pk, now=NOW, chunk_size=3)

    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert done.status == PurchaseImportStatus.DONE
    assert (again.rows_created, again.rows_duplicate, again.finished_at) == (7, 0, done.finished_at)
    assert PointsAccount.objects.get(company=acme).pending == 700


class WorkerDied(BaseException):
    """Stands for a killed worker: not an Exception, so the import cannot record it."""


def test_a_crashed_import_resumes_after_its_last_chunk(acme):
    content = csv_bytes([row("ACME", f"P-{n}") for n in range(7)] + [row("NOBODY", "X")])
    purchase_import = new_import(content)

    def die(current):
        raise WorkerDied

    with pytest.raises(WorkerDied):
        purchase_import_run(import_id=purchase_import.pk, now=NOW, chunk_size=3, progress=die)
    purchase_import.refresh_from_db()
    assert (purchase_import.status, purchase_import.rows_done) == (PurchaseImportStatus.RUNNING, 3)

    resumed = purchase_import_run(import_id=purchase_import.pk, now=NOW, chunk_size=3)

    assert resumed.status == PurchaseImportStatus.DONE
    assert (resumed.rows_done, resumed.rows_created, resumed.rows_duplicate, resumed.rows_failed) == (8, 7, 0, 1)
    assert PointsAccount.objects.get(company=acme).pending == 700
    assert_ledger_consistent()


def test_a_chunk_that_hits_a_deadlock_is_rolled_back_and_retried_from_the_checkpoint(acme, monkeypatch):
    from rewards.purchases import imports

    real_chunk = imports._chunk_row_by_row
    calls = []

    class DeadlockDetected(Exception):
        sqlstate = "40P01"

    def deadlocks_once(*args, **kwargs):
        calls.append(args[1])
        real_chunk(*args, **kwargs)
        if len(calls) == 2:
            raise DeadlockDetected

    monkeypatch.setattr(imports, "_chunk_row_by_row", deadlocks_once)

    done = run(csv_bytes([row("ACME", f"P-{n}") for n in range(5)]), chunk_size=2, set_based=False)

    assert [[r.external_id for r in rows] for rows in calls] == [
        ["P-0", "P-1"],
        ["P-2", "P-3"],
        ["P-2", "P-3"],
        ["P-4"],
    ]
    assert (done.status, done.rows_created, done.rows_duplicate) == (PurchaseImportStatus.DONE, 5, 0)
    assert PointsAccount.objects.get(company=acme).pending == 500


# --- Task, command, admin -----------------------------------------------------------------------------


def test_an_upload_is_imported_by_the_task_once_the_transaction_commits(acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        purchase_import = purchase_import_create(file=ContentFile(csv_bytes([row("ACME", "P-1")]), name="a.csv"))
        assert PurchaseImport.objects.get(pk=purchase_import.pk).status == PurchaseImportStatus.QUEUED

    # The import after the commit; then, queued by the import, its one notice per company.
    assert [callback.func.__self__.name for callback in callbacks] == [
        "rewards.tasks.run_purchase_import",
        "rewards.tasks.notify_purchases_points",
    ]
    purchase_import.refresh_from_db()
    assert (purchase_import.status, purchase_import.rows_created) == (PurchaseImportStatus.DONE, 1)


def test_the_command_imports_a_file_and_fails_when_rows_fail(acme, tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes([row("ACME", "P-1")]))
    bad.write_bytes(csv_bytes([row("ACME", "P-2"), row("NOBODY", "P-3")]))
    out = io.StringIO()

    call_command("import_purchases", str(good), stdout=out)
    with pytest.raises(CommandError, match=r"1 row\(s\) failed; see .*errors-\d+\.csv"):
        call_command("import_purchases", str(bad), stdout=out)

    assert "1 of 1 rows: 1 imported" in out.getvalue()
    assert "Done: 1 data lines = 1 imported + 0 already there + 0 failed." in out.getvalue()
    assert Purchase.objects.filter(external_id__in=["P-1", "P-2"]).count() == 2


@pytest.fixture
def superuser_client(client, db, settings):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members/test_staff_mfa.py
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_staff_upload_a_csv_in_the_admin_and_see_its_progress(
    superuser_client, acme, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    upload = ContentFile(csv_bytes([row("ACME", "P-1"), row("NOBODY", "P-2")]), name="june.csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(reverse("admin:rewards_purchaseimport_add"), {"file": upload})

    assert response.status_code == 302
    purchase_import = PurchaseImport.objects.get()
    assert (purchase_import.original_name, purchase_import.status) == ("june.csv", PurchaseImportStatus.DONE)
    for n in range(20):
        new_import(b"x", name=f"more-{n}.csv")
    # 18: the page itself, plus 3 for the club's name and colours in the admin header (templates/admin/base_site.html).
    with django_assert_max_num_queries(18):
        listing = superuser_client.get(reverse("admin:rewards_purchaseimport_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert '<progress value="2" max="2"' in html
    assert 'http-equiv="refresh"' in html  # the 20 queued imports keep the page refreshing
    errors = superuser_client.get(reverse("admin:rewards_purchaseimport_errors", args=[purchase_import.pk]))
    assert errors.status_code == 200
    assert b"Unknown company 'NOBODY'" in b"".join(errors.streaming_content)
    assert (
        superuser_client.get(reverse("admin:rewards_purchaseimport_change", args=[purchase_import.pk])).status_code
        == 200
    )


def test_a_failed_import_says_why_in_the_admin_list_cut_short_and_escaped(superuser_client, rules):
    with translation.override("en"):
        failed = run(b"company,amount\nACME,10\n")
    reason = failed.error_message
    assert failed.status == PurchaseImportStatus.FAILED and len(reason) > 120
    hostile = new_import(b"x", name="hostile.csv")
    PurchaseImport.objects.filter(pk=hostile.pk).update(
        status=PurchaseImportStatus.FAILED, error_message='<script>alert("x")</script>'
    )

    html = superuser_client.get(reverse("admin:rewards_purchaseimport_changelist")).content.decode()

    assert "<th" in html and ">Error<" in html  # the column
    assert reason[:100] in html and reason not in html.replace(f'title="{reason}"', "")  # shown cut short…
    assert f'title="{reason}"' in html  # …and whole on hover
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_admin_refuses_a_file_that_is_not_csv(superuser_client):
    response = superuser_client.post(
        reverse("admin:rewards_purchaseimport_add"), {"file": ContentFile(b"x", name="purchases.xlsx")}
    )

    assert response.status_code == 200
    assert "Upload a .csv file; purchases.xlsx is not one." in response.content.decode()
    assert not PurchaseImport.objects.exists()


# --- Streaming (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_large_file_is_streamed_a_chunk_at_a_time(require_postgres, rules, tmp_path, settings):
    """Peak memory stays that of one chunk, far below what the whole file's rows would take.

    (Sized to stay well under 20 s on a busy 2-core machine; bench/import_bench.py runs
    1 000 000 rows and reports the process's peak RSS.)
    """
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    companies, rows, chunk = 100, 20_000, 2_000
    Company.objects.bulk_create(
        [Company(name=f"C{n}", org_number=f"S{n}", external_id=f"C{n}") for n in range(companies)]
    )
    with (tmp_path / "big.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for n in range(rows):
            amount = f"{n % 997}.{n % 100:02d}"
            writer.writerow([f"C{n % companies}", "erp", f"B-{n}", "2026-06-01", amount, "SEK", "", ""])
    purchase_import = PurchaseImport.objects.create(file="big.csv", original_name="big.csv")

    tracemalloc.start()
    started = time.monotonic()
    done = purchase_import_run(import_id=purchase_import.pk, now=NOW, chunk_size=chunk)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert (done.status, done.rows_created, done.rows_failed) == (PurchaseImportStatus.DONE, rows, 0)
    # The whole file as parsed rows would take > 20 MB (about 1 kB a row).
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    print(f"streamed {rows} rows in {elapsed:.1f} s, tracemalloc peak {peak / 1e6:.1f} MB")
    assert elapsed < 20, f"{elapsed:.1f} s"
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == rows
    assert_ledger_consistent()


# --- A running campaign: both pipelines still give the same ledger (PostgreSQL) ------------------------


def _campaign_scenario(prefix: str, source: str):
    """Six companies: two treated in a running campaign (×2 on everything, a first-purchase
    bonus, a budget that runs out mid-file), two held out, two outside it; and their file."""
    from campaigns.models import Campaign, CampaignMember, CampaignRule, CampaignStatus, RuleKind

    companies = [CompanyFactory(external_id=f"{prefix}-{n}") for n in range(6)]
    campaign = Campaign.objects.create(
        name="Spring double",
        headline="Double points",
        owner=StaffFactory(),
        starts_at=NOW - timedelta(days=20),
        ends_at=NOW + timedelta(days=10),
        points_budget=4000,
        status=CampaignStatus.ACTIVE,
        started_at=NOW - timedelta(days=20),
    )
    CampaignRule.objects.create(campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=Decimal("2"))
    CampaignRule.objects.create(campaign=campaign, kind=RuleKind.FIRST_PURCHASE, bonus_points=250)
    for company, holdout in zip(companies[:4], [False, False, True, True], strict=True):
        CampaignMember.objects.create(campaign=campaign, company=company, in_holdout=holdout)
    rows = []
    for n in range(48):
        at = LATE if n % 4 == 0 else (NOW - timedelta(days=n % 15, hours=n)).isoformat()  # LATE: before the campaign
        category = "TOOLS" if n % 3 == 0 else ""
        rows.append(row(f"{prefix}-{n % 6}", f"P-{n}", f"{200 + n * 11}.00", at=at, category=category, source=source))
    return campaign, csv_bytes(rows)


@pytest.mark.postgres
def test_set_based_import_with_a_running_campaign_writes_the_same_ledger_as_the_services(
    require_postgres, rules, monkeypatch
):
    from campaigns.models import CampaignAward
    from rewards.purchases import imports

    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("1.25"))
    campaign_a, file_a = _campaign_scenario("A", "erp-a")
    campaign_b, file_b = _campaign_scenario("B", "erp-b")
    routed = []
    record_with_services = imports._record_with_services
    monkeypatch.setattr(
        imports,
        "_record_with_services",
        lambda row, *args, **kwargs: (
            routed.append(row.company_external_id) or record_with_services(row, *args, **kwargs)
        ),
    )

    by_services = run(file_a, set_based=False, chunk_size=20)
    routed_by_services, routed[:] = list(routed), []
    set_based = run(file_b, set_based=True, chunk_size=20)

    assert (by_services.rows_created, set_based.rows_created) == (48, 48)
    a_entries, a_accounts, a_purchases = _ledger("A", "erp-a")
    b_entries, b_accounts, b_purchases = _ledger("B", "erp-b")
    for a_entry, b_entry in zip(a_entries, b_entries, strict=True):
        assert a_entry == b_entry
    assert (a_accounts, a_purchases) == (b_accounts, b_purchases)

    def awards(campaign):
        return sorted(
            (award.company.external_id[2:], award.kind, award.points, award.purchase.external_id)
            for award in CampaignAward.objects.filter(campaign=campaign).select_related("company", "purchase")
        )

    assert awards(campaign_a) == awards(campaign_b)
    campaign_a.refresh_from_db()
    campaign_b.refresh_from_db()
    assert campaign_a.points_awarded == campaign_b.points_awarded == 4000  # the budget ran out mid-file
    assert {kind for _company, kind, _points, _ref in awards(campaign_a)} == {"multiplier", "first_purchase"}
    assert any("campaign points: Spring double" in entry[8] for entry in a_entries)
    # Only the treated companies' rows went through the services; the rest stayed set-based.
    assert len(routed_by_services) == 48
    assert set(routed) <= {"B-0", "B-1"} and routed
    assert_ledger_consistent()


def _multiplier_scenario(prefix: str, source: str, *, silver, gold):
    """Multipliers only, so the set-based path computes them itself: ×2 on everything and ×3
    on TOOLS (two campaigns: the better one per row), a Gold company, a held-out one, one
    outside, one whose rows all predate the campaigns, and one that only the campaign points
    lift into Silver (so the tier check must count them)."""
    from campaigns.models import Campaign, CampaignMember, CampaignRule, CampaignStatus, RuleKind
    from rewards.models import ProductCategory

    companies = [CompanyFactory(external_id=f"{prefix}-{n}") for n in range(6)]
    PointsAccount.objects.filter(pk=points_account_for_company(company=companies[1]).pk).update(tier=gold)
    owner = StaffFactory()
    everything, tools = (
        Campaign.objects.create(
            name=name,
            headline=name,
            owner=owner,
            starts_at=NOW - timedelta(days=20),
            ends_at=NOW + timedelta(days=10),
            points_budget=10_000_000,
            status=CampaignStatus.ACTIVE,
        )
        for name in ("Double everything", "Triple tools")
    )
    CampaignRule.objects.create(campaign=everything, kind=RuleKind.MULTIPLIER, multiplier=Decimal("2"))
    rule = CampaignRule.objects.create(campaign=tools, kind=RuleKind.MULTIPLIER, multiplier=Decimal("3"))
    rule.categories.set([ProductCategory.objects.get(code="TOOLS")])
    for number, holdout in [(0, False), (1, False), (2, True), (4, False), (5, False)]:
        CampaignMember.objects.create(campaign=everything, company=companies[number], in_holdout=holdout)
    CampaignMember.objects.create(campaign=tools, company=companies[0], in_holdout=False)
    rows = []
    for n in range(36):
        at = LATE if n % 6 == 5 else (NOW - timedelta(days=n % 15, hours=n)).isoformat()
        rows.append(
            row(
                f"{prefix}-{n % 6}",
                f"P-{n}",
                f"{100 + n * 11}.00",
                at=at,
                category="TOOLS" if n % 3 == 0 else "",
                source=source,
            )
        )
    return (everything, tools), csv_bytes(rows)


@pytest.mark.postgres
def test_set_based_import_computes_campaign_multipliers_like_the_services(require_postgres, rules, monkeypatch):
    from campaigns.models import CampaignAward
    from rewards.purchases import imports

    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("1.25"))
    silver = TierFactory(name="Silver", qualifying_points=3000, earn_multiplier=Decimal("1.1"))
    gold = TierFactory(name="Gold", qualifying_points=100_000, earn_multiplier=Decimal("1.5"))
    campaigns_a, file_a = _multiplier_scenario("A", "erp-a", silver=silver, gold=gold)
    campaigns_b, file_b = _multiplier_scenario("B", "erp-b", silver=silver, gold=gold)
    routed = []
    record_with_services = imports._record_with_services
    monkeypatch.setattr(
        imports,
        "_record_with_services",
        lambda row, *args, **kwargs: (
            routed.append(row.company_external_id) or record_with_services(row, *args, **kwargs)
        ),
    )

    run(file_a, set_based=False, chunk_size=12)
    routed[:] = []
    run(file_b, set_based=True, chunk_size=12)

    a_entries, a_accounts, a_purchases = _ledger("A", "erp-a")
    b_entries, b_accounts, b_purchases = _ledger("B", "erp-b")
    for a_entry, b_entry in zip(a_entries, b_entries, strict=True):
        assert a_entry == b_entry
    assert (a_accounts, a_purchases) == (b_accounts, b_purchases)

    def awards(campaigns):
        return sorted(
            (award.campaign.name, award.company.external_id[2:], award.kind, award.points, award.purchase.external_id)
            for award in CampaignAward.objects.filter(campaign__in=campaigns).select_related(
                "campaign", "company", "purchase"
            )
        )

    assert awards(campaigns_a) == awards(campaigns_b)
    assert {name for name, *_rest in awards(campaigns_a)} == {"Double everything", "Triple tools"}
    for campaign_a, campaign_b in zip(campaigns_a, campaigns_b, strict=True):
        campaign_a.refresh_from_db()
        campaign_b.refresh_from_db()
        assert campaign_a.points_awarded == campaign_b.points_awarded > 0
    # Only the campaign points lift companies 0 and 4 into Silver, so the tier check counted
    # them: company 0, which an earlier row of the chunk may lift, went through the services;
    # company 4, lifted by its last row, landed set-based and rose after it. Gold company
    # 1's multiplier awards were computed set-based, as were the hold-out's and the others'.
    tiers = {account[0]: account[4] for account in a_accounts}
    assert (tiers["-0"], tiers["-1"], tiers["-4"]) == ("Silver", "Gold", "Silver")
    assert set(routed) == {"B-0"}
    assert any(company == "1" and kind == "multiplier" for _name, company, kind, *_rest in awards(campaigns_b))
    assert_ledger_consistent()


# --- Totality: every data line is landed, a duplicate, or failed with its line -----------------------

EVIL = '=HYPERLINK("http://evil","x")'
GOOD = "ACME,erp,{ref},2026-06-10T09:30:00+02:00,100.00,SEK,,"


def _line(ref: str) -> bytes:
    return GOOD.format(ref=ref).encode()


# (bytes of one physical line, the reason's words when it fails, or None when it lands)
HOSTILE_LINES = [
    (b"ACME,erp,NUL-1,2026-06-10,10\x00.00,SEK,,", "NUL byte"),
    (b'ACME,erp,"QUOTE-1,2026-06-10,10.00,SEK,,', "not closed on its line"),
    (f'"{EVIL.replace(chr(34), chr(34) * 2)}",erp,EVIL-1,2026-06-10,10.00,SEK,,'.encode(), "Unknown company"),
    (_line("CRLF-1") + b"\r", None),  # a CRLF line ending: the row lands
    (b"\xef\xbb\xbf" + _line("BOM-1"), "byte-order mark"),
    (b"ACME,erp,CR-1,2026-06-10,10.00\rSEK,,", "carriage return"),
    (b"ACME,erp,LONG-1,2026-06-10,10.00,SEK,," + b"x" * 5000, "longer than"),
    (b"ACME,erp,FEW-1,2026-06-10,10.00", "fields"),
    (b"ACME,erp,MANY-1,2026-06-10,10.00,SEK,,,extra", "fields"),
    (b"ACME,erp,UTF-1,2026-06-10,10.00,S\xffK,,", "UTF-8"),
    (b'ACME,erp,"AFTER"QUOTE,2026-06-10,10.00,SEK,,', "CSV"),
]


def _mixed_file(hostile: list[tuple[bytes, str | None]], good_between: int) -> tuple[bytes, dict[int, str | None]]:
    """A header, then each hostile line followed by ``good_between`` good lines; what to expect per line."""
    lines = [",".join(COLUMNS).encode()]
    expected: dict[int, str | None] = {}
    for number, (content, reason) in enumerate(hostile):
        lines.append(content)
        expected[len(lines)] = reason
        for extra in range(good_between):
            lines.append(_line(f"G-{number}-{extra}"))
            expected[len(lines)] = None
    return b"\n".join(lines) + b"\n", expected


@pytest.mark.parametrize("chunk_size", [None, 3])
def test_every_line_of_a_hostile_file_is_accounted_for_and_the_good_rows_after_the_bad_land(acme, chunk_size):
    # given a file mixing good rows with NUL bytes, an unclosed quote, a formula cell, CRLF,
    # a BOM in the middle, a stray CR, a long line, wrong column counts, bad UTF-8
    content, expected = _mixed_file(HOSTILE_LINES, good_between=2)

    # when it is imported
    done = run(content, chunk_size=chunk_size)

    # then every data line is in exactly one counter, and each failed line is listed with its reason
    failed = {line: reason for line, reason in expected.items() if reason}
    assert done.status == PurchaseImportStatus.DONE
    assert (done.rows_done, done.total_rows) == (len(expected), len(expected))
    assert done.rows_created + done.rows_duplicate + done.rows_failed == len(expected)
    assert (done.rows_created, done.rows_duplicate, done.rows_failed) == (len(expected) - len(failed), 0, len(failed))
    report = error_rows(done)
    reasons = {int(line): reason for line, reason, *_rest in report[1:]}
    assert sorted(reasons) == sorted(failed)
    for line, words in failed.items():
        assert words in reasons[line], (line, reasons[line])
    # the good rows after each bad one landed, the CRLF row among them
    landed = set(Purchase.objects.values_list("external_id", flat=True))
    assert {f"G-{n}-{extra}" for n in range(len(HOSTILE_LINES)) for extra in range(2)} | {"CRLF-1"} == landed
    # and the error report repeats the formula cell as text
    assert ["'" + EVIL] in [row[2:3] for row in report]
    assert_ledger_consistent()


@pytest.mark.parametrize("seed", range(8))
def test_any_mix_of_hostile_and_good_lines_adds_up(acme, seed):
    import random

    rng = random.Random(seed)
    hostile = [rng.choice(HOSTILE_LINES) for _ in range(rng.randrange(1, 12))]
    hostile = [(content.replace(b"-1,", f"-{n},".encode(), 1), reason) for n, (content, reason) in enumerate(hostile)]
    content, expected = _mixed_file(hostile, good_between=rng.randrange(0, 3))

    done = run(content, chunk_size=rng.choice([None, 1, 2, 5]))

    failed = sum(1 for reason in expected.values() if reason)
    assert done.rows_done == len(expected)
    assert (done.rows_created + done.rows_duplicate, done.rows_failed) == (len(expected) - failed, failed)


def test_a_chunk_left_for_one_by_one_never_makes_the_next_set_based_chunk_larger():
    from rewards.purchases.imports import SET_BASED_LOCK_TARGET_SECONDS, _next_chunk_size

    # nearly every row routed: the short hold says nothing about set-based rows
    assert _next_chunk_size(5_000, staged=20, lock_seconds=0.1) == 5_000
    # set-based rows that were cheap: grow, at most twice
    assert _next_chunk_size(5_000, staged=5_000, lock_seconds=0.1) == 10_000
    # set-based rows that held the locks too long: shrink to the target
    assert _next_chunk_size(10_000, staged=10_000, lock_seconds=4 * SET_BASED_LOCK_TARGET_SECONDS) == 2_500
    assert _next_chunk_size(10_000, staged=10, lock_seconds=4 * SET_BASED_LOCK_TARGET_SECONDS) == 2_500


# --- A company that has left the club -------------------------------------------------------------


@pytest.mark.parametrize("set_based", [False, True], ids=["row by row", "set based"])
def test_a_closed_company_gets_no_new_purchase_but_its_old_ones_stay_duplicates(request, acme, globex, set_based):
    if set_based:
        request.getfixturevalue("require_postgres")
    run(csv_bytes([row("ACME", "P-OLD")]), set_based=set_based)
    company_close(company=acme, by=StaffFactory(group="Club admins"))
    entries_after_closing = LedgerEntry.objects.filter(account__company=acme).count()

    purchase_import = run(
        csv_bytes(
            [
                row("ACME", "P-OLD"),  # line 2: sent before it closed, same content
                row("ACME", "P-NEW"),  # 3: new, refused
                row("ACME", "C-NEW", "-100.00", original="P-OLD"),  # 4: a return after closing, refused
                row("GLOBEX", "G-1"),  # 5: another company, lands
            ]
        ),
        set_based=set_based,
    )

    assert (purchase_import.rows_created, purchase_import.rows_duplicate, purchase_import.rows_failed) == (1, 1, 2)
    reasons = {int(line): reason for line, reason, *_rest in error_rows(purchase_import)[1:]}
    assert sorted(reasons) == [3, 4]
    assert all("ACME has left the club" in reason for reason in reasons.values())
    assert not Purchase.objects.filter(external_id__in=["P-NEW", "C-NEW"]).exists()
    assert LedgerEntry.objects.filter(account__company=acme).count() == entries_after_closing
    assert PointsAccount.objects.get(company=acme).balance == 0
    assert Purchase.objects.filter(company=globex, external_id="G-1").exists()

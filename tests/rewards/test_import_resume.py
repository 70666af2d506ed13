"""A stopped import resumes by itself: the stale-import job, the admin action, the task's settings.

The worker killed for real (SIGKILL) is tests/integration/test_import_worker_killed.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase, PurchaseImport, PurchaseImportPendingRow
from rewards.models import PurchaseImportStatus as Status
from rewards.purchases import imports
from rewards.purchases.tasks import resume_stale_purchase_imports, run_purchase_import
from tests.factories import CompanyFactory, StaffFactory

from .factories import NOW
from .helpers import assert_ledger_consistent
from .test_imports import WorkerDied, csv_bytes, new_import, row


@pytest.fixture
def acme(rules):
    return CompanyFactory(external_id="ACME")


@pytest.fixture
def superuser_client(client, db, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    return client


ROWS = [row("ACME", f"P-{n}") for n in range(7)] + [row("NOBODY", "X")]


def _stopped_after_first_chunk() -> PurchaseImport:
    """An import whose worker died after its first committed chunk: "running", 3 rows done."""
    purchase_import = new_import(csv_bytes(ROWS))

    def die(current):
        raise WorkerDied

    with pytest.raises(WorkerDied):
        imports.purchase_import_run(import_id=purchase_import.pk, now=NOW, chunk_size=3, progress=die)
    purchase_import.refresh_from_db()
    assert (purchase_import.status, purchase_import.rows_done) == (Status.RUNNING, 3)
    return purchase_import


def _assert_finished_exactly(purchase_import: PurchaseImport, acme) -> None:
    purchase_import.refresh_from_db()
    assert purchase_import.status == Status.DONE
    assert (
        purchase_import.rows_done,
        purchase_import.rows_created,
        purchase_import.rows_duplicate,
        purchase_import.rows_failed,
    ) == (8, 7, 0, 1)
    assert Purchase.objects.count() == 7
    # one earn each, none twice (the resumed run dates its entries now, so some are released at once)
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 7
    account = PointsAccount.objects.get(company=acme)
    assert account.pending + account.balance == 700
    assert not PurchaseImportPendingRow.objects.exists()
    assert_ledger_consistent()


def test_the_stale_import_job_resumes_a_stuck_import_to_completion(acme, django_capture_on_commit_callbacks):
    # given an import whose worker died, with no progress for longer than the limit
    purchase_import = _stopped_after_first_chunk()
    PurchaseImport.objects.filter(pk=purchase_import.pk).update(progress_at=timezone.now() - timedelta(minutes=11))

    # when the beat job runs
    with django_capture_on_commit_callbacks(execute=True):
        queued = resume_stale_purchase_imports()

    # then the import is finished, every row counted once
    assert queued == 1
    _assert_finished_exactly(purchase_import, acme)


def test_an_import_stopped_between_its_rows_transactions_resumes_with_nothing_lost_or_doubled(
    acme, monkeypatch, django_capture_on_commit_callbacks
):
    # given a run that dies while recording its chunk's rows one by one (some committed)
    purchase_import = new_import(csv_bytes(ROWS))
    real_record = imports._record_with_services
    calls = []

    def dies_on_the_fifth_row(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise WorkerDied
        return real_record(*args, **kwargs)

    monkeypatch.setattr(imports, "_record_with_services", dies_on_the_fifth_row)
    monkeypatch.setattr(imports, "DRAIN_TRANSACTION_SECONDS", 0)  # one row per transaction
    with pytest.raises(WorkerDied):
        imports.purchase_import_run(import_id=purchase_import.pk, now=NOW, set_based=False)
    monkeypatch.setattr(imports, "_record_with_services", real_record)
    purchase_import.refresh_from_db()
    assert (purchase_import.rows_done, purchase_import.rows_created) == (8, 4)
    assert PurchaseImportPendingRow.objects.count() == 3
    PurchaseImport.objects.filter(pk=purchase_import.pk).update(progress_at=timezone.now() - timedelta(hours=1))

    # when the stale-import job finds it
    with django_capture_on_commit_callbacks(execute=True):
        resume_stale_purchase_imports()

    # then the import finishes with every row counted exactly once
    _assert_finished_exactly(purchase_import, acme)


def test_the_stale_import_job_leaves_progressing_and_finished_imports_alone(acme, django_capture_on_commit_callbacks):
    progressing = _stopped_after_first_chunk()  # progress_at: just now
    finished = new_import(csv_bytes([row("ACME", "D-1")]))
    imports.purchase_import_run(import_id=finished.pk, now=NOW)
    PurchaseImport.objects.filter(pk=finished.pk).update(progress_at=timezone.now() - timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = resume_stale_purchase_imports()

    assert (queued, callbacks) == (0, [])
    progressing.refresh_from_db()
    assert (progressing.status, progressing.rows_done) == (Status.RUNNING, 3)


def test_staff_resume_a_stuck_import_from_the_admin_and_see_its_last_progress(
    superuser_client, acme, django_capture_on_commit_callbacks
):
    purchase_import = _stopped_after_first_chunk()
    listing = superuser_client.get(reverse("admin:rewards_purchaseimport_changelist")).content.decode()
    assert "Resume selected imports" in listing
    assert "Last progress" in listing

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:rewards_purchaseimport_changelist"),
            {"action": "resume_imports", ACTION_CHECKBOX_NAME: [purchase_import.pk]},
            follow=True,
        )

    assert "1 import was queued to resume." in response.content.decode()
    _assert_finished_exactly(purchase_import, acme)


def test_staff_who_may_only_view_imports_are_not_offered_the_resume_action(client, settings, acme):
    from django.contrib.auth.models import Permission

    settings.STAFF_MFA_REQUIRED = False
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_purchaseimport"))
    client.force_login(viewer)
    purchase_import = _stopped_after_first_chunk()

    listing = client.get(reverse("admin:rewards_purchaseimport_changelist"))
    refused = client.post(
        reverse("admin:rewards_purchaseimport_changelist"),
        {"action": "resume_imports", ACTION_CHECKBOX_NAME: [purchase_import.pk]},
    )

    assert listing.status_code == 200
    assert "Resume selected imports" not in listing.content.decode()
    assert refused.status_code in (200, 302)
    purchase_import.refresh_from_db()
    assert (purchase_import.status, purchase_import.rows_done) == (Status.RUNNING, 3)


def test_the_import_task_is_acknowledged_late_and_bounded_in_time():
    # A task acknowledged before it runs dies with its worker; these make the broker hand it
    # to the next worker, and the time limits stay under the broker's visibility timeout.
    from django.conf import settings

    assert run_purchase_import.acks_late is True
    assert run_purchase_import.reject_on_worker_lost is True
    assert 0 < run_purchase_import.soft_time_limit < run_purchase_import.time_limit
    assert run_purchase_import.time_limit < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert "rewards.tasks.resume_stale_purchase_imports" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_a_run_out_of_time_queues_its_continuation_and_the_import_finishes(
    acme, monkeypatch, django_capture_on_commit_callbacks
):
    from celery.exceptions import SoftTimeLimitExceeded

    purchase_import = new_import(csv_bytes(ROWS))
    real_chunk = imports._chunk_row_by_row
    calls = []

    def time_is_up_in_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(imports, "_chunk_row_by_row", time_is_up_in_the_second_chunk)
    monkeypatch.setattr(imports, "ROW_BY_ROW_CHUNK_SIZE", 3)

    with django_capture_on_commit_callbacks(execute=True):
        run_purchase_import.delay(purchase_import.pk)

    purchase_import.refresh_from_db()
    assert purchase_import.status == Status.DONE
    assert (purchase_import.rows_created, purchase_import.rows_failed) == (7, 1)

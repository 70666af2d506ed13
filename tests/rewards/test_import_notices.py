"""A CSV import tells each company once, after the import, that points arrived — never per row,
and a re-import of the same file tells nobody again."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from rewards.ledger import tasks as ledger_tasks
from rewards.purchases.imports import purchase_import_run
from tests.conftest import IN_CI
from tests.factories import CompanyFactory, MembershipFactory

from .test_imports import csv_bytes, new_import, row

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["row_by_row", "set_based"])
def pipeline(request, rules):
    from django.db import connection

    if request.param == "set_based" and connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("PostgreSQL is required under CI=true")
        pytest.skip("the set-based import needs PostgreSQL")
    return request.param == "set_based"


def test_one_notice_per_company_after_the_import_whatever_the_number_of_rows(
    pipeline, django_capture_on_commit_callbacks
):
    acme, globex, quiet = (CompanyFactory(external_id=ref) for ref in ("ACME", "GLOBEX", "QUIET"))
    acme_people = [MembershipFactory(company=acme).user for _ in range(2)]
    globex_person = MembershipFactory(company=globex).user
    MembershipFactory(company=quiet)
    rows = [row("ACME", f"A-{n}", "100.00") for n in range(120)] + [row("GLOBEX", "G-1", "40.00"), row("NOBODY", "X")]
    content = csv_bytes(rows)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        purchase_import = purchase_import_run(import_id=new_import(content).pk, set_based=pipeline, chunk_size=50)

    assert purchase_import.rows_created == 121
    # One task for the whole import (three chunks here), none per row; it queues each
    # company's e-mails (two companies with contacts).
    assert [callback.func.__self__.name for callback in queued] == [
        "rewards.tasks.notify_purchases_points",
        "notifications.tasks.send_notification_emails",
        "notifications.tasks.send_notification_emails",
    ]
    assert Notification.objects.count() == 3  # two at ACME, one at GLOBEX, none at QUIET
    acme_notice = Notification.objects.get(recipient=acme_people[0])
    assert acme_notice.key == f"points:import:{purchase_import.pk}"
    assert acme_notice.title == "12\u202f000 points (600\u00a0SEK) arrived"
    assert acme_notice.body == "120 purchases earned them. See your points history for each one."
    assert Notification.objects.get(recipient=globex_person).title == "40 points (2\u00a0SEK) arrived"

    with django_capture_on_commit_callbacks(execute=True) as queued:
        again = purchase_import_run(import_id=new_import(content).pk, set_based=pipeline)
    assert again.rows_duplicate == 121 and queued == []
    assert Notification.objects.count() == 3


class WorkerShutdown(BaseException):
    """What a worker being stopped looks like to the import: not an error of the import."""


def test_a_run_stopped_after_a_chunk_says_nothing_and_the_resumed_run_announces_the_whole_import(
    pipeline, django_capture_on_commit_callbacks
):
    acme = CompanyFactory(external_id="ACME")
    person = MembershipFactory(company=acme).user
    purchase_import = new_import(csv_bytes([row("ACME", f"A-{n}", "100.00") for n in range(120)]))

    def stop_after_the_first_chunk(_progress):
        raise WorkerShutdown

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(WorkerShutdown):
        purchase_import_run(
            import_id=purchase_import.pk, set_based=pipeline, chunk_size=50, progress=stop_after_the_first_chunk
        )
    purchase_import.refresh_from_db()
    assert (purchase_import.status, purchase_import.rows_done) == ("running", 50)
    assert not Notification.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        resumed = purchase_import_run(import_id=purchase_import.pk, set_based=pipeline, chunk_size=50)

    assert (resumed.status, resumed.rows_created) == ("done", 120)
    notice = Notification.objects.get(recipient=person)
    assert notice.title == "12\u202f000 points (600\u00a0SEK) arrived"  # all 120, not the 70 it imported itself
    assert notice.body == "120 purchases earned them. See your points history for each one."


def test_a_large_import_tells_its_companies_in_short_tasks_each_company_once(
    pipeline, django_capture_on_commit_callbacks, monkeypatch
):
    # (at real size 10 000 companies: twenty tasks of 500, not one task of minutes)
    monkeypatch.setattr(ledger_tasks, "COMPANIES_PER_NOTICES_TASK", 2)
    companies = [CompanyFactory(external_id=f"C{n}") for n in range(5)]
    people = {company.pk: MembershipFactory(company=company).user for company in companies}
    content = csv_bytes([row(f"C{n}", f"O-{n}-{k}", "10.00") for n in range(5) for k in range(3)])

    with django_capture_on_commit_callbacks(execute=False) as queued:
        purchase_import = purchase_import_run(import_id=new_import(content).pk, set_based=pipeline)
    notices_tasks = [c for c in queued if c.func.__self__.name == "rewards.tasks.notify_purchases_points"]
    assert len(notices_tasks) == 3  # 2 + 2 + 1 companies

    # each company is told once, with its own figures, whichever task it was in
    for _round in range(2):  # and a task delivered twice tells nobody again
        with django_capture_on_commit_callbacks(execute=True):
            for callback in notices_tasks:
                callback()
    notices = Notification.objects.filter(key=f"points:import:{purchase_import.pk}")
    assert sorted(notice.recipient_id for notice in notices) == sorted(person.pk for person in people.values())
    assert {notice.title for notice in notices} == {"30 points (1.50\u00a0SEK) arrived"}

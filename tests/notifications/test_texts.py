"""A notification is stored as message keys with JSON parameters and read in the reader's
language: on the notification centre in whatever language the reader uses today, in the
e-mail in the recipient's. Finished words are refused, and the migration keeps the words of
notifications written before as they were."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from core.texts import FREE_TEXT, StoredText, free_text, points_param, text_render
from notifications.models import Notification, NotificationKind
from notifications.services import notification_email_send, notifications_send
from rewards import texts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARRIVED = StoredText(texts.POINTS_ARRIVED, {"points": points_param(12400, Decimal("620"), "SEK")})
SPENDABLE = StoredText(texts.PURCHASE_SPENDABLE, {"ref": "ERP-1042"})


@pytest.fixture(autouse=True)
def _default_language_after():
    """A request as a Swedish member leaves Swedish active in this thread: later tests read English."""
    yield
    translation.activate("en")


def _send(users, **kwargs):
    defaults = {"kind": NotificationKind.POINTS, "key": "points:purchase:1", "title": ARRIVED, "body": SPENDABLE}
    return notifications_send(users=users, **{**defaults, **kwargs})


def test_the_same_notification_reads_in_english_swedish_and_dutch_as_its_reader_switches(
    client, purchaser, portal_site
):
    purchaser.language = "en"
    purchaser.save(update_fields=["language"])
    _send([purchaser], email=False)
    client.force_login(purchaser)

    pages = {}
    for language in ("en", "sv", "nl"):
        purchaser.language = language
        purchaser.save(update_fields=["language"])
        pages[language] = client.get(reverse("notifications:list")).content.decode()

    expected = {
        language: (
            text_render(ARRIVED.key, ARRIVED.params, language),
            text_render(SPENDABLE.key, {"ref": "ERP-1042"}, language),
        )
        for language in ("en", "sv", "nl")
    }
    assert expected["en"] == (
        "12\u202f400 points (620\u00a0SEK) arrived",
        "For purchase ERP-1042. They can be spent now.",
    )
    assert expected["sv"][0] == "12\u00a0400 poäng (620\u00a0SEK) har kommit in"
    assert expected["nl"][1] == "Voor aankoop ERP-1042. Ze zijn nu te besteden."
    for language, (title, body) in expected.items():
        assert title in pages[language] and body in pages[language], language
    assert "arrived" not in pages["sv"] and "arrived" not in pages["nl"]
    assert "har kommit in" not in pages["nl"]


def test_the_e_mail_is_rendered_in_the_recipients_language_whoever_caused_it(django_capture_on_commit_callbacks):
    dutch = UserFactory(language="nl")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=False):  # an English rep's request
        (notice,) = _send([dutch])

    assert notification_email_send(notification_id=notice.pk) is True

    (message,) = mail.outbox
    assert message.subject == "12.400 punten (620 SEK) ontvangen"  # a subject's spaces are plain
    assert "Voor aankoop ERP-1042. Ze zijn nu te besteden." in message.body
    assert "arrived" not in message.body


def test_a_date_parameter_is_written_as_the_readers_language_writes_dates():
    (notice,) = _send(
        [UserFactory()], body=StoredText(texts.PURCHASE_PENDING, {"ref": "ERP-7", "date": "2026-12-24"}), email=False
    )

    with translation.override("sv"):
        assert "24 december 2026" in notice.body
    with translation.override("en"):
        assert "24 December 2026" in notice.body


@pytest.mark.parametrize(
    ("title", "body"),
    [
        pytest.param(gettext_lazy("Points arrived"), None, id="a lazy translation"),
        pytest.param("Points arrived", None, id="finished words"),
        pytest.param(ARRIVED, StoredText(texts.PURCHASE_SPENDABLE, {"ref": lambda: "ERP-1"}), id="a callable param"),
        pytest.param(ARRIVED, StoredText(texts.PURCHASE_PENDING, {"date": date(2026, 12, 24)}), id="a date object"),
        pytest.param(StoredText(texts.POINTS_ARRIVED, {"points": Decimal("12")}), None, id="a Decimal"),
        pytest.param(StoredText(texts.POINTS_ARRIVED, {"points": gettext_lazy("many")}), None, id="a lazy param"),
    ],
)
def test_finished_words_and_parameters_that_are_not_json_are_refused(title, body):
    with pytest.raises(TypeError):
        _send([UserFactory()], title=title, body=body)

    assert not Notification.objects.exists()


def test_an_unregistered_key_is_refused():
    with pytest.raises(ValueError, match="not registered"):
        _send([UserFactory()], title=StoredText("notice.nobody_registered_this"))


def test_a_free_title_is_kept_as_typed_and_cut_to_the_titles_length():
    (notice,) = _send([UserFactory()], title=free_text("x" * 300), body=free_text("100 % mine"), email=False)

    assert notice.title_key == FREE_TEXT and len(notice.title) == 200
    assert notice.body == "100 % mine"


# --- The migration of stored words --------------------------------------------------------------


@pytest.fixture
def _back_to_the_latest_migrations():
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_the_latest_migrations")
def test_the_migration_keeps_the_words_of_existing_notifications_and_goes_back():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("notifications", "0002_digest_index")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    person = UserFactory()
    OldNotification = old_apps.get_model("notifications", "Notification")
    now = timezone.now()
    OldNotification.objects.bulk_create(
        [
            OldNotification(
                recipient_id=person.pk,
                kind="points",
                key="old:1",
                title="12 400 poäng har kommit in",
                body="För köp ERP-1. 100 % klart.",
                created_at=now,
            ),
            OldNotification(
                recipient_id=person.pk, kind="offer", key="old:2", title="New offer: Winter", created_at=now
            ),
        ]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("notifications"))

    stored = {
        notice.key: (notice.title_key, notice.title_params, notice.body_key, notice.body_params)
        for notice in Notification.objects.filter(recipient=person)
    }
    assert stored == {
        "old:1": (
            FREE_TEXT,
            {"text": "12 400 poäng har kommit in"},
            FREE_TEXT,
            {"text": "För köp ERP-1. 100 % klart."},
        ),
        "old:2": (FREE_TEXT, {"text": "New offer: Winter"}, "", {}),
    }
    with translation.override("nl"):  # words from before read as they were written
        assert Notification.objects.get(key="old:1").title == "12 400 poäng har kommit in"

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    back = {
        notice.key: (notice.title, notice.body)
        for notice in old_apps.get_model("notifications", "Notification").objects.filter(recipient_id=person.pk)
    }
    assert back == {
        "old:1": ("12 400 poäng har kommit in", "För köp ERP-1. 100 % klart."),
        "old:2": ("New offer: Winter", ""),
    }

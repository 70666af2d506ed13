"""Ledger descriptions are stored as a message key with parameters and read in the reader's
language: on the history page, in its export, in notifications. No service stores finished
words, and the migration turns the old finished words back into keys without losing any."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core.texts import FREE_TEXT, StoredText, free_text, text_keys, text_render
from members.models import Membership
from notifications.models import Notification
from reps.models import GoodwillBudget
from reps.services import goodwill_award
from rewards import texts
from rewards.ledger.services import (
    entry_reverse,
    points_account_for_company,
    points_adjust,
    points_expire,
    points_redeem,
)
from rewards.models import EntryKind, LedgerEntry
from rewards.purchases.services import PurchaseLineInput, purchase_record
from rewards.redemptions.services import redemption_cancel, redemption_reject
from tests.factories import StaffFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import request_redemption

pytestmark = pytest.mark.django_db

migration = importlib.import_module("rewards.migrations.0009_ledger_memo_texts")


@pytest.fixture(autouse=True)
def _default_language_after():
    """A request as a Swedish member leaves Swedish active in this thread: later tests read English."""
    yield
    translation.activate("en")


def _entry(text: StoredText) -> LedgerEntry:
    return LedgerEntry(kind=EntryKind.EARN, memo_key=text.key, memo_params=text.params)


def test_the_same_entry_reads_in_english_swedish_and_dutch_with_their_numbers_and_dates():
    earn = _entry(texts.purchase_memo(ref="ERP-1042", campaigns=[(1875, "Tools boost")]))
    expired = _entry(StoredText(texts.EXPIRED, {"day": "2026-12-06"}))
    order = _entry(StoredText(texts.ORDER_REJECTED, {"number": "R-7"}))

    read = {
        language: [text_render(e.memo_key, e.memo_params, language) for e in (earn, expired, order)]
        for language in ("en", "sv", "nl")
    }

    assert read["en"] == [
        "Purchase ERP-1042 · +1\u202f875 campaign points: Tools boost",
        "Points that reached their expiry date by 6 December 2026",
        "Order R-7 rejected: points returned",
    ]
    assert read["sv"] == [
        "Köp ERP-1042 · +1\xa0875 kampanjpoäng: Tools boost",
        "Poäng som nått sitt förfallodatum senast 6 december 2026",
        "Beställning R-7 avslogs: poängen återförda",
    ]
    assert read["nl"] == [
        "Aankoop ERP-1042 · +1.875 campagnepunten: Tools boost",
        "Punten die uiterlijk 6 december 2026 hun vervaldatum bereikten",
        "Bestelling R-7 afgewezen: punten teruggegeven",
    ]
    with translation.override("sv"):  # the model's memo reads the active language
        assert earn.memo == read["sv"][0]


def test_a_reason_someone_typed_is_kept_as_typed_in_every_language():
    typed = _entry(free_text("Levererat två dagar sent"))

    assert {text_render(typed.memo_key, typed.memo_params, language) for language in ("en", "sv", "nl")} == {
        "Levererat två dagar sent"
    }


def test_stored_data_never_breaks_a_page():
    assert text_render("", {}) == ""
    assert text_render("gone.app.key", {"text": "kept words"}) == "kept words"
    assert text_render(texts.REDEEMED, {}) == ""  # a parameter missing: nothing shown, no 500


def _swedish(user):
    user.language = ""  # a Swedish company's contact reads Swedish
    user.save(update_fields=["language"])
    return user


def test_a_swedish_members_history_and_its_export_read_swedish(client, purchaser, company, portal_site):
    _swedish(purchaser)
    purchase_record(
        company=company,
        source="erp",
        external_id="ERP-1",
        occurred_at=timezone.now() - timedelta(days=1),
        net_amount=Decimal("1000.00"),
        currency="SEK",
        lines=[PurchaseLineInput(sku="X", amount=Decimal("1000.00"))],
    )
    client.force_login(purchaser)

    page = client.get("/points/history/").content.decode()
    response = client.get("/points/history/", {"_export": "csv"})

    assert "Köp ERP-1" in page and "Purchase ERP-1" not in page
    content = response.getvalue().decode("utf-8-sig")  # once: the export streams
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert [row for row in rows if "Köp ERP-1" in row], rows
    assert "Purchase" not in content


def test_an_english_speaking_reps_goodwill_reaches_a_swedish_member_in_swedish(rep, company, purchaser):
    _swedish(purchaser)
    assert rep.language == "en"
    GoodwillBudget.objects.create(rep=rep, month=timezone.localdate().replace(day=1), points=1000)

    with translation.override("en"):  # the rep's request
        award = goodwill_award(rep=rep, company=company, points=300, reason="Tack för ordern!", key="g-1")

    notice = Notification.objects.get(recipient=purchaser)
    with translation.override("sv"):  # what the member's pages show
        assert notice.title == "Anna Sälj gav ditt företag 300 poäng (15\xa0SEK)"
        assert notice.body == "”Tack för ordern!” Poängen finns nu i saldot."
    entry = award.entry
    assert (entry.memo_key, entry.memo_params) == ("reps.goodwill", {"rep": "Anna Sälj", "reason": "Tack för ordern!"})
    assert text_render(entry.memo_key, entry.memo_params, "sv") == "Goodwill från Anna Sälj: Tack för ordern!"


def test_an_order_names_the_reward_in_each_readers_language(company, purchaser):
    """The reward's name is kept in every language it has when the order is written, so the
    history names it as each reader's catalogue does (an English name stays for a language
    the reward lacks)."""
    points_adjust(
        account=points_account_for_company(company=company), points=5000, reason="x", by=StaffFactory(), key="t"
    )
    reward = RewardFactory(points_cost=1000, title_en="Steel thermos", title_sv="Termos i stål", title_nl="")

    with translation.override("en"):  # whoever orders, the entry is not written in their language
        request_redemption(purchaser.membership, reward)

    entry = LedgerEntry.objects.get(kind=EntryKind.REDEEM)
    assert entry.memo_params["reward"] == {"en": "Steel thermos", "sv": "Termos i stål"}
    assert text_render(entry.memo_key, entry.memo_params, "sv") == "Termos i stål × 1"
    assert text_render(entry.memo_key, entry.memo_params, "en") == "Steel thermos × 1"
    assert text_render(entry.memo_key, entry.memo_params, "nl") == "Steel thermos × 1"


def test_no_ledger_write_path_stores_finished_words(company, purchaser, rep, rules):
    """Every service that writes an entry, run in English: each entry is a registered key whose
    Swedish reading differs from its English one, or the very words a person typed."""
    from campaigns.services import activity_complete, challenge_complete
    from core.texts import StoredText
    from groups.texts import TRANSFER_IN, TRANSFER_OUT
    from privacy.closing import company_close
    from rewards.ledger.services import points_transfer
    from tests.campaigns.factories import ActivityFactory, ChallengeFactory
    from tests.factories import CompanyFactory

    staff = StaffFactory(group="Club admins")
    typed = {"Welcome to the club", "Booked twice by mistake"}
    now = timezone.now()
    membership = Membership.objects.select_related("company", "user").get(user=purchaser)
    GoodwillBudget.objects.create(rep=rep, month=timezone.localdate().replace(day=1), points=1000)
    account = points_account_for_company(company=company)
    with translation.override("en"):
        old = now - timedelta(days=800)
        purchase_record(
            company=company,
            source="erp",
            external_id="P-1",
            occurred_at=old,
            net_amount=Decimal("500.00"),
            currency="SEK",
            lines=[PurchaseLineInput(sku="X", amount=Decimal("500.00"))],
        )  # earned and released at once (a late import)
        purchase_record(
            company=company,
            source="erp",
            external_id="P-2",
            occurred_at=now - timedelta(days=1),
            net_amount=Decimal("2000.00"),
            currency="SEK",
            lines=[PurchaseLineInput(sku="X", amount=Decimal("2000.00"))],
        )
        purchase_record(
            company=company,
            source="erp",
            external_id="C-2",
            original_external_id="P-2",
            occurred_at=now,
            net_amount=Decimal("-100.00"),
            currency="SEK",
            lines=[PurchaseLineInput(sku="X", amount=Decimal("-100.00"))],
        )
        points_expire(now=now)  # P-1's points expired long ago
        welcome = points_adjust(account=account, points=5000, reason="Welcome to the club", by=staff, key="w")
        entry_reverse(entry=welcome, reason="Booked twice by mistake", by=staff)
        points_adjust(account=account, points=20_000, reason="Welcome to the club", by=staff, key="w2")
        goodwill_award(rep=rep, company=company, points=100, reason="Welcome to the club", key="g")
        reward = RewardFactory(points_cost=1000)
        redemption_reject(redemption=request_redemption(membership, reward), by=staff, comment="Out of stock")
        redemption_cancel(redemption=request_redemption(membership, reward), by=purchaser)
        request_redemption(membership, reward)
        activity_complete(activity_id=ActivityFactory(points=200).pk, user=purchaser, score=9)
        challenge_complete(challenge=ChallengeFactory(points=500), company_id=company.pk, now=now)
        # A transfer between two branches of a company group (groups.texts words both entries).
        points_transfer(
            from_company_id=company.pk,
            to_company_id=CompanyFactory(name="Filial AB").pk,
            points=10,
            key="t",
            by=purchaser,
            memo_out=StoredText(TRANSFER_OUT, {"number": "T-1", "company": "Filial AB"}),
            memo_in=StoredText(TRANSFER_IN, {"number": "T-1", "company": company.name}),
        )
        company_close(company=company, by=staff)  # the company leaves the club: a close entry

    entries = list(LedgerEntry.objects.all())
    kinds = {entry.kind for entry in entries}
    assert kinds == set(EntryKind.values), kinds  # every kind of entry was written
    for entry in entries:
        english = text_render(entry.memo_key, entry.memo_params, "en")
        if entry.memo_key == FREE_TEXT:
            assert entry.memo_params["text"] in typed, entry.memo_params
            continue
        if not entry.memo_key:
            assert entry.kind == EntryKind.RELEASE  # a release says only what became spendable
            continue
        assert entry.memo_key in text_keys()
        if entry.memo_key == texts.REDEEMED:
            continue  # "Drill × 2": a name and a number read the same in every language
        assert text_render(entry.memo_key, entry.memo_params, "sv") != english, entry.memo_key
    with pytest.raises(TypeError):
        points_redeem(account=account, points=1, key="words", by=None, memo="Gift card")


# --- The migration of stored words --------------------------------------------------------------

DEMO_SHAPED = [
    # (kind, has a purchase, what the services wrote before, key, params)
    ("earn", True, "Purchase ERP-2025-0001", "ledger.purchase", {"ref": "ERP-2025-0001"}),
    (
        "earn",
        True,
        "Köp ERP-9 · +1875 kampanjpoäng: Vårkampanj; +50 kampanjpoäng: Guld",
        "ledger.purchase",
        {"ref": "ERP-9", "campaigns": [{"points": 1875, "campaign": "Vårkampanj"}, {"points": 50, "campaign": "Guld"}]},
    ),
    ("earn", True, "Aankoop NL-7", "ledger.purchase", {"ref": "NL-7"}),
    ("release", True, "1200 points owed were paid off.", "ledger.paid_off", {"points": 1200}),
    ("reversal", True, "Kreditnota CN-1 för köp ERP-9", "ledger.credit_note", {"ref": "CN-1", "original": "ERP-9"}),
    ("expire", False, "Points that reached their expiry date by 2026-01-31", "ledger.expired", {"day": "2026-01-31"}),
    (
        "expire",
        False,
        "Punten die uiterlijk 2026-01-31 hun vervaldatum bereikten",
        "ledger.expired",
        {"day": "2026-01-31"},
    ),
    (
        "redeem",
        False,
        "Presentkort × Ica 500 kr × 2",
        "ledger.redeemed",
        {"reward": "Presentkort × Ica 500 kr", "quantity": 2},
    ),
    ("reversal", False, "Order R-00012 rejected: points returned", "ledger.order_rejected", {"number": "R-00012"}),
    (
        "reversal",
        False,
        "Beställning R-00013 avbröts: poängen återförda",
        "ledger.order_cancelled",
        {"number": "R-00013"},
    ),
    ("reversal", False, "Points returned", "ledger.points_returned", {}),
    (
        "adjust",
        False,
        "Goodwill from Anna Sälj: Delivery two days late",
        "reps.goodwill",
        {"rep": "Anna Sälj", "reason": "Delivery two days late"},
    ),
    ("earn", False, "Challenge completed: Three categories", "campaigns.challenge", {"title": "Three categories"}),
    ("earn", False, "Enkät (NPS): Hur gör vi?", "campaigns.activity", {"kind": "survey", "title": "Hur gör vi?"}),
    # What a person typed, and shapes nobody knows, stay word for word.
    (
        "adjust",
        False,
        "Bonus for signing the framework agreement",
        FREE_TEXT,
        {"text": "Bonus for signing the framework agreement"},
    ),
    ("earn", True, "Something an old version wrote", FREE_TEXT, {"text": "Something an old version wrote"}),
    ("reversal", False, "Order was cancelled", FREE_TEXT, {"text": "Order was cancelled"}),
    ("release", True, "", "", {}),
]


@pytest.mark.parametrize(("kind", "has_purchase", "memo", "key", "params"), DEMO_SHAPED)
def test_the_migration_reads_every_known_shape_and_keeps_the_rest(kind, has_purchase, memo, key, params):
    assert migration.memo_parse(kind=kind, has_purchase=has_purchase, memo=memo) == (key, params)


@pytest.fixture
def _back_to_the_latest_migrations():
    """Migrating rewards back unapplies every later migration that depends on it (company
    groups, the transfer entry kind): put the whole schema back for the tests that follow."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_the_latest_migrations")
def test_the_migration_moves_stored_words_into_keys_on_a_copy_shaped_like_the_demo():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("rewards", "0008_merge_bounds_and_pending_rows")])
    old_apps = executor.loader.project_state([("rewards", "0008_merge_bounds_and_pending_rows")]).apps
    Company = old_apps.get_model("members", "Company")
    Account = old_apps.get_model("rewards", "PointsAccount")
    Entry = old_apps.get_model("rewards", "LedgerEntry")
    company = Company.objects.create(name="Bergström Bygg AB", country="SE", org_number="5560000001", external_id="B")
    account = Account.objects.create(company=company)
    now = timezone.now()
    Entry.objects.bulk_create(
        [
            Entry(
                account=account, kind="redeem", points=0, idempotency_key="m:1", memo="Borrmaskin × 1", created_at=now
            ),
            Entry(
                account=account, kind="adjust", points=0, idempotency_key="m:2", memo="Välkomstbonus", created_at=now
            ),
            Entry(
                account=account,
                kind="reversal",
                idempotency_key="m:3",
                memo="Order R-1 cancelled: points returned",
                created_at=now,
            ),
        ]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Forward to the latest rewards migration: the current models read the rows below.
    executor.migrate(executor.loader.graph.leaf_nodes("rewards"))

    stored = {
        entry.idempotency_key: (entry.memo_key, entry.memo_params)
        for entry in LedgerEntry.objects.filter(idempotency_key__startswith="m:")
    }
    assert stored == {
        "m:1": ("ledger.redeemed", {"reward": "Borrmaskin", "quantity": 1}),
        "m:2": (FREE_TEXT, {"text": "Välkomstbonus"}),
        "m:3": ("ledger.order_cancelled", {"number": "R-1"}),
    }
    with translation.override("sv"):
        assert LedgerEntry.objects.get(idempotency_key="m:3").memo == "Beställning R-1 avbröts: poängen återförda"

"""The admin's change lists of ledger entries and purchases at millions of rows: a capped
count (never ``COUNT(*)`` over the whole table), no date hierarchy, the sources read from
the index, a search on indexed keys, a query count that does not grow with the rows — and
the rep's scope unchanged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.admin import CappedCountPaginator
from members.staff_groups import apply_staff_group_permissions
from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = ["admin:rewards_ledgerentry_changelist", "admin:rewards_purchase_changelist"]


@pytest.fixture(autouse=True)
def _staff(db, settings):
    settings.STAFF_MFA_REQUIRED = False
    apply_staff_group_permissions(apps)  # the members data migration ran before the rewards tables
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="Club admins").permissions.add(*Permission.objects.filter(content_type__app_label="rewards"))


def activity(company, count: int, *, start: int = 0, source: str = "erp") -> None:
    """``count`` purchases with an earn entry each for ``company``, in bulk."""
    account, _ = PointsAccount.objects.get_or_create(company=company)
    now = timezone.now()
    purchases = Purchase.objects.bulk_create(
        Purchase(
            company=company,
            source=source,
            external_id=f"{company.pk}-{start + n}",
            occurred_at=now - timedelta(hours=start + n),
            net_amount=Decimal("100.00"),
        )
        for n in range(count)
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            account=account,
            kind=EntryKind.EARN,
            points=100,
            idempotency_key=f"earn:{purchase.pk}",
            purchase=purchase,
            expires_at=now + timedelta(days=700),
            memo_key="ledger.purchase",
            memo_params={"ref": purchase.external_id},
        )
        for purchase in purchases
    )


def _counts(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_the_change_list_costs_the_same_with_many_rows_and_never_counts_the_whole_table(
    client, club_admin, company, name
):
    client.force_login(club_admin)
    url = reverse(name)
    activity(company, 3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    for n, other in enumerate(CompanyFactory.create_batch(3)):
        activity(other, 150, start=1000 * (n + 1), source=f"shop-{n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)

    assert page.status_code == 200
    assert len(many) == len(few)
    sql = " ".join(query["sql"] for query in many.captured_queries).upper()
    assert "DATE_TRUNC" not in sql and "SELECT DISTINCT" not in sql
    assert all("LIMIT" in count.upper() for count in _counts(many))
    assert "453" in page.content.decode()


def test_past_the_cap_the_list_says_more_than_instead_of_counting(client, club_admin, company, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 20)
    activity(company, 30)
    client.force_login(club_admin)

    page = client.get(reverse("admin:rewards_ledgerentry_changelist")).content.decode()

    assert "More than 20 ledger entries" in page


def test_search_finds_a_company_and_a_purchase_reference_on_their_keys(client, club_admin, company):
    other = CompanyFactory(name="Globex AB")
    activity(company, 3)
    activity(other, 3, source="shop")
    client.force_login(club_admin)

    def found(name, term):
        page = client.get(reverse(name), {"q": term})
        return list(page.context["cl"].result_list)

    assert {entry.account.company_id for entry in found(CHANGELISTS[0], "globex")} == {other.pk}
    assert [p.external_id for p in found(CHANGELISTS[1], f"{other.pk}-1")] == [f"{other.pk}-1"]
    assert [e.purchase.external_id for e in found(CHANGELISTS[0], f"{company.pk}-2")] == [f"{company.pk}-2"]
    assert found(CHANGELISTS[1], f"{other.pk}-") == []  # a reference matches exactly
    sources = client.get(reverse(CHANGELISTS[1])).content.decode()
    assert "?source=shop" in sources and "?source=erp" in sources


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_rep_still_sees_only_their_accounts_also_when_searching(client, rep, company, other_company, name):
    activity(company, 2)
    activity(other_company, 2)
    client.force_login(rep)

    listed = client.get(reverse(name)).context["cl"].result_list
    searched = client.get(reverse(name), {"q": other_company.name}).context["cl"].result_list
    by_reference = client.get(reverse(name), {"q": f"{other_company.pk}-1"}).context["cl"].result_list

    companies = {getattr(row, "company_id", None) or row.account.company_id for row in listed}
    assert companies == {company.pk}
    assert list(searched) == [] and list(by_reference) == []


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_page_holds_50_rows_and_the_rest_is_on_the_next(client, club_admin, company, name):
    activity(company, 60)
    client.force_login(club_admin)

    first = client.get(reverse(name))
    second = client.get(reverse(name), {"p": 2})

    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 10

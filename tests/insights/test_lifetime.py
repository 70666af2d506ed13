"""Lifetime value and segment movement on a club built by hand.

``NOW`` is 30 June 2026 (UTC); ``T`` is a year earlier. Orders (days before ``NOW``, amount):

* A: 500 (1 000), 380 (1 000), 370 (1 000), 100 (1 500). At T: loyal (last order 5 days
  before, 3 orders in the year), worth 3 000 that year. Today: at risk (100 days).
* B: 600, 390, 372 (500 each), 20 (1 500). At T: loyal, worth 1 500. Today: promising.
* C: 700 (100), 80, 60, 40 (200 each). At T: hibernating (last order 335 days before),
  worth 100. Today: loyal, worth 600.
* D: 45 (900). Today: new; at T it had not ordered.
* E: 900 (100) and a credit note of −300 10 days ago. Lost at T and today; −300 this year.

Segment retention ``k``: loyal = (1 500 + 1 500) / (3 000 + 1 500) = 0.67; hibernating =
600 / 100 = 6, capped at 1.5; the others had no revenue at T: 1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from insights.lifetime import lifetime_values, prediction_base, segment_movement, yearly_value
from insights.selectors import AT_RISK, HIBERNATING, LOST, LOYAL, NEVER, NEW, PROMISING
from rewards.models import Purchase
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def buy(company, amount, days_ago, original=None):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{days_ago}-{amount}",
        occurred_at=NOW - timedelta(days=days_ago),
        net_amount=Decimal(amount),
        original=original,
    )


@pytest.fixture
def club(db):
    a, b, c, d, e = (CompanyFactory(name=name) for name in "ABCDE")
    for days, amount in ((500, 1000), (380, 1000), (370, 1000), (100, 1500)):
        buy(a, amount, days)
    for days, amount in ((600, 500), (390, 500), (372, 500), (20, 1500)):
        buy(b, amount, days)
    for days, amount in ((700, 100), (80, 200), (60, 200), (40, 200)):
        buy(c, amount, days)
    buy(d, 900, 45)
    first = buy(e, 100, 900)
    buy(e, -300, 10, original=first)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_the_pure_parts():
    assert yearly_value(revenue_to_date=Decimal("700"), tenure_days=700) == Decimal("365.00")
    assert yearly_value(revenue_to_date=Decimal("900"), tenure_days=45) == Decimal("900.00")  # not extrapolated
    assert prediction_base(revenue_365=Decimal("1"), revenue_to_date=Decimal("900"), tenure_days=45) == Decimal(
        "3650.00"
    )  # 900 × 365 / 90 (at least 90 days)
    assert prediction_base(revenue_365=Decimal("-300"), revenue_to_date=Decimal("-200"), tenure_days=900) == 0


def test_historical_and_predicted_value(club, club_admin):
    rows, summary, retention = lifetime_values(user=club_admin, now=NOW)
    assert retention[LOYAL] == Decimal("0.67")
    assert retention[HIBERNATING] == Decimal("1.50")
    assert retention[NEW] == retention[AT_RISK] == retention[PROMISING] == retention[LOST] == Decimal("1")
    by_name = {row.company_id: row for row in rows}
    a, c, d, e = (by_name[club[key].pk] for key in "acde")
    assert (c.segment, c.base, c.predicted_12m) == (LOYAL, Decimal("600.00"), Decimal("402.00"))
    assert (c.revenue_to_date, c.tenure_days, c.yearly_value) == (Decimal("700"), 700, Decimal("365.00"))
    assert (d.segment, d.predicted_12m, d.yearly_value) == (NEW, Decimal("3650.00"), Decimal("900.00"))
    assert (a.segment, a.predicted_12m, a.yearly_value) == (AT_RISK, Decimal("1500.00"), Decimal("3285.00"))
    assert (e.segment, e.base, e.predicted_12m) == (LOST, Decimal("0.00"), Decimal("0.00"))
    assert [row.company_id for row in rows] == [club[key].pk for key in "dabce"]
    loyal = next(row for row in summary if row.key == LOYAL)
    assert (loyal.companies, loyal.predicted_12m) == (1, Decimal("402.00"))


def test_segment_movement_over_a_year(club, club_admin):
    _keys, moves = segment_movement(user=club_admin, days=365, now=NOW)
    assert moves == {
        (LOYAL, AT_RISK): 1,
        (LOYAL, PROMISING): 1,
        (HIBERNATING, LOYAL): 1,
        (NEVER, NEW): 1,
        (LOST, LOST): 1,
    }


def test_a_rep_sees_the_value_of_their_accounts_only(client, settings, rep, company, other_company):
    settings.STAFF_MFA_REQUIRED = False
    company.name, other_company.name = "Mine AB", "Theirs AB"
    company.save()
    other_company.save()
    for target in (company, other_company):
        Purchase.objects.create(
            company=target,
            source="erp",
            external_id=f"{target.pk}",
            occurred_at=datetime.now(UTC) - timedelta(days=3),
            net_amount=Decimal("100"),
        )
    client.force_login(rep)
    for url in (reverse("insights:lifetime"), reverse("insights:segments") + "?since=365"):
        response = client.get(url)
        assert response.status_code == 200 and b"Theirs AB" not in response.content
    assert b"Mine AB" in client.get(reverse("insights:lifetime")).content
    export = b"".join(client.get(reverse("insights:lifetime") + "?format=csv").streaming_content)
    assert b"Mine AB" in export and b"Theirs AB" not in export
    # A hostile "since" is refused with the filters' message, not a server error nor silently 90 days.
    assert client.get(reverse("insights:segments") + "?since=9999999999999999999999").status_code == 400


def test_the_values_read_from_the_night_s_standings_equal_the_computed_ones(club, club_admin, monkeypatch):
    """With the standings of today and of a year ago taken, the value page sorts, counts and
    pages them in SQL: the same companies, figures, order, segment lines and retention as
    the computation from the purchases, in a fixed number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights import selectors, snapshots
    from insights.lifetime import stored_lifetime_values

    today = NOW.date()
    moment = snapshots.day_start(today)
    for day in (today, today - timedelta(days=365)):
        snapshots.standings_snapshot(day=day, now=moment)
    with CaptureQueriesContext(connection) as queries:
        rows, summary, retention = stored_lifetime_values(user=club_admin, now=moment)
        page = rows[0:50]
    assert len(queries.captured_queries) <= 6  # two days, the retention, the reader's groups, the lines, the page
    assert len(rows) == 5

    def figures(lines):
        return [
            (r.company_id, r.segment, r.revenue_to_date, r.tenure_days, r.yearly_value, r.base, r.retention)
            + (r.predicted_12m,)
            for r in lines
        ]

    monkeypatch.setattr(selectors, "_snapshot_at", lambda moment: None)  # computed from the purchases
    live_rows, live_summary, live_retention = lifetime_values(user=club_admin, now=moment)
    assert figures(page) == figures(live_rows)
    assert summary == live_summary and retention == live_retention
    assert retention[LOYAL] == Decimal("0.67")
    monkeypatch.undo()

    club["d"].status = "suspended"  # left out when read, as the computation leaves it out
    club["d"].save(update_fields=["status"])
    rows, _summary, _retention = stored_lifetime_values(user=club_admin, now=moment)
    assert club["d"].pk not in [row.company_id for row in rows[0:50]] and len(rows) == 4


def test_without_a_year_old_standing_the_values_are_computed(club, club_admin):
    from insights import snapshots
    from insights.lifetime import stored_lifetime_values

    moment = snapshots.day_start(NOW.date())
    snapshots.standings_snapshot(day=NOW.date(), now=moment)
    assert stored_lifetime_values(user=club_admin, now=moment) is None


def test_segments_read_from_the_night_s_standings_equal_the_computed_ones(club, club_admin, monkeypatch):
    """The segments page, its movement and each segment's companies counted in SQL from the
    standings: the same as computed from the purchases (a member that never ordered
    included)."""
    from insights import selectors, snapshots
    from insights.selectors import SEGMENTS, segment_company_ids, segment_summary, stored_segment_summary

    CompanyFactory(name="Never")
    today = NOW.date()
    moment = snapshots.day_start(today)
    for day in (today, today - timedelta(days=365)):
        snapshots.standings_snapshot(day=day, now=moment)
    rows, slipping, slipping_count = stored_segment_summary(user=club_admin, now=moment)
    moves = segment_movement(user=club_admin, days=365, now=moment)
    ids = {key: segment_company_ids(segment=key, user=club_admin, now=moment) for key in [*SEGMENTS, "slipping"]}

    monkeypatch.setattr(selectors, "_snapshot_at", lambda moment: None)  # computed from the purchases
    monkeypatch.setattr(selectors, "standings_with_facts", lambda moment, expiring=False: None)
    computed_rows, computed_slipping = segment_summary(user=club_admin, now=moment)
    assert rows == computed_rows
    assert slipping_count == len(computed_slipping) >= 1
    assert [(v.company_id, v.slipping_reason) for v in slipping] == [
        (v.company_id, v.slipping_reason) for v in computed_slipping
    ]
    assert moves == segment_movement(user=club_admin, days=365, now=moment)
    assert ids == {key: segment_company_ids(segment=key, user=club_admin, now=moment) for key in ids}
    assert ids[NEVER] and ids[LOYAL] == [club["c"].pk]

"""Insights' figures kept for a minute (``insights.cache``): a second reader gets them
without the club being added up again, never someone else's (a rep's scope, the filters),
fresh ones as soon as the summary or the standings change, the sentences in their own
language, and the page still works when the cache cannot be reached."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Activity, ActivityCompletion, ActivityKind, CompletionStatus
from insights import cache as insights_cache
from insights.snapshots import standings_snapshot
from members.models import Country
from tests.factories import CompanyFactory, StaffFactory
from tests.insights.test_views import buy

pytestmark = pytest.mark.django_db

AT_RISK = reverse("insights:at_risk")
OVERVIEW = reverse("insights:overview")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.STAFF_MFA_REQUIRED = False
    settings.INSIGHTS_CACHE_SECONDS = 60
    settings.CACHES = {
        **settings.CACHES,
        "insights": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "insights-cache-test"},
    }
    caches["insights"].clear()
    yield
    caches["insights"].clear()


def overdue(name: str, **fields):
    """A company that ordered every 30 days and stopped 140 days ago: later than usual."""
    company = CompanyFactory(name=name, **fields)
    for days_ago in (200, 170, 140):
        buy(company, 1000, days_ago)
    return company


def queries_of(client, url: str) -> tuple[list[str], bytes]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries], response.content


def test_a_second_reader_gets_the_figures_without_reading_the_purchases(client, club_admin):
    overdue("Slow AB")
    client.force_login(club_admin)
    first, page = queries_of(client, AT_RISK)
    assert b"Slow AB" in page and b"Figures as of" in page
    assert any("rewards_purchase" in sql for sql in first)
    client.force_login(StaffFactory(group="Club admins"))
    second, again = queries_of(client, AT_RISK)
    assert b"Slow AB" in again
    assert not any("rewards_purchase" in sql for sql in second)
    assert len(second) < len(first)


def test_a_rep_never_reads_the_club_s_figures_nor_the_club_a_rep_s(client, club_admin, rep, company):
    overdue("Theirs AB")
    mine = overdue("Mine AB")
    mine.sales_rep = rep
    mine.save(update_fields=["sales_rep"])
    client.force_login(club_admin)
    whole = client.get(AT_RISK).content
    assert b"Mine AB" in whole and b"Theirs AB" in whole
    client.force_login(rep)
    own = client.get(AT_RISK).content
    assert b"Mine AB" in own and b"Theirs AB" not in own
    client.force_login(club_admin)
    assert b"Theirs AB" in client.get(AT_RISK).content


def test_filters_and_reasons_are_their_own_figures(client, club_admin):
    overdue("Slow AB")
    overdue("Langzaam B.V.", country=Country.NETHERLANDS, currency="EUR")
    client.force_login(club_admin)
    assert b"Langzaam" in client.get(AT_RISK).content
    dutch = client.get(AT_RISK + "?country=NL").content
    assert b"Langzaam" in dutch and b"Slow AB" not in dutch
    assert b"Slow AB" not in client.get(AT_RISK + "?reason=detractor").content


def test_new_standings_or_a_refreshed_summary_give_fresh_figures_at_once(client, club_admin):
    overdue("Slow AB")
    client.force_login(club_admin)
    assert b"Later AB" not in client.get(AT_RISK).content
    overdue("Later AB")
    assert b"Later AB" not in client.get(AT_RISK).content  # the minute's figures
    before = insights_cache.data_version()
    standings_snapshot()  # the nightly standings (and on PostgreSQL the summary's refresh)
    assert insights_cache.data_version() != before
    assert b"Later AB" in client.get(AT_RISK).content


def test_the_figures_expire_after_the_configured_seconds(client, club_admin, settings, monkeypatch):
    overdue("Slow AB")
    client.force_login(club_admin)
    client.get(AT_RISK)
    overdue("Later AB")
    settings.INSIGHTS_CACHE_SECONDS = 0  # as if the minute were over: computed again
    assert b"Later AB" in client.get(AT_RISK).content


def test_figures_are_kept_for_the_configured_seconds(client, club_admin, settings, monkeypatch):
    kept = []

    class Recording:
        def get(self, key):
            return None

        def get_many(self, keys):
            return {}

        def set(self, key, value, seconds):
            kept.append(seconds)

        def set_many(self, values, seconds):
            kept.append(seconds)

    monkeypatch.setattr(insights_cache, "cache", Recording())
    settings.INSIGHTS_CACHE_SECONDS = 45
    client.force_login(club_admin)
    client.get(OVERVIEW)
    client.get(AT_RISK)
    assert kept and set(kept) == {45}


def test_the_reasons_are_written_in_each_reader_s_language(client, club_admin):
    overdue("Slow AB")
    client.force_login(club_admin)
    assert b"Usually orders every 30 days" in client.get(AT_RISK).content
    swedish = StaffFactory(group="Club admins", language="sv")
    client.force_login(swedish)
    page = client.get(AT_RISK).content.decode()
    assert "Beställer vanligtvis var 30:e dag" in page
    assert "Usually orders" not in page


def test_a_cache_that_cannot_be_reached_only_makes_the_page_slower(client, club_admin, monkeypatch):
    overdue("Slow AB")

    class Unreachable:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get_many = set_many = get

    monkeypatch.setattr(insights_cache, "cache", Unreachable())
    client.force_login(club_admin)
    assert b"Slow AB" in client.get(AT_RISK).content
    assert client.get(OVERVIEW).status_code == 200
    assert b"Slow AB" in client.get(reverse("insights:lifetime")).content


def test_a_long_list_is_kept_in_chunks_and_a_lost_chunk_computes_it_again(monkeypatch):
    monkeypatch.setattr(insights_cache, "ROWS_PER_CHUNK", 3)
    computed = []

    def compute():
        computed.append(1)
        return list(range(10)), "the rest"

    (rows, rest), _at = insights_cache.remembered_rows("rows", scope="club", parts=(), compute=compute)
    assert (list(rows), rest, len(computed)) == (list(range(10)), "the rest", 1)

    (rows, rest), _at = insights_cache.remembered_rows("rows", scope="club", parts=(), compute=compute)
    assert isinstance(rows, insights_cache.CachedRows) and rest == "the rest"
    assert (len(rows), rows[4:8], rows[-1], rows[9:20], list(rows)) == (10, [4, 5, 6, 7], 9, [9], list(range(10)))
    assert (rows[::2], rows[-3:], rows[::-1], rows[7:2:-2]) == (
        [0, 2, 4, 6, 8],
        [7, 8, 9],
        list(range(9, -1, -1)),
        [7, 5, 3],
    )
    assert len(computed) == 1

    insights_cache.cache.delete(insights_cache.cache_key("rows", scope="club", parts=()) + ":1")  # rows 3-5 evicted
    (rows, _rest), _at = insights_cache.remembered_rows("rows", scope="club", parts=(), compute=compute)
    assert rows[2:7] == [2, 3, 4, 5, 6] and len(computed) == 2
    (rows, _rest), _at = insights_cache.remembered_rows("rows", scope="club", parts=(), compute=compute)
    assert rows[3:6] == [3, 4, 5] and len(computed) == 2  # kept afresh


def test_pages_and_exports_of_a_kept_list_are_the_computed_ones(client, club_admin, monkeypatch):
    monkeypatch.setattr(insights_cache, "ROWS_PER_CHUNK", 2)
    for number in range(5):
        overdue(f"Slow {number} AB")
    client.force_login(club_admin)
    first = client.get(AT_RISK).content
    export = b"".join(client.get(AT_RISK + "?format=csv").streaming_content)
    assert client.get(AT_RISK).content.count(b"Slow ") == first.count(b"Slow ") >= 5
    again = b"".join(client.get(AT_RISK + "?format=csv").streaming_content)
    assert again == export and export.count(b"Slow ") == 5
    value = client.get(reverse("insights:lifetime")).content
    assert client.get(reverse("insights:lifetime")).content.count(b"Slow ") == value.count(b"Slow ") >= 5


@pytest.mark.parametrize(
    ("url", "english"),
    [
        ("insights:segments", "Ordered in the last 30 days and at least 6 times in the last 365."),
        ("insights:segments", "usually orders every 30 days"),  # the slipping account's reason
        ("insights:satisfaction", "Latest score 9 or 10."),
    ],
)
def test_labels_written_when_computed_are_in_each_reader_s_language(client, club_admin, url, english):
    """Segment and satisfaction labels, and the slipping reasons, are translated when the
    figures are computed: a Swedish reader after an English one must not get English."""
    company = overdue("Slow AB")
    survey = Activity.objects.create(kind=ActivityKind.SURVEY, title="How are we doing?", points=10)
    ActivityCompletion.objects.create(
        activity=survey,
        company=company,
        scope_key=f"company:{company.pk}",
        status=CompletionStatus.SUBMITTED,
        score=10,
        created_at=timezone.now() - timedelta(days=3),
    )
    client.force_login(club_admin)
    assert english in client.get(reverse(url)).content.decode()
    client.force_login(StaffFactory(group="Club admins", language="sv"))
    assert english not in client.get(reverse(url)).content.decode()


def test_the_figures_have_a_cache_of_their_own_never_the_database_s(settings):
    """The database cache deletes keys in their order past its MAX_ENTRIES, and a club-wide
    list is a hundred entries: allauth's login rate limits and used TOTP codes sort first."""
    from clubportal.settings.base import redis_cache

    for insights in (settings.CACHES["insights"], redis_cache("redis://127.0.0.1:6379/0", fallback="insights-local")):
        assert "DatabaseCache" not in insights["BACKEND"]
    production = redis_cache("redis://127.0.0.1:6379/0", fallback="insights-local")
    assert production["OPTIONS"]["FALLBACK"] == "insights-local"

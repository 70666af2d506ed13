"""A date filter of a Wagtail listing given a day the database cannot store answers with the
filter refused, never a server error.

Midnight of 0001-01-01 in Stockholm is a moment of year 0 in UTC, and the last moment of
9999-12-31 is close to the other end: the reports, a page's history and the page explorer
are opened by a marketer with such "from" and "to" dates; each answers 200 with the list
and the error on the filter (an unfiltered list), or a 4xx.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

HOSTILE_DAYS = ("0001-01-01", "9999-12-31")


@pytest.fixture
def marketer(settings, portal_site):
    settings.STAFF_MFA_REQUIRED = False
    browser = Client(raise_request_exception=False)
    browser.force_login(StaffFactory(group="Marketing"))
    return browser


def _listings(page_id: int) -> list[tuple[str, str]]:
    """(the listing, its date filter's name)"""
    return [
        ("/cms/reports/site-history/", "timestamp"),
        ("/cms/reports/workflow_tasks/", "started_at"),
        ("/cms/reports/workflow/", "created_at"),
        ("/cms/reports/aging-pages/", "last_published_at"),
        (f"/cms/pages/{page_id}/history/", "timestamp"),
        (f"/cms/pages/{page_id}/", "latest_revision_created_at"),
        ("/cms/pages/search/", "latest_revision_created_at"),
    ]


def test_no_wagtail_date_filter_answers_an_unstorable_day_with_a_server_error(marketer, portal_site):
    problems, refused = [], []
    for url, name in _listings(portal_site.root_page_id):
        if marketer.get(url).status_code != 200:
            problems.append(f"{url}: the marketer cannot open it")
            continue
        for bound in ("from", "to"):
            for day in HOSTILE_DAYS:
                query = urlencode({f"{name}_{bound}": day})
                response = marketer.get(f"{url}?{query}")
                if response.status_code >= 500:
                    problems.append(f"{url}?{query}: {response.status_code}")
                elif response.status_code == 200:
                    filters = response.context.get("filters")
                    if hasattr(filters, "is_valid") and not filters.is_valid():
                        refused.append(f"{url}?{query}")
    assert problems == []
    # Midnight of the first day of year 1 in Stockholm is refused wherever a listing filters by it.
    assert any("timestamp_from=0001-01-01" in query for query in refused), refused
    assert any("latest_revision_created_at_from=0001-01-01" in query for query in refused), refused

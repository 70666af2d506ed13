"""Browser journeys with Playwright on Debian's Chromium against Django's live server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse
ORM calls from it unless DJANGO_ALLOW_ASYNC_UNSAFE is set; it is set here, for the
browser tests only.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.conftest import require

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# Without the last flags Chromium tries the network (updates, sync) and stalls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
BROWSER_TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _browser_needs_postgresql():
    """The live server answers the browser's requests in threads. On SQLite's in-memory test
    database Django hands every one of them the test's own connection, so a page and its
    images at once break each other's transactions (HTTP 500s that say nothing about the
    portal): these journeys run on PostgreSQL (``DATABASE_URL``), as CI runs them."""
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL for the browser journeys (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each journey gets a new, empty in-memory default cache, so allauth's login counters
    ("login" 30/m/ip, "login_failed") neither pile up across the journeys of one worker, which
    all log in from 127.0.0.1, nor land in the Redis that both workers share (CI failed once
    on a 429 from the login page in the third login of a journey)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"browser-{uuid.uuid4()}"},
    }


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium (headless unless --headed)."""
    require(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": browser_type_launch_args.get("headless", True),
    }


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS_DIR


@pytest.fixture
def demo_club(live_server, settings):
    """The members of the demo club (``manage.py seed_demo``) behind the live server.

    Only the members' part of ``portal.demo.seed()`` (site, staff, companies,
    contacts, the company group): the full seed replays two years of purchases, which takes minutes, and
    the live server's transactional tests empty the database after each test, so it
    would run again for every test.

    Links in e-mails point at the live server (the cache is the journey's own, ``_own_cache``).
    """
    from members.staff_groups import SALES_REPS
    from portal.demo import SeedSummary, seed_companies, seed_contacts, seed_group, seed_site, seed_staff

    settings.SITE_URL = live_server.url
    summary = SeedSummary()
    seed_site(summary)
    staff = seed_staff(summary)
    companies = seed_companies(summary, staff[SALES_REPS])
    seed_contacts(summary, companies)
    seed_group(summary, companies)
    return summary


@pytest.fixture
def page(page):
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    return page

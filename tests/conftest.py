"""Fixtures shared by every test, and the rule that CI never skips a needed service."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from members.models import MembershipRole
from tests.factories import TEST_PASSWORD, CompanyFactory, MembershipFactory, StaffFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, what: str) -> None:
    """Skip locally when a service is missing; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available.")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def require_postgres():
    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def company_admin(company):
    return MembershipFactory(company=company, role=MembershipRole.ADMIN).user


@pytest.fixture
def purchaser(company):
    return MembershipFactory(company=company, role=MembershipRole.PURCHASER).user


@pytest.fixture
def viewer(company):
    return MembershipFactory(company=company, role=MembershipRole.VIEWER).user


@pytest.fixture
def other_company_member(db):
    return MembershipFactory(role=MembershipRole.ADMIN).user


@pytest.fixture
def club_admin(db):
    return StaffFactory(group="Club admins")


# A company with its sales rep, and another company with another rep: the "wrong" ones
# for the access tests of conversations and the rep workspace.


@pytest.fixture
def rep(company):
    rep = StaffFactory(group="Sales reps", first_name="Anna", last_name="Sälj")
    company.sales_rep = rep
    company.save(update_fields=["sales_rep"])
    return rep


@pytest.fixture
def colleague(company):
    return MembershipFactory(company=company, role=MembershipRole.VIEWER).user


@pytest.fixture
def other_rep(db):
    return StaffFactory(group="Sales reps", first_name="Johan", last_name="Ek")


@pytest.fixture
def other_company(other_rep):
    return CompanyFactory(sales_rep=other_rep)


@pytest.fixture
def other_member(other_company):
    return MembershipFactory(company=other_company, role=MembershipRole.PURCHASER).user


@pytest.fixture
def member_client(client, purchaser):
    client.force_login(purchaser)
    return client


@pytest.fixture
def admin_client_of_company(client, company_admin):
    client.force_login(company_admin)
    return client


@pytest.fixture
def portal_site(db):
    """Wagtail's default Site with the club's home page, as ``seed_demo`` builds it.

    Pages served by Wagtail (``/``, unknown URLs) and the branding settings need it.
    """
    from wagtail.models import Site

    from portal.demo import SeedSummary, seed_site

    seed_site(SeedSummary())
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def eur(db):
    """The club runs in SEK and in EUR besides: 11 points per euro, a point worth 0.0018 EUR,
    a euro reported as 11 SEK. A test module's own ``eur`` replaces this one."""
    from decimal import Decimal

    from rewards.models import ProgrammeCurrency, ProgrammeRules

    rules = ProgrammeRules.current()
    rules.currency = "SEK"
    rules.save()
    return ProgrammeCurrency.objects.create(
        currency="EUR",
        points_per_currency_unit=Decimal("11"),
        point_value=Decimal("0.0018"),
        reporting_rate=Decimal("11"),
    )


@pytest.fixture
def sek_gift_card(db):
    """A 200 SEK gift card for 10 000 points, with three codes in its pool."""
    from tests.rewards.factories import VoucherCodeFactory, VoucherRewardFactory

    reward = VoucherRewardFactory(title="Gift card, 200 SEK", points_cost=10_000, value="200.00", stock=None)
    VoucherCodeFactory.create_batch(3, reward=reward)
    return reward


@pytest.fixture
def cleared_cache(db):
    """An empty cache before and after the test: rate-limit counters live there."""
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


# --- Data that migrations create, restored after a transactional test empties the tables ---


def _restore_migration_data() -> None:
    """Re-create what the data migrations made: Wagtail's locales, root page, default site and
    root collection, the staff groups with their permissions, and Marketing's page rights and
    approval workflow. Does nothing while the root page exists.

    Django's serialized rollback would be the textbook tool, but on this project it fails
    to reload (content types collide), so the migrations' own functions are replayed on the
    historical models of the current migration state instead.
    """
    import importlib

    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from wagtail.models import Collection, Locale, Page, Site

    if Page.objects.filter(depth=1).exists():
        return
    ContentType.objects.clear_cache()
    locale, _ = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    # Wagtail's own first data: a welcome page as the default site's root (pages that read
    # the branding settings find the site by it).
    welcome = root.add_child(instance=Page(title="Welcome to your new Wagtail site!", slug="home", locale=locale))
    Site.objects.create(hostname="localhost", root_page=welcome, is_default_site=True)
    historical_apps = MigrationLoader(connection).project_state().apps
    for module, function in [
        ("members.migrations.0002_staff_groups", "create_staff_groups"),
        ("cms.migrations.0002_marketing_page_permissions", "grant"),
        ("cms.migrations.0004_marketing_workflow", "forwards"),
        ("cms.migrations.0007_content_locales", "add_locales"),  # the Swedish and Dutch locales
    ]:
        getattr(importlib.import_module(module), function)(historical_apps, None)


def _is_transactional(item: pytest.Item) -> bool:
    """Whether pytest-django runs this test outside a rolled-back transaction: by marker,
    or through the ``transactional_db`` or ``live_server`` fixture (the browser tests)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test empties every table when it ends, including the rows the data
    migrations made. Put them back once all its fixtures are torn down (the flush is the
    last of them), so whatever test runs next, in whatever order, finds them."""
    yield
    if nextitem is None or not _is_transactional(item):
        return  # after the last test the test database is gone
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        _restore_migration_data()


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """Each test starts and ends in the settings' language. A request activates its reader's
    language for the thread (``members.middleware``) and Django leaves it active after the
    response, as every request activates its own; without this a test after a Swedish
    reader's request read Swedish messages it never asked for."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _celery_join_allowed():
    """Each test starts allowed to wait for a task's result. Celery keeps "a task is running
    here, do not block on another" in one process-wide flag that an eager ``delay()`` sets and
    puts back; two threads running eager tasks at once (the concurrency tests) can put it back
    in the wrong order and leave it set, and a later test's ``result.get()`` would then fail."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _forget_webhook_subscriptions():
    """Each test starts knowing there are no webhook subscriptions (a previous test's were
    rolled back), so writes make no query to find out and query counts stay as they were;
    saving an endpoint through ``api.webhooks`` makes the next write look again."""
    from api.webhooks import subscriptions_forget

    subscriptions_forget(known_empty=True)
    yield
    subscriptions_forget(known_empty=True)


# --- A real OpenID Connect provider (tests/oidc.py), started once per session -------------


@pytest.fixture(scope="session")
def oidc_providers():
    """panva's oidc-provider on loopback, accepting the test client's callbacks."""
    from tests.oidc import node_available, start_providers

    require(node_available(), "Node and tests/oidc_provider/node_modules (npm ci there)")
    providers = start_providers(["http://testserver"])
    yield providers
    providers.stop()


@pytest.fixture(scope="session")
def oidc_providers_live(live_server):
    """The same, accepting the callbacks of the browser tests' live server."""
    from tests.oidc import node_available, start_providers

    require(node_available(), "Node and tests/oidc_provider/node_modules (npm ci there)")
    providers = start_providers([live_server.url])
    yield providers
    providers.stop()

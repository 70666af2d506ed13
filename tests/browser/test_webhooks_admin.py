"""The webhook delivery log in the admin and the integrators' docs page, in Chromium at a
desktop and a phone width (screenshots in artifacts/screenshots/)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page

from api.services import api_client_create
from api.webhooks import webhook_endpoint_create
from rewards.models import ProgrammeRules
from rewards.purchases.services import purchase_record
from tests.api.test_webhooks import Receiver
from tests.factories import CompanyFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_as(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_the_delivery_log_shows_each_attempt(live_server, page: Page, screenshots_dir, settings):
    settings.STAFF_MFA_REQUIRED = False
    receiver = Receiver()
    try:
        rules = ProgrammeRules.current()
        company = CompanyFactory(name="Bergström Bygg AB", external_id="C-1001")
        client, _token = api_client_create(name="Visma ERP", source="erp", created_by=None)
        webhook_endpoint_create(client=client, url=receiver.url, event_types=["purchase.earned"])
        receiver.status = 500
        purchase_record(
            company=company,
            source="erp",
            external_id="INV-10042",
            occurred_at=timezone.now() - timedelta(days=1),
            net_amount=Decimal("1250.00"),
            currency=rules.currency,
            lines=[],
        )
        _log_in_as(page, live_server, StaffFactory(is_superuser=True))

        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}/admin/api/webhookdelivery/")
            assert page.get_by_text("purchase.earned").first.is_visible()
            page.screenshot(path=str(screenshots_dir / f"webhooks-deliveries-{width}.png"), full_page=True)
            page.get_by_role("link", name="purchase.earned").first.click()
            page.get_by_text("Webhook attempts").first.wait_for()
            page.screenshot(path=str(screenshots_dir / f"webhooks-delivery-{width}.png"), full_page=True)
            page.goto(f"{live_server.url}/api/v1/docs")
            heading = page.get_by_role("heading", name="Authentication and scopes")
            heading.wait_for()
            page.screenshot(path=str(screenshots_dir / f"api-docs-{width}.png"))
            heading.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshots_dir / f"api-docs-guide-{width}.png"))
    finally:
        receiver.close()

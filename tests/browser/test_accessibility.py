"""WCAG 2.1 AA, checked by axe-core on every page a member, a company admin and a visitor opens.

axe-core (MPL-2.0, vendored in ``tests/browser/vendor/``) is injected into each page after
it has loaded; the browser context bypasses the page's CSP only so that the test can
inject it — the pages themselves are served with the strict policy. A page that adds a
violation fails with the rule, the elements and axe's explanation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from clubportal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

VISITOR_PAGES = ["/", "/accounts/login/", "/accounts/password/reset/"]
MEMBER_PAGES = [
    "/dashboard/",
    "/points/history/",
    "/company/",
    "/profile/",
    "/offers/",
    "/news/",
    "/events/",
    "/how-points-work/",
    "/search/?q=points",
    "/no-such-page/",
]
COMPANY_ADMIN_PAGES = ["/company/", "/company/invite/"]


def _violations(page: Page, path: str, base_url: str) -> list[str]:
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=AXE_SOURCE)
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v =>
                `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
        }""",
        WCAG_21_AA,
    )
    return [f"{path}: {violation}" for violation in found]


def _logged_in_page(browser: Browser, base_url: str, email: str | None) -> Page:
    page = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}).new_page()
    if email:
        page.goto(f"{base_url}/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard/")
    return page


def test_every_page_meets_wcag_21_aa(demo_club, live_server, browser: Browser):
    # given the demo club with its content
    from cms.demo import seed_content

    seed_content(demo_club)

    # when axe checks every page each kind of visitor opens
    violations = []
    for email, paths in [
        (None, VISITOR_PAGES),
        ("purchaser@bergstrom.example", MEMBER_PAGES),
        ("admin@bergstrom.example", COMPANY_ADMIN_PAGES),
    ]:
        page = _logged_in_page(browser, live_server.url, email)
        for path in paths:
            violations += _violations(page, path, live_server.url)
        page.context.close()

    # then none of them breaks a WCAG 2.1 A or AA rule
    assert violations == []

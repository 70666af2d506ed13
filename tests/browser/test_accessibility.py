"""WCAG 2.1 AA, checked by axe-core on every page a visitor, a member, a company admin, a sales
rep and a club admin opens, with the whole demo club behind them (so lists, charts, badges and
forms are full, as people see them).

axe-core (MPL-2.0, vendored in ``tests/browser/vendor/``) is injected into each page after it
has loaded; the browser context bypasses the page's CSP only so that the test can inject it —
the pages themselves are served with the strict policy. A page that adds a violation fails
with the rule, the elements and axe's explanation. The same pages are then opened at 390 px
(a phone) and at 1280 px in Swedish (the longest menu): none may scroll sideways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from portal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PURCHASER = "purchaser@bergstrom.example"
COMPANY_ADMIN = "admin@bergstrom.example"
SALES_REP = "rep.anna@club.example"
CLUB_ADMIN = "admin@club.example"


# The innermost element without which the page would fit the viewport, named so that a
# failure says what to fix: "tag.class: text".
WIDEST_ELEMENT_JS = """(width) => {
  const root = document.documentElement;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const before = el.style.display;
    el.style.display = 'none';
    const fits = root.scrollWidth <= width;
    el.style.display = before;
    if (fits && ![...el.querySelectorAll('*')].some((child) => culprits.includes(child))) {
      culprits.push(el);
    }
  }
  // the innermost element whose removal makes the page fit
  const innermost = culprits.filter((el) => !culprits.some((other) => other !== el && el.contains(other)));
  return innermost.slice(0, 3).map((el) => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ': '
    + (el.textContent || '').trim().slice(0, 60)).join(' | ');
}"""


def _pages_by_visitor() -> list[tuple[str | None, list[str]]]:
    """Every portal page, with the demo club's own ids, for the person who may open it."""
    from campaigns.models import Activity, Campaign, CampaignStatus
    from members.models import Company
    from messaging.models import Thread
    from rewards.models import Redemption, RedemptionStatus, Reward

    bergstrom = Company.objects.get(name="Bergström Bygg AB")
    reward = Reward.objects.filter(is_active=True).order_by("pk").first()
    order = Redemption.objects.filter(company=bergstrom).order_by("-pk").first()
    to_fulfil = Redemption.objects.filter(status=RedemptionStatus.REQUESTED).order_by("pk").first()
    thread = Thread.objects.filter(company=bergstrom).order_by("pk").first()
    activity = Activity.objects.order_by("pk").first()
    campaign = Campaign.objects.filter(status=CampaignStatus.ACTIVE).order_by("pk").first()
    return [
        (None, ["/", "/accounts/login/", "/accounts/password/reset/"]),
        (
            PURCHASER,
            [
                "/dashboard/",
                "/points/history/",
                "/rewards/",
                f"/rewards/{reward.pk}/",
                f"/rewards/{reward.pk}/redeem/",
                "/rewards/orders/",
                f"/rewards/orders/{order.pk}/",
                "/activities/",
                f"/activities/{activity.pk}/",
                f"/activities/campaigns/{campaign.pk}/",
                "/activities/leaderboard/",
                "/messages/",
                f"/messages/{thread.pk}/",
                "/messages/new/",
                "/notifications/",
                "/company/",
                "/profile/",
                "/profile/my-data/",
                "/profile/my-data/erasure/",
                "/offers/",
                "/news/",
                "/events/",
                "/how-points-work/",
                "/search/?q=points",
                "/no-such-page/",
            ],
        ),
        (
            COMPANY_ADMIN,  # also the admin of the demo's company group
            [
                "/company/",
                "/company/invite/",
                "/rewards/approvals/",
                "/groups/",
                "/groups/transfer/",
                "/groups/transfers/",
                "/groups/approvals/",
                f"/groups/branches/{bergstrom.pk}/history/",
                f"/groups/branches/{bergstrom.pk}/orders/",
                f"/groups/branches/{bergstrom.pk}/orders/{order.pk}/",
            ],
        ),
        (
            SALES_REP,
            [
                "/dashboard/",
                "/staff/accounts/",
                f"/staff/accounts/{bergstrom.pk}/",
                "/staff/messages/",
                f"/staff/messages/{thread.pk}/",
                "/staff/broadcasts/new/",
                "/staff/insights/",
                "/staff/insights/segments/",
                "/staff/insights/at-risk/",
                "/staff/insights/satisfaction/",
            ],
        ),
        (
            CLUB_ADMIN,
            [
                "/staff/rewards/",
                f"/staff/rewards/redemptions/{to_fulfil.pk}/",
                "/staff/rewards/vouchers/",
                "/staff/insights/?kind=quarter",
                "/staff/insights/?kind=custom&start=2026-03-10&end=2026-03-01",
                "/staff/insights/companies/active/",
                "/staff/insights/segments/",
                "/staff/insights/segments/slipping/",
                "/staff/insights/campaigns/",
                "/staff/insights/how-we-measure/",
                "/staff/insights/at-risk/",
                "/staff/insights/satisfaction/",
                "/staff/insights/satisfaction/promoters/stopped/",
                "/staff/insights/cohorts/",
                "/staff/insights/value/",
                "/staff/insights/segments/?since=365",
            ],
        ),
    ]


def _violations(page: Page, path: str, base_url: str) -> list[str]:
    response = page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    found = [] if response.status < 500 else [f"{path}: HTTP {response.status}"]
    page.add_script_tag(content=AXE_SOURCE)
    found += page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v =>
                `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
        }""",
        WCAG_21_AA,
    )
    return [f"{path}: {violation}" for violation in found]


def _logged_in_page(
    browser: Browser, base_url: str, email: str | None, *, width: int = 1280, locale: str = "en-GB"
) -> Page:
    page = browser.new_context(
        bypass_csp=True,
        viewport={"width": width, "height": 900},
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
    ).new_page()
    if email:
        page.goto(f"{base_url}/accounts/login/")
        page.fill("input[name=login]", email)
        page.click("button[type=submit]")  # the address first, then the password
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard/")
    return page


def test_every_page_meets_wcag_21_aa(live_server, browser: Browser, settings):
    # given the whole demo club (staff without their second factor, to reach staff pages)
    from portal.demo import seed

    settings.SITE_URL = live_server.url
    settings.STAFF_MFA_REQUIRED = False
    seed()

    # when axe checks every page each kind of visitor opens
    violations = []
    for email, paths in _pages_by_visitor():
        page = _logged_in_page(browser, live_server.url, email)
        for path in paths:
            violations += _violations(page, path, live_server.url)
        page.context.close()

    # then none of them breaks a WCAG 2.1 A or AA rule
    assert not violations, "\n".join(violations)

    # and none scrolls sideways (WCAG 1.4.10, reflow): on a phone, where wide tables scroll
    # inside their own box, and on a laptop in Swedish and in Dutch, where the menu is longest
    # (Bergström's contacts chose English in their profile, which would beat the browser)
    from members.models import User

    too_wide = []
    for width, locale in ((390, "en-GB"), (1280, "sv-SE"), (1280, "nl-NL")):
        User.objects.filter(email__endswith="@bergstrom.example").update(language=locale[:2])
        for email, paths in _pages_by_visitor():
            page = _logged_in_page(browser, live_server.url, email, width=width, locale=locale)
            for path in paths:
                page.goto(live_server.url + path)
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    culprit = page.evaluate(WIDEST_ELEMENT_JS, width)
                    too_wide.append(
                        f"{path} as {email or 'visitor'} at {width} px ({locale}): {scroll_width} px wide ({culprit})"
                    )
            page.context.close()
    assert not too_wide, "\n".join(too_wide)

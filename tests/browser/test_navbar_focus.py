"""Keyboard focus shows in the navbar (WCAG 2.4.7, 1.4.11), whatever colour the club picks.

The navbar is painted in the club's brand colour, so a ring in the brand colour vanishes on
it, and Bootstrap's .nav-link, .navbar-toggler and .btn rules swap the outline for a faint
blue shadow. Every control reached by Tab in the header (skip link, logo, menu links, the
menu button on a phone, the bell, the user menu, "Log in") must show a solid ring of at least
2 px whose colour stands out from the navbar by 3:1, for a dark and a light brand colour.

The pages are rendered by Django's test client and handed to Chromium through a routed
origin (with the portal's own CSS files), so no live server is needed: these tests run on
SQLite too. Screenshots go to ``artifacts/screenshots/navbar-focus-*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from playwright.sync_api import Page, Route

from core.models import Branding
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ORIGIN = "http://portal.test"
DARK_BLUE, YELLOW = "#0b5394", "#f2c200"  # white text on the first, black on the second


@pytest.fixture
def _browser_needs_postgresql():
    """Overrides the browser journeys' rule: nothing here is served by a live server's threads
    (the test client renders every page before the browser asks for it)."""


FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {
    name: (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40),
    inHeader: !!el.closest('header') || el.getAttribute('href') === '#main',  // the skip link opens on it
    inMenu: !!el.closest('.dropdown-menu'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    navbar: getComputedStyle(document.querySelector('.navbar-brand-bar')).backgroundColor,
    onTop: !!top && (top === el || el.contains(top)),
  };
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    parts = css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()
    return tuple(float(part) for part in parts[:3])


def contrast(first: str, second: str) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(_rgb(first)), luminance(_rgb(second))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def serve(page: Page, client: Client, path: str) -> None:
    """Open ``path`` in Chromium as rendered by ``client``; static files come from the finders."""
    responses = {path: client.get(path), "/brand.css": client.get("/brand.css")}
    assert responses[path].status_code == 200, responses[path].status_code

    def answer(route: Route) -> None:
        wanted = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if wanted in responses:
            response = responses[wanted]
            route.fulfill(status=200, body=response.content, content_type=response["Content-Type"])
        elif wanted.startswith(settings.STATIC_URL) and (
            found := finders.find(wanted.removeprefix(settings.STATIC_URL))
        ):
            content_type = "text/css" if found.endswith(".css") else None
            route.fulfill(status=200, path=found, content_type=content_type)
        else:
            route.fulfill(status=404, body="")

    page.route(f"{ORIGIN}/**", answer)
    page.goto(ORIGIN + path)


def tab_through_header(page: Page, screenshot: Path) -> list[dict]:
    """Focus every control of the header in turn (Tab), returning what each one showed."""
    seen = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        if not focused["inHeader"]:
            break
        seen.append(focused)
        if len(seen) == 3:  # a menu link, or the menu button on a phone, or "Log in"
            page.screenshot(
                path=str(screenshot), clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": 90}
            )
    return seen


def badly_focused(seen: list[dict]) -> list[str]:
    bad = []
    for focused in seen:
        if focused["inMenu"]:
            continue
        ring = focused["outlineStyle"] == "solid" and focused["outlineWidth"] >= 2
        ratio = contrast(focused["outlineColor"], focused["navbar"])
        if not (ring and ratio >= 3 and focused["onTop"]):
            bad.append(
                f"{focused['name']!r}: {focused['outlineStyle']} {focused['outlineWidth']}px "
                f"{focused['outlineColor']} on {focused['navbar']} ({ratio:.1f}:1), on top: {focused['onTop']}"
            )
    return bad


@pytest.mark.parametrize("brand", [DARK_BLUE, YELLOW])
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("who", ["member", "sales rep", "visitor"])
def test_every_header_control_shows_a_ring_that_stands_out_from_the_navbar(
    page: Page, client, purchaser, portal_site, settings, screenshots_dir, brand, width, who
):
    # given the club's brand colour
    branding = Branding.for_site(portal_site)
    branding.primary_colour = brand
    branding.save()
    settings.STAFF_MFA_REQUIRED = False
    path = {"member": "/dashboard/", "sales rep": "/staff/accounts/", "visitor": "/"}[who]
    if who == "member":
        client.force_login(purchaser)
    elif who == "sales rep":
        client.force_login(StaffFactory(group="Sales reps"))
    page.set_viewport_size({"width": width, "height": 800})
    serve(page, client, path)

    # when a keyboard user tabs through the header
    shot = screenshots_dir / f"navbar-focus-{who.replace(' ', '-')}-{brand.strip('#')}-{width}.png"
    seen = tab_through_header(page, shot)

    # then each control showed a solid ring that stands out from the navbar, in front of it
    assert len(seen) >= (3 if width < 1000 or who == "visitor" else 8), [focused["name"] for focused in seen]
    assert not badly_focused(seen), "\n".join(badly_focused(seen))

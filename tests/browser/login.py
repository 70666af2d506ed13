"""Logging in through the real login page, as a person does: the address first, then the
password (the login page sends an address whose domain has its own provider there instead)."""

from __future__ import annotations

from playwright.sync_api import Page

from portal.demo import DEMO_PASSWORD


def log_in(page: Page, base_url: str, email: str, *, password: str = DEMO_PASSWORD, next_url: str = "") -> None:
    """Log ``email`` in with ``password`` and wait for the page the login leads to."""
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("input[name=login]", email)
    page.click("button[type=submit]")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()

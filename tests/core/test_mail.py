"""Every e-mail the portal can send — its own and allauth's — reads well in every language:
no HTML entities in subjects or plain text, the club as sender, the branded layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from core.branding import EmailBranding
from core.mail import render_email, send_branded_mail

ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
HOSTILE = 'O\'Brien & Söner <AB> "Kvalitet"'


class Anything(str):
    """A value for any variable a template asks for, any attribute of it included: text full
    of what HTML escaping would turn into entities."""

    def __new__(cls):
        return super().__new__(cls, HOSTILE)

    # What the date and number filters probe: not a date, not a number.
    NOT_A_DATE = {"tzinfo", "year", "month", "day", "hour", "minute", "second", "utcoffset", "timetuple", "weekday"}

    def __getattr__(self, name):
        if name.startswith("__") or name in Anything.NOT_A_DATE:
            raise AttributeError(name)
        return Anything()

    def __call__(self, *args, **kwargs):
        return Anything()


class AnyContext(dict):
    """Every name a template looks up exists (branding and site_url are real; the counts
    that pick a plural form are numbers)."""

    NUMBERS = {"count": 3, "more": 2}

    def __contains__(self, key):
        return key not in ("True", "False", "None") or super().__contains__(key)

    def __getitem__(self, key):
        if super().__contains__(key):
            return super().__getitem__(key)
        return self.NUMBERS.get(key, Anything())


def _email_templates() -> list[str]:
    """Every ``…/email/<name>_subject.txt`` of the project and of allauth, as template prefixes."""
    roots = [Path(directory) for directory in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(app.path) / "templates" for app in apps.get_app_configs() if app.name.startswith("allauth")]
    prefixes = set()
    for root in roots:
        for subject in root.glob("**/email/*_subject.txt"):
            prefixes.add(str(subject.relative_to(root)).removesuffix("_subject.txt"))
    return sorted(prefixes)


BRANDING = EmailBranding(
    club_name="Nordic Supply Club", primary_colour="#0b5394", on_primary_colour="#ffffff", contact_email="hej@club.se"
)
TEMPLATES = _email_templates()


def test_the_walk_finds_the_portals_and_allauths_e_mails():
    assert {"members/email/invitation", "account/email/password_reset_key", "mfa/email/totp_activated"} <= set(
        TEMPLATES
    )
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_e_mail_has_a_readable_subject_and_plain_text_in_every_language(db, template, language):
    with translation.override(language):
        rendered = render_email(template, AnyContext(branding=BRANDING, site_url="https://club.example.com"))

    assert rendered.subject and "\n" not in rendered.subject
    assert not ENTITY.search(rendered.subject), rendered.subject
    assert not ENTITY.search(rendered.text), rendered.text
    assert "Nordic Supply Club" in rendered.html  # the branded layout, also for allauth's own


def test_a_mail_comes_from_the_club_with_its_contact_address_to_reply_to(db, settings, portal_site):
    from core.models import Branding

    branding = Branding.for_site(portal_site)
    branding.club_name, branding.contact_email = "Nordic Supply Club", "hej@club.se"
    branding.save()
    settings.DEFAULT_FROM_EMAIL = "Clubportal <club@example.com>"

    send_branded_mail(
        template="members/email/invitation",
        to="new@example.com",
        context={"invitation": Anything(), "accept_url": "https://club.example.com/x"},
    )

    (sent,) = mail.outbox
    assert sent.from_email == "Nordic Supply Club <club@example.com>"
    assert sent.reply_to == ["hej@club.se"]
    assert HOSTILE.split()[0] in sent.subject and not ENTITY.search(sent.subject + sent.body)
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html" and "O&#x27;Brien" in html  # escaped where it must be


def test_allauths_password_reset_goes_out_branded_and_readable(client, purchaser, portal_site):
    response = client.post(reverse("account_reset_password"), {"email": purchaser.email})

    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.from_email.endswith(f"<{settings.DEFAULT_FROM_EMAIL.rpartition('<')[2].rstrip('>')}>")
    assert not ENTITY.search(sent.subject + sent.body)
    assert "/accounts/password/reset/key/" in sent.body
    assert sent.alternatives and "<table" in sent.alternatives[0][0]

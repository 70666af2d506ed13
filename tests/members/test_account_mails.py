"""allauth's e-mails as the club sends them: the unknown-account mail names the address,
the plain-text part of each mail the project rewrote in HTML says the same (no blank site
name, no talk of registering), and adding another account's address sends its owner nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.template import engines
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from members.models import Country
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<[^>]+>")


def _sv(text: str) -> str:
    with translation.override("sv"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no Swedish translation"
    return translated


@pytest.fixture
def swede(db):
    return MembershipFactory(company=CompanyFactory(country=Country.SWEDEN), user=UserFactory(language="")).user


# --- defect: the unknown-account mail left the address out -----------------------------------


def test_given_an_unknown_address_when_a_password_reset_is_asked_then_the_mail_names_it(client, cleared_cache):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@unknown.example"})

    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["nobody@unknown.example"]
    assert "e-mail address nobody@unknown.example, but there is no account" in sent.body
    html, _mimetype = sent.alternatives[0]
    assert "nobody@unknown.example" in TAG.sub("", html)
    assert "e-mail address , but" not in sent.body + html


# --- defect: allauth's stock plain text next to the club's HTML --------------------------------


def _overridden_html_mails() -> list[str]:
    """Every allauth mail the project rewrote in HTML: ``account/email/<name>_message.html``."""
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.TEMPLATES[0]["DIRS"][0]) / "account" / "email"
    return sorted(path.name.removesuffix("_message.html") for path in folder.glob("*_message.html"))


@pytest.mark.parametrize("name", _overridden_html_mails())
def test_every_mail_rewritten_in_html_has_its_own_plain_text_and_subject(name):
    """The .txt must be the project's (the text engine finds it under templates/, not allauth's)."""
    for suffix in ("message.txt", "subject.txt"):
        template = engines["text"].get_template(f"account/email/{name}_{suffix}")
        if suffix == "message.txt":
            assert "/templates/account/email/" in str(template.origin.name)
            assert "allauth" not in str(template.origin.name), f"{name}: allauth's stock plain text"
    assert get_template(f"account/email/{name}_message.html")


def test_given_a_swede_asks_to_reset_their_password_then_both_parts_are_the_clubs_swedish_text(
    client, cleared_cache, swede
):
    client.post(reverse("account_reset_password"), {"email": swede.email})

    (sent,) = mail.outbox
    html = sent.alternatives[0][0]
    for wording in (
        "Someone, hopefully you, asked to reset the password of your account.",
        "If you did not ask for this, you can ignore this e-mail: your password stays as it is.",
    ):
        assert _sv(wording) in sent.body
        assert _sv(wording) in html
    assert "/accounts/password/reset/key/" in sent.body


def test_given_a_swede_adds_an_address_then_the_confirmation_text_is_the_clubs_not_allauths(
    client, cleared_cache, swede
):
    client.force_login(swede)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "second@norrland.example"})

    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["second@norrland.example"]
    wording = _sv("Please confirm that this e-mail address is yours, so that it can be used for your account.")
    assert wording in sent.body and wording in sent.alternatives[0][0]
    assert "/accounts/confirm-email/" in sent.body
    # allauth's stock text: "… to register an account on <a blank site name>."
    assert " på ." not in sent.body and " on ." not in sent.body
    assert "registrera" not in sent.body and "register" not in sent.body


# --- defect: adding someone else's address e-mailed its owner ----------------------------------


@pytest.mark.parametrize("owner_kind", ["member", "staff"])
def test_given_another_accounts_address_when_a_member_adds_it_then_its_owner_gets_no_mail(
    client, cleared_cache, purchaser, other_member, owner_kind
):
    owner = other_member if owner_kind == "member" else StaffFactory()
    client.force_login(purchaser)

    response = client.post(reverse("account_email"), {"action_add": "", "email": owner.email.upper()})

    assert response.status_code == 302  # the page tells nothing about whose address it is
    assert mail.outbox == []


def test_given_a_free_address_when_a_member_adds_it_then_the_confirmation_goes_out(client, cleared_cache, purchaser):
    client.force_login(purchaser)

    client.post(reverse("account_email"), {"action_add": "", "email": "free@example.com"})

    assert [message.to for message in mail.outbox] == [["free@example.com"]]

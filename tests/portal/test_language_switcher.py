"""The footer's language switcher names every language in that language ("English",
"Svenska", "Nederlands"), whatever the page's language, so a reader who cannot read the page
still finds their own; each option says its language for screen readers."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

OWN_NAMES = [("en", "English"), ("sv", "Svenska"), ("nl", "Nederlands")]


def switcher(page: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The switcher's label and its options as (value, lang, text)."""
    form = re.search(r'<form[^>]*class="language-switcher[^"]*".*?</form>', page, re.S).group(0)
    label = re.search(r'<label for="language-select"[^>]*>([^<]*)</label>', form).group(1)
    options = re.findall(r'<option value="([^"]*)"[^>]*?lang="([^"]*)">([^<]*)</option>', form)
    return label, options


@pytest.mark.parametrize(("language", "label"), [("en", "Language"), ("sv", "Språk"), ("nl", "Taal")])
def test_given_a_page_in_any_language_then_each_language_is_named_in_its_own(client, portal_site, language, label):
    # given a visitor who reads the portal in ``language``
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    # when they open the login page
    page = client.get(reverse("account_login")).content.decode()

    # then the switcher's label is in the page's language, and each option in its own, marked so
    assert f'<html lang="{language}">' in page
    assert switcher(page) == (label, [(code, code, name) for code, name in OWN_NAMES])
    assert re.search(rf'<option value="{language}" selected lang="{language}">', page)


@pytest.mark.parametrize("language", ["en", "sv", "nl"])
def test_the_profile_names_each_language_in_its_own_too(language):
    from django.utils import translation

    from members.forms import ProfileForm

    with translation.override(language):
        choices = [(code, str(name)) for code, name in ProfileForm().fields["language"].choices]

    assert choices[1:] == OWN_NAMES

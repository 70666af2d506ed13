"""Which language a person reads the portal, their e-mails and notifications in.

One rule, used by the request middleware and by everything that writes to a person outside
a request (e-mails, notifications, digests):

1. the language they chose in their profile (the footer switch stores it there);
2. else the language of their company's country (Sweden → Swedish, the Netherlands and
   Belgium → Dutch);
3. else a fallback: in a request, the browser's (``Accept-Language``, or the language
   cookie of someone not logged in); outside one, the club's default language.

Staff have no company, so for them it is their profile, else the fallback.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

# The language a company's country reads. A country missing here falls through to the
# browser's (or the club's default) language.
COUNTRY_LANGUAGES = {"SE": "sv", "NL": "nl", "BE": "nl"}

_LOOK_UP = object()


def supported_language(code: str | None) -> str | None:
    """``code`` if the portal ships that language, else None."""
    return code if code and code in dict(settings.LANGUAGES) else None


def language_for_country(country: str | None) -> str | None:
    """The shipped language of a country (``"NL"`` → ``"nl"``), or None."""
    return supported_language(COUNTRY_LANGUAGES.get((country or "").upper()))


def _country_of(user) -> str | None:
    """The person's company's country: from the loaded membership if the caller
    ``select_related`` it (no query), else one query."""
    if getattr(user, "pk", None) is None or getattr(user, "is_staff", False):
        return None
    cache = getattr(getattr(user, "_state", None), "fields_cache", {})
    if "membership" in cache:
        membership = cache["membership"]
        return membership.company.country if membership is not None else None
    from .models import Company

    return Company.objects.filter(memberships__user_id=user.pk).values_list("country", flat=True).first()


def person_language(user, *, company=_LOOK_UP, fallback: str | None = None) -> str:
    """The language ``user`` reads: profile, else company country, else ``fallback``
    (the browser's, in a request), else the club's default. Always a shipped language.

    ``company``: the person's company (or None for none) when the caller has it at hand;
    left out, it is looked up only when the profile does not decide (at most one query).
    """
    chosen = supported_language(getattr(user, "language", ""))
    if chosen:
        return chosen
    country = _country_of(user) if company is _LOOK_UP else getattr(company, "country", None)
    return language_for_country(country) or supported_language(fallback) or settings.LANGUAGE_CODE


def people_languages(users: Iterable) -> dict[int, str]:
    """``{user id: language}`` for many people at once, by ``person_language``'s rule with
    the club's default as the fallback: one query for all who did not choose a language."""
    people = list(users)
    undecided = [user.pk for user in people if not supported_language(user.language) and not user.is_staff]
    countries: dict[int, str] = {}
    if undecided:
        from .models import Membership

        countries = dict(Membership.objects.filter(user_id__in=undecided).values_list("user_id", "company__country"))
    return {
        user.pk: supported_language(user.language)
        or language_for_country(countries.get(user.pk))
        or settings.LANGUAGE_CODE
        for user in people
    }

"""Branded e-mail: every message the portal sends goes out in HTML and plain text, in
the recipient's language, with the club's name and colours from the branding settings.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from core.branding import branding_for_email


def send_branded_mail(*, template: str, to: str, context: dict, language: str | None = None) -> None:
    """Render ``<template>_subject.txt``, ``_message.txt`` and ``_message.html`` and send them.

    The templates extend ``email/base.html``/``email/base.txt``. ``language`` defaults to
    the site's default language.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        full_context = {"branding": branding_for_email(), "site_url": settings.SITE_URL, **context}
        subject = " ".join(render_to_string(f"{template}_subject.txt", full_context).split())
        text_body = render_to_string(f"{template}_message.txt", full_context)
        html_body = render_to_string(f"{template}_message.html", full_context)
    message = EmailMultiAlternatives(subject=subject, body=text_body, to=[to])
    message.attach_alternative(html_body, "text/html")
    message.send()

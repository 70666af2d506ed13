"""Branded e-mail: every message the portal sends — its own and allauth's — goes out in HTML
and plain text, in the recipient's language, in one layout with the club's name, logo and
colours, from the club's name, with the club's contact address to reply to.

Subjects and plain-text parts are rendered by the ``text`` template engine, which does not
escape: "company's balance" stays readable instead of "company&#x27;s balance". HTML parts
are rendered by the normal, escaping engine. A message without an HTML template of its own
(most of allauth's) gets its text set in the branded layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist, engines
from django.utils import translation

from core.branding import EmailBranding, branding_for_email


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: Mapping) -> RenderedEmail:
    """Render ``<template>_subject.txt``, ``_message.txt`` and (if it exists)
    ``_message.html`` in the active language. ``context`` holds ``branding`` and ``site_url``."""
    text_engine = engines["text"]
    subject = " ".join(text_engine.get_template(f"{template}_subject.txt").render(context).split())
    text = text_engine.get_template(f"{template}_message.txt").render(context).strip() + "\n"
    try:
        html = engines["django"].get_template(f"{template}_message.html").render(context)
    except TemplateDoesNotExist:
        html = engines["django"].get_template("email/text_message.html").render({**context, "text": text})
    return RenderedEmail(subject=subject, text=text, html=html)


def club_sender(branding: EmailBranding) -> str:
    """``"Nordic Supply Club <club@example.com>"``: the club's name on the portal's address."""
    return formataddr((branding.club_name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def send_branded_mail(*, template: str, to: str, context: dict, language: str | None = None) -> None:
    """Render the message ``template`` for ``to`` in ``language`` (else the site's default)
    and send it, from the club, with the club's contact address as Reply-To.

    The templates extend ``email/base.html`` and ``email/base.txt``. The send waits at most
    ``EMAIL_TIMEOUT`` seconds for the mail server; callers run it after their transaction
    commits (from a task), so a slow server never holds a row lock.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        branding = branding_for_email()  # its footer text in the recipient's language
        rendered = render_email(template, {"branding": branding, "site_url": settings.SITE_URL, **context})
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=club_sender(branding),
        to=[to],
        reply_to=[branding.contact_email] if branding.contact_email else None,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()

"""Brand colours: contrast arithmetic (WCAG 2.1) and the values templates and e-mails use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
BLACK = "#000000"
AA_NORMAL_TEXT = 4.5


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.03928 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str) -> str:
    """White or black, whichever reads better on ``background``."""
    return WHITE if contrast_ratio(background, WHITE) >= contrast_ratio(background, BLACK) else BLACK


def hex_to_rgb_triplet(hex_colour: str) -> str:
    return ", ".join(str(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))


@dataclass(frozen=True)
class EmailBranding:
    club_name: str
    primary_colour: str
    on_primary_colour: str
    footer_text: str = ""  # in the active language when built, else the default language's
    footer_language: str = ""  # the language footer_text is in
    contact_email: str = ""
    contact_phone: str = ""
    logo_url: str = ""  # absolute, for e-mail clients


def branding_for_email() -> EmailBranding:
    """Branding for messages rendered outside a request (tasks): the default site's, its
    footer text in the active language (the recipient's, in ``core.mail``)."""
    from wagtail.models import Site  # lazy: core.mail imports this module while the apps load

    from .content_language import content_language  # lazy: as above
    from .models import Branding  # lazy: as above

    site = Site.objects.filter(is_default_site=True).first()
    branding = Branding.for_site(site) if site else Branding()
    return EmailBranding(
        logo_url=_absolute_logo_url(branding),
        club_name=branding.club_name,
        primary_colour=branding.primary_colour,
        on_primary_colour=readable_text_on(branding.primary_colour),
        footer_text=branding.footer_text or "",
        footer_language=content_language(branding, "footer_text"),
        contact_email=branding.contact_email,
        contact_phone=branding.contact_phone,
    )


def _absolute_logo_url(branding) -> str:
    """The logo at e-mail size (48 px high) as an absolute URL, or "" without a usable logo."""
    from wagtail.images.models import SourceImageIOError  # lazy: as above

    if branding.logo is None:
        return ""
    try:
        url = branding.logo.get_rendition("height-48").url
    except SourceImageIOError:  # the file is gone: the mail goes out with the club's name only
        return ""
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"

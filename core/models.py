"""The ground floor's one model: the club's brand, a Wagtail site setting.

It lives here, not with the content, because every floor shows it: the portal shell,
the e-mails every app sends, the login pages and the Django admin.
"""

from __future__ import annotations

from auditlog.context import disable_auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .branding import AA_NORMAL_TEXT, HEX_COLOUR, WHITE, contrast_ratio, hex_to_rgb_triplet, readable_text_on

hex_colour_validator = RegexValidator(HEX_COLOUR, _("Enter a colour as #RRGGBB, for example #0b5394."))


@register_setting(icon="image")
class Branding(BaseSiteSetting):
    """The club's brand for the whole portal and its e-mails."""

    club_name = models.CharField(_("club name"), max_length=80, default="Nordic Supply Club")
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#0b5394",
        validators=[hex_colour_validator],
        help_text=_("Buttons, links and the navigation bar. Must contrast at least 4.5:1 with white."),
    )

    secondary_colour = models.CharField(
        _("secondary colour"),
        max_length=7,
        default="#7a4b00",
        validators=[hex_colour_validator],
        help_text=_("Badges and highlights, with white text. Must contrast at least 4.5:1 with white."),
    )
    favicon = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("favicon"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A square image; the browser tab shows it at 32 × 32 pixels."),
    )
    footer_text = models.CharField(_("footer text"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_address = models.CharField(_("contact address"), max_length=200, blank=True)
    point_value_label = models.CharField(
        _("point-value label"),
        max_length=60,
        default=_("Worth"),
        help_text=_("The heading of the point's money value on the How points work page, e.g. “Worth”."),
    )

    panels = [
        FieldPanel("club_name"),
        FieldRowPanel([FieldPanel("logo"), FieldPanel("favicon")]),
        FieldRowPanel([FieldPanel("primary_colour"), FieldPanel("secondary_colour")]),
        FieldPanel("point_value_label"),
        MultiFieldPanel(
            [
                # One per language (core/translation.py); an empty one shows the default language's.
                FieldRowPanel([FieldPanel(f"footer_text_{code}") for code in settings.MODELTRANSLATION_LANGUAGES]),
                FieldPanel("contact_email"),
                FieldPanel("contact_phone"),
                FieldPanel("contact_address"),
            ],
            heading=_("Footer and contact"),
        ),
    ]

    class Meta:
        verbose_name = _("branding")

    @classmethod
    def for_site(cls, site):
        # The default row that the first page view makes is nobody's edit: it is kept out of the
        # audit trail (django-auditlog), which follows the changes staff make afterwards.
        with disable_auditlog():
            return super().for_site(site)

    def clean(self) -> None:
        super().clean()
        errors = {}
        for field_name in ("primary_colour", "secondary_colour"):
            colour = getattr(self, field_name) or ""
            if not HEX_COLOUR.match(colour):
                continue
            ratio = contrast_ratio(colour, WHITE)
            if ratio < AA_NORMAL_TEXT:
                errors[field_name] = _(
                    "This colour contrasts only %(ratio).1f:1 with white; text on it and links in it need at "
                    "least 4.5:1 (WCAG AA). Choose a darker shade."
                ) % {"ratio": ratio}
        if errors:
            raise ValidationError(errors)

    @property
    def on_primary_colour(self) -> str:
        return readable_text_on(self.primary_colour)

    @property
    def primary_rgb(self) -> str:
        return hex_to_rgb_triplet(self.primary_colour)

    @property
    def on_secondary_colour(self) -> str:
        return readable_text_on(self.secondary_colour)

    @property
    def secondary_rgb(self) -> str:
        return hex_to_rgb_triplet(self.secondary_colour)

"""Content and branding, edited by marketing in Wagtail."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page

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

    panels = [FieldPanel("club_name"), FieldPanel("logo"), FieldPanel("primary_colour")]

    class Meta:
        verbose_name = _("branding")

    def clean(self) -> None:
        super().clean()
        if HEX_COLOUR.match(self.primary_colour or ""):
            ratio = contrast_ratio(self.primary_colour, WHITE)
            if ratio < AA_NORMAL_TEXT:
                raise ValidationError(
                    {
                        "primary_colour": _(
                            "This colour contrasts only %(ratio).1f:1 with white; links and buttons need at "
                            "least 4.5:1 (WCAG AA). Choose a darker shade."
                        )
                        % {"ratio": ratio}
                    }
                )

    @property
    def on_primary_colour(self) -> str:
        return readable_text_on(self.primary_colour)

    @property
    def primary_rgb(self) -> str:
        return hex_to_rgb_triplet(self.primary_colour)


class HomePage(Page):
    """The public landing page: what the club is, and the way in."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

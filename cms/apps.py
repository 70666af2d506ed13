from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Content")

    def ready(self) -> None:
        from wagtail.signals import page_published

        from . import texts  # noqa: F401  (registers the offer notices' text keys)
        from .models import OfferPage
        from .notices import on_page_published

        # Wagtail publishes (editor, workflow, scheduled); offers announce themselves after commit.
        page_published.connect(on_page_published, sender=OfferPage, dispatch_uid="cms.offer_announce")

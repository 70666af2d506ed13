from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClubportalConfig(AppConfig):
    name = "clubportal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib import admin

        from . import checks  # noqa: F401  (registers the system checks)
        from .images import pillow_configure

        pillow_configure()

        # The change lists (campaigns, the fulfilment queue, imports) need the width on a
        # 1280-pixel screen; the breadcrumbs and the admin index are the navigation.
        admin.site.enable_nav_sidebar = False

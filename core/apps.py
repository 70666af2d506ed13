from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The ground floor: what every app uses (branded mail, formatting, pagination, admin
    mixins, middleware, the cache, the Branding setting). It imports no other project app."""

    name = "core"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib import admin

        from . import checks  # noqa: F401  (registers the system checks)
        from .images import pillow_configure
        from .moments import install as moments_install
        from .related_keys import install as related_keys_install
        from .spreadsheets import guard_wagtail_exports

        guard_wagtail_exports()
        pillow_configure()
        moments_install()  # no form accepts a date and time the database cannot store
        related_keys_install()  # no choice field or admin widget looks up a key the database cannot take

        # The change lists (campaigns, the fulfilment queue, imports) need the width on a
        # 1280-pixel screen; the breadcrumbs and the admin index are the navigation.
        admin.site.enable_nav_sidebar = False

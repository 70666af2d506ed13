from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The top floor: the portal shell (dashboard, navigation, live badges, error pages,
    /healthz/), the demo seed and the zero-setup periodic runner. No app imports it."""

    name = "portal"
    verbose_name = _("Portal shell")

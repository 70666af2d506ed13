from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """The club's measurement module: reads every app below it, writes only its snapshots."""

    name = "insights"
    verbose_name = _("Insights")

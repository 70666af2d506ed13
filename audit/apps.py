from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        # The admin registry is complete here: this app comes after django.contrib.admin in
        # INSTALLED_APPS, whose ready() runs the admin autodiscovery.
        from audit.registration import track_admin_models

        track_admin_models()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("People's data")

    def ready(self) -> None:
        from . import texts  # noqa: F401  (registers the notices' text keys: core.texts)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepsConfig(AppConfig):
    name = "reps"
    verbose_name = _("Rep workspace")

    def ready(self) -> None:
        from . import texts  # noqa: F401  (the ledger texts reps write: core.texts)

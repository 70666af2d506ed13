from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Company groups")

    def ready(self) -> None:
        from rewards.ledger.origins import entry_origin_register

        from . import texts  # noqa: F401  (registers the groups' text keys)
        from .origins import transfer_origins

        entry_origin_register("groups.transfer", transfer_origins)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from rewards.earn import earn_contributor_register

        from . import texts  # noqa: F401  (the ledger texts campaigns write: core.texts)
        from .earn import CampaignEarn

        # Campaign points join every purchase's earn (rewards.earn), which knows no campaigns.
        earn_contributor_register(CampaignEarn())

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from rewards.earn import earn_contributor_register
        from rewards.ledger.origins import entry_origin_register

        from . import texts  # noqa: F401  (the ledger texts campaigns write: core.texts)
        from .earn import CampaignEarn
        from .selectors import campaign_entry_origins

        # Campaign points join every purchase's earn (rewards.earn), which knows no campaigns.
        earn_contributor_register(CampaignEarn())
        # The points history names the campaign behind an award (the ledger knows no campaigns).
        entry_origin_register("campaigns", campaign_entry_origins)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from members.currency_guards import company_currency_guard_register

        from .redemptions.services import redemptions_currency_change_refusal

        # A company's open money orders hold up a change of its currency (members knows no orders).
        company_currency_guard_register("rewards.money_orders", redemptions_currency_change_refusal)

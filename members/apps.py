from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        # The admin scoping check, and the receiver recording TOTP set-up as this session's
        # second factor.
        from . import checks, signals  # noqa: F401

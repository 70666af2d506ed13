from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the admin scoping check)
        from . import signals  # noqa: F401  (records TOTP set-up as this session's second factor)

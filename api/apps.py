from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("Integration API")

    def ready(self) -> None:
        from outbox.events import event_sink_register

        from .webhooks import events_record, events_wanted

        # Domain apps below announce events (outbox.events); webhooks record them in the same transaction.
        event_sink_register(events_record, wants=events_wanted)

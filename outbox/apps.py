from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Task outbox")

    def ready(self) -> None:
        from celery import signals

        from .tasks import relay_on_worker_start

        # A worker that starts after an outage publishes what waited, without waiting for beat.
        signals.worker_ready.connect(relay_on_worker_start, weak=False, dispatch_uid="outbox.relay_on_worker_start")

"""One row per Celery task that a committed write owes the world.

``outbox.services.outbox_enqueue`` writes the row inside the caller's transaction, so the
task exists exactly when the write does: a rollback takes it away, a commit keeps it even
when the broker is down at that moment. ``published_at`` is set only once the broker has
accepted the message; rows without it are the backlog the relay works through.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    """A task waiting to be published (``published_at`` empty), or one that was.

    Published at least once: a crash between the broker accepting the message and the
    commit of ``published_at`` publishes it again, so every task sent this way must be safe
    to run twice (each call site says why it is). ``task_id`` is the Celery task id of every
    publication of the row, so a duplicate is recognisable in the worker's log.
    """

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    task_id = models.UUIDField(_("task id"), default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        ordering = ["-pk"]
        indexes = [
            # The relay and the health check read only the waiting rows, oldest first: this
            # index holds just those, so an empty backlog is one index lookup however many
            # published rows the table keeps.
            models.Index(fields=["id"], condition=models.Q(published_at__isnull=True), name="outbox_waiting_idx"),
            # The daily purge of old published rows.
            models.Index(fields=["published_at"], name="outbox_published_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"

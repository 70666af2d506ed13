"""Writing to the audit trail by hand, for staff actions the model signals do not see: the
ledger's corrections (its entries are written by services, never through the admin, and an
import of a million purchases must not write a million audit rows) and erasures."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models


def audit_record(
    *,
    instance: models.Model,
    actor,
    action: int = LogEntry.Action.CREATE,
    changes: dict[str, list[Any]],
    note: str = "",
) -> LogEntry:
    """One row in the audit trail: ``actor`` did ``action`` to ``instance``, changing each
    field ``{name: [before, after]}``. Runs in the caller's transaction, so the record exists
    exactly when the change does; append-only like every row of the trail."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        object_id=instance.pk if isinstance(instance.pk, int) else None,
        object_repr=str(instance)[:1000],
        action=action,
        changes={name: [_plain(before), _plain(after)] for name, (before, after) in changes.items()},
        actor=actor,
        actor_email=getattr(actor, "email", None),
        additional_data={"note": note} if note else None,
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)

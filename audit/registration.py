"""Which models the audit trail follows: every model the Django admin can write (its model
admins and their inlines) and the settings edited in Wagtail, minus the few listed in
``NOT_TRACKED`` with the reason.

So a model that gets an admin is audited without anyone remembering to do it, and
``tests/audit/test_every_admin_write.py`` fails for one that is left out without a reason.
The library (django-auditlog) records a row per create, update and delete with the
actor from the request (``auditlog.middleware.AuditlogMiddleware``) and the changed fields
as ``{field: [before, after]}``.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps
from django.contrib import admin

# Models with an admin that are not followed by the library, and why. Each is read-only in
# the admin (the test checks it): its rows change only through a service, which keeps its own
# history or records staff writes in the trail explicitly (``audit.services.audit_record``).
NOT_TRACKED: dict[str, str] = {
    "auditlog.LogEntry": "the trail itself",
    "rewards.LedgerEntry": "append-only ledger; staff adjustments and reversals are recorded by its services",
    "rewards.PointsAccount": "cached sums of the ledger, moved only by the ledger services",
    "rewards.CompanyRewardSettings": "a member's saving goal, set in the portal",
    "campaigns.CampaignAward": "campaign points, written with their ledger entry",
    "reps.GoodwillAward": "a goodwill gift is a ledger adjustment, recorded by its service",
    "reps.StaffNote": "append-only notes with author and date",
    "messaging.Broadcast": "messages keep their author and date",
    "messaging.Thread": "messages keep their author and date",
    "messaging.Message": "messages keep their author and date",
    "outbox.OutboxTask": "the task queue's bookkeeping, not a staff write",
    "rewards.Purchase": "the ERP's purchases, sent through the API in volume; never edited in the admin",
    "rewards.PurchaseLine": "the lines of those purchases",
    "rewards.Redemption": "orders keep their own history of who did what (RedemptionEvent)",
    "rewards.RedemptionEvent": "that history itself, append-only",
    "groups.PointsTransfer": "written only by groups.services; keeps who asked, who decided and its ledger entries",
}

# Edited outside the Django admin (Wagtail settings), followed all the same.
EXTRA_TRACKED = ("core.Branding",)

# Fields whose change is bookkeeping, not a decision: updated on every login or beat run.
# Secrets are never copied into the trail.
EXCLUDED_FIELDS: dict[str, list[str]] = {
    "members.User": ["password", "last_login"],
    "django_celery_beat.PeriodicTask": ["last_run_at", "total_run_count", "date_changed"],
    "api.ApiClient": ["secret_hash"],
    "mfa.Authenticator": ["data", "last_used_at"],
    # Read and e-mailed marks move as people use the portal; staff only delete notifications.
    "notifications.Notification": ["read_at", "emailed_at"],
    # An import's progress is counted by its worker, not decided by staff.
    "rewards.PurchaseImport": [
        "total_rows",
        "rows_done",
        "rows_created",
        "rows_duplicate",
        "rows_failed",
        "error_file",
        "error_message",
        "started_at",
        "finished_at",
        "progress_at",
    ],
}


def admin_models(site=admin.site) -> set[type]:
    """Every model the admin ``site`` shows, with the models of their inlines."""
    models = set()
    for model, model_admin in site._registry.items():
        models.add(model)
        models.update(inline.model for inline in model_admin.inlines)
    return models


def tracked_models(site=admin.site) -> set[type]:
    models = admin_models(site) | {apps.get_model(label) for label in EXTRA_TRACKED}
    return {model for model in models if model._meta.label not in NOT_TRACKED}


def track_admin_models() -> None:
    for model in tracked_models():
        if auditlog.contains(model):
            continue
        m2m = {field.name for field in model._meta.many_to_many}
        auditlog.register(
            model,
            exclude_fields=EXCLUDED_FIELDS.get(model._meta.label, []),
            m2m_fields=m2m,
        )

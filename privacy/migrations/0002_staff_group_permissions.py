"""Re-apply the staff groups' permissions now that privacy and the audit trail have their
models: Club admins process erasure requests, set retention, and read the audit trail
(``members/staff_groups.py``)."""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_erasure_requests_retention"),
        ("auditlog", "0017_add_actor_email"),
        ("members", "0007_user_language_dutch"),
        ("reps", "0002_staff_group_permissions"),
        ("insights", "0002_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

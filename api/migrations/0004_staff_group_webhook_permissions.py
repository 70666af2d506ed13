"""Give Club admins their rights on webhook endpoints, deliveries (with resend) and API import
jobs, now that those tables exist (members.staff_groups: Club admins hold every api permission)."""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0003_webhooks_and_import_jobs"),
        ("members", "0007_user_language_dutch"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

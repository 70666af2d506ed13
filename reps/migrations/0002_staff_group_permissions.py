"""Give Club admins their rights on goodwill budgets, gifts, notes and (read-only)
conversations and notifications, now that those tables exist (members.staff_groups)."""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reps", "0001_initial"),
        ("messaging", "0001_initial"),
        ("notifications", "0001_initial"),
        ("members", "0003_staff_groups_rewards_api"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

"""Re-apply the staff groups' permissions now that campaigns has its models.

Club admins get every campaigns permission; Marketing plans campaigns, activities and
challenges; sales reps may view what runs for their accounts (``members/staff_groups.py``).
"""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_staff_groups_redemptions"),
        ("campaigns", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

"""Give the staff groups their company-group permissions (``members/staff_groups.py``): club
admins run groups; sales reps see the groups and transfers of their own accounts."""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0001_company_groups_and_points_transfers"),
        ("insights", "0002_staff_group_permissions"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

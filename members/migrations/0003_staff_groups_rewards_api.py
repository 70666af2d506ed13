"""Re-apply the staff groups' permissions now that rewards and api have their models.

0002 ran before those apps' tables existed, so Club admins got nothing there.
"""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_staff_groups"),
        ("rewards", "0003_notices"),
        ("api", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

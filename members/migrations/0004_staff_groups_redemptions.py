"""Re-apply the staff groups' permissions now that rewards has its catalogue and redemptions.

Club admins get every rewards permission, including ``fulfil_redemption`` (the staff
fulfilment queue); Sales reps may view rewards and redemptions.
"""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_staff_groups_rewards_api"),
        ("rewards", "0004_catalogue_redemptions"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

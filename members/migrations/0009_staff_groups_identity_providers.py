"""Re-apply the staff groups' permissions now that members has identity providers: Club
admins (``members: *``) configure them; no other role sees them."""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0008_identity_providers"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

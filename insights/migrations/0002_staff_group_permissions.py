"""Give the staff groups ``insights.view_insights`` (``members/staff_groups.py``): club
admins and Marketing see the whole club, sales reps their own accounts."""

from django.db import migrations


def apply_permissions(apps, schema_editor):
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_segment_snapshot"),
        ("members", "0006_invitation_emailed_at"),
        ("campaigns", "0002_campaign_event"),
        ("reps", "0002_staff_group_permissions"),
        ("api", "0002_client_scopes"),
    ]

    operations = [migrations.RunPython(apply_permissions, migrations.RunPython.noop)]

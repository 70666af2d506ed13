"""The finished words of notifications go: ``0003_notification_texts`` copied them into
the texts' parameters (its own transaction, before this one)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_notification_texts"),
    ]

    operations = [
        # A default first, so that going back adds the column to a table that has rows.
        migrations.AlterField(
            model_name="notification",
            name="title",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.RemoveField(model_name="notification", name="title"),
        migrations.RemoveField(model_name="notification", name="body"),
    ]

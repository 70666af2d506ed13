"""A notification's title and text become message keys with JSON parameters
(``core.texts``), rendered when read, instead of finished words in the language the
recipient had when it was written.

Existing notifications keep their finished words under the free-text key (``"text"``):
nothing is lost, and they read as before (in the language they were written in). One
set-based UPDATE per column, so a large table migrates quickly. Backwards, the texts are
rendered once more into finished words, in the club's default language.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import JSONObject

FREE_TEXT = "text"
BATCH = 2000


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.update(title_key=FREE_TEXT, title_params=JSONObject(text=F("title")))
    Notification.objects.exclude(body="").update(body_key=FREE_TEXT, body_params=JSONObject(text=F("body")))


def backwards(apps, schema_editor):
    from django.conf import settings

    from core.texts import text_render

    Notification = apps.get_model("notifications", "Notification")
    batch = []
    rows = Notification.objects.only("pk", "title_key", "title_params", "body_key", "body_params").order_by("pk")
    for notification in rows.iterator(chunk_size=BATCH):
        language = settings.LANGUAGE_CODE
        notification.title = text_render(notification.title_key, notification.title_params, language)[:200]
        notification.body = text_render(notification.body_key, notification.body_params, language)
        batch.append(notification)
        if len(batch) >= BATCH:
            Notification.objects.bulk_update(batch, ["title", "body"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["title", "body"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_digest_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="title_key",
            field=models.CharField(default="", max_length=64, verbose_name="title key"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="title_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="title parameters"),
        ),
        migrations.AddField(
            model_name="notification",
            name="body_key",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="text key"),
        ),
        migrations.AddField(
            model_name="notification",
            name="body_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="text parameters"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]

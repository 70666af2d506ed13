"""core.Branding gets its own table name, and the content type of cms.Branding becomes
core's, so the groups' "change branding" permissions keep working (the rows stay)."""

from django.db import migrations


def content_type_to_core(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    alias = schema_editor.connection.alias
    if ContentType.objects.using(alias).filter(app_label="core", model="branding").exists():
        return
    ContentType.objects.using(alias).filter(app_label="cms", model="branding").update(app_label="core")


def content_type_to_cms(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    alias = schema_editor.connection.alias
    ContentType.objects.using(alias).filter(app_label="core", model="branding").update(app_label="cms")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_branding_from_cms"),
        ("cms", "0006_branding_moved_to_core"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="branding", table=None),
        migrations.RunPython(content_type_to_core, content_type_to_cms),
    ]

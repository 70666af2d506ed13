from django.conf import settings
from django.db import migrations, models

# A category's name written before becomes the club's default language's name (the
# language it was written in: DEFAULT_LANGUAGE, read when the migration runs); the other
# languages start empty and show the default until someone translates them.


def copy_into_default_language(apps, schema_editor):
    language = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    apps.get_model("cms", "newscategory").objects.update(**{f"name_{language}": models.F("name")})


def copy_back_from_default_language(apps, schema_editor):
    language = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    apps.get_model("cms", "newscategory").objects.exclude(**{f"name_{language}__isnull": True}).update(
        name=models.F(f"name_{language}")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0009_offer_tiers_and_above"),
    ]

    operations = [
        migrations.AddField(
            model_name="newscategory",
            name="name_en",
            field=models.CharField(max_length=80, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="newscategory",
            name="name_nl",
            field=models.CharField(max_length=80, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="newscategory",
            name="name_sv",
            field=models.CharField(max_length=80, null=True, verbose_name="name"),
        ),
        migrations.RunPython(copy_into_default_language, copy_back_from_default_language),
    ]

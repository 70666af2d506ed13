"""A Wagtail locale for every shipped language, so pages can be translated into each, and
the permission to translate for Marketing and club admins.

Wagtail's own first migration made the locale of LANGUAGE_CODE and put every page in it;
that stays the default language's tree. Creating a locale that exists is a no-op, and
removing one is left to people (pages may use it), so going back changes nothing.
"""

from django.conf import settings
from django.db import migrations


def add_locales(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    for code, _name in settings.LANGUAGES:
        Locale.objects.get_or_create(language_code=code)
    # Marketing and club admins may copy a page for translation (simple_translation).
    from members.staff_groups import apply_staff_group_permissions

    apply_staff_group_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0006_branding_moved_to_core"),
        ("wagtailcore", "0057_page_locale_fields_notnull"),
        ("simple_translation", "0001_initial"),
        ("members", "0005_staff_groups_campaigns"),
    ]

    operations = [migrations.RunPython(add_locales, migrations.RunPython.noop)]

"""cms.Branding is now core.Branding (see core 0003): only the model state goes; the
table and its rows stay for core."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_offer_cta_reward"),
        ("core", "0003_branding_from_cms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Branding")], database_operations=[]
        ),
    ]

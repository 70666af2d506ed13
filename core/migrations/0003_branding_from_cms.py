"""The Branding site setting moves from cms to core, its rows untouched.

Here only Django's picture of the models changes: core.Branding on the table it has,
cms_branding. cms 0006 drops cms.Branding from the picture (not from the database), and
core 0004 renames the table and moves the content type, so permissions stay attached.
"""

import re

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_cache_table_for_fallback"),
        ("cms", "0005_offer_cta_reward"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Branding",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "club_name",
                            models.CharField(default="Nordic Supply Club", max_length=80, verbose_name="club name"),
                        ),
                        (
                            "primary_colour",
                            models.CharField(
                                default="#0b5394",
                                help_text="Buttons, links and the navigation bar. Must contrast at least 4.5:1 with white.",
                                max_length=7,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        re.compile("^#[0-9a-fA-F]{6}$"),
                                        "Enter a colour as #RRGGBB, for example #0b5394.",
                                    )
                                ],
                                verbose_name="primary colour",
                            ),
                        ),
                        (
                            "secondary_colour",
                            models.CharField(
                                default="#7a4b00",
                                help_text="Badges and highlights, with white text. Must contrast at least 4.5:1 with white.",
                                max_length=7,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        re.compile("^#[0-9a-fA-F]{6}$"),
                                        "Enter a colour as #RRGGBB, for example #0b5394.",
                                    )
                                ],
                                verbose_name="secondary colour",
                            ),
                        ),
                        ("footer_text", models.CharField(blank=True, max_length=200, verbose_name="footer text")),
                        ("contact_email", models.EmailField(blank=True, max_length=254, verbose_name="contact e-mail")),
                        ("contact_phone", models.CharField(blank=True, max_length=40, verbose_name="contact phone")),
                        (
                            "contact_address",
                            models.CharField(blank=True, max_length=200, verbose_name="contact address"),
                        ),
                        (
                            "point_value_label",
                            models.CharField(
                                default="Worth",
                                help_text="Shown before the money value of a points figure, e.g. “Worth 120 SEK”.",
                                max_length=60,
                                verbose_name="point-value label",
                            ),
                        ),
                        (
                            "favicon",
                            models.ForeignKey(
                                blank=True,
                                help_text="A square image; the browser tab shows it at 32 × 32 pixels.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="wagtailimages.image",
                                verbose_name="favicon",
                            ),
                        ),
                        (
                            "logo",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="wagtailimages.image",
                                verbose_name="logo",
                            ),
                        ),
                        (
                            "site",
                            models.OneToOneField(
                                editable=False, on_delete=django.db.models.deletion.CASCADE, to="wagtailcore.site"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "branding",
                        "db_table": "cms_branding",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

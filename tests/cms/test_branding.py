"""Branding settings restyle the portal; bad colours and bad uploads are refused."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Branding

pytestmark = pytest.mark.django_db


def test_footer_contact_and_club_name_appear_on_portal_pages(client, purchaser, portal_site):
    branding = Branding.for_site(portal_site)
    branding.club_name = "Bygg Club"
    branding.footer_text = "A club by Bygg AB"
    branding.contact_email = "hello@bygg.example"
    branding.contact_phone = "+46 8 123 45"
    branding.save()
    client.force_login(purchaser)

    body = client.get("/dashboard/").content.decode()

    assert "<title>Dashboard · Bygg Club</title>" in body
    assert "A club by Bygg AB" in body
    assert 'href="mailto:hello@bygg.example"' in body
    assert "+46 8 123 45" in body


def test_the_django_admin_carries_the_club_name_and_colours(client, club_admin, portal_site, settings):
    settings.STAFF_MFA_REQUIRED = False
    branding = Branding.for_site(portal_site)
    branding.club_name = "Bygg Club"
    branding.save()
    client.force_login(club_admin)

    body = client.get("/admin/").content.decode()

    assert "<title>Site administration | Bygg Club administration</title>" in body
    assert ">Bygg Club administration</a>" in body
    assert 'href="/brand.css"' in body
    assert "admin-brand" in body


def test_a_favicon_from_the_settings_replaces_the_default(client, portal_site):
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (128, 128), "#0b5394").save(buffer, format="PNG")
    image = get_image_model().objects.create(title="Icon", file=SimpleUploadedFile("icon.png", buffer.getvalue()))
    branding = Branding.for_site(portal_site)
    branding.favicon = image
    branding.save()

    body = client.get("/").content.decode()

    assert 'rel="icon"' in body
    assert "img/favicon.svg" not in body
    assert ".png" in body.split('rel="icon"')[1].split(">")[0]


@pytest.mark.parametrize("field", ["primary_colour", "secondary_colour"])
def test_colours_that_fail_wcag_aa_on_white_are_refused_with_a_message(field, portal_site):
    branding = Branding.for_site(portal_site)
    setattr(branding, field, "#ffcc00")  # yellow: about 1.6:1 with white

    with pytest.raises(ValidationError) as refused:
        branding.full_clean()

    assert "WCAG AA" in str(refused.value.message_dict[field])


def test_accessible_colours_are_accepted(portal_site):
    branding = Branding.for_site(portal_site)
    branding.primary_colour = "#0b5394"
    branding.secondary_colour = "#7a4b00"
    branding.full_clean()


def _image_form(file):
    from wagtail.images import get_image_model
    from wagtail.images.forms import get_image_form

    form_class = get_image_form(get_image_model())
    return form_class(data={"title": "Upload"}, files={"file": file})


def test_a_non_image_upload_is_refused_with_a_message(db):
    form = _image_form(SimpleUploadedFile("notes.png", b"this is not an image", content_type="image/png"))
    assert not form.is_valid()
    assert form.errors["file"]


def test_an_oversized_image_upload_is_refused_with_a_message(settings, db):
    from PIL import Image as PILImage

    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1024
    buffer = io.BytesIO()
    PILImage.effect_noise((256, 256), 100).convert("RGB").save(buffer, format="PNG")
    form = _image_form(SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"))
    assert not form.is_valid()
    assert "too big" in str(form.errors["file"])


def test_rich_text_from_the_editor_is_sanitised(home):
    # Wagtail's editor stores rich text through a whitelist: scripts and javascript:
    # links cannot survive the round trip the admin form makes.
    from wagtail.admin.rich_text import get_rich_text_editor_widget

    widget = get_rich_text_editor_widget(features=["bold", "italic", "link"])
    editor_state = widget.format_value('<p>Hi<script>alert(1)</script> <a href="javascript:x()">x</a></p>')

    stored = widget.value_from_datadict({"terms": editor_state}, {}, "terms")

    assert "Hi" in stored
    assert "<script" not in stored
    assert "javascript:" not in stored


# --- The footer text in the reader's language ----------------------------------------------------


def _footer_in_two_languages(site) -> None:
    branding = Branding.for_site(site)
    branding.footer_text_en = "A club for businesses"
    branding.footer_text_sv = "En klubb för företag"
    branding.footer_text_nl = ""  # not translated yet
    branding.save()


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", '<span class="ms-2">A club for businesses</span>'),
        ("sv", '<span class="ms-2">En klubb för företag</span>'),
        ("nl", '<span class="ms-2" lang="en">A club for businesses</span>'),  # the default, marked
    ],
)
def test_the_footer_text_is_in_the_readers_language_and_a_fallback_is_marked(
    client, purchaser, portal_site, language, shown
):
    _footer_in_two_languages(portal_site)
    purchaser.language = language
    purchaser.save(update_fields=["language"])
    client.force_login(purchaser)

    body = client.get("/dashboard/").content.decode()

    assert shown in body


def test_an_e_mails_footer_is_in_the_recipients_language(portal_site):
    from django.core import mail

    from core.mail import send_branded_mail
    from tests.core.test_mail import Anything

    _footer_in_two_languages(portal_site)
    for language in ("sv", "nl"):
        send_branded_mail(
            template="members/email/invitation",
            to=f"{language}@example.com",
            context={"invitation": Anything(), "accept_url": "https://club.example.com/x"},
            language=language,
        )

    swedish, dutch = (message.alternatives[0][0] for message in mail.outbox)
    assert "<span>En klubb för företag</span>" in swedish and "A club for businesses" not in swedish
    assert '<span lang="en">A club for businesses</span>' in dutch


def test_the_settings_page_edits_the_footer_text_in_every_language(client, settings, portal_site):
    from tests.factories import StaffFactory

    settings.STAFF_MFA_REQUIRED = False
    _footer_in_two_languages(portal_site)
    client.force_login(StaffFactory(is_superuser=True))

    html = client.get(f"/cms/settings/core/branding/{portal_site.pk}/").content.decode()

    assert 'name="footer_text_en"' in html and 'name="footer_text_sv"' in html and 'name="footer_text_nl"' in html
    assert 'value="En klubb för företag"' in html

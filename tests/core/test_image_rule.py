"""The one image rule (core.images): every upload path refuses a picture of more than
IMAGE_MAX_PIXELS pixels, read from its header, with a form error — and still takes a normal one.

The bomb is a real, valid PNG of 12 000 × 12 000 pixels (144 megapixels, ~576 MB once
decoded as RGBA in a browser) that is only a few kilobytes on disk.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.images import image_header_check
from messaging.models import Attachment, Message
from messaging.services import thread_start
from tests.factories import StaffFactory
from tests.mfa import login_with_totp

pytestmark = pytest.mark.django_db

SIDE = 12_000


def bomb_png(side: int = SIDE) -> bytes:
    """A valid black-and-white PNG of ``side`` × ``side`` pixels: rows of zeros, compressed."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * ((side + 7) // 8)  # filter byte, then 1 bit per pixel
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def normal_png(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(data: bytes, name: str = "picture.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/png")


TOO_LARGE = "too large: at most 40 megapixels"


def test_the_bomb_is_small_on_disk_and_a_valid_picture_of_144_megapixels():
    data = bomb_png()

    assert len(data) < 40_000
    header = struct.unpack(">II", data[16:24])
    assert header == (SIDE, SIDE)


def test_given_the_bomb_then_the_rule_refuses_it_from_the_header():
    with pytest.raises(ValidationError) as refused:
        image_header_check(upload(bomb_png()))

    assert refused.value.code == "image_too_many_pixels"
    assert TOO_LARGE in refused.value.messages[0]


def test_given_a_normal_picture_then_the_rule_reads_its_size():
    header = image_header_check(upload(normal_png()))

    assert (header.format, header.width, header.height) == ("PNG", 800, 600)


def test_given_the_cap_setting_then_pillow_itself_refuses_to_open_a_bigger_picture(settings):
    assert Image.MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS == 40_000_000
    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS

    with pytest.raises((Image.DecompressionBombError, Image.DecompressionBombWarning)):
        Image.open(io.BytesIO(bomb_png()))


# --- Message attachments: the member's reply, the rep's new conversation, the broadcast ----------


@pytest.fixture
def thread(company, rep, purchaser):
    return thread_start(company=company, author=rep, subject="Pictures", body="Send me the plan")


def test_given_a_member_when_attaching_the_bomb_then_refused_with_the_reason(client, thread, purchaser):
    client.force_login(purchaser)

    response = client.post(
        reverse("messaging:thread", args=[thread.pk]), {"body": "Here", "attachments": [upload(bomb_png(), "plan.png")]}
    )

    assert response.status_code == 400
    assert f"plan.png cannot be attached: This picture is {TOO_LARGE}" in response.content.decode()
    assert Message.objects.count() == 1
    assert not Attachment.objects.exists()


def test_given_a_member_when_attaching_a_normal_picture_then_it_is_sent(client, thread, purchaser):
    client.force_login(purchaser)

    response = client.post(
        reverse("messaging:thread", args=[thread.pk]), {"body": "Here", "attachments": [upload(normal_png())]}
    )

    assert response.status_code == 302
    assert Attachment.objects.count() == 1


def test_given_a_rep_when_starting_a_conversation_with_the_bomb_then_refused(client, company, rep, cleared_cache):
    login_with_totp(client, rep)

    response = client.post(
        reverse("reps:thread_start", args=[company.pk]),
        {"subject": "Plan", "body": "Attached", "attachments": [upload(bomb_png())]},
    )

    assert response.status_code == 400
    assert TOO_LARGE in response.content.decode()
    assert not Attachment.objects.exists()


# --- Reward pictures (Django admin), under their own lower cap ------------------------------------


def test_given_a_reward_picture_when_the_bomb_is_uploaded_then_refused():
    from rewards.catalogue.images import ImageRejected, image_check_and_process

    with pytest.raises(ImageRejected, match="too large: at most 25 megapixels"):
        image_check_and_process(upload(bomb_png()))

    assert image_check_and_process(upload(normal_png())).width == 800


# --- Wagtail images (page pictures, the branding logo) and the profile picture --------------------


@pytest.fixture
def editor_client(client, portal_site, cleared_cache):
    return login_with_totp(client, StaffFactory(group="Club admins", is_superuser=True))


@pytest.mark.parametrize("path", ["/cms/images/add/", "/cms/images/chooser/create/"])
def test_given_wagtail_when_the_bomb_is_uploaded_then_the_form_says_why(editor_client, path):
    from wagtail.images import get_image_model

    response = editor_client.post(path, {"image-chooser-upload-title": "Logo", "title": "Logo", **_files(bomb_png())})

    assert response.status_code == 200
    assert "This file has too many pixels" in response.content.decode()
    assert not get_image_model().objects.filter(title="Logo").exists()


def test_given_wagtail_when_a_normal_picture_is_uploaded_then_it_is_stored(editor_client):
    from wagtail.images import get_image_model

    response = editor_client.post("/cms/images/add/", {"title": "Logo", "file": upload(normal_png())})

    assert response.status_code == 302
    assert get_image_model().objects.filter(title="Logo").exists()


def test_given_wagtail_multiple_upload_when_the_bomb_is_uploaded_then_refused(editor_client):
    from wagtail.images import get_image_model

    before = get_image_model().objects.count()

    response = editor_client.post("/cms/images/multiple/add/", {"files[]": upload(bomb_png())})

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "too many pixels" in response.json()["error_message"]
    assert get_image_model().objects.count() == before


def test_given_the_profile_picture_form_when_the_bomb_is_uploaded_then_refused(club_admin):
    from wagtail.admin.forms.account import AvatarPreferencesForm
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(club_admin)
    refused = AvatarPreferencesForm(data={}, files={"avatar": upload(bomb_png())}, instance=profile)
    accepted = AvatarPreferencesForm(data={}, files={"avatar": upload(normal_png())}, instance=profile)

    assert not refused.is_valid()
    assert "avatar" in refused.errors
    assert accepted.is_valid(), accepted.errors


def _files(data: bytes) -> dict:
    return {"file": upload(data), "image-chooser-upload-file": upload(data)}

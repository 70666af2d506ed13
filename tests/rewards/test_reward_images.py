"""Reward pictures: only real JPEG/PNG/WebP within the size and pixel limits get in, a
decompression bomb is refused before it is expanded, and the copies are made once."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from rewards.catalogue import images
from rewards.catalogue.images import ImageRejected, image_check_and_process
from rewards.catalogue.services import CatalogueError, reward_image_add
from rewards.models import RewardImage

from .factories import RewardFactory

pytestmark = pytest.mark.django_db


def picture(size=(800, 600), fmt="PNG", mode="RGB", colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(data: bytes, name: str = "picture.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` × ``height`` pixels with almost no data: a few
    hundred bytes that would expand to gigabytes if anyone decoded them."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_given_a_good_picture_when_processed_then_a_webp_display_copy_and_a_4_by_3_thumbnail(db):
    processed = image_check_and_process(upload(picture((2400, 1000), "JPEG"), "photo.jpg", "image/jpeg"))

    display = Image.open(processed.display)
    thumbnail = Image.open(processed.thumbnail)
    assert (display.format, display.size) == ("WEBP", (1600, 667))
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (640, 480))
    assert (processed.width, processed.height) == (1600, 667)


def test_given_a_transparent_png_when_processed_then_transparency_survives(db):
    processed = image_check_and_process(upload(picture((400, 400), "PNG", mode="RGBA", colour=(0, 0, 0, 0))))

    assert Image.open(processed.display).mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"This is not a picture at all, just text.", "not a picture we can read"),
        (b"", "The file is empty."),
        (picture((800, 600), "GIF"), "GIF pictures are not accepted; use JPEG, PNG or WebP."),
        (picture((150, 600)), "it must be at least 200 on each side"),
        (picture((800, 600))[:200], "not a picture we can read"),  # cut off half way
        (png_bomb(30_000, 30_000), "too large: at most 25 megapixels"),
        (png_bomb(100_000, 100_000), "too large: at most 25 megapixels"),  # above Pillow's own hard limit too
    ],
    ids=["text", "empty", "gif", "too-small", "truncated", "bomb", "huge-bomb"],
)
def test_given_a_bad_file_when_uploaded_then_refused_with_the_reason_and_nothing_stored(data, message):
    reward = RewardFactory()

    with pytest.raises(CatalogueError, match=message):
        reward_image_add(reward=reward, upload=upload(data))

    assert not RewardImage.objects.exists()


def test_given_a_file_over_5_mb_when_uploaded_then_refused_before_it_is_opened(monkeypatch):
    opened = []
    monkeypatch.setattr(images.Image, "open", lambda *args, **kwargs: opened.append(args))
    too_big = upload(b"\x00" * (images.MAX_BYTES + 1))

    with pytest.raises(ImageRejected, match="pictures can be at most 5.0\xa0MB"):
        image_check_and_process(too_big)

    assert opened == []


def test_given_a_stored_picture_when_the_reward_is_saved_again_then_the_copies_are_not_remade(db):
    reward = RewardFactory()
    image = reward_image_add(reward=reward, upload=upload(picture()), alt_text="A red square")
    names = (image.image.name, image.thumbnail.name)

    reward.title = "Renamed"
    reward.save()
    image.alt_text = "Still a red square"
    image.save()

    image.refresh_from_db()
    assert (image.image.name, image.thumbnail.name) == names
    assert image.thumbnail.name.endswith("-card.webp")


def _admin_add_form(reward_sku: str, **extra) -> dict:
    # Translated texts (rewards/translation.py) are edited per language in the admin; the
    # default language's is the required one.
    default = django_settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    data = {
        f"title_{default}": "Admin reward",
        "sku": reward_sku,
        "kind": "physical",
        f"summary_{default}": "",
        f"description_{default}": "",
        "is_active": "on",
        "points_cost": "1000",
        "value": "20.00",
        "currency": "SEK",
        "stock": "",
        "low_stock_threshold": "5",
        "max_per_order": "10",
        "company_limit": "",
        "limit_period": "year",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        f"images-0-alt_text_{default}": "The front",
        "images-0-position": "0",
    }
    data.update(extra)
    return data


def test_given_a_club_admin_when_uploading_a_bomb_in_the_admin_then_the_form_says_why_and_nothing_is_saved(
    client, club_admin, settings
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(club_admin)
    data = _admin_add_form("ADM-1", **{"images-0-upload": upload(png_bomb(30_000, 30_000))})

    response = client.post(reverse("admin:rewards_reward_add"), data)

    assert response.status_code == 200
    assert "too large: at most 25 megapixels" in response.content.decode()
    assert not RewardImage.objects.exists()


def test_given_a_club_admin_when_uploading_a_good_picture_in_the_admin_then_it_is_stored_with_its_thumbnail(
    client, club_admin, settings
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(club_admin)
    data = _admin_add_form("ADM-2", **{"images-0-upload": upload(picture())})

    response = client.post(reverse("admin:rewards_reward_add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    image = RewardImage.objects.get()
    assert (image.alt_text, image.width, image.height) == ("The front", 800, 600)
    assert image.thumbnail.name.endswith(".webp")


def test_given_a_stored_picture_when_it_is_deleted_then_its_files_go_once_the_deletion_commits(
    db, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage
    from django.db import transaction

    reward = RewardFactory()
    kept = reward_image_add(reward=reward, upload=upload(picture()))
    deleted = reward_image_add(reward=reward, upload=upload(picture(colour=(10, 10, 200))))
    files, pk = [deleted.image.name, deleted.thumbnail.name], deleted.pk
    assert all(default_storage.exists(name) for name in files)

    with pytest.raises(RuntimeError), transaction.atomic():  # a deletion that rolls back keeps them
        deleted.delete()
        raise RuntimeError
    assert all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        type(deleted).objects.get(pk=pk).delete()

    assert not any(default_storage.exists(name) for name in files)
    assert default_storage.exists(kept.image.name) and default_storage.exists(kept.thumbnail.name)

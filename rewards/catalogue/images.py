"""Reward pictures: checked with Pillow and re-encoded once, when they are uploaded.

What is accepted:

* at most ``MAX_BYTES`` (5 MB) of file;
* JPEG, PNG or WebP, judged from the file's content (its name and the browser's content
  type are not trusted);
* at most ``MAX_PIXELS`` (25 megapixels, under the site-wide ``IMAGE_MAX_PIXELS``): the
  one image rule, ``core.images.image_header_check``, reads the dimensions from the
  file header before a single pixel is decoded, so a *decompression bomb* — a small file
  that expands to gigabytes in memory — is refused without being expanded. Pillow's own
  bomb check is an error too (``core.images.pillow_configure``), as a second guard;
* at least ``MIN_SIDE`` pixels on each side, so catalogue cards do not look blurred.

An accepted picture is decoded once and re-encoded: its EXIF orientation applied, its
metadata (camera, GPS position) dropped, a display copy at most ``DISPLAY_SIDE`` pixels on
its long side and a ``THUMBNAIL_SIZE`` catalogue thumbnail (the whole picture, padded to
4:3, never cropped), both WebP. Pages only ever serve these copies; nothing is resized when
a page is shown.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.images import image_header_check, image_max_pixels, too_many_pixels_message

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
MIN_SIDE = 200
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
DISPLAY_SIDE = 1600
THUMBNAIL_SIZE = (640, 480)
THUMBNAIL_BACKGROUND = (248, 249, 250)  # Bootstrap's light grey: the card's image well
WEBP_QUALITY = 85


class ImageRejected(ValueError):
    """The upload is not a picture we accept; the message says why, for the person."""


@dataclass(frozen=True)
class ProcessedImage:
    display: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _bomb_message() -> str:
    return too_many_pixels_message(min(MAX_PIXELS, image_max_pixels()))


def _encode(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    return ContentFile(buffer.getvalue(), name=name)


def image_check_and_process(upload) -> ProcessedImage:
    """Check ``upload`` (a file object with ``size``) against the rules above and return the
    re-encoded copies; raises ``ImageRejected`` with the reason otherwise."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > MAX_BYTES:
        raise ImageRejected(
            _("The picture is %(size)s; pictures can be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(MAX_BYTES)}
        )
    if size == 0:
        raise ImageRejected(_("The file is empty."))
    try:
        header = image_header_check(upload, max_pixels=MAX_PIXELS)
    except ValidationError as exc:
        if exc.code == "image_too_many_pixels":
            raise ImageRejected(_bomb_message()) from exc
        raise ImageRejected(_("The file is not a picture we can read. Upload a JPEG, PNG or WebP image.")) from exc
    if header.format not in ALLOWED_FORMATS:
        raise ImageRejected(
            _("%(format)s pictures are not accepted; use JPEG, PNG or WebP.")
            % {"format": header.format or _("This kind of")}
        )
    if min(header.width, header.height) < MIN_SIDE:
        raise ImageRejected(
            _("The picture is %(width)s × %(height)s pixels; it must be at least %(min)s on each side.")
            % {"width": header.width, "height": header.height, "min": MIN_SIDE}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()  # checksums and structure, still without decoding
        upload.seek(0)
        with Image.open(upload) as decoded:
            decoded.load()
            picture = ImageOps.exif_transpose(decoded)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_bomb_message()) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(_("The file is not a picture we can read. Upload a JPEG, PNG or WebP image.")) from exc

    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    display = picture.copy()
    display.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    background = (*THUMBNAIL_BACKGROUND, 255) if has_alpha else THUMBNAIL_BACKGROUND
    thumbnail = ImageOps.pad(picture, THUMBNAIL_SIZE, method=Image.Resampling.LANCZOS, color=background)
    stem = uuid4().hex
    return ProcessedImage(
        display=_encode(display, f"{stem}.webp"),
        thumbnail=_encode(thumbnail, f"{stem}-card.webp"),
        width=display.width,
        height=display.height,
    )

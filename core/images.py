"""One rule for every uploaded image: its dimensions are read from the file header before any
pixel is decoded, and an image of more than ``settings.IMAGE_MAX_PIXELS`` pixels is refused.

What this guarantees:

* ``image_header_check`` reads only the header (format, width, height: Pillow's
  ``Image.open``, which decodes nothing) and raises a ``ValidationError`` with a message for
  the person when the file is not a readable image or has more pixels than the cap. A small
  file that would expand to gigabytes when shown (a *decompression bomb*, e.g. a 17 KB PNG of
  12 000 × 12 000 pixels) is refused on upload, so no browser or worker ever decodes it.
* Every upload path calls it: message attachments (``messaging.attachments``), reward
  pictures (``rewards.catalogue.images``, with its own lower cap), and, through settings, Wagtail's
  images (``WAGTAILIMAGES_MAX_IMAGE_PIXELS``: the branding logo, page pictures) and any
  Django ``ImageField`` (Wagtail's profile picture): ``pillow_configure`` sets Pillow's
  ``Image.MAX_IMAGE_PIXELS`` to the cap and makes its over-the-cap warning an error, so an
  ``Image.open`` anywhere in the process refuses such an image instead of decoding it.
  ``tests/core/test_image_rule.py`` uploads a bomb through each path.
* Refusals are form errors (HTTP 200 with the form, or 4xx from an API), never a 500.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError


@dataclass(frozen=True)
class ImageHeader:
    format: str | None
    width: int
    height: int


def image_max_pixels() -> int:
    return settings.IMAGE_MAX_PIXELS


def too_many_pixels_message(limit: int) -> str:
    return _(
        "This picture is too large: at most %(limit)s megapixels. (It may be a file built to expand "
        "enormously when opened.)"
    ) % {"limit": limit // 1_000_000}


def image_header_check(upload, *, max_pixels: int | None = None) -> ImageHeader:
    """Read ``upload``'s format and dimensions from its header, decoding no pixel, and refuse
    it (``ValidationError``) if it is no image Pillow can read or has more than ``max_pixels``
    (at most, and by default, ``settings.IMAGE_MAX_PIXELS``). Leaves the file at its start."""
    limit = min(max_pixels or image_max_pixels(), image_max_pixels())
    try:
        upload.seek(0)
        # Pillow may refuse first (pillow_configure); if not, the dimensions are checked below.
        # (No warnings.catch_warnings here: it swaps the process's filters, which is not
        # thread-safe.)
        with Image.open(upload) as probe:
            header = ImageHeader(format=probe.format, width=probe.size[0], height=probe.size[1])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(too_many_pixels_message(limit), code="image_too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(_("The file is not a picture we can read."), code="image_unreadable") from exc
    finally:
        upload.seek(0)
    if header.width * header.height > limit:
        raise ValidationError(too_many_pixels_message(limit), code="image_too_many_pixels")
    return header


def pillow_configure() -> None:
    """Make Pillow refuse, process-wide, to open an image over the cap (its own check warns
    above ``MAX_IMAGE_PIXELS`` and fails only above twice that; the warning becomes an error).
    Called once at start-up (``clubportal.apps``)."""
    Image.MAX_IMAGE_PIXELS = image_max_pixels()
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

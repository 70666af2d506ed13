"""Checking uploaded attachments: PDF documents and PNG, JPEG or WebP images only.

The type is decided by the file's content — the PDF header, or Pillow reading the image —
never by its name or the browser's claim; an image must keep to the site's pixel cap (the one
image rule, ``core.images``); the name must then fit the type, so a file called
``report.pdf`` that is really an image (or a program) is refused. Each file is limited to
``MESSAGE_ATTACHMENT_MAX_MB`` megabytes and a message to ``MESSAGE_ATTACHMENTS_MAX`` files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.images import image_header_check

from .models import ATTACHMENT_EXTENSIONS, AttachmentType

_PIL_FORMATS = {"PNG": AttachmentType.PNG, "JPEG": AttachmentType.JPEG, "WEBP": AttachmentType.WEBP}


@dataclass(frozen=True)
class CheckedAttachment:
    """An upload that passed the checks, with its sniffed type and a clean display name."""

    upload: object
    name: str
    content_type: str
    size: int


def max_attachment_bytes() -> int:
    return settings.MESSAGE_ATTACHMENT_MAX_MB * 1024 * 1024


def _display_name(raw: str) -> str:
    # Browsers send a bare name; some old ones sent a whole path.
    name = PurePosixPath(raw.replace("\\", "/")).name.strip() or "file"
    if len(name) > 200:
        suffix = PurePosixPath(name).suffix[:20]
        name = name[: 200 - len(suffix)] + suffix
    return name


def _sniff(upload, name: str) -> str | None:
    """The attachment type from the content; an image over the site's pixel cap
    (``core.images``, read from its header before any decoding) is refused."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return AttachmentType.PDF
    try:
        header = image_header_check(upload)
    except ValidationError as exc:
        if exc.code == "image_too_many_pixels":
            raise ValidationError(
                _("%(name)s cannot be attached: %(reason)s") % {"name": name, "reason": exc.messages[0]}
            ) from exc
        return None
    try:
        with Image.open(upload) as image:
            image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        return None
    finally:
        upload.seek(0)
    return _PIL_FORMATS.get(header.format)


def attachment_check(upload) -> CheckedAttachment:
    """Check one uploaded file; ``ValidationError`` with a message naming the file if it is refused."""
    name = _display_name(getattr(upload, "name", "") or "")
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    if upload.size > max_attachment_bytes():
        raise ValidationError(
            _("%(name)s is %(size)s; a file can be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(max_attachment_bytes())}
        )
    content_type = _sniff(upload, name)
    if content_type is None:
        raise ValidationError(
            _("%(name)s cannot be attached: only PDF documents and PNG, JPEG or WebP images can.") % {"name": name}
        )
    extension = PurePosixPath(name).suffix.lower()
    if extension not in ATTACHMENT_EXTENSIONS[content_type]:
        raise ValidationError(
            _("%(name)s is a %(type)s, but its name does not end in %(extensions)s. Rename it and try again.")
            % {
                "name": name,
                "type": AttachmentType(content_type).label,
                "extensions": _(" or ").join(ATTACHMENT_EXTENSIONS[content_type]),
            }
        )
    return CheckedAttachment(upload=upload, name=name, content_type=content_type, size=upload.size)


def attachments_check(uploads) -> list[CheckedAttachment]:
    """Check every file of a message; all the problems are reported together."""
    uploads = list(uploads or [])
    errors: list[str] = []
    if len(uploads) > settings.MESSAGE_ATTACHMENTS_MAX:
        errors.append(_("Attach at most %(limit)s files to one message.") % {"limit": settings.MESSAGE_ATTACHMENTS_MAX})
    checked = []
    for upload in uploads:
        try:
            checked.append(attachment_check(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked

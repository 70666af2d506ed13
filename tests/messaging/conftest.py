"""Fixtures for conversations; the company's rep and the other company with its rep (the
"wrong" ones for the access tests) come from tests/conftest.py."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_bytes(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def png():
    return upload("photo.png", png_bytes(), "image/png")


@pytest.fixture
def pdf():
    return upload("price-list.pdf", PDF_BYTES, "application/pdf")

"""Fixtures for conversations: a company with its rep and contacts, and another company
with another rep (the "wrong" ones for the access tests)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from members.models import MembershipRole
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory


@pytest.fixture
def rep(company):
    rep = StaffFactory(group="Sales reps", first_name="Anna", last_name="Sälj")
    company.sales_rep = rep
    company.save(update_fields=["sales_rep"])
    return rep


@pytest.fixture
def colleague(company):
    return MembershipFactory(company=company, role=MembershipRole.VIEWER).user


@pytest.fixture
def other_rep(db):
    return StaffFactory(group="Sales reps", first_name="Johan", last_name="Ek")


@pytest.fixture
def other_company(other_rep):
    return CompanyFactory(sales_rep=other_rep)


@pytest.fixture
def other_member(other_company):
    return MembershipFactory(company=other_company, role=MembershipRole.PURCHASER).user


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

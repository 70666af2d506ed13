"""Documents are members only, like the pages linking to them; the DEBUG server's /media/
serves public images only, never documents, import files or their error reports."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction

from clubportal.urls import debug_media_urlpatterns
from clubportal.urls import urlpatterns as portal_urlpatterns
from tests.factories import StaffFactory
from tests.mfa import login_with_totp

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% members only\n"


@pytest.fixture(autouse=True)
def files_on_disk(settings, tmp_path):
    """Uploads in a MEDIA_ROOT of their own on disk, as the portal keeps them."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return tmp_path


def _document(collection=None):
    Document = get_document_model()
    document = Document(title="Price list", collection=collection or Collection.get_first_root_node())
    document.file.save("d.pdf", ContentFile(PDF), save=False)
    document.save()
    return document


def test_an_anonymous_visitor_is_sent_to_the_login_not_served_the_document(client):
    document = _document()

    response = client.get(document.url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={document.url}"
    assert PDF not in response.content


def test_a_member_gets_the_document(client, purchaser):
    document = _document()
    client.force_login(purchaser)

    response = client.get(document.url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_staff_get_the_document(client):
    document = _document()
    login_with_totp(client, StaffFactory(group="Marketing"))

    assert client.get(document.url).status_code == 200


def test_a_logged_in_person_without_a_company_is_refused(client):
    from tests.factories import UserFactory

    document = _document()
    client.force_login(UserFactory())

    assert client.get(document.url).status_code == 403


def test_a_collection_restricted_to_a_group_still_keeps_members_out(client, purchaser):
    root = Collection.get_first_root_node()
    board = root.add_child(name="Board papers")
    restriction = CollectionViewRestriction.objects.create(
        collection=board, restriction_type=CollectionViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="Board"))
    document = _document(board)
    client.force_login(purchaser)

    response = client.get(document.url)

    assert response.status_code != 200
    assert PDF not in response.content


# --- The DEBUG server's /media/ --------------------------------------------------------

# The portal's URLs with the DEBUG server's /media/ (tests run with DEBUG off).
urlpatterns = [*debug_media_urlpatterns(), *portal_urlpatterns]


@pytest.fixture
def media_root(files_on_disk):
    tmp_path = files_on_disk
    for name in (
        "original_images/logo.png",
        "images/logo.width-400.png",
        "imports/purchases/2026/01/purchases.csv",
        "imports/purchases/errors/2026/01/errors.csv",
        "documents/d.pdf",
        "messaging/2026/01/abc.pdf",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"secret" if not name.endswith(".png") else b"png")
    return tmp_path


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("path", ["original_images/logo.png", "images/logo.width-400.png"])
def test_debug_media_serves_public_images(client, media_root, path):
    assert client.get(f"/media/{path}").status_code == 200


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "path",
    [
        "imports/purchases/2026/01/purchases.csv",
        "imports/purchases/errors/2026/01/errors.csv",
        "documents/d.pdf",
        "messaging/2026/01/abc.pdf",
        "images/../imports/purchases/2026/01/purchases.csv",
    ],
)
def test_debug_media_does_not_serve_private_uploads(client, media_root, path, purchaser):
    assert client.get(f"/media/{path}").status_code == 404
    client.force_login(purchaser)
    assert client.get(f"/media/{path}").status_code == 404

"""``?_export=`` on every django-tables2 export view: exactly the formats the view declares in
``export_formats`` download (the right content type, an attachment); any other value — a
format tablib knows but the view does not offer, a NUL, a 5 000-character value — is a 400
that names the formats the list is offered in, never a 500 and never a download
(``core.spreadsheets.DeclaredExportFormatsMixin``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string
from django_tables2.export import ExportMixin

from core.spreadsheets import DeclaredExportFormatsMixin, SafeTableExport
from members.models import MembershipRole
from rewards.ledger.services import points_account_for_company, points_adjust
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NOT_OFFERED = ["ods", "yaml", "latex", "json", "xls", "tsv", "\x00", "x" * 5000, "CSV", " csv", "csv\x00", "../csv"]


@dataclass(frozen=True)
class ExportView:
    url: str  # ``{branch}``: the branch's id
    view: str  # the view class's dotted path
    formats: tuple[str, ...]
    message: str
    login: str  # who may open the page: a fixture, or "group_admin" (of the branch)


HISTORY_MESSAGE = "This list can be downloaded as CSV or XLSX."
EXPORT_VIEWS = [
    ExportView(
        "/points/history/", "rewards.ledger.views.PointsHistoryView", ("csv", "xlsx"), HISTORY_MESSAGE, "purchaser"
    ),
    ExportView(
        "/groups/branches/{branch}/history/",
        "groups.views.BranchHistoryView",
        ("csv", "xlsx"),
        HISTORY_MESSAGE,
        "group_admin",
    ),
    ExportView(
        "/staff/accounts/", "reps.views.AccountListView", ("csv",), "This list can be downloaded as CSV.", "rep"
    ),
    ExportView(
        "/staff/rewards/",
        "rewards.redemptions.staff_views.FulfilmentQueueView",
        ("csv",),
        "This list can be downloaded as CSV.",
        "club_admin",
    ),
]
IDS = [view.view.rsplit(".", 1)[1] for view in EXPORT_VIEWS]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def branch(db):
    """A branch of a group, with an entry in its history, and the group's admin."""
    from groups.models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember

    group = CompanyGroup.objects.create(name="Chain")
    head_office, branch = CompanyFactory(name="Chain North"), CompanyFactory(name="Chain South")
    for company in (head_office, branch):
        CompanyGroupMember.objects.create(group=group, company=company)
    admin = MembershipFactory(company=head_office, role=MembershipRole.ADMIN).user
    CompanyGroupAdmin.objects.create(group=group, user=admin)
    _add_entry(branch)
    return branch, admin


def _add_entry(company) -> None:
    points_adjust(
        account=points_account_for_company(company=company),
        points=1_234,
        reason="=HYPERLINK(1)",
        by=StaffFactory(),
        key=f"welcome-{company.pk}",
    )


@pytest.fixture
def page(request, client, company, portal_site):
    """``page(view)``: ``client`` logged in as someone the page is for, and the page's URL;
    the history holds an entry."""
    _add_entry(company)

    def login(view: ExportView):
        if view.login == "group_admin":
            branch, user = request.getfixturevalue("branch")
            url = view.url.format(branch=branch.pk)
        else:
            user, url = request.getfixturevalue(view.login), view.url
        client.force_login(user)
        return client, url

    return login


def _export_views() -> set[str]:
    """The dotted path of every view in the URLconf that uses django-tables2's export."""
    found: set[str] = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class and issubclass(view_class, ExportMixin):
                    found.add(f"{view_class.__module__}.{view_class.__qualname__}")

    walk(get_resolver().url_patterns)
    return found


def _view_class(view: ExportView) -> type:
    return import_string(view.view)


def test_every_export_view_is_tested_here_and_offers_only_its_declared_formats():
    assert _export_views() == {view.view for view in EXPORT_VIEWS}
    for view in EXPORT_VIEWS:
        view_class = _view_class(view)
        assert issubclass(view_class, DeclaredExportFormatsMixin)
        assert tuple(view_class.export_formats) == view.formats


def test_the_safe_export_knows_csv_and_xlsx_only():
    assert [
        name
        for name in ("csv", "xlsx", "ods", "xls", "json", "yaml", "tsv", "latex", None)
        if SafeTableExport.is_valid_format(name)
    ] == ["csv", "xlsx"]


@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_each_declared_format_downloads(view, page):
    client, url = page(view)
    for export_format in view.formats:
        response = client.get(url, {"_export": export_format})

        assert response.status_code == 200, export_format
        assert response["Content-Type"] == CONTENT_TYPES[export_format]
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert response["Content-Disposition"].endswith(f'.{export_format}"')
        assert response.getvalue()  # the whole file (a stream is read to its end)


@pytest.mark.parametrize("value", NOT_OFFERED, ids=lambda value: repr(value[:12]))
@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_a_format_the_view_does_not_offer_is_a_400_naming_the_offered_ones(view, value, page):
    client, url = page(view)
    response = client.get(url, {"_export": value})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response
    assert response.content.decode() == view.message  # the value sent is not echoed


@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_a_nul_in_the_raw_query_string_is_a_400(view, page):
    client, url = page(view)
    response = client.get(f"{url}?_export=%00")

    assert response.status_code == 400
    assert response.content.decode() == view.message


@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_the_last_value_decides_like_for_every_other_parameter(view, page):
    client, url = page(view)

    assert client.get(f"{url}?_export=csv&_export=ods").status_code == 400
    assert client.get(f"{url}?_export=ods&_export=csv").status_code == 200


@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_no_or_an_empty_export_value_is_the_page(view, page):
    client, url = page(view)
    for path in (url, f"{url}?_export="):
        response = client.get(path)

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert "Content-Disposition" not in response


@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_someone_logged_out_is_sent_to_log_in_not_told_the_formats(view, client, branch):
    response = client.get(view.url.format(branch=branch[0].pk), {"_export": "ods"})

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("view", EXPORT_VIEWS, ids=IDS)
def test_a_refused_format_is_answered_before_the_list_is_read(view, page, monkeypatch):
    client, url = page(view)

    def read(self):
        raise AssertionError("the list was read for a refused format")

    monkeypatch.setattr(_view_class(view), "get_queryset", read)

    assert client.get(url, {"_export": "ods"}).status_code == 400


def test_the_message_is_in_the_readers_language(client, purchaser, company, portal_site):
    purchaser.language = "sv"
    purchaser.save(update_fields=["language"])
    client.force_login(purchaser)

    response = client.get("/points/history/", {"_export": "ods"})

    assert response.status_code == 400
    assert "CSV eller XLSX" in response.content.decode()  # Django's own "or", in Swedish

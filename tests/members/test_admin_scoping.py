"""Staff see in the Django admin what their role allows, and nothing of anyone else's accounts.

Every registered model admin is walked (its list, add page, the change, history and
delete pages of a row of the *other* rep's account, and its own extra pages: results,
CSV, liability, adjust, reverse...) as each staff role and as a member. Everything of the
other rep's account carries the word "Bravo", so a leak anywhere shows up as that word.
Every admin action is then posted by the roles that may not run it: nothing changes.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import ActivityCompletion, Referral
from members.admin_scoping import CompanyScopedAdminMixin
from members.models import Company, CompanyStatus, User
from rewards.models import LedgerEntry, PointsAccount, ProgrammeRules, Purchase, Redemption
from tests.factories import StaffFactory

from .admin_world import build_club, more_accounts

pytestmark = pytest.mark.django_db

STANDARD_VIEWS = ("changelist", "add", "change", "history", "delete")


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False  # staff MFA is tested in tests/members/test_staff_mfa.py


@pytest.fixture
def club():
    return build_club()


def _registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _scoped(model_admin) -> bool:
    return isinstance(model_admin, CompanyScopedAdminMixin)


def _row_of(model_admin, company: Company, rep: User):
    """A row of ``company`` (whose rep is ``rep``) in this admin's model; any row for a
    model that belongs to the club rather than to an account."""
    rows = model_admin.model._default_manager.order_by("pk")
    if not _scoped(model_admin):
        return rows.first()
    path = model_admin.company_path
    lookup = getattr(model_admin, "company_lookup", None)
    if lookup:  # rows of several companies (a company group: its branches)
        return rows.filter(**{lookup: company}).first()
    if path is None:  # rows of a rep (goodwill budgets)
        return rows.filter(rep=rep).first()
    return rows.filter(**{path: company} if path else {"pk": company.pk}).first()


def _url(model, view: str, obj=None) -> str:
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
    return reverse(name, args=[obj.pk] if obj is not None else [])


def _extra_urls(model_admin, obj) -> list[str]:
    """The admin's own pages (results, CSV, liability, adjust, reverse...), for ``obj``."""
    standard = {f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_{view}" for view in STANDARD_VIEWS}
    urls = []
    for pattern in model_admin.get_urls():
        if not pattern.name or pattern.name in standard:
            continue
        kwargs = {}
        for name in getattr(pattern.pattern, "converters", {}):
            kwargs[name] = "cancel" if name == "action" else getattr(obj, "pk", None)
        if None not in kwargs.values():
            urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    return urls


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _listed_pks(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def _can_view(user: User, model) -> bool:
    """Django lets a person with the change permission view too."""
    app, name = model._meta.app_label, model._meta.model_name
    return user.has_perm(f"{app}.view_{name}") or user.has_perm(f"{app}.change_{name}")


# --- Sales reps --------------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_accounts_on_every_admin_page(client, club):
    client.force_login(club.rep_a)
    listed_company_owned = set()

    for model, model_admin in _registry():
        own, others = _row_of(model_admin, club.alfa, club.rep_a), _row_of(model_admin, club.bravo, club.rep_b)
        if _scoped(model_admin):
            assert own is not None and others is not None, f"admin_world has no rows of {model._meta.label}"

        changelist = client.get(_url(model, "changelist"))
        assert changelist.status_code == (200 if _can_view(club.rep_a, model) else 403), model._meta.label
        if changelist.status_code == 200:
            assert "bravo" not in _body(changelist).lower(), model._meta.label
            if _scoped(model_admin):
                listed_company_owned.add(model._meta.label)
                assert own.pk in _listed_pks(changelist), model._meta.label
                assert others.pk not in _listed_pks(changelist), model._meta.label

        assert client.get(_url(model, "add")).status_code == 403, model._meta.label  # reps add nothing

        pages = [_url(model, view, others) for view in ("change", "history", "delete") if others is not None]
        for url in pages + _extra_urls(model_admin, others):
            response = client.get(url)
            assert response.status_code in (200, 302, 403, 404, 405), url
            if _scoped(model_admin) and url in pages:
                assert response.status_code in (403, 404), url  # never the other rep's row
            if response.status_code == 200:
                assert "bravo" not in _body(response).lower(), url

    # What the role may list at all: its accounts, their contacts, points and orders.
    assert listed_company_owned == {
        "groups.CompanyGroup",
        "groups.PointsTransfer",
        "members.Company",
        "members.User",
        "rewards.LedgerEntry",
        "rewards.PointsAccount",
        "rewards.Purchase",
        "rewards.Redemption",
    }


def test_a_reps_own_account_opens_in_the_admin(client, club):
    client.force_login(club.rep_a)
    own_entry = LedgerEntry.objects.filter(account__company=club.alfa).first()

    for url in [
        _url(Company, "change", club.alfa),
        _url(User, "change", User.objects.get(email="alfa.contact@example.com")),
        _url(LedgerEntry, "change", own_entry),
        _url(Redemption, "change", Redemption.objects.filter(company=club.alfa).first()),
    ]:
        response = client.get(url)

        assert response.status_code == 200, url
        assert "alfa" in response.content.decode().lower(), url


def test_the_company_autocomplete_offers_a_rep_only_their_own_accounts(client, club):
    url = reverse("admin:autocomplete") + "?app_label=campaigns&model_name=badgeaward&field_name=company&term="

    client.force_login(club.rep_a)
    rep_sees = {item["text"] for item in client.get(url).json()["results"]}
    client.force_login(club.club_admin)
    club_admin_sees = {item["text"] for item in client.get(url).json()["results"]}

    assert "Bravo Byggvaror AB" not in rep_sees
    assert "Alfa Bygg AB" in rep_sees
    assert {"Alfa Bygg AB", "Bravo Byggvaror AB"} <= club_admin_sees


def test_a_rep_downloads_campaign_results_and_reads_nps_comments_of_their_own_accounts_only(client, club):
    campaign = club.shared["campaign"]
    csv_url = reverse("admin:campaigns_campaign_results_csv", args=[campaign.pk])

    client.force_login(club.rep_a)
    rep_rows = list(csv.reader(io.StringIO(_body(client.get(csv_url)))))[1:]
    rep_nps = client.get(reverse("admin:campaigns_campaign_nps")).content.decode()
    client.force_login(club.club_admin)
    admin_rows = list(csv.reader(io.StringIO(_body(client.get(csv_url)))))[1:]

    assert [row[0] for row in rep_rows] == ["Alfa Bygg AB"]
    assert sorted(row[0] for row in admin_rows) == ["Alfa Bygg AB", "Bravo Byggvaror AB"]
    assert "Alfa comment" in rep_nps
    assert "Bravo comment" not in rep_nps


def test_a_rep_sees_the_liability_of_their_own_accounts(client, club):
    url = reverse("admin:rewards_pointsaccount_liability")

    client.force_login(club.rep_a)
    rep_liability = client.get(url).context["liability"]
    client.force_login(club.club_admin)
    club_liability = client.get(url).context["liability"]

    own = PointsAccount.objects.get(company=club.alfa)
    assert (rep_liability.accounts, rep_liability.balance) == (1, own.balance)
    assert club_liability.accounts == PointsAccount.objects.count() == 2


def test_a_campaign_page_names_to_a_rep_only_their_own_accounts_among_the_chosen_companies(client, club):
    client.force_login(club.rep_a)

    page = client.get(_url(type(club.shared["campaign"]), "change", club.shared["campaign"])).content.decode()

    assert "Alfa Bygg AB" in page
    assert "and 1 account of other reps" in page
    assert "Bravo" not in page


# --- Club admins, Marketing, members -----------------------------------------------------------


def test_a_club_admin_sees_every_account_on_every_admin_page(client, club):
    client.force_login(club.club_admin)

    for model, model_admin in _registry():
        if not _can_view(club.club_admin, model):
            continue
        changelist = client.get(_url(model, "changelist"))
        assert changelist.status_code == 200, model._meta.label
        others = _row_of(model_admin, club.bravo, club.rep_b)
        if _scoped(model_admin):
            assert {_row_of(model_admin, club.alfa, club.rep_a).pk, others.pk} <= _listed_pks(changelist)
        if others is not None:
            for view in ("change", "history"):
                assert client.get(_url(model, view, others)).status_code == 200, (model._meta.label, view)


def test_marketing_sees_the_campaign_work_of_every_account_and_no_people_points_or_orders(client, club):
    client.force_login(club.marketing)
    listed_company_owned = set()

    for model, model_admin in _registry():
        changelist = client.get(_url(model, "changelist"))
        assert changelist.status_code == (200 if _can_view(club.marketing, model) else 403), model._meta.label
        if changelist.status_code == 200 and _scoped(model_admin):
            listed_company_owned.add(model._meta.label)
            both = {_row_of(model_admin, club.alfa, club.rep_a).pk, _row_of(model_admin, club.bravo, club.rep_b).pk}
            assert both <= _listed_pks(changelist), model._meta.label
        others = _row_of(model_admin, club.bravo, club.rep_b)
        if others is not None and _scoped(model_admin) and not _can_view(club.marketing, model):
            for view in ("change", "history", "delete"):
                assert client.get(_url(model, view, others)).status_code in (403, 404), (model._meta.label, view)

    # Confirming custom activities and following referrals and awards is club-wide work.
    assert listed_company_owned == {"campaigns.ActivityCompletion", "campaigns.CampaignAward", "campaigns.Referral"}


def test_staff_without_a_role_are_refused_every_admin_page(client, club):
    # A model admin that overrides has_add/change/delete_permission must still ask for the
    # permission (the programme rules' add page and goodwill budgets' delete did not).
    ProgrammeRules.objects.all().delete()
    client.force_login(StaffFactory(email="temp@club.example"))

    for model, model_admin in _registry():
        row = model_admin.model._default_manager.order_by("pk").first()
        urls = [_url(model, "changelist"), _url(model, "add")]
        urls += [_url(model, view, row) for view in ("change", "history", "delete") if row is not None]
        for url in urls:
            assert client.get(url).status_code in (403, 404), url


def test_a_member_gets_the_admin_login_on_every_admin_page(client, club):
    client.force_login(club.member)

    for model, model_admin in _registry():
        row = _row_of(model_admin, club.alfa, club.rep_a)
        urls = [_url(model, "changelist"), _url(model, "add")]
        urls += [_url(model, view, row) for view in ("change", "history", "delete") if row is not None]
        for url in urls + _extra_urls(model_admin, row):
            response = client.get(url)

            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url


# --- Actions ----------------------------------------------------------------------------------


def _actions():
    """(model, model admin, action name, function) for every action but "delete selected"."""
    found = []
    for model, model_admin in _registry():
        for name in model_admin.actions or []:
            func = getattr(type(model_admin), name) if isinstance(name, str) else name
            if func is not delete_selected:
                found.append((model, model_admin, func.__name__, func))
    return found


def _state(obj) -> tuple:
    """The row as stored, its table's size and the ledger's size (reversals add entries)."""
    manager = type(obj)._default_manager
    return manager.filter(pk=obj.pk).values().first(), manager.count(), LedgerEntry.objects.count()


def _post_action(client, model, name: str, obj):
    return client.post(
        _url(model, "changelist"),
        {"action": name, "_selected_action": [obj.pk], "index": 0, "confirm": "yes", "reason": "Walk test"},
    )


def _may_run(model_admin, func, user) -> bool:
    request = RequestFactory().post("/")
    request.user = user
    return all(getattr(model_admin, f"has_{perm}_permission")(request) for perm in func.allowed_permissions)


def test_every_admin_action_declares_the_permission_it_needs():
    actions = _actions()

    assert actions, "no admin actions found"
    for model, _model_admin, name, func in actions:
        assert getattr(func, "allowed_permissions", None), f"{model._meta.label}: action {name!r} declares nothing"


@pytest.mark.parametrize("role", ["rep_a", "marketing", "member"])
def test_roles_that_may_not_run_an_action_change_nothing_by_posting_it(client, club, role):
    user = getattr(club, role)
    client.force_login(user)
    club.member.emailaddress_set.update(verified=False)  # what "mark as verified" would change
    refused = 0

    for model, model_admin, name, func in _actions():
        if _may_run(model_admin, func, user):
            assert role == "marketing" and model is ActivityCompletion, (role, model._meta.label, name)
            continue
        target = _row_of(model_admin, club.alfa, club.rep_a)  # in the person's own scope
        assert target is not None, f"admin_world has no rows of {model._meta.label}"
        before = _state(target)

        response = _post_action(client, model, name, target)

        assert response.status_code in (200, 302, 403), (model._meta.label, name)
        assert _state(target) == before, (role, model._meta.label, name)
        refused += 1

    # Marketing confirms and turns down custom activities; nothing else, and reps and members nothing.
    assert refused == len(_actions()) - (2 if role == "marketing" else 0)


@pytest.mark.parametrize(
    ("model", "action"),
    [
        (Company, "reactivate"),
        (ActivityCompletion, "reject_selected"),
        (Referral, "decline_selected"),
        (LedgerEntry, "reverse_entries"),
    ],
)
def test_the_action_walk_would_notice_a_change_a_club_admin_makes(client, club, model, action):
    # The control for the walk above: the same post by a club admin does change the row.
    client.force_login(club.club_admin)
    target = _row_of(admin.site._registry[model], club.alfa, club.rep_a)
    before = _state(target)

    _post_action(client, model, action, target)

    assert _state(target) != before


def test_a_view_only_rep_cannot_reactivate_their_suspended_account(client, club):
    client.force_login(club.rep_a)

    page = client.get(_url(Company, "changelist")).content.decode()
    response = _post_action(client, Company, "reactivate", club.alfa)

    club.alfa.refresh_from_db()
    assert club.alfa.status == CompanyStatus.SUSPENDED
    assert response.status_code == 200
    assert "Reactivate selected companies" not in page


def test_a_club_admin_reactivates_suspended_companies_through_the_service(client, club):
    Company.objects.filter(pk=club.bravo.pk).update(status=CompanyStatus.SUSPENDED, suspension_reason="Late")
    active = Company.objects.create(name="Charlie AB", country="SE", org_number="556677-8899")
    client.force_login(club.club_admin)

    response = client.post(
        _url(Company, "changelist"),
        {"action": "reactivate", "_selected_action": [club.alfa.pk, club.bravo.pk, active.pk], "index": 0},
        follow=True,
    )

    assert set(Company.objects.values_list("status", flat=True)) == {CompanyStatus.ACTIVE}
    assert Company.objects.get(pk=club.alfa.pk).suspension_reason == ""
    assert "Reactivated 2 companies." in response.content.decode()


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep_a", "club_admin"])
def test_the_scoped_lists_cost_the_same_queries_with_many_accounts_as_with_two(client, club, role):
    user = getattr(club, role)
    client.force_login(user)
    lists = [
        _url(model, "changelist")
        for model, model_admin in _registry()
        if _scoped(model_admin) and _can_view(user, model)
    ]

    def cost(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len([query for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]])

    client.get(lists[0])  # the first page of a site writes its branding row once
    before = {url: cost(url) for url in lists}
    more_accounts(club, 4)
    after = {url: cost(url) for url in lists}

    assert len(lists) >= 6
    assert after == before


def test_purchases_of_many_accounts_stay_out_of_a_reps_list(client, club):
    more_accounts(club, 2)
    client.force_login(club.rep_a)

    listed = _listed_pks(client.get(_url(Purchase, "changelist")))

    assert listed == set(Purchase.objects.filter(company__sales_rep=club.rep_a).values_list("pk", flat=True))
    assert len(listed) == 3

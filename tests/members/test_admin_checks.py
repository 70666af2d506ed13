"""``manage.py check`` fails when a company-owned model's admin is not scoped by company."""

from __future__ import annotations

from django.contrib import admin
from django.core.management import call_command

from members.admin_scoping import CompanyScopedAdminMixin
from members.checks import company_owned, scoping_problems
from members.models import Company, User
from reps.models import GoodwillBudget
from rewards.models import LedgerEntry, Purchase, Reward


def _site(*registrations) -> admin.AdminSite:
    site = admin.AdminSite(name="check-test")
    for model, model_admin in registrations:
        site.register(model, model_admin)
    return site


def test_the_projects_admin_passes_the_checks():
    call_command("check")  # raises SystemCheckError on any error

    assert scoping_problems() == []


def test_a_company_owned_model_whose_admin_is_not_scoped_is_reported():
    class PlainLedgerAdmin(admin.ModelAdmin):
        pass

    problems = scoping_problems(_site((LedgerEntry, PlainLedgerAdmin)))

    assert [problem.id for problem in problems] == ["members.E001"]
    assert "rewards.LedgerEntry" in problems[0].msg


def test_a_company_path_that_does_not_lead_to_a_company_is_reported():
    class WrongPathAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
        company_path = "account__company"  # a purchase has no account

    class ManyValuedPathAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
        company_path = "memberships__company"  # many memberships: rows would repeat

    class NoPathAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
        company_path = None  # and no scope_queryset_for of its own

    problems = scoping_problems(
        _site((Purchase, WrongPathAdmin), (Company, ManyValuedPathAdmin), (GoodwillBudget, NoPathAdmin))
    )

    assert [problem.id for problem in problems] == ["members.E002"] * 3


def test_what_counts_as_company_owned():
    # A company's rows, a person's rows (deleted with them), the people themselves; not the
    # catalogue, whose only link to a person is who created something.
    assert company_owned(Company)
    assert company_owned(User)
    assert company_owned(LedgerEntry)  # through its account
    assert company_owned(GoodwillBudget)  # a rep's: needs a scope of its own
    assert not company_owned(Reward)


def test_the_checks_still_pass_after_the_translated_admins_have_served_their_forms(admin_client, settings):
    """modeltranslation copies a form's ``Meta.fields`` onto its admin at the first request;
    with ``fieldsets`` declared as well, ``check`` would then fail (admin.E005)."""
    settings.STAFF_MFA_REQUIRED = False
    for url in ("/admin/campaigns/campaign/add/", "/admin/rewards/reward/add/"):
        assert admin_client.get(url).status_code == 200, url

    call_command("check")

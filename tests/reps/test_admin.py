"""Club admins set goodwill budgets in the Django admin; the rules of the service apply there."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from reps.models import GoodwillBudget
from reps.services import goodwill_award

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def test_a_club_admin_sets_a_reps_monthly_budget_in_the_admin(client, club_admin, rep):
    client.force_login(club_admin)
    month = timezone.localdate().replace(day=1)

    response = client.post(
        reverse("admin:reps_goodwillbudget_add"), {"rep": rep.pk, "month": month.isoformat(), "points": "5000"}
    )

    assert response.status_code == 302
    budget = GoodwillBudget.objects.get()
    assert (budget.rep, budget.month, budget.points, budget.updated_by) == (rep, month, 5000, club_admin)


def test_the_admin_refuses_a_budget_below_what_was_given(client, club_admin, rep, company, budget):
    goodwill_award(rep=rep, company=company, points=600, reason="Thanks", key="k")
    client.force_login(club_admin)

    response = client.post(
        reverse("admin:reps_goodwillbudget_change", args=[budget.pk]),
        {"rep": rep.pk, "month": budget.month.isoformat(), "points": "500"},
    )

    assert response.status_code == 200
    assert "600 points were already given this month" in response.content.decode()
    budget.refresh_from_db()
    assert budget.points == 1000


def test_reps_cannot_change_budgets(client, rep, budget):
    client.force_login(rep)

    assert client.get(reverse("admin:reps_goodwillbudget_changelist")).status_code == 403

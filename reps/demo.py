"""Demo data for the rep workspace: a goodwill budget for every rep this month, a gift and
a few private notes on the first demo company. Idempotent (budgets by rep and month, the
gift by its key, notes by their text)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.utils import timezone

from members.languages import language_for_country
from members.models import Company
from members.staff_groups import CLUB_ADMINS, SALES_REPS

from .models import GoodwillBudget, StaffNote
from .services import goodwill_award, month_of

MONTHLY_BUDGET = 25_000
NOTES = [
    "Prefers phone calls before 9:00. Expanding into Halland next year: bring up the framework agreement in Q1.",
    "Asked about a discount on power tools; offered double points on the spring campaign instead. Follow up in March.",
]


def seed_workspace(summary, companies: list[Company]) -> None:
    now = timezone.now()
    admin = Group.objects.get(name=CLUB_ADMINS).user_set.order_by("pk").first()
    reps = list(Group.objects.get(name=SALES_REPS).user_set.order_by("pk"))
    for rep in reps:
        _budget, created = GoodwillBudget.objects.get_or_create(
            rep=rep, month=month_of(now), defaults={"points": MONTHLY_BUDGET, "updated_by": admin}
        )
        summary.count("goodwill budgets", created)
    first = next((company for company in companies if company.sales_rep_id), None)
    if first is None:
        return
    for text in NOTES:
        _note, created = StaffNote.objects.get_or_create(company=first, body=text, defaults={"author": first.sales_rep})
        summary.count("staff notes", created)
    award = goodwill_award(
        rep=first.sales_rep,
        company=first,
        points=2_500,
        # Typed by the rep, so kept as typed (core.texts): in the company's language.
        reason={"sv": "Tack för tio år som kund", "nl": "Bedankt voor tien jaar klantschap"}.get(
            language_for_country(first.country) or "", "Thank you for ten years as a customer"
        ),
        key="demo-goodwill-ten-years",
        now=now,
    )
    summary.count("goodwill awards", award.created_at == now)

"""The accounts list says when a company last bought in words people use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from reps.tables import AccountTable
from rewards.models import ProgrammeRules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "english", "swedish"),
    [(0, "today", "i dag"), (1, "yesterday", "i går"), (2, "2 days ago", "för 2 dagar sedan")],
)
def test_last_purchase_reads_today_yesterday_or_n_days_ago(days, english, swedish):
    table = AccountTable([], rules=ProgrammeRules.current(), show_rep=False)
    when = timezone.now() - timedelta(days=days)

    assert english in table.render_last_purchase_at(when)
    assert "1 days" not in table.render_last_purchase_at(when)
    with translation.override("sv"):
        assert swedish in table.render_last_purchase_at(when)

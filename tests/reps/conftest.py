"""Fixtures for the rep workspace (the rep and the other company come from tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def budget(rep):
    from django.utils import timezone

    from reps.models import GoodwillBudget

    return GoodwillBudget.objects.create(rep=rep, month=timezone.localdate().replace(day=1), points=1000)

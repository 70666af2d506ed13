"""Fixtures for the points tests."""

from __future__ import annotations

import pytest

from rewards.ledger.services import points_account_for_company
from rewards.models import ProgrammeRules
from tests.factories import StaffFactory


@pytest.fixture
def rules(db) -> ProgrammeRules:
    """The default programme: 1 point per SEK, 1 point = 0.05 SEK, 14-day returns, 24-month expiry."""
    return ProgrammeRules.current()


@pytest.fixture
def account(company, rules):
    return points_account_for_company(company=company)


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def fulfiller(client, settings):
    """A club admin (who may fulfil) logged in on ``client``, without the second factor."""
    settings.STAFF_MFA_REQUIRED = False
    user = StaffFactory(group="Club admins")
    client.force_login(user)
    return user

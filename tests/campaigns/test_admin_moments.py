"""A date and time the database cannot store gets a form error in the admin, never a 500
(``core.moments``)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from core.moments import moment_storable
from tests.factories import StaffFactory

from .test_admin import _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings, owner):
    settings.STAFF_MFA_REQUIRED = False
    admin = StaffFactory(email="admin@club.example", group="Club admins")
    client.force_login(admin)
    client.user = admin
    return client


def test_a_campaign_starting_on_the_first_day_of_year_one_is_refused_beside_the_field(staff_client, tools):
    # Midnight in Stockholm on 1 January of year 1 is in year 0 in UTC: no database stores it.
    data = _form(tools, owner=str(staff_client.user.pk), starts_at_0="0001-01-01", starts_at_1="00:00:00")

    response = staff_client.post(reverse("admin:campaigns_campaign_add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["starts_at"] == ["Enter a valid date/time."]
    assert not Campaign.objects.exists()


def test_every_model_date_time_refuses_only_moments_without_a_utc_time():
    stockholm = timezone.get_default_timezone()
    assert moment_storable in models.DateTimeField().validators

    with pytest.raises(ValidationError):
        moment_storable(datetime(1, 1, 1, 0, 0, tzinfo=stockholm))
    moment_storable(datetime(1, 1, 1, 12, 0, tzinfo=stockholm))  # 10:47 UTC: storable
    moment_storable(datetime(9999, 12, 31, 23, 0, tzinfo=stockholm))

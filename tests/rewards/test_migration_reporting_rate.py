"""rewards 0017 (the reporting rate started from the point values) and insights 0006, on an
empty table and with rows, forwards and back (written by an independent review)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("rewards", "0016_account_months"), ("insights", "0005_expiring_points")]
AFTER = [("rewards", "0017_programme_currency_reporting_rate"), ("insights", "0006_summary_reporting_rates")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.parametrize("with_rows", [False, True])
def test_forwards_and_back(with_rows):
    try:
        old = migrate(BEFORE)
        if with_rows:
            rules = old.get_model("rewards", "ProgrammeRules")
            rules.objects.update_or_create(pk=1, defaults={"point_value": Decimal("0.02")})
            term = old.get_model("rewards", "ProgrammeCurrency")
            term.objects.create(currency="EUR", points_per_currency_unit=11, point_value=Decimal("0.0018"))
            term.objects.create(currency="NOK", points_per_currency_unit=1, point_value=Decimal("0"))
        new = migrate(AFTER)
        rates = dict(new.get_model("rewards", "ProgrammeCurrency").objects.values_list("currency", "reporting_rate"))
        if with_rows:
            assert rates == {"EUR": Decimal("11.111111"), "NOK": Decimal("1")}
        else:
            assert rates == {}
        migrate(BEFORE)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

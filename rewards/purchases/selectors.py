"""Purchase amounts in the club's base currency, for figures that add companies together.

A company buys in its own currency (``Company.currency``) and its purchases keep their
amount as recorded. Where revenue of several companies is summed (Insights, campaign
results, spend segments), an amount in another currency counts at that currency's
**reporting rate** (``ProgrammeCurrency.reporting_rate``: what one unit counts as in the base
currency, a planning rate the club sets). The rate never touches points: a purchase earns at
its own currency's earn rate (``rewards.rules``). A purchase in a currency the programme has
no terms for (none is accepted; a term deleted later) counts at 1.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Round

from rewards.models import ProgrammeCurrency, ProgrammeRules

MONEY = DecimalField(max_digits=17, decimal_places=2)
RATE = DecimalField(max_digits=15, decimal_places=6)


def reporting_rates() -> dict[str, Decimal]:
    """Currency → reporting rate, for every currency other than the base (one query)."""
    others = ProgrammeCurrency.objects.exclude(currency__in=ProgrammeRules.objects.values("currency"))
    return dict(others.values_list("currency", "reporting_rate"))


def reporting_fingerprint(rates: dict[str, Decimal] | None = None) -> dict[str, str]:
    """The base currency and the rates, as JSON-safe strings: what a stored sum in the base
    currency was computed with, to tell when it is stale."""
    rates = reporting_rates() if rates is None else rates
    return {"base": ProgrammeRules.current().currency, **{code: str(rate) for code, rate in sorted(rates.items())}}


def net_amount_in_base(prefix: str = "", *, rates: dict[str, Decimal] | None = None):
    """An expression for a purchase's ``net_amount`` in the base currency; ``prefix`` is the
    path to the purchase (``"purchases__"`` from a company). The plain column when the club
    runs in one currency, so the period indexes still answer alone; else rounded to cents per
    purchase, as ``net_amount_in_base_sql`` does, so the live and the summarised sums agree."""
    rates = reporting_rates() if rates is None else rates
    amount = F(f"{prefix}net_amount")
    if not rates:
        return amount
    factor = Case(
        *(When(**{f"{prefix}currency": code}, then=Value(rate, output_field=RATE)) for code, rate in rates.items()),
        default=Value(Decimal("1"), output_field=RATE),
        output_field=RATE,
    )
    return Round(ExpressionWrapper(amount * factor, output_field=MONEY), 2, output_field=MONEY)


def net_amount_in_base_sql(alias: str, rates: dict[str, Decimal]) -> tuple[str, dict[str, Decimal | str]]:
    """The same in SQL for ``alias`` (a ``rewards_purchase`` row), with its named parameters
    (``%(rate_0)s`` …), rounded to cents like the column."""
    if not rates:
        return f"{alias}.net_amount", {}
    whens, params = [], {}
    for index, (code, rate) in enumerate(sorted(rates.items())):
        whens.append(f"WHEN %(currency_{index})s THEN %(rate_{index})s")
        params[f"currency_{index}"] = code
        params[f"rate_{index}"] = rate
    return f"ROUND({alias}.net_amount * CASE {alias}.currency {' '.join(whens)} ELSE 1 END, 2)", params

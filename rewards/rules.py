"""The earn rule, defined once for both ways a purchase earns.

A purchase earns ``Σ over its lines of amount × category multiplier × points per currency
unit × tier multiplier`` (a purchase without lines: its net amount, multiplier 1), kept
exact and rounded once per purchase, half up, never below 0. A campaign multiplier adds
``exact × (multiplier − 1)`` on the lines it covers, rounded the same way once per
campaign and purchase.

Each piece is written here one time, as data (``EXACT_POINTS_FACTORS``) and two renderings
of it: the per-purchase path (``rewards.ledger.services.purchase_points``, ``campaigns.earn``)
evaluates it on Decimals in Python; the set-based CSV import (``rewards.purchases.imports``,
``campaigns.earn``) renders the same definition as a ``psycopg.sql`` fragment. A factor
added here reaches both, and the differential tests compare their ledgers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from psycopg import sql

# The factors of a line's exact points, in order, with the value a missing one (no
# category, no tier; NULL in SQL) counts as. None: the factor is always given.
EXACT_POINTS_FACTORS: tuple[tuple[str, Decimal | None], ...] = (
    ("amount", None),
    ("category_multiplier", Decimal("1")),
    ("per_unit", None),
    ("tier_multiplier", Decimal("1")),
)


def exact_points(**factors: Decimal | None) -> Decimal:
    """A line's points before rounding: the product of ``EXACT_POINTS_FACTORS``."""
    result = Decimal("1")
    for name, missing in EXACT_POINTS_FACTORS:
        value = factors[name]
        result *= missing if value is None else value
    return result


def exact_points_sql(**factors: sql.Composable) -> sql.Composable:
    """``exact_points`` for the set-based import: each factor a column or placeholder."""
    terms = [
        factors[name] if missing is None else sql.SQL("COALESCE({}, {})").format(factors[name], sql.Literal(missing))
        for name, missing in EXACT_POINTS_FACTORS
    ]
    return sql.SQL("({})").format(sql.SQL(" * ").join(terms))


def whole_points(exact: Decimal) -> int:
    """Exact points as the ledger records them: rounded half up, never below 0."""
    return max(0, int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP)))


def whole_points_sql(exact: sql.Composable) -> sql.Composable:
    """``whole_points`` in SQL. PostgreSQL's ``round(numeric)`` rounds half away from zero,
    as ``ROUND_HALF_UP`` does on Decimals, for either sign."""
    return sql.SQL("GREATEST(0, round({}))::integer").format(exact)


def campaign_extra(exact: Decimal, multiplier: Decimal) -> Decimal:
    """What a campaign multiplier adds to ``exact`` points, before rounding."""
    return exact * (multiplier - 1)


def campaign_extra_sql(exact: sql.Composable, multiplier: sql.Composable) -> sql.Composable:
    return sql.SQL("{} * ({} - 1)").format(exact, multiplier)

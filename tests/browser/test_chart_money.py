"""A money chart reads like the table beside it: the amount, then the ISO code ("12 345 SEK"),
on the axis and in the tooltip, in every language; never a local symbol ("kr", "€") the tables
do not use. Drawn in Chromium by the portal's chart component (``static/js/charts.js``) from
Insights' liability chart, the one the review found saying "kr" beside a table saying "SEK"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from playwright.sync_api import Page

from core.formatting import format_money
from insights.selectors import LiabilityPoint
from insights.views import liability_chart

pytestmark = [pytest.mark.browser]

STATIC = Path(settings.BASE_DIR) / "static"

LIABILITY = [
    LiabilityPoint(month=date(2026, 10, 31), points=0, value=Decimal("0")),
    LiabilityPoint(month=date(2026, 11, 30), points=246_910, value=Decimal("12345.50")),
    LiabilityPoint(month=date(2026, 12, 31), points=500_000, value=Decimal("25000")),
]


def drawn(page: Page, *, language: str, currency: str) -> dict:
    """The liability chart drawn in ``language``: its axis labels, a tooltip's text for
    12 345.50, and the table's value cells."""
    with translation.override(language):
        component = Template("{% load charts %}{% chart chart 'visible' %}").render(
            Context({"chart": liability_chart(LIABILITY, currency=currency)})
        )
    page.set_content(
        f'<!doctype html><html lang="{language}"><head><style>.portal-chart__canvas {{ width: 640px; '
        f"height: 320px; }}</style></head><body>{component}</body></html>"
    )
    page.add_script_tag(path=str(STATIC / "vendor" / "chartjs" / "chart.umd.js"))
    page.add_script_tag(path=str(STATIC / "js" / "charts.js"))
    page.wait_for_selector("canvas#liability-chart[data-chart-drawn]", state="attached")
    return page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById("liability-chart"));
            const label = chart.options.plugins.tooltip.callbacks.label;
            return {
                ticks: chart.scales.y.ticks.map((tick) => tick.label),
                tooltip: label({ dataset: { label: "Liability" }, parsed: { y: 12345.5 } }),
                cells: [...document.querySelectorAll("[data-testid=liability-chart-table] td:last-child")].map(
                    (cell) => cell.textContent
                ),
            };
        }"""
    )


@pytest.mark.parametrize("language", ["sv", "en", "nl"])
def test_given_the_liability_in_sek_when_drawn_then_axis_and_tooltip_say_sek_like_the_table(page: Page, language):
    figures = drawn(page, language=language, currency="SEK")

    assert figures["ticks"] and all(tick.endswith("\u00a0SEK") for tick in figures["ticks"])
    assert not any("kr" in tick for tick in figures["ticks"])
    with translation.override(language):
        table_value = format_money(Decimal("12345.50"), "SEK")
    assert table_value in figures["cells"]
    assert figures["tooltip"] == f"Liability: {table_value}"


def test_given_a_club_in_eur_when_its_liability_is_drawn_in_dutch_then_the_axis_says_eur_not_the_euro_sign(
    page: Page,
):
    figures = drawn(page, language="nl", currency="EUR")

    assert figures["ticks"] and all(tick.endswith("\u00a0EUR") for tick in figures["ticks"])
    assert not any("€" in tick for tick in figures["ticks"] + [figures["tooltip"]])
    assert "10.000\u00a0EUR" in figures["ticks"]
    assert figures["tooltip"] == "Liability: 12.345,50\u00a0EUR"

"""``{% chart chart %}``: the portal's chart component (``core.charts.Chart``)."""

from django import template

from core.charts import Chart

register = template.Library()


@register.inclusion_tag("components/chart.html")
def chart(chart: Chart, table: str = "details") -> dict:
    """The canvas, its figures as JSON for ``static/js/charts.js`` and the table beside it:
    ``table="details"`` (a "The figures" disclosure), ``"visible"`` (under the chart) or
    ``"hidden"`` (for screen readers only: a small chart whose figures the page shows
    nearby)."""
    return {"chart": chart, "spec": chart.spec(), "table": table}

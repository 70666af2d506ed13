"""The portal's one chart component: a ``Chart`` built here by the page's code, drawn by
Chart.js (vendored under ``static/vendor/chartjs``, loaded by ``static/js/charts.js`` only
on pages that have a chart) and always shown with its figures as a real table beside it
(``templates/components/chart.html``, ``{% chart %}`` from ``core.templatetags.charts``).

Nothing inline (the portal's CSP allows no inline script or style): the figures travel as
a JSON data block (``json_script``: not executed) and ``charts.js`` draws every
``canvas[data-chart]`` from it. Without JavaScript, or for a screen reader, the table
carries the same figures (the canvas is an image named by the caption).

Why Chart.js: MIT, maintained (monthly releases), one self-contained 200 KB file with no
``eval`` and no injected ``<style>`` (its few styles are set through the CSSOM, which a
strict ``style-src`` allows), bars and lines with stacked and mixed series. uPlot is
smaller (50 kB) but draws time series only (bars need plugins) and needs its stylesheet;
hand-written SVG (the kits this replaces) had to be written again for every chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import formats

# Colours with at least 3:1 contrast on white (WCAG 2.1 1.4.11, non-text contrast).
BLUE = "#0d6efd"
ORANGE = "#b35c00"
GREEN = "#198754"
GREY = "#6c757d"
PURPLE = "#6f42c1"
PALETTE = (BLUE, ORANGE, GREEN, PURPLE, GREY)


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]
    color: str = ""
    kind: str = ""  # "bar" or "line"; the chart's kind when empty


@dataclass(frozen=True)
class Chart:
    """One chart and the table that carries its figures.

    ``labels`` are the x axis; each ``Series`` has one value per label. ``rows`` are the
    table's rows as display strings (first cell: the row's heading), ``columns`` its column
    headings; when not given, the table is the labels against the series' raw values.
    ``marker`` (an index into ``labels``) draws a line before that label and shades what
    follows (a campaign's start). ``unit`` is "" (plain numbers), "points" or a currency
    code (the axis and the tooltips then write money as the table does: "12 345 SEK")."""

    id: str
    kind: str
    caption: str
    labels: list[str]
    series: list[Series]
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    table_caption: str = ""
    unit: str = ""
    stacked: bool = False
    marker: int | None = None
    marker_label: str = ""
    empty_text: str = ""

    @property
    def has_data(self) -> bool:
        return any(value for series in self.series for value in series.values)

    @property
    def table_columns(self) -> list[str]:
        return self.columns or ["", *[series.label for series in self.series]]

    @property
    def table_rows(self) -> list[list[str]]:
        if self.rows:
            return self.rows
        return [
            [label, *["" if series.values[i] is None else str(series.values[i]) for series in self.series]]
            for i, label in enumerate(self.labels)
        ]

    def spec(self) -> dict:
        """What ``charts.js`` draws (JSON-safe). With the active language's number separators,
        so the axis and the tooltips write a figure as the table does (``core.formatting``):
        call it when rendering, for the reader."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "unit": self.unit,
            "decimalSeparator": formats.get_format("DECIMAL_SEPARATOR"),
            "thousandSeparator": formats.get_format("THOUSAND_SEPARATOR"),
            "stacked": self.stacked,
            "marker": self.marker,
            "markerLabel": self.marker_label,
            "series": [
                {
                    "label": series.label,
                    "values": [None if value is None else float(value) for value in series.values],
                    "color": series.color or PALETTE[index % len(PALETTE)],
                    "kind": series.kind or self.kind,
                }
                for index, series in enumerate(self.series)
            ],
        }

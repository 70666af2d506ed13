"""Insights under ``/staff/insights/`` (two-factor authentication enforced like every staff
page). Club admins and Marketing see the whole club, a sales rep their own accounts
(``insights.view_insights`` plus ``members.selectors.staff_company_q``); members and staff
without the permission get 403. Views stay thin: the selectors compute, the views pick the
period, paginate and export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from core.charts import Chart, Series
from core.formatting import format_money, format_points
from core.spreadsheets import csv_stream, export_format_refused, money_cell, xlsx_bytes
from members.models import Company, CompanyStatus
from members.selectors import is_club_admin, is_sales_rep, staff_sees_every_company
from rewards.models import ProgrammeRules

from .behaviour import (
    BEHAVIOURS,
    CELL_TITLES,
    NPS_GROUPS,
    RISK_REASONS,
    at_risk_accounts,
    satisfaction_cell,
    satisfaction_grid,
    stored_at_risk_accounts,
    with_companies,
)
from .cache import remembered, remembered_rows
from .cohorts import COHORT_MONTHS, cohort_grid, heat
from .filters import NO_FILTERS, FilterForm, resolve
from .forms import PeriodForm
from .lifetime import MOVEMENT_DAYS, lifetime_values, segment_movement, stored_lifetime_values
from .scope import scope_q
from .selectors import (
    DRILLDOWNS,
    NEVER,
    SEGMENTS,
    ZERO,
    campaigns_side_by_side,
    drilldown_companies,
    insights_now,
    overview,
    segment_company_ids,
    segment_summary,
    slipping_reasons,
    stored_segment_summary,
    with_period_figures,
)
from .services import campaign_draft_for

PER_PAGE = 50
EXPORT_CHUNK = 2000


class InsightsAccessMixin(LoginRequiredMixin):
    """Staff with ``insights.view_insights``; sets ``self.whole_club`` (club admins and
    Marketing) and whether account pages may be linked (club admins and reps)."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not (user.is_staff and user.is_active and user.has_perm("insights.view_insights")):
            raise PermissionDenied(_("Insights are for club admins, Marketing and sales reps."))
        requested = request.GET.get("format")
        if (requested and requested not in EXPORT_FORMATS) or request.GET.get("_export"):
            # Insights' tables download with ?format=csv|xlsx; any other format (or the
            # other lists' ?_export=) is refused, not answered with the page.
            return export_format_refused(EXPORT_FORMATS)
        self.whole_club = staff_sees_every_company(user)
        self.links_accounts = is_club_admin(user) or is_sales_rep(user)
        self.rules = ProgrammeRules.current()
        self.filter_form = FilterForm(request.GET, user=user)
        if not self.filter_form.is_valid():
            self.filters = NO_FILTERS
            return self.filters_refused()
        self.filters = resolve(self.filter_form.filters(), user=user)
        return super().dispatch(request, *args, **kwargs)

    def filters_refused(self):
        """A 400 that says a filter value is not one the lists offer (a hand-made link, an
        old bookmark): never the page as if unfiltered, or empty."""
        return render(self.request, "insights/bad_filters.html", self.base_context(), status=400)

    def figures(self, name: str, compute, *parts, rows: bool = False):
        """``compute()`` through ``insights.cache.remembered`` (``rows``: ``remembered_rows``,
        for a ``(long list, rest)``), keyed on this reader's scope, the filters, the
        programme's value of a point and ``parts``; notes when the figures were computed for
        the page to say."""
        scope = "club" if self.whole_club else f"person:{self.request.user.pk}"
        filters = getattr(self, "filters", NO_FILTERS)
        value, self.figures_as_of = (remembered_rows if rows else remembered)(
            name,
            scope=scope,
            # The value as a number: a freshly created rules row holds 0.05 where a read one holds
            # 0.0500. The language: segment and satisfaction labels are translated when computed.
            parts=(
                filters.as_query(),
                self.rules.currency,
                Decimal(self.rules.point_value).normalize(),
                translation.get_language(),
                *parts,
            ),
            compute=compute,
        )
        return value

    def base_context(self, **extra) -> dict:
        filters = getattr(self, "filters", NO_FILTERS)
        return {
            "figures_as_of": getattr(self, "figures_as_of", None),
            "whole_club": self.whole_club,
            "links_accounts": self.links_accounts,
            "currency": self.rules.currency,
            "points_rules": self.rules,
            "filter_form": getattr(self, "filter_form", None),
            "filters": filters,
            "filter_query": filters.as_query(),
            "matches_nothing": filters.active and not self.filtered_companies_exist(),
            **extra,
        }

    def filtered_companies_exist(self) -> bool:
        """Whether any company matches the filters (one query, only when filters are set)."""
        return (
            Company.objects.filter(scope_q(user=self.request.user, filters=self.filters))
            .exclude(status=CompanyStatus.SUSPENDED)
            .exists()
        )

    def query_with_filters(self, query: str = "") -> str:
        return "&".join(part for part in (query, self.filters.as_query()) if part)


def liability_chart(liability, *, currency: str) -> Chart:
    """The points liability at each month's end (the portal's chart component)."""
    return Chart(
        id="liability-chart",
        kind="bar",
        caption=_("Points liability at each month's end, valued at today's point value."),
        empty_text=_("No points outstanding in these 12 months."),
        labels=[formats.date_format(point.month, "M Y") for point in liability],
        series=[Series(_("Liability"), [float(point.value) for point in liability])],
        columns=[_("End of"), _("Points outstanding"), _("Value")],
        rows=[
            # In cents in every row (a column of amounts): a whole month read "588.442 SEK" in Dutch.
            [
                formats.date_format(point.month, "F Y"),
                format_points(point.points),
                format_money(point.value, currency, cents=True),
            ]
            for point in liability
        ],
        table_caption=_("Points liability at each month's end"),
        unit=currency,
    )


class OverviewView(InsightsAccessMixin, View):
    def get(self, request):
        form = PeriodForm(request.GET)
        if not form.is_valid():
            return render(request, "insights/overview.html", self.base_context(form=form, overview=None), status=400)
        period = form.cleaned_data["period"]
        data = self.figures(
            "overview",
            lambda: overview(period=period, user=request.user, rules=self.rules, filters=self.filters),
            period.kind,
            period.start,
            period.end,
        )
        return render(
            request,
            "insights/overview.html",
            self.base_context(
                form=form,
                period=period,
                overview=data,
                current=data.comparison.current,
                previous=data.comparison.previous,
                year_ago=data.comparison.year_ago,
                sections=overview_sections(data.comparison, currency=self.rules.currency),
                liability_chart=liability_chart(data.liability, currency=self.rules.currency),
            ),
        )


def _company_rows(companies, *, currency: str):
    yield [_("Company"), _("Country"), _("Sales rep"), _("Orders"), _("Net revenue"), _("Currency"), _("Last order")]
    for company in companies:
        yield [
            company.name,
            company.country,
            company.sales_rep.email if company.sales_rep else "",
            company.period_orders,
            money_cell(company.period_revenue),
            currency,
            timezone.localtime(company.last_order_at).date().isoformat() if company.last_order_at else "",
        ]


EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(request, rows, stem: str, *, title: str = "Insights") -> HttpResponse | StreamingHttpResponse:
    """``rows`` (header first) as the file ``?format=`` asks for: CSV (streamed) or XLSX;
    both formula-safe (``core.spreadsheets``). Amounts of money in ``rows`` are in cents
    already (``money_cell``): the export cannot tell them from shares and ratios."""
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(xlsx_bytes(rows, title=title), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    return _csv_response(rows, f"{stem}.csv")


def _export_urls(query: str = "") -> dict:
    prefix = f"?{query}&" if query else "?"
    return {"export_url": f"{prefix}format=csv", "xlsx_url": f"{prefix}format=xlsx"}


class DrilldownView(InsightsAccessMixin, View):
    """The companies behind one figure of the overview, paginated, or all of them as CSV."""

    def get(self, request, metric: str):
        if metric not in DRILLDOWNS:
            raise Http404(_("No such figure."))
        form = PeriodForm(request.GET)
        if not form.is_valid():
            return render(
                request,
                "insights/companies.html",
                self.base_context(form=form, title=DRILLDOWNS[metric], page=None),
                status=400,
            )
        period = form.cleaned_data["period"]
        companies = drilldown_companies(metric=metric, period=period, user=request.user, filters=self.filters)
        if request.GET.get("format") in EXPORT_FORMATS:
            return _export(
                request,
                _company_rows(companies.iterator(chunk_size=EXPORT_CHUNK), currency=self.rules.currency),
                f"insights-{metric}-{period.start.isoformat()}",
            )
        page = Paginator(companies, PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "insights/companies.html",
            self.base_context(
                form=form,
                period=period,
                title=DRILLDOWNS[metric],
                page=page,
                query=self.query_with_filters(period.as_query()),
                **_export_urls(self.query_with_filters(period.as_query())),
            ),
        )


class SegmentsView(InsightsAccessMixin, View):
    def get(self, request):
        def summary():
            rows, slipping = segment_summary(user=request.user, filters=self.filters)
            return rows, slipping[:PER_PAGE], len(slipping)

        stored = stored_segment_summary(user=request.user, filters=self.filters, slipping_shown=PER_PAGE)
        if stored is not None:  # counted in SQL from the night's standings
            rows, slipping, slipping_count = stored
        else:
            rows, slipping, slipping_count = self.figures("segments", summary)
        since = request.GET.get("since", "90")
        # Compared as text: "²" is a digit to str.isdigit() and a ValueError to int().
        if since not in {str(days) for days in MOVEMENT_DAYS}:
            return self.filters_refused()
        since = int(since)
        keys, moves = self.figures(
            "movement", lambda: segment_movement(user=request.user, days=since, filters=self.filters), since
        )
        columns = [key for key in keys if key != NEVER]  # whoever has ordered is in a segment today
        movement = [
            {
                "key": then,
                "label": SEGMENTS[then][0],
                "cells": [(now, moves.get((then, now), 0)) for now in columns],
                "total": sum(moves.get((then, now), 0) for now in columns),
            }
            for then in keys
        ]
        names = dict(Company.objects.filter(pk__in=[v.company_id for v in slipping]).values_list("pk", "name"))
        for value in slipping:
            value.name = names.get(value.company_id, "")
        return render(
            request,
            "insights/segments.html",
            self.base_context(
                rows=rows,
                slipping=slipping,
                slipping_count=slipping_count,
                segment_max=max((row.companies for row in rows), default=0),
                movement=[row for row in movement if row["total"]],
                movement_labels=[SEGMENTS[key][0] for key in columns],
                movement_days=MOVEMENT_DAYS,
                since=since,
                keep_params=[("since", since)],
            ),
        )


class SegmentCompaniesView(InsightsAccessMixin, View):
    """The companies in one value segment (or slipping away), by revenue in the last year."""

    def get(self, request, segment: str):
        if segment not in SEGMENTS and segment != "slipping":
            raise Http404(_("No such segment."))
        now = insights_now()
        ids = segment_company_ids(segment=segment, user=request.user, now=now, filters=self.filters)
        title = SEGMENTS[segment][0] if segment in SEGMENTS else _("Slipping away")

        def companies_for(chunk):
            found = {
                company.pk: company
                for company in with_period_figures(
                    Company.objects.filter(pk__in=chunk), start=now - timedelta(days=365), end=now
                )
            }
            return [found[pk] for pk in chunk if pk in found]

        if request.GET.get("format") in EXPORT_FORMATS:

            def all_companies():
                for index in range(0, len(ids), EXPORT_CHUNK):
                    yield from companies_for(ids[index : index + EXPORT_CHUNK])

            return _export(
                request, _company_rows(all_companies(), currency=self.rules.currency), f"insights-segment-{segment}"
            )
        page = Paginator(ids, PER_PAGE).get_page(request.GET.get("page"))
        companies = companies_for(list(page.object_list))
        reasons = slipping_reasons([company.pk for company in companies], now=now) if segment == "slipping" else {}
        for company in companies:
            company.reason = reasons.get(company.pk, "")
        return render(
            request,
            "insights/companies.html",
            self.base_context(
                title=title,
                definition=SEGMENTS[segment][1] if segment in SEGMENTS else "",
                page=page,
                companies=companies,
                last_year=True,
                show_reason=segment == "slipping",
                segment=segment,
                can_make_campaign=self.whole_club and request.user.has_perm("campaigns.add_campaign"),
                query=self.query_with_filters(),
                **_export_urls(self.query_with_filters()),
            ),
        )


class SegmentCampaignView(InsightsAccessMixin, View):
    """Make a segment (or the companies slipping away) a draft campaign's audience, in one
    step; then finish the campaign in the campaign admin. Needs ``campaigns.add_campaign``
    and the whole club (a rep's share of a segment is not a campaign audience)."""

    http_method_names = ["post"]

    def post(self, request, segment: str):
        if segment not in SEGMENTS and segment != "slipping":
            raise Http404(_("No such segment."))
        if not (self.whole_club and request.user.has_perm("campaigns.add_campaign")):
            raise PermissionDenied(_("Only staff who plan campaigns can do this."))
        ids = segment_company_ids(segment=segment, user=request.user, filters=self.filters)
        if not ids:
            messages.error(request, _("This segment has no companies: there is no audience to make."))
            return redirect("insights:segment", segment=segment)
        label = SEGMENTS[segment][0] if segment in SEGMENTS else _("Slipping away")
        name = _("%(segment)s, %(day)s") % {"segment": label, "day": formats.date_format(timezone.localdate())}
        campaign = campaign_draft_for(company_ids=ids, name=name, by=request.user)
        messages.success(
            request,
            ngettext(
                "A draft campaign for %(count)s company is ready: set its rules, budget and dates, then schedule it.",
                "A draft campaign for %(count)s companies is ready: set its rules, budget and dates, then schedule it.",
                len(ids),
            )
            % {"count": len(ids)},
        )
        return redirect("admin:campaigns_campaign_change", campaign.pk)


class CampaignsView(InsightsAccessMixin, View):
    """The latest campaigns side by side. Club-wide figures (the hold-out comparison is not
    split by account), so for whole-club viewers only."""

    def get(self, request):
        if not self.whole_club:
            raise PermissionDenied(_("Campaign results are club-wide figures, for club admins and Marketing."))
        results = self.figures("campaigns", lambda: campaigns_side_by_side(user=request.user, rules=self.rules))
        return render(request, "insights/campaigns.html", self.base_context(results=results))


def _paged_companies(request, rows):
    """One page of ``rows`` (anything with ``company_id``) with their companies. One query
    for the page's companies."""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return page, with_companies(page.object_list)


def _all_with_companies(rows):
    for index in range(0, len(rows), EXPORT_CHUNK):
        yield from with_companies(rows[index : index + EXPORT_CHUNK])


def _day(moment) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


class SatisfactionView(InsightsAccessMixin, View):
    """Satisfied is not loyal: NPS groups against buying behaviour, each cell linked to its
    companies."""

    def get(self, request):
        grid, answered = self.figures(
            "satisfaction", lambda: satisfaction_grid(user=request.user, filters=self.filters)
        )
        return render(
            request,
            "insights/satisfaction.html",
            self.base_context(grid=grid, answered=answered, behaviours=BEHAVIOURS, nps_groups=NPS_GROUPS),
        )


class SatisfactionCellView(InsightsAccessMixin, View):
    """The companies behind one cell (for example promoters who stopped buying)."""

    def get(self, request, nps: str, behaviour: str):
        if nps not in NPS_GROUPS or behaviour not in BEHAVIOURS:
            raise Http404(_("No such group."))
        rows = satisfaction_cell(nps=nps, behaviour=behaviour, user=request.user, filters=self.filters)
        title = CELL_TITLES[behaviour] % {"group": NPS_GROUPS[nps][0]}
        if request.GET.get("format") in EXPORT_FORMATS:
            header = [
                _("Company"),
                _("Country"),
                _("Sales rep"),
                _("Latest score"),
                _("Answered"),
                _("Net revenue, last 365 days"),
                _("Currency"),
                _("Last order"),
            ]

            def lines():
                yield header
                for row in _all_with_companies(rows):
                    yield [
                        row.company.name,
                        row.company.country,
                        row.company.sales_rep.email if row.company.sales_rep else "",
                        row.answer.score,
                        _day(row.answer.answered_at),
                        money_cell(row.revenue_365),
                        self.rules.currency,
                        _day(row.last_order_at),
                    ]

            return _export(request, lines(), f"insights-{nps}-{behaviour}", title=title)
        page, companies = _paged_companies(request, rows)
        return render(
            request,
            "insights/satisfaction_cell.html",
            self.base_context(
                title=title,
                definition=f"{NPS_GROUPS[nps][1]} {BEHAVIOURS[behaviour][1]}",
                page=page,
                companies=companies,
                query=self.query_with_filters(),
                **_export_urls(self.query_with_filters()),
            ),
        )


class AtRiskView(InsightsAccessMixin, View):
    """Accounts to call: later than their own rhythm, detractors, points expiring unused,
    declining spend; a rep's own accounts, the whole club for club admins and Marketing."""

    def get(self, request):
        reason = request.GET.get("reason", "")
        if reason and reason not in RISK_REASONS:
            return self.filters_refused()
        rows = stored_at_risk_accounts(user=request.user, rules=self.rules, reason=reason, filters=self.filters)
        if rows is None:  # no standings with their facts at this moment: computed (and kept a minute)
            rows, _rest = self.figures(
                "at_risk",
                lambda: (
                    at_risk_accounts(user=request.user, rules=self.rules, reason=reason, filters=self.filters),
                    None,
                ),
                reason,
                rows=True,
            )
        query = self.query_with_filters(f"reason={reason}" if reason else "")
        if request.GET.get("format") in EXPORT_FORMATS:
            header = [
                _("Company"),
                _("Country"),
                _("Sales rep"),
                *[str(label) for label in RISK_REASONS.values()],
                _("Net revenue, last 365 days"),
                _("Currency"),
                _("Last order"),
            ]

            def lines():
                yield header
                for row in _all_with_companies(rows):
                    yield [
                        row.company.name,
                        row.company.country,
                        row.company.sales_rep.email if row.company.sales_rep else "",
                        *[row.reasons.get(key, "") for key in RISK_REASONS],
                        money_cell(row.revenue_365),
                        self.rules.currency,
                        _day(row.last_order_at),
                    ]

            return _export(request, lines(), "insights-at-risk", title=_("At risk"))
        page, companies = _paged_companies(request, rows)
        return render(
            request,
            "insights/at_risk.html",
            self.base_context(
                page=page,
                companies=companies,
                reasons=RISK_REASONS,
                reason=reason,
                query=query,
                keep_params=[("reason", reason)] if reason else [],
                **_export_urls(query),
            ),
        )


class CohortsView(InsightsAccessMixin, View):
    """The retention grid: cohorts by month of first order, the share still buying and the
    revenue kept in each following month."""

    def get(self, request):
        grid = self.figures("cohorts", lambda: cohort_grid(user=request.user, filters=self.filters))
        if request.GET.get("format") in EXPORT_FORMATS:

            def lines():
                yield [
                    _("First order in"),
                    _("Companies"),
                    _("Month"),
                    _("Still buying"),
                    _("Share still buying (%)"),
                    _("Net revenue"),
                    _("Revenue kept (%)"),
                    _("Currency"),
                ]
                for cohort in grid:
                    for cell in cohort.cells:
                        if cell is not None:
                            yield [
                                cohort.month.strftime("%Y-%m"),
                                cohort.companies,
                                cell.offset,
                                cell.buying,
                                cell.share,
                                money_cell(cell.revenue),
                                cell.revenue_kept,
                                self.rules.currency,
                            ]

            return _export(request, lines(), "insights-cohorts", title=_("Cohorts"))
        for cohort in grid:
            for cell in cohort.cells:
                if cell is not None:
                    cell.heat = heat(cell.share)
        return render(
            request,
            "insights/cohorts.html",
            self.base_context(
                grid=grid,
                has_data=any(c.companies for c in grid),
                offsets=range(COHORT_MONTHS),
                **_export_urls(self.query_with_filters()),
            ),
        )


class LifetimeView(InsightsAccessMixin, View):
    """Historical and predicted 12-month value per company, and per segment."""

    def get(self, request):
        def values():
            rows, summary, _retention = lifetime_values(user=request.user, filters=self.filters)
            return rows, summary

        stored = stored_lifetime_values(user=request.user, filters=self.filters)
        if stored is not None:  # last night's standings, sorted and paged in SQL
            rows, summary, _retention = stored
        else:
            rows, summary = self.figures("lifetime", values, rows=True)
        if request.GET.get("format") in EXPORT_FORMATS:

            def lines():
                yield [
                    _("Company"),
                    _("Country"),
                    _("Sales rep"),
                    _("Segment"),
                    _("First order"),
                    _("Tenure (days)"),
                    _("Net revenue to date"),
                    _("Yearly value"),
                    _("Net revenue, last 365 days"),
                    _("Segment retention"),
                    _("Predicted 12-month value"),
                    _("Currency"),
                ]
                for row in _all_with_companies(rows):
                    yield [
                        row.company.name,
                        row.company.country,
                        row.company.sales_rep.email if row.company.sales_rep else "",
                        str(SEGMENTS[row.segment][0]),
                        _day(row.first_order_at),
                        row.tenure_days,
                        money_cell(row.revenue_to_date),
                        money_cell(row.yearly_value),
                        money_cell(row.revenue_365),
                        row.retention,
                        money_cell(row.predicted_12m),
                        self.rules.currency,
                    ]

            return _export(request, lines(), "insights-lifetime-value", title=_("Lifetime value"))
        page, companies = _paged_companies(request, rows)
        for row in companies:
            row.segment_label = SEGMENTS[row.segment][0]
        return render(
            request,
            "insights/lifetime.html",
            self.base_context(
                page=page,
                companies=companies,
                summary=summary,
                predicted_total=sum((row.predicted_12m for row in summary), ZERO),
                **_export_urls(self.query_with_filters()),
            ),
        )


class DefinitionsView(InsightsAccessMixin, View):
    def get(self, request):
        return render(request, "insights/definitions.html", self.base_context(segments=SEGMENTS, behaviours=BEHAVIOURS))


# --- The overview's table: one row per figure, three periods side by side ------------------------


def _row(label, getter, kind: str, figures, *, metric: str = "", currency: str = "SEK") -> dict:
    from .templatetags.insights import change, money, number, percent, points

    def show(value, f) -> tuple[str, str]:
        """The cell's figure and, for points, their money value on a line of its own."""
        if kind == "money":
            return money(value, currency), ""
        if kind == "percent":
            return percent(value), ""
        if kind == "decimal":
            return (number(value, 2) if value is not None else "–"), ""
        if kind == "points":
            return points(value), money(f.value(value), currency)
        return number(value), ""

    values = [getter(f) for f in figures]

    def compare(current, other):
        if kind != "percent":
            return change(current, other)
        # Rates are compared in percentage points, not as a change of a change.
        if current is None or other is None:
            return ""
        difference = current - other
        return _("%(sign)s%(value)s pp") % {"sign": "+" if difference > 0 else "", "value": number(difference, 1)}

    return {
        "label": label,
        "metric": metric,
        "cells": [show(value, f) for value, f in zip(values, figures, strict=True)],
        "vs_previous": compare(values[0], values[1]),
        "vs_year": compare(values[0], values[2]),
    }


def overview_sections(comparison, *, currency: str) -> list[tuple[str, list[dict]]]:
    figures = [comparison.current, comparison.previous, comparison.year_ago]

    def row(label, getter, kind="number", metric=""):
        return _row(label, getter, kind, figures, metric=metric, currency=currency)

    return [
        (
            _("Companies"),
            [
                row(_("Member companies"), lambda f: f.members, metric="members"),
                row(_("Active companies (ordered)"), lambda f: f.active, metric="active"),
                row(_("Active share"), lambda f: f.active_share, "percent"),
                row(_("Did not order"), lambda f: f.inactive, metric="inactive"),
                row(_("Have never ordered"), lambda f: f.never_bought, metric="never"),
            ],
        ),
        (
            _("Buying again"),
            [
                row(_("Repeat buyers (2+ orders)"), lambda f: f.repeat_buyers, metric="repeat"),
                row(_("Repurchase rate"), lambda f: f.repurchase_rate, "percent"),
                row(_("First-time buyers"), lambda f: f.first_time, metric="first_time"),
                row(_("… came back within 90 days"), lambda f: f.first_time_back, metric="first_time_back"),
                row(_("90-day repurchase rate of first-time buyers"), lambda f: f.first_time_back_rate, "percent"),
            ],
        ),
        (
            _("Orders and revenue"),
            [
                row(_("Orders"), lambda f: f.orders),
                row(_("Orders per active company"), lambda f: f.frequency, "decimal"),
                row(_("Average order value"), lambda f: f.average_order_value, "money"),
                row(_("Net revenue (credit notes deducted)"), lambda f: f.net_revenue, "money", metric="active"),
                row(_("Net revenue per active company"), lambda f: f.revenue_per_active, "money"),
            ],
        ),
        (
            _("Engagement"),
            [
                row(_("People who logged in"), lambda f: f.logged_in),
                row(_("Activities completed"), lambda f: f.activities),
                row(_("Reward orders placed"), lambda f: f.reward_orders),
            ],
        ),
        (
            _("Points and what they cost"),
            [
                row(_("Points earned"), lambda f: f.points_earned, "points"),
                row(_("Points redeemed"), lambda f: f.points_redeemed, "points"),
                row(_("Points expired (breakage)"), lambda f: f.points_expired, "points"),
                row(_("Redemption rate (redeemed / earned)"), lambda f: f.redemption_rate, "percent"),
                row(_("Outstanding at the period's end (liability)"), lambda f: f.points_outstanding, "points"),
            ],
        ),
    ]

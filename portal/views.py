"""The portal shell: dashboard, brand stylesheet, health check and error pages."""

from __future__ import annotations

import hashlib

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from wagtail.models import Site

from core.models import Branding
from groups.selectors import group_for_person
from members.invitations import pop_newcomer
from members.selectors import is_club_admin, is_sales_rep
from messaging.views import STOP_POLLING
from rewards.ledger.selectors import points_dashboard, programme_rules_for_request

from .context_processors import badge_counts
from .health import health_report


class DashboardView(LoginRequiredMixin, TemplateView):
    """The first page after login: the company at a glance.

    Later features add their panels here (points, rewards, offers, news...).
    """

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        membership = self.request.membership
        context["membership"] = membership
        context["company"] = membership.company if membership else None
        context["workspace_url"] = reverse("reps:accounts")
        # The first page after accepting an invitation welcomes a newcomer (once).
        context["newcomer"] = pop_newcomer(self.request)
        if membership:
            context["colleague_count"] = membership.company.memberships.count()
            # A branch of a company group, or its admin, finds the group's pages from here.
            context["company_group"] = group_for_person(user=self.request.user, company_id=membership.company_id)
            context["points"] = points_dashboard(company=membership.company)
            context["points_rules"] = programme_rules_for_request(self.request)
        return context


@require_GET
@cache_control(max_age=300, public=True)
def brand_css(request):
    """The club's colours as CSS custom properties, so no inline style is ever needed."""
    site = Site.find_for_request(request)
    branding = Branding.for_site(site) if site else Branding()
    css = loader.render_to_string("portal/brand.css", {"branding": branding})
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = f'"{hashlib.sha256(css.encode()).hexdigest()[:32]}"'
    return response


@require_GET
def live_badges(request):
    """The live update of the navigation's unread counts: two badges, swapped in by htmx
    (out of band) on every open page, every ``LIVE_BADGES_SECONDS``.

    Deliberately cheap, because every open tab asks: no context processors, no navigation,
    the session is not renewed (``passive_session``: an open tab alone never keeps a session
    alive), and the two counts are one indexed query each. A visitor whose session has
    ended gets 286, which tells htmx to stop polling. Figures in docs/performance.md.
    """
    request.passive_session = True
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)

    membership = request.membership or None
    show_messages = membership is not None or is_sales_rep(request.user) or is_club_admin(request.user)
    counts = badge_counts(request)
    html = loader.render_to_string(
        "components/live_badges.html",
        {
            **counts,
            "show_messages": show_messages,
            # The menu button's badge (narrow screens): the counts hidden in the collapsed menu.
            "unread_total": counts["notifications"] + (counts["messages"] if show_messages else 0),
        },
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def healthz(request):
    """For load balancers and monitoring: each dependency's state as JSON; 503 only when the
    database is down, 200 with ``"status": "degraded"`` when only Redis is (see
    ``portal.health`` for why)."""
    status, report = health_report()
    response = JsonResponse(report, status=status)
    response["Cache-Control"] = "no-store"
    return response


def permission_denied(request, exception=None):
    return render(request, "403.html", {"exception": exception}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def page_not_found_view(request, *args, **kwargs):
    """A route that is switched off: answered as if it did not exist."""
    raise Http404


def server_error(request):
    # Render without the request context: whatever failed may fail again there.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


class SearchView(LoginRequiredMixin, TemplateView):
    """One search box over offers, news, events, rewards (members) and companies (sales
    staff), results grouped by kind with their counts (``portal.search``)."""

    template_name = "portal/search.html"

    def get_context_data(self, **kwargs):
        from .search import KIND_LABELS, QUERY_MAX_LENGTH, portal_search, search_kinds_for

        context = super().get_context_data(**kwargs)
        query = (self.request.GET.get("q") or "").strip()[:QUERY_MAX_LENGTH]
        kinds = search_kinds_for(self.request)
        kind = self.request.GET.get("kind") or ""
        if kind not in kinds:
            kind = ""
        groups = portal_search(self.request, query, kind=kind, page_number=self.request.GET.get("page"))
        context.update(
            query=query,
            kind=kind,
            groups=groups,
            searched_kinds=[KIND_LABELS[name] for name in kinds],
            points_rules=programme_rules_for_request(self.request),
        )
        return context

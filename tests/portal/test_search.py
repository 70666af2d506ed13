"""The portal's one search: offers, news, events, rewards (members) and companies (sales
staff), grouped by kind with counts, each kind scoped like its own pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.formatting import format_points
from rewards.models import PointsAccount, RewardCategory, Tier
from tests.cms.conftest import add_page, make_article, make_offer
from tests.factories import CompanyFactory, MembershipFactory
from tests.mfa import login_with_totp
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(portal_site):
    from cms.models import HomePage

    return HomePage.objects.get(pk=portal_site.root_page_id)


def _search(client, query, **params):
    return client.get(reverse("search"), {"q": query, **params})


def test_given_a_member_when_searching_thermos_then_the_steel_thermos_reward_is_found(member_client, portal_site):
    RewardFactory(title="Steel thermos, 0.75 l", points_cost=2_400)
    RewardFactory(title="Coffee machine")

    response = _search(member_client, "thermos")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Steel thermos, 0.75 l" in body
    assert "Coffee machine" not in body
    [group] = response.context["groups"]
    assert (group.kind, group.total) == ("rewards", 1)
    assert f"{format_points(2_400)}</span>" in body and "120\u00a0SEK" in body, "a points figure carries its value"


def test_given_rewards_a_member_cannot_have_then_search_does_not_offer_them(client, portal_site):
    silver, gold = (
        Tier.objects.create(name="Silver", qualifying_points=10),
        Tier.objects.create(name="Gold", qualifying_points=99),
    )
    membership = MembershipFactory()
    PointsAccount.objects.create(company=membership.company, tier=silver)
    now = timezone.now()
    RewardFactory(title="Thermos for all")
    RewardFactory(title="Thermos for silver", tier_required=silver)
    RewardFactory(title="Thermos for gold", tier_required=gold)
    RewardFactory(title="Thermos retired", is_active=False)
    RewardFactory(title="Thermos ended", available_until=now - timedelta(days=1))
    client.force_login(membership.user)

    body = _search(client, "thermos").content.decode()

    assert "Thermos for all" in body and "Thermos for silver" in body
    for hidden in ("Thermos for gold", "Thermos retired", "Thermos ended"):
        assert hidden not in body


def test_given_matches_of_every_kind_then_grouped_with_counts_and_capped_with_show_all(
    member_client, home, portal_site
):
    from cms.models import NewsIndexPage, OfferIndexPage

    offers = add_page(home, OfferIndexPage, title="Offers")
    news = add_page(home, NewsIndexPage, title="News")
    make_offer(offers, "Drill offer")
    make_article(news, "Drill news")
    category = RewardCategory.objects.create(name="Tools", slug="tools")
    for number in range(7):
        RewardFactory(title=f"Drill {number}", category=category)

    response = _search(member_client, "drill")

    groups = {group.kind: group for group in response.context["groups"]}
    assert list(groups) == ["offers", "news", "rewards"]
    assert (groups["rewards"].total, len(groups["rewards"].items)) == (7, 5)
    body = response.content.decode()
    assert "Show all 7 rewards" in body
    assert "kind=rewards" in body

    everything = _search(member_client, "drill", kind="rewards")
    [only] = everything.context["groups"]
    assert (only.kind, len(only.items)) == ("rewards", 7)


def test_given_staff_then_companies_are_searched_within_their_scope(client, company, rep, other_company, club_admin):
    company.name = "Acme Tools AB"
    company.save(update_fields=["name"])
    other_company.name = "Acme Paints AB"
    other_company.save(update_fields=["name"])

    login_with_totp(client, rep)
    rep_body = _search(client, "acme").content.decode()
    login_with_totp(client, club_admin)
    admin_body = _search(client, "acme").content.decode()

    assert "Acme Tools AB" in rep_body and "Acme Paints AB" not in rep_body
    assert "Acme Tools AB" in admin_body and "Acme Paints AB" in admin_body
    assert reverse("reps:account", args=[company.pk]) in rep_body


def test_given_a_member_then_companies_are_not_searched(member_client, company, portal_site):
    CompanyFactory(name="Acme Rivals AB")

    response = _search(member_client, "acme")

    assert "Acme Rivals AB" not in response.content.decode()
    assert "companies" not in [group.kind for group in response.context["groups"]]


def test_given_the_cms_search_page_then_it_leads_to_the_one_search(member_client, home):
    from cms.models import SearchPage

    page = add_page(home, SearchPage, title="Find", slug="find")

    response = member_client.get(page.url, {"q": "thermos"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('search')}?q=thermos"


def test_given_hostile_or_empty_queries_then_no_error(member_client, portal_site):
    for query in ("", "   ", "%", "_", "x" * 5000, "'; drop table", "a b c d e f g h i j k l"):
        assert _search(member_client, query).status_code == 200
    assert _search(member_client, "x", kind="companies").status_code == 200


def test_given_quotes_or_a_nul_byte_in_a_query_then_the_words_are_still_searched(member_client, home, portal_site):
    # An unbalanced '"' is syntax to SQLite's full-text search: it used to answer 500.
    from cms.models import OfferIndexPage

    make_offer(add_page(home, OfferIndexPage, title="Offers"), "Drill offer")

    for query in ('12" drill', 'drill"', '"drill', "'\"", "drill\x00", "\x00"):
        assert _search(member_client, query).status_code == 200, query
    groups = {group.kind: group for group in _search(member_client, 'drill"').context["groups"]}
    assert [page.title for page in groups["offers"].items] == ["Drill offer"]


def test_query_count_does_not_grow_with_results(member_client, home, portal_site, django_assert_max_num_queries):
    from cms.models import NewsIndexPage, OfferIndexPage

    offers = add_page(home, OfferIndexPage, title="Offers")
    news = add_page(home, NewsIndexPage, title="News")

    def build(start, count):
        for number in range(start, start + count):
            make_offer(offers, f"Lamp offer {number}")
            make_article(news, f"Lamp news {number}")
            RewardFactory(title=f"Lamp {number}")

    build(0, 2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        _search(member_client, "lamp")
    build(2, 30)
    with django_assert_max_num_queries(len(few)):
        response = _search(member_client, "lamp")
    assert {group.kind: group.total for group in response.context["groups"]} == {
        "offers": 32,
        "news": 32,
        "rewards": 32,
    }

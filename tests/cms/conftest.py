"""Content fixtures: the page tree, tiers and members in tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cms.models import (
    ArticlePage,
    EventIndexPage,
    EventPage,
    HomePage,
    NewsIndexPage,
    OfferAudience,
    OfferIndexPage,
    OfferPage,
    SearchPage,
)
from members.models import MembershipRole
from tests.factories import MembershipFactory


def add_page(parent, model, **fields):
    fields.setdefault("slug", fields["title"].lower().replace(" ", "-"))
    page = model(**fields)
    parent.add_child(instance=page)
    return page


@pytest.fixture
def home(portal_site):
    return HomePage.objects.get(pk=portal_site.root_page_id)


@pytest.fixture
def offer_index(home):
    return add_page(home, OfferIndexPage, title="Offers")


@pytest.fixture
def news_index(home):
    return add_page(home, NewsIndexPage, title="News")


@pytest.fixture
def event_index(home):
    return add_page(home, EventIndexPage, title="Events")


@pytest.fixture
def search_page(home):
    return add_page(home, SearchPage, title="Search")


@pytest.fixture
def tiers(db):
    from rewards.models import Tier

    return {
        "silver": Tier.objects.create(name="Silver", qualifying_points=10_000),
        "gold": Tier.objects.create(name="Gold", qualifying_points=50_000),
    }


def member_in_tier(tier):
    from rewards.models import PointsAccount

    membership = MembershipFactory(role=MembershipRole.PURCHASER)
    PointsAccount.objects.create(company=membership.company, tier=tier)
    return membership.user


@pytest.fixture
def gold_member(tiers):
    return member_in_tier(tiers["gold"])


@pytest.fixture
def silver_member(tiers):
    return member_in_tier(tiers["silver"])


def make_offer(index, title, *, tiers=(), days_left=30, **fields):
    now = timezone.now()
    fields.setdefault("valid_from", now - timedelta(days=60))
    fields.setdefault("valid_until", now + timedelta(days=days_left))
    fields.setdefault("cta_url", "https://shop.example.com/")
    offer = add_page(
        index,
        OfferPage,
        title=title,
        introduction=f"About {title}",
        audience=OfferAudience.TIERS if tiers else OfferAudience.ALL_MEMBERS,
        **fields,
    )
    if tiers:
        offer.tiers.set(tiers)
        offer.save()  # a ParentalManyToManyField is written on save
    return offer


def make_article(index, title, **fields):
    return add_page(index, ArticlePage, title=title, introduction=f"About {title}", **fields)


def make_event(index, title, *, capacity=2, days_ahead=7, **fields):
    fields.setdefault("location", "Göteborg")
    return add_page(
        index,
        EventPage,
        title=title,
        starts_at=timezone.now() + timedelta(days=days_ahead),
        capacity=capacity,
        **fields,
    )

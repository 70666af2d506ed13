"""Catalogue content in the reader's language: a reward, a shelf and a tier read in English,
Swedish and Dutch; a text not translated yet shows the club's default language marked with
its lang (WCAG 3.1.2); search finds the reader's words; the admin edits every language and
lists what is untranslated; the migration keeps existing texts."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from portal.search import rewards_matching
from rewards.models import Reward, RewardCategory
from tests.mfa import login_with_totp

from .factories import RewardCategoryFactory, RewardFactory

pytestmark = pytest.mark.django_db

TEXTS = {
    "en": ("Cordless drill kit", "Two batteries and a case."),
    "sv": ("Sladdlös borrmaskin", "Två batterier och en väska."),
    "nl": ("Accuboormachine", "Twee batterijen en een koffer."),
}


@pytest.fixture(autouse=True)
def written_in_english():
    """Factories write ``title=`` in the active language: make it the club's default, not
    whatever a request of an earlier test left active in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def drill(db):
    shelf = RewardCategoryFactory(name_en="Tools", name_sv="Verktyg", name_nl="Gereedschap")
    # The factory writes title and summary in the active language (English in tests).
    return RewardFactory(
        category=shelf,
        title=TEXTS["en"][0],
        summary=TEXTS["en"][1],
        **{f"{field}_{language}": text for language, (title, summary) in TEXTS.items() if language != "en"
           for field, text in (("title", title), ("summary", summary))},
    )  # fmt: skip


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "sv", "nl"])
def test_given_a_translated_reward_when_a_reader_of_each_language_opens_it_then_it_is_in_their_language(
    client, purchaser, drill, language
):
    purchaser.language = language
    purchaser.save(update_fields=["language"])

    detail = _page(client, purchaser, drill.get_absolute_url())
    catalogue = _page(client, purchaser, "/rewards/")

    title, summary = TEXTS[language]
    assert f">{title}</h1>" in detail and summary in detail
    assert f">{title}</a>" in catalogue
    others = {text for code, pair in TEXTS.items() if code != language for text in pair}
    assert not [text for text in others if text in detail + catalogue]
    # Nothing is marked as another language: it is all the reader's.
    assert not re.search(r'reward-heading" class="h3" lang=', detail)


def test_given_a_reward_without_a_dutch_text_when_a_dutch_reader_opens_it_then_the_default_is_shown_marked_english(
    client, purchaser
):
    reward = RewardFactory(title="Steel thermos", summary="Keeps coffee hot.", title_sv="Termos i stål")
    purchaser.language = "nl"
    purchaser.save(update_fields=["language"])

    detail = _page(client, purchaser, reward.get_absolute_url())

    assert '<html lang="nl"' in detail
    assert '<h1 id="reward-heading" class="h3" lang="en">Steel thermos</h1>' in detail
    assert '<p class="lead fs-6" lang="en">Keeps coffee hot.</p>' in detail


def test_given_dutch_and_english_names_when_searching_in_dutch_then_the_dutch_name_and_the_shown_fallback_are_found(
    company, drill
):
    untranslated = RewardFactory(title="Steel thermos")
    with translation.override("nl"):
        by_dutch_name = list(rewards_matching(query="accuboor", company=company))
        by_shown_english = list(rewards_matching(query="thermos", company=company))
        by_swedish_name = list(rewards_matching(query="borrmaskin", company=company))
    assert by_dutch_name == [drill]
    assert by_shown_english == [untranslated]
    assert by_swedish_name == []  # a Dutch reader never sees the Swedish name


def test_given_a_dutch_reader_when_searching_the_catalogue_then_the_dutch_name_finds_the_reward(
    client, purchaser, drill
):
    purchaser.language = "nl"
    purchaser.save(update_fields=["language"])
    page = _page(client, purchaser, "/rewards/?q=accuboor")
    assert ">Accuboormachine</a>" in page


@pytest.fixture
def admin_client(client, club_admin):
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="Club admins").permissions.add(*Permission.objects.filter(content_type__app_label="rewards"))
    login_with_totp(client, club_admin)
    return client


def test_given_rewards_when_marketing_lists_the_untranslated_ones_then_only_those_missing_dutch_show(
    admin_client, drill
):
    untranslated = RewardFactory(title="Steel thermos", title_sv="Termos i stål", summary="")

    listing = admin_client.get("/admin/rewards/reward/?missing_translation=nl")
    everything = admin_client.get("/admin/rewards/reward/")
    form = admin_client.get(f"/admin/rewards/reward/{drill.pk}/change/")

    assert listing.status_code == everything.status_code == form.status_code == 200
    listed = listing.content.decode()
    assert untranslated.title_en in listed and drill.title_en not in listed
    assert "missing translation" in everything.content.decode().lower()
    # The column names the missing language; the translated reward shows a dash.
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Steel thermos(?:(?!</tr>).)*</tr>", everything.content.decode(), re.S)
    assert row and "Dutch" in row.group(0) and "Swedish" not in row.group(0)
    # Every language is edited on the one form.
    for language in ("en", "sv", "nl"):
        assert f'name="title_{language}"' in form.content.decode()
        assert f'name="description_{language}"' in form.content.decode()


def test_given_a_dutch_title_added_later_when_readers_open_it_then_only_dutch_readers_get_it(db):
    reward = RewardFactory(title="Steel thermos")
    Reward.objects.filter(pk=reward.pk).update(title_nl="Stalen thermosfles")
    reward.refresh_from_db()
    with translation.override("nl"):
        assert reward.title == "Stalen thermosfles"
    with translation.override("sv"):
        assert reward.title == "Steel thermos"  # Swedish still falls back to the default


@pytest.mark.django_db(transaction=True)
def test_given_texts_written_before_translation_when_migrating_then_they_become_the_default_languages():
    before, after = ("rewards", "0008_merge_bounds_and_pending_rows"), ("rewards", "0009_translatable_content")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    OldCategory = old_apps.get_model("rewards", "RewardCategory")
    OldReward = old_apps.get_model("rewards", "Reward")
    shelf = OldCategory.objects.create(name="Tools", slug="tools-old", position=0)
    OldReward.objects.create(
        sku="OLD-1", title="Head torch", summary="450 lumens.", description="Rechargeable.", category=shelf,
        kind="physical", points_cost=100, value=1, currency="SEK",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    call_command("migrate", verbosity=0)  # the rest, as a deploy would

    reward = Reward.objects.get(sku="OLD-1")
    assert (reward.title_en, reward.summary_en, reward.description_en) == ("Head torch", "450 lumens.", "Rechargeable.")
    assert (reward.title_sv, reward.title_nl) == (None, None)
    assert RewardCategory.objects.get(slug="tools-old").name_en == "Tools"
    with translation.override("nl"):
        assert reward.title == "Head torch"

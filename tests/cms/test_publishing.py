"""Scheduled publishing runs through the Celery task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cms.models import ArticlePage
from cms.tasks import publish_scheduled
from tests.cms.conftest import make_article

pytestmark = pytest.mark.django_db


def test_a_scheduled_article_goes_live_when_the_task_runs_after_its_time(client, purchaser, news_index):
    from wagtail.models import Revision

    # given a draft approved to go live in an hour (as the workflow leaves it: scheduled)
    article = make_article(news_index, "Autumn launch", live=False)
    article.go_live_at = timezone.now() + timedelta(hours=1)
    revision = article.save_revision()
    revision.publish()
    assert not ArticlePage.objects.get(pk=article.pk).live
    client.force_login(purchaser)

    # when its time has come (moved back instead of waiting) and the beat task runs
    moment_passed = timezone.now() - timedelta(seconds=1)
    revision = Revision.objects.get(pk=revision.pk)
    revision.content["go_live_at"] = moment_passed.isoformat()
    revision.approved_go_live_at = moment_passed
    revision.save(update_fields=["content", "approved_go_live_at"])
    publish_scheduled.delay()

    # then the article is live and members can read it
    article.refresh_from_db()
    assert article.live
    assert client.get(article.url).status_code == 200


def test_a_future_article_stays_a_draft_until_its_time(news_index):
    article = make_article(news_index, "Winter launch", live=False)
    article.go_live_at = timezone.now() + timedelta(days=1)
    article.save_revision().publish()

    publish_scheduled.delay()

    assert not ArticlePage.objects.get(pk=article.pk).live


def test_the_task_is_on_the_beat_schedule(settings):
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "cms.publish_scheduled" in entries

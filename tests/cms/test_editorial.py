"""Marketing's rights and the two-person moderation workflow."""

from __future__ import annotations

import pytest
from wagtail.models import Page, Workflow

from cms.models import SecondPersonApprovalTask
from tests.cms.conftest import make_article
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_marketing_may_edit_content_but_nothing_about_points_or_members(db):
    marketer = StaffFactory(group="Marketing")
    assert marketer.has_perm("wagtailadmin.access_admin")
    assert marketer.has_perm("core.change_branding")
    assert marketer.has_perm("cms.add_newscategory")
    assert marketer.has_perm("wagtailimages.add_image")
    assert marketer.has_perm("wagtaildocs.add_document")
    assert not any(perm.split(".")[0] in {"rewards", "members"} for perm in marketer.get_all_permissions()), (
        marketer.get_all_permissions()
    )


def test_marketing_edits_pages_but_publishes_only_through_the_workflow(home):
    marketer = StaffFactory(group="Marketing")
    permissions = home.permissions_for_user(marketer)
    assert permissions.can_edit()
    assert permissions.can_add_subpage()
    assert not permissions.can_publish()


def test_every_page_is_moderated_by_a_second_marketer(news_index):
    workflow = Page.get_first_root_node().get_workflow()
    assert workflow == Workflow.objects.get(name="Marketing approval")
    assert news_index.get_workflow() == workflow
    task = workflow.tasks.get().specific
    assert isinstance(task, SecondPersonApprovalTask)


def test_a_marketer_cannot_approve_their_own_submission_but_a_colleague_can(news_index):
    author, colleague = StaffFactory.create_batch(2, group="Marketing")
    article = make_article(news_index, "Autumn launch", live=False)
    article.save_revision(user=author)
    workflow = article.get_workflow()

    workflow.start(article, author)
    article.refresh_from_db()
    task = article.current_workflow_task.specific

    assert task.get_actions(article, author) == []
    assert "approve" in [name for name, _label, _modal in task.get_actions(article, colleague)]

    task.on_action(article.current_workflow_task_state, colleague, "approve")
    article.refresh_from_db()
    assert article.live


def test_a_submission_awaits_the_colleagues_review_not_the_authors(news_index):
    from wagtail.models import TaskState

    author, colleague = StaffFactory.create_batch(2, group="Marketing")
    article = make_article(news_index, "Winter launch", live=False)
    article.save_revision(user=author)
    article.get_workflow().start(article, author)

    def awaiting(user):
        return list(TaskState.objects.reviewable_by(user).values_list("workflow_state__object_id", flat=True))

    assert awaiting(author) == []
    assert awaiting(colleague) == [str(article.pk)]

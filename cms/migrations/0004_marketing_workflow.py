"""Marketing's content rights and the two-person moderation workflow.

- Marketing may add, change, lock and unlock pages but no longer publish directly: every
  page goes through the "Marketing approval" workflow, whose one task is approved by
  another Marketing member (``SecondPersonApprovalTask`` refuses self-approval).
  Approving a page with a go-live date schedules it; ``cms.tasks.publish_scheduled``
  publishes it.
- Marketing manages the content snippets (news categories) and may view event
  registrations. Nothing in members or rewards is granted (see members/staff_groups.py).
"""

from django.db import migrations

SNIPPET_PERMISSIONS = {
    "newscategory": ["add", "change", "delete", "view"],
    "eventregistration": ["view"],
}


def _create_cms_permissions(apps):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("cms")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    ApprovalTask = apps.get_model("cms", "SecondPersonApprovalTask")

    _create_cms_permissions(apps)
    marketing = Group.objects.get(name="Marketing")
    for model, actions in SNIPPET_PERMISSIONS.items():
        for action in actions:
            marketing.permissions.add(
                Permission.objects.get(content_type__app_label="cms", codename=f"{action}_{model}")
            )

    GroupPagePermission.objects.filter(group=marketing, permission__codename="publish_page").delete()

    task_type, _ = ContentType.objects.get_or_create(app_label="cms", model="secondpersonapprovaltask")
    task = ApprovalTask.objects.filter(name="Marketing review").first()
    if task is None:
        task = ApprovalTask.objects.create(name="Marketing review", content_type=task_type, active=True)
    task.groups.add(marketing)
    workflow, _ = Workflow.objects.get_or_create(name="Marketing approval", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task_id=task.pk, defaults={"sort_order": 0})
    root = Page.objects.filter(depth=1).first()
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})


def backwards(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Workflow.objects.filter(name="Marketing approval").update(active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_content_pages"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

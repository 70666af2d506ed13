"""Every text field and every link to a person, in every project model, is accounted for by
the privacy registry: personal (exported and erased), not personal (with a reason), or a link
kept to the pseudonymised person. A new personal field without export and erasure fails here."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from wagtail.models import Page

from privacy.registry import KEPT_LINKS, NOT_PERSONAL, PERSONAL_DATA

PROJECT_APPS = {"core", "audit", "outbox", "members", "notifications", "rewards", "cms", "campaigns",
                "messaging", "reps", "api", "insights", "privacy", "portal"}  # fmt: skip
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def _links_to_person(model) -> list[models.Field]:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return [field for field in model._meta.concrete_fields if field.is_relation and field.related_model is user_model]


def test_every_text_field_and_link_of_a_person_linked_model_is_classified():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    personal = {(entry.model, name) for entry in PERSONAL_DATA for name in entry.fields}
    person_links = {(entry.model, entry.person) for entry in PERSONAL_DATA}
    problems = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        if issubclass(model, Page):
            continue  # content pages: their owner/locked_by are Wagtail's record of who edits them
        label = model._meta.label
        links = _links_to_person(model)
        if not links and model is not user_model:
            continue
        for link in links:
            if (label, link.name) not in person_links and f"{label}.{link.name}" not in KEPT_LINKS:
                problems.append(f"{label}.{link.name}: a link to a person that neither exports nor is kept")
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS) or field.choices:
                continue
            if (label, field.name) in personal or field.name in NOT_PERSONAL.get(label, {}):
                continue
            problems.append(f"{label}.{field.name}: personal or not? Add it to privacy.registry")
    assert problems == []


def test_the_registry_names_real_fields():
    for entry in PERSONAL_DATA:
        model = apps.get_model(entry.model)
        for name in entry.fields:
            model._meta.get_field(name)
        if entry.person != "pk":
            assert model._meta.get_field(entry.person).related_model is apps.get_model(settings.AUTH_USER_MODEL)

"""System check: every Django admin of a company-owned model is scoped by company.

A model is company-owned when it is ``Company`` or ``User`` (contacts belong to their
company through their membership), when a chain of foreign keys (at most three, not
through a person) leads from it to a company, or when it belongs to a person: a foreign
key to a user that deletes the row with them (e-mail addresses, notifications,
authenticators; actor fields such as ``created_by`` keep their rows and do not count).
Its registered admin must use ``members.admin_scoping.CompanyScopedAdminMixin`` with a
``company_path`` that leads to ``Company`` through single-valued relations, or override
``scope_queryset_for``. Without this check a new model's admin would show every company's
rows to a sales rep by default.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.checks import Error, Tags, register
from django.core.exceptions import FieldDoesNotExist
from django.db import models

MAX_DEPTH = 3


def _is_company(model) -> bool:
    from .models import Company

    return model is Company


def _is_user(model) -> bool:
    from .models import User

    return model is User


def company_owned(model, depth: int = 0) -> bool:
    """Whether rows of ``model`` belong to a company (see the module docstring)."""
    if _is_company(model) or (depth == 0 and _is_user(model)):
        return True
    if depth >= MAX_DEPTH:
        return False
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.many_to_many or field.related_model is None:
            continue
        related = field.related_model
        if _is_company(related):
            return True
        if _is_user(related):
            if field.remote_field.on_delete is models.CASCADE:
                return True  # the row is the person's
            continue  # an actor (created_by, decided_by, ...): not whose the row is
        if related is not model and company_owned(related, depth + 1):
            return True
    return False


def company_path_problem(model, path: str) -> str | None:
    """Why ``path`` does not lead from ``model`` to ``Company`` through single-valued
    relations, or None when it does."""
    current = model
    for name in [part for part in path.split("__") if part] if path else []:
        try:
            field = current._meta.get_field(name)
        except FieldDoesNotExist:
            return f"{current._meta.label} has no field {name!r}"
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return f"{current._meta.label}.{name} is not a single-valued relation"
        current = field.related_model
    if not _is_company(current):
        return f"it leads to {current._meta.label}, not members.Company"
    return None


def scoping_problems(site=None) -> list[Error]:
    from .admin_scoping import CompanyScopedAdminMixin

    site = site or admin.site
    errors = []
    for model, model_admin in site._registry.items():
        label = f"{type(model_admin).__module__}.{type(model_admin).__qualname__}"
        if not isinstance(model_admin, CompanyScopedAdminMixin):
            if company_owned(model):
                errors.append(
                    Error(
                        f"The admin of {model._meta.label} shows every company's rows to every member of staff.",
                        hint=(
                            "Add members.admin_scoping.CompanyScopedAdminMixin to "
                            f"{label} and set company_path to the way from the model to its company."
                        ),
                        obj=type(model_admin),
                        id="members.E001",
                    )
                )
            continue
        path = getattr(model_admin, "company_path", None)
        overrides = type(model_admin).scope_queryset_for is not CompanyScopedAdminMixin.scope_queryset_for
        if path is None:
            if not overrides:
                errors.append(
                    Error(
                        f"{label} has no company_path and does not override scope_queryset_for.",
                        obj=type(model_admin),
                        id="members.E002",
                    )
                )
            continue
        problem = company_path_problem(model, path)
        if problem:
            errors.append(
                Error(
                    f"{label}.company_path {path!r} does not lead to a company: {problem}.",
                    obj=type(model_admin),
                    id="members.E002",
                )
            )
    return errors


@register(Tags.admin, Tags.security)
def check_admin_company_scoping(app_configs, **kwargs):
    return scoping_problems()

"""Mounted at /api/v1/ by clubportal.urls."""

from django.urls import path, re_path

from . import views
from .api import api

ninja_patterns, ninja_app_name, ninja_namespace = api.urls
for pattern in ninja_patterns:
    pattern.callback = views.json_method_not_allowed(pattern.callback)

urlpatterns = [
    path("docs/assets/<str:name>", views.docs_asset, name="api_docs_asset"),
    path("", (ninja_patterns, ninja_app_name, ninja_namespace)),
    # Last: every other path under /api/v1/ answers a JSON 404 (never a redirect or HTML).
    re_path(r"^.*$", views.api_not_found, name="api_not_found"),
]

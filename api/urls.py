"""Mounted at /api/v1/ by clubportal.urls."""

from django.urls import path

from . import views
from .api import api

urlpatterns = [
    path("docs/assets/<str:name>", views.docs_asset, name="api_docs_asset"),
    path("", api.urls),
]

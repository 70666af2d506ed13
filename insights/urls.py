"""Insights under /staff/insights/ (two-factor authentication enforced)."""

from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("companies/<slug:metric>/", views.DrilldownView.as_view(), name="companies"),
    path("segments/", views.SegmentsView.as_view(), name="segments"),
    path("segments/<slug:segment>/", views.SegmentCompaniesView.as_view(), name="segment"),
    path("segments/<slug:segment>/campaign/", views.SegmentCampaignView.as_view(), name="segment_campaign"),
    path("campaigns/", views.CampaignsView.as_view(), name="campaigns"),
    path("how-we-measure/", views.DefinitionsView.as_view(), name="definitions"),
]

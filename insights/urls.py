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
    path("satisfaction/", views.SatisfactionView.as_view(), name="satisfaction"),
    path("satisfaction/<slug:nps>/<slug:behaviour>/", views.SatisfactionCellView.as_view(), name="satisfaction_cell"),
    path("at-risk/", views.AtRiskView.as_view(), name="at_risk"),
    path("value/", views.LifetimeView.as_view(), name="lifetime"),
    path("cohorts/", views.CohortsView.as_view(), name="cohorts"),
    path("campaigns/", views.CampaignsView.as_view(), name="campaigns"),
    path("how-we-measure/", views.DefinitionsView.as_view(), name="definitions"),
]

from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.ActivitiesView.as_view(), name="activities"),
    path("<int:pk>/", views.ActivityView.as_view(), name="activity"),
    path("campaigns/<int:pk>/", views.CampaignView.as_view(), name="campaign"),
    path("leaderboard/", views.LeaderboardView.as_view(), name="leaderboard"),
]

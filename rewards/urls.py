from django.urls import path

from . import views

app_name = "rewards"

urlpatterns = [
    path("history/", views.PointsHistoryView.as_view(), name="history"),
]

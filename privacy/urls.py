from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.MyDataView.as_view(), name="my_data"),
    path("download/", views.MyDataDownloadView.as_view(), name="download"),
    path("erasure/", views.ErasureRequestView.as_view(), name="erasure"),
    path("erasure/<int:pk>/confirm/", views.ErasureConfirmView.as_view(), name="confirm"),
]

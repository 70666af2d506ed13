"""Staff conversation pages under /staff/messages/ (two-factor authentication enforced)."""

from django.urls import path

from . import views

app_name = "staff_messages"

urlpatterns = [
    path("", views.StaffThreadListView.as_view(), name="list"),
    path("<int:pk>/", views.StaffThreadView.as_view(), name="thread"),
    path("<int:pk>/after/", views.staff_new_messages, name="thread_after"),
    path("<int:pk>/files/<int:attachment_id>/", views.StaffAttachmentView.as_view(), name="attachment"),
]

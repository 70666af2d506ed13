"""Member conversation pages under /messages/."""

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.MemberThreadListView.as_view(), name="list"),
    path("new/", views.MemberThreadStartView.as_view(), name="start"),
    path("<int:pk>/", views.MemberThreadView.as_view(), name="thread"),
    path("<int:pk>/after/", views.member_new_messages, name="thread_after"),
    path("<int:pk>/files/<int:attachment_id>/", views.MemberAttachmentView.as_view(), name="attachment"),
]

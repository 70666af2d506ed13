"""The rep workspace under /staff/ (two-factor authentication enforced)."""

from django.urls import path

from . import views

app_name = "reps"

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="accounts"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account"),
    path("accounts/<int:pk>/notes/", views.StaffNoteCreateView.as_view(), name="note_add"),
    path("accounts/<int:pk>/goodwill/", views.GoodwillAwardView.as_view(), name="goodwill"),
    path("accounts/<int:pk>/messages/new/", views.AccountThreadStartView.as_view(), name="thread_start"),
    path("broadcasts/new/", views.BroadcastView.as_view(), name="broadcast"),
]

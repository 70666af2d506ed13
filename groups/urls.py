"""Member pages of company groups, under /groups/."""

from django.urls import path

from . import views

app_name = "groups"

urlpatterns = [
    path("", views.GroupOverviewView.as_view(), name="overview"),
    path("transfer/", views.TransferView.as_view(), name="transfer"),
    path("transfers/", views.TransferListView.as_view(), name="transfers"),
    path("approvals/", views.ApprovalsView.as_view(), name="approvals"),
    path("approvals/<int:pk>/", views.ApprovalDecideView.as_view(), name="approval_decide"),
    path("branches/<int:company_pk>/history/", views.BranchHistoryView.as_view(), name="branch_history"),
    path("branches/<int:company_pk>/orders/", views.BranchOrdersView.as_view(), name="branch_orders"),
    path("branches/<int:company_pk>/orders/<int:pk>/", views.BranchOrderDetailView.as_view(), name="branch_order"),
]

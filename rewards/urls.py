"""Member pages of the rewards app, mounted at the site root by ``clubportal.urls``: the points
history under /points/, the catalogue, orders and approvals under /rewards/."""

from django.urls import path

from rewards.catalogue import views as catalogue_views
from rewards.ledger import views as ledger_views
from rewards.redemptions import views

app_name = "rewards"

urlpatterns = [
    path("points/history/", ledger_views.PointsHistoryView.as_view(), name="history"),
    path("rewards/", catalogue_views.CatalogueView.as_view(), name="catalogue"),
    path("rewards/<int:pk>/", catalogue_views.RewardDetailView.as_view(), name="reward"),
    path("rewards/<int:pk>/redeem/", views.RedeemView.as_view(), name="redeem"),
    path("rewards/<int:pk>/goal/", catalogue_views.GoalSetView.as_view(), name="goal_set"),
    path("rewards/goal/clear/", catalogue_views.GoalClearView.as_view(), name="goal_clear"),
    path("rewards/orders/", views.OrderListView.as_view(), name="orders"),
    path("rewards/orders/<int:pk>/", views.OrderDetailView.as_view(), name="order"),
    path("rewards/orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="order_cancel"),
    path("rewards/approvals/", views.ApprovalsView.as_view(), name="approvals"),
    path("rewards/approvals/<int:pk>/", views.ApprovalDecideView.as_view(), name="approval_decide"),
]

"""Staff fulfilment pages, mounted at /staff/rewards/ (the MFA middleware guards /staff/)."""

from django.urls import path

from rewards.redemptions import staff_views

app_name = "rewards_staff"

urlpatterns = [
    path("", staff_views.FulfilmentQueueView.as_view(), name="queue"),
    path("fulfil/", staff_views.BulkFulfilView.as_view(), name="bulk_fulfil"),
    path("redemptions/<int:pk>/", staff_views.StaffRedemptionView.as_view(), name="redemption"),
    path("redemptions/<int:pk>/fulfil/", staff_views.StaffFulfilView.as_view(), name="fulfil"),
    path("redemptions/<int:pk>/reject/", staff_views.StaffRejectView.as_view(), name="reject"),
    path("redemptions/<int:pk>/delivery/", staff_views.StaffDeliveryUpdateView.as_view(), name="delivery"),
    path("vouchers/", staff_views.VoucherUploadView.as_view(), name="voucher_upload"),
]

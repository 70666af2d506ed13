from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("company/", views.CompanyView.as_view(), name="company"),
    path("company/invite/", views.InviteColleagueView.as_view(), name="invite"),
    path("company/colleagues/<int:pk>/role/", views.MembershipRoleView.as_view(), name="membership_role"),
    path("company/colleagues/<int:pk>/remove/", views.MembershipRemoveView.as_view(), name="membership_remove"),
    path("company/invitations/<int:pk>/revoke/", views.InvitationRevokeView.as_view(), name="invitation_revoke"),
    path("invitations/sign-in/", views.InvitationSSOView.as_view(), name="invitation_sso"),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("account/signed-out/", views.sso_logout, name="sso_logout"),
    path("account/suspended/", views.suspended, name="suspended"),
    path("language/", views.set_language, name="set_language"),
]

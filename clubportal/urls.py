"""Root URLs: the portal, accounts, the two admins, the API, and Wagtail pages under /."""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from members.views import ActivateTOTPView, LoginView, provider_login, staff_login, staff_password_change
from portal import views

handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    # One search for the whole portal (also where the cms search page's /search/ leads).
    path("search/", views.SearchView.as_view(), name="search"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # allauth's TOTP set-up, continuing to the page asked for (same path and name, first wins).
    path("accounts/2fa/totp/activate/", ActivateTOTPView.as_view(), name="mfa_activate_totp"),
    # allauth's login in two steps: the address, then its company's provider or the password.
    path("accounts/login/", LoginView.as_view(), name="account_login"),
    # allauth's OpenID Connect login, whose redirect to the provider the CSP would block.
    path("accounts/oidc/<str:provider_id>/login/", provider_login, name="openid_connect_login"),
    path("accounts/", include("allauth.urls")),
    # The admins' own login and password forms are replaced: everyone logs in through
    # allauth's login (throttled, and with the second factor for staff).
    path("admin/login/", staff_login, {"default_next": "/admin/"}, name="staff_login_admin"),
    path("admin/password_change/", staff_password_change, name="staff_password_change"),
    path("cms/login/", staff_login, {"default_next": "/cms/"}, name="staff_login_cms"),
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("rewards.urls")),
    path("staff/rewards/", include("rewards.staff_urls")),
    path("notifications/", include("notifications.urls")),
    path("profile/my-data/", include("privacy.urls")),
    path("messages/", include("messaging.urls")),
    path("staff/messages/", include("messaging.staff_urls")),
    path("staff/insights/", include("insights.urls")),
    path("staff/", include("reps.urls")),
    path("live/badges/", views.live_badges, name="live_badges"),
    path("activities/", include("campaigns.urls")),
    path("groups/", include("groups.urls")),
    path("", include("members.urls")),
    path("api/v1/", include("api.urls")),
]

# Uploads that are public once a page shows them: Wagtail images (originals and renditions)
# and reward pictures. Everything else under MEDIA_ROOT is private and served, if at all, by a
# checked view: Wagtail documents (/documents/, members only), message attachments, purchase
# import files and their error reports.
PUBLIC_MEDIA_PREFIXES = ("original_images/", "images/", "rewards/images/", "rewards/thumbnails/")


def debug_media_urlpatterns():
    """The zero-setup (DEBUG) server's /media/: the public uploads only, never the private ones."""
    import posixpath

    from django.http import Http404
    from django.urls import re_path
    from django.views.static import serve

    def serve_public_media(request, path):
        # Normalised first, as serve() does: "images/../imports/..." is not an image.
        if not posixpath.normpath(path).lstrip("/").startswith(PUBLIC_MEDIA_PREFIXES):
            raise Http404
        return serve(request, path, document_root=settings.MEDIA_ROOT)

    return [re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", serve_public_media)]


if settings.DEBUG:
    urlpatterns += debug_media_urlpatterns()

# Wagtail's own front-end login (a plain Django login form, unthrottled) goes to the one
# login too, and its shared page passwords are off (WAGTAIL_PRIVATE_PAGE_OPTIONS), so their
# form, which guesses could be posted to, is not served.
urlpatterns += [
    path("_util/login/", staff_login, {"default_next": "/dashboard/"}, name="wagtail_frontend_login"),
    path("_util/authenticate_with_password/<int:restriction_id>/<int:page_id>/", views.page_not_found_view),
]

# Wagtail serves every other path from its page tree; keep this last.
urlpatterns.append(path("", include(wagtail_urls)))

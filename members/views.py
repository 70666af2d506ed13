"""Member pages: profile, company and colleagues, invitations. Views stay thin: they
check who is asking, call a selector or a service, and render."""

from __future__ import annotations

from allauth.account import views as allauth_account_views
from allauth.account.adapter import get_adapter
from allauth.account.utils import get_next_redirect_url
from allauth.mfa.totp import views as allauth_totp_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView, UpdateView
from django_tables2 import RequestConfig

from . import sso
from .forms import ChangeRoleForm, InviteColleagueForm, LoginEmailForm, ProfileForm
from .invitations import mark_newcomer, open_invitation_from_session, remember_invitation
from .middleware import SUSPENDED_SESSION_KEY
from .models import Invitation, Membership, User
from .selectors import company_colleagues, company_open_invitations, is_club_admin, is_sales_rep
from .services import (
    MembersError,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    profile_update,
)
from .tables import ColleagueTable

COLLEAGUES_PER_PAGE = 25


class MemberRequiredMixin(LoginRequiredMixin):
    """A logged-in contact of an active member company. Sets ``self.membership``."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = request.membership
        if not self.membership:
            raise PermissionDenied(_("This page is for contacts of member companies."))
        self.company = self.membership.company
        return super().dispatch(request, *args, **kwargs)


class CompanyAdminRequiredMixin(MemberRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        membership = request.membership if request.user.is_authenticated else None
        if membership and not membership.is_admin:
            raise PermissionDenied(_("Only a company admin can do this."))
        return super().dispatch(request, *args, **kwargs)


class SalesStaffRequiredMixin(LoginRequiredMixin):
    """A sales rep or a club admin: the rep workspace and staff conversations (under
    ``/staff/``, so two-factor authentication is enforced). Sets ``self.is_club_admin``;
    which accounts a rep may open is checked by each view's selector (others are 404)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.is_club_admin = is_club_admin(request.user)
        if not (self.is_club_admin or is_sales_rep(request.user)):
            raise PermissionDenied(_("This page is for sales reps and club admins."))
        return super().dispatch(request, *args, **kwargs)


class ProfileView(LoginRequiredMixin, UpdateView):
    form_class = ProfileForm
    template_name = "members/profile_edit.html"
    success_url = reverse_lazy("members:profile")

    def get_object(self, queryset=None) -> User:
        return self.request.user

    def form_valid(self, form):
        profile_update(user=self.request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields})
        messages.success(self.request, _("Your profile has been saved."))
        return HttpResponseRedirect(self.get_success_url())


class CompanyView(MemberRequiredMixin, TemplateView):
    template_name = "members/company_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_manage = self.membership.is_admin
        table = ColleagueTable(company_colleagues(self.company), can_manage=can_manage, request=self.request)
        RequestConfig(self.request, paginate={"per_page": COLLEAGUES_PER_PAGE}).configure(table)
        context.update(
            company=self.company,
            membership=self.membership,
            table=table,
            can_manage=can_manage,
            invitations=list(company_open_invitations(self.company)) if can_manage else [],
            invite_form=kwargs.get("invite_form") or InviteColleagueForm(),
            role_form=ChangeRoleForm(),
        )
        return context


class InviteColleagueView(CompanyAdminRequiredMixin, FormView):
    form_class = InviteColleagueForm
    template_name = "members/invitation_form.html"

    def form_valid(self, form):
        try:
            invitation = invitation_create(
                company=self.company,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=self.request.user,
            )
        except MembersError as exc:
            form.add_error("email", str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("members:company")


class MembershipRoleView(CompanyAdminRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, company=self.company)
        form = ChangeRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a role."))
            return redirect("members:company")
        try:
            # The service returns the locked, updated row; the message must show the new role.
            membership = membership_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except MembersError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.") % {"name": membership.user, "role": membership.get_role_display()},
            )
        return redirect("members:company")


class MembershipRemoveView(CompanyAdminRequiredMixin, View):
    def get_membership(self, pk: int) -> Membership:
        return get_object_or_404(Membership.objects.select_related("user"), pk=pk, company=self.company)

    def get(self, request, pk: int):
        return render(request, "members/membership_confirm_remove.html", {"colleague": self.get_membership(pk)})

    def post(self, request, pk: int):
        membership = self.get_membership(pk)
        try:
            membership_remove(membership=membership, actor=request.user)
        except MembersError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(name)s has been removed from the company.") % {"name": membership.user})
        return redirect("members:company")


class InvitationRevokeView(CompanyAdminRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        invitation = get_object_or_404(Invitation, pk=pk, company=self.company)
        try:
            invitation_revoke(invitation=invitation, actor=request.user)
        except MembersError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email}
            )
        return redirect("members:company")


class InvitationAcceptView(View):
    """The link in an invitation e-mail.

    A newcomer is sent to sign-up with the invited address already verified (the link
    proves they read that mailbox); someone with an account logs in and confirms.
    """

    template_name = "members/invitation_accept.html"

    def get_invitation(self, token: str) -> Invitation:
        pk = Invitation.pk_from_token(token)
        if pk is None:
            raise Http404(_("This invitation link is not valid."))
        return get_object_or_404(Invitation.objects.select_related("company", "invited_by"), pk=pk)

    def get(self, request, token: str):
        invitation = self.get_invitation(token)
        try:
            invitation_check(invitation)
        except MembersError as exc:
            return render(request, self.template_name, {"invitation": invitation, "error": str(exc)}, status=410)
        if request.user.is_authenticated:
            try:
                invitation_check(invitation, email=request.user.email)
            except MembersError as exc:
                return render(request, self.template_name, {"invitation": invitation, "error": str(exc)}, status=403)
            # A person belongs to one company: someone already in one cannot accept, so they
            # are told why (and what to do) instead of being offered a button that fails.
            current = Membership.objects.select_related("company").filter(user=request.user).first()
            if current is not None:
                return render(
                    request,
                    self.template_name,
                    {"invitation": invitation, "current_membership": current},
                    status=409,
                )
            return render(request, self.template_name, {"invitation": invitation, "confirm": True})
        remember_invitation(request, invitation)
        if User.objects.filter(email__iexact=invitation.email).exists():
            messages.info(
                request, _("Log in to accept the invitation to %(company)s.") % {"company": invitation.company}
            )
            return redirect(f"{reverse('account_login')}?next={request.path}")
        get_adapter(request).stash_verified_email(request, invitation.email)
        return redirect("account_signup")

    def post(self, request, token: str):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        invitation = self.get_invitation(token)
        try:
            invitation_accept(invitation_id=invitation.pk, user=request.user)
        except MembersError as exc:
            return render(request, self.template_name, {"invitation": invitation, "error": str(exc)}, status=409)
        # The dashboard greets them as a newcomer to this company, with where to start.
        mark_newcomer(request)
        return redirect("dashboard")


class InvitationSSOView(View):
    """From the invitation's page to the invited company's own provider, for the address
    the invitation was sent to (the provider must vouch for that same address)."""

    def post(self, request):
        invitation = open_invitation_from_session(request)
        provider = sso.provider_for_company(invitation.company_id) if invitation else None
        if provider is None:
            return redirect("account_signup")
        return (
            sso.social_app_for(provider)
            .get_provider(request)
            .redirect(request, process="login", auth_params={"login_hint": invitation.email})
        )


def sso_logout(request):
    """After logging out here, on to the provider the person signed in with, so its session
    ends too (OpenID Connect RP-initiated logout); it sends them back to the login page.
    A page of its own, because the logout form may not redirect off-site (CSP form-action)."""
    provider_logout_url = request.session.pop(sso.SESSION_LOGOUT_URL_KEY, None)
    if not provider_logout_url:
        return redirect("account_login")
    return render(request, "account/sso_logout.html", {"provider_url": provider_logout_url})


def suspended(request):
    """Explains why a suspended company's contact was turned away."""
    reason = request.session.get(SUSPENDED_SESSION_KEY, "")
    return render(request, "members/suspended.html", {"reason": reason}, status=403)


def set_language(request):
    """Switch the portal's language; a logged-in person keeps it in their profile."""
    from django.views.i18n import set_language as django_set_language

    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return django_set_language(request)


def staff_login(request, *, default_next: str):
    """``/admin/login/`` and ``/cms/login/``: the one login is allauth's (throttled, with the
    second factor for whoever has one), so these forms no longer exist; every method is sent
    there, keeping a ``next`` on this site.

    Someone already logged in arrives here only when an admin refused them (not staff, or
    without its permission): the login page would send them straight back, so they are told
    no instead."""
    if request.user.is_authenticated:
        raise PermissionDenied
    next_url = request.GET.get(REDIRECT_FIELD_NAME) or default_next
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = default_next
    return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")


def staff_password_change(request):
    """The Django admin's "change password": allauth's, throttled and behind the same login."""
    return redirect("account_change_password")


class ActivateTOTPView(allauth_totp_views.ActivateTOTPView):
    """allauth's TOTP set-up, ending on the page the person was on their way to.

    ``StaffMFARequiredMiddleware`` sends staff here with a ``next``; allauth would end on
    the recovery codes page and forget it. With a (same-site) ``next`` they continue there,
    and a message links to the new recovery codes (also under *Two-factor authentication*
    in the account pages). Without one, allauth's order stands: the codes come first.
    """

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next_url"] = get_next_redirect_url(self.request) or ""
        return context

    def get_success_url(self) -> str:
        next_url = get_next_redirect_url(self.request)
        if not next_url:
            return super().get_success_url()
        if self.did_generate_recovery_codes:
            messages.info(
                self.request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Keep your recovery codes somewhere safe: they let you in if you lose your phone."),
                    reverse("mfa_view_recovery_codes"),
                    _("Show my recovery codes"),
                ),
            )
        return next_url


def to_identity_provider(request, provider, *, email: str, next_url: str | None = None):
    """Start the sign-in at ``provider`` (allauth keeps the state and the PKCE verifier in the
    session) and show the page that takes the person there (``account/sso_redirect.html``)."""
    response = (
        sso.social_app_for(provider)
        .get_provider(request)
        .redirect(request, process="login", next_url=next_url, auth_params={"login_hint": email})
    )
    if not isinstance(response, HttpResponseRedirect):
        return response  # allauth's own error page (the provider's discovery failed)
    return render(
        request, "account/sso_redirect.html", {"provider_url": response["Location"], "provider_name": provider.name}
    )


def provider_login(request, provider_id: str):
    """allauth's OpenID Connect login (the club's own provider's button posts here), with its
    redirect to the provider turned into the page that takes the person there: the CSP's
    ``form-action 'self'`` would block the form's redirect off-site."""
    from allauth.socialaccount.adapter import get_adapter as get_social_adapter
    from allauth.socialaccount.models import SocialApp
    from allauth.socialaccount.providers.openid_connect import views as oidc_views

    response = oidc_views.login(request, provider_id)
    location = response.get("Location", "") if isinstance(response, HttpResponseRedirect) else ""
    if request.method != "POST" or not location or url_has_allowed_host_and_scheme(location, {request.get_host()}):
        return response
    try:
        name = get_social_adapter(request).get_app(request, provider=provider_id).name
    except SocialApp.DoesNotExist:
        name = provider_id
    return render(request, "account/sso_redirect.html", {"provider_url": location, "provider_name": name})


class LoginView(allauth_account_views.LoginView):
    """allauth's login in two steps: the address first, then either the person's company
    provider (when the address's domain has one) or the password field.

    Only the domain decides (``members.sso.provider_for_email``): the answer is the same for
    an address with an account here and one without, so the first step tells a stranger
    nothing about who is a member. The first step is a POST to this view (throttled by
    allauth's "login" limit like the password form); a POST with the password is allauth's
    own login, unchanged.
    """

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["password_step"] = kwargs.get("password_step") or (form is not None and form.is_bound)
        context.setdefault("email_form", LoginEmailForm())
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("step") != "email":
            return super().post(request, *args, **kwargs)
        email_form = LoginEmailForm(request.POST)
        if not email_form.is_valid():
            return self.render_to_response(
                self.get_context_data(form=self.get_form_class()(request=request), email_form=email_form)
            )
        email = email_form.cleaned_data["login"]
        provider = sso.provider_for_email(email)
        if provider is not None:
            return to_identity_provider(request, provider, email=email, next_url=get_next_redirect_url(request))
        form = self.get_form_class()(request=request, initial={"login": email})
        form.fields["login"].widget.attrs.pop("autofocus", None)
        form.fields["login"].widget.attrs["readonly"] = True
        form.fields["password"].widget.attrs["autofocus"] = True
        return self.render_to_response(self.get_context_data(form=form, password_step=True))

"""Content, edited by marketing in Wagtail (the club's branding is ``core.models.Branding``).

Every member-facing page type derives from ``BasePage``, which keeps pages members-only
unless a type says otherwise (only the home page shows anonymous visitors a public
teaser). What a member may see (tier offers, expiry) is decided in ``selectors``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import AbstractGroupApprovalTask, Locale, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail.url_routing import RouteResult

from .blocks import BodyBlock

# --- Pages -----------------------------------------------------------------------------


class BasePage(Page):
    """What every portal page shares: members only, an introduction, a listing image.

    Privacy is enforced here rather than by per-page view restrictions, so a page a
    marketer adds anywhere is private by default and cannot be published to the world
    by forgetting a setting. Anonymous visitors are sent to the allauth login.
    """

    members_only = True

    introduction = models.TextField(_("introduction"), blank=True, help_text=_("One or two sentences for listings."))
    listing_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    search_fields = [*Page.search_fields, index.SearchField("introduction")]

    class Meta:
        abstract = True

    @property
    def kind_label(self) -> str:
        """The page type's name ("offer", "article"...), for search results."""
        return self._meta.verbose_name

    def serve(self, request, *args, **kwargs):
        if self.members_only and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=settings.WAGTAIL_FRONTEND_LOGIN_URL)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from . import points  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        context["member_tier"] = points.request_tier(request) if request.user.is_authenticated else None
        return context


class HomePage(BasePage):
    """The landing page: a public teaser for visitors, the club's front page for members."""

    members_only = False

    intro = RichTextField(_("public introduction"), blank=True, features=["bold", "italic", "link"])
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member_welcome = RichTextField(
        _("welcome for members"), blank=True, features=["bold", "italic", "link"], help_text=_("Shown after login.")
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("hero_image"), FieldPanel("member_welcome")]
    # One home page per language: the default language's is the site's root, the others are
    # its translations (the roots of the Swedish and Dutch page trees).
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        """Route in this language's tree; a URL it does not have is looked up in the default
        language's tree. The page found there is served in this language where it has a live
        translation under another address (a link to the default language's page: an offer's
        notice, a colleague's link), else as it is (and marked with its language)."""
        try:
            return super().route(request, path_components)
        except Http404:
            source = self._default_language_home()
            if source is None:
                raise
            found = source.route(request, path_components)
            translated = found.page.get_translations().live().filter(locale_id=self.locale_id).first()
            if translated is None:
                return found
            return RouteResult(translated, args=found.args, kwargs=found.kwargs)

    def _default_language_home(self) -> HomePage | None:
        if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
            return None
        default = Locale.get_default()
        if self.locale_id == default.pk:
            return None
        return self.get_translation_or_none(default)

    def get_context(self, request, *args, **kwargs):
        from . import selectors  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        if request.user.is_authenticated:
            context["featured_offers"] = selectors.offers_unlocked_for(request, featured_first=True)[:3]
            context["latest_articles"] = selectors.latest_articles()[:3]
            context["upcoming_events"] = selectors.upcoming_events()[:3]
        return context


class StandardPage(BasePage):
    """Terms, FAQ and other plain pages."""

    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


class HowPointsWorkPage(BasePage):
    """Explains the programme. The numbers come live from the rewards rules, never typed."""

    body = StreamField(
        BodyBlock(), verbose_name=_("text after the rules"), blank=True, help_text=_("For example an FAQ.")
    )

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    max_count = 1

    class Meta:
        verbose_name = _("“How points work” page")

    def get_context(self, request, *args, **kwargs):
        from . import points  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        membership = None if request.user.is_staff else getattr(request, "membership", None)
        context["facts"] = points.programme_facts(membership.company.purchase_currency if membership else "")
        return context


# --- Offers ----------------------------------------------------------------------------


class OfferAudience(models.TextChoices):
    ALL_MEMBERS = "all", _("All members")
    TIERS = "tiers", _("Chosen tiers and the tiers above")


class OfferCallToAction(models.TextChoices):
    REWARD = "reward", _("Link to a reward or web page")
    SALES_REP = "sales_rep", _("Write to the member's sales rep")


class OfferIndexPage(BasePage):
    max_count = 1
    subpage_types = ["cms.OfferPage"]
    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    class Meta:
        verbose_name = _("offer index")

    def get_context(self, request, *args, **kwargs):
        from . import selectors  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        context["offers"] = selectors.offer_cards_for(request)
        return context


class OfferPageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("audience") == OfferAudience.TIERS and not cleaned_data.get("tiers"):
            self.add_error("tiers", _("Choose at least one tier, or make the offer for all members."))
        return cleaned_data


class OfferPage(BasePage):
    """An exclusive member offer, for everyone or for chosen tiers, valid for a period."""

    base_form_class = OfferPageForm

    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True, db_index=True)
    audience = models.CharField(
        _("audience"), max_length=8, choices=OfferAudience.choices, default=OfferAudience.ALL_MEMBERS
    )
    featured = models.BooleanField(_("featured on the home page"), default=False)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    terms = RichTextField(_("terms"), blank=True, features=["bold", "italic", "link", "ul", "ol"])
    cta_kind = models.CharField(
        _("call to action"), max_length=12, choices=OfferCallToAction.choices, default=OfferCallToAction.REWARD
    )
    cta_text = models.CharField(_("button text"), max_length=60, default=_("Get the offer"))
    cta_reward = models.ForeignKey(
        "rewards.Reward",
        verbose_name=_("reward"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The button opens this reward, and shows how close the member's company is to it."),
    )
    cta_url = models.URLField(
        _("or a web address"), blank=True, help_text=_("Instead of a reward: a page on the club owner's web site.")
    )
    tiers = ParentalManyToManyField(
        "rewards.Tier",
        verbose_name=_("tiers"),
        blank=True,
        related_name="+",
        help_text=_("When the audience is chosen tiers: the tiers that may open the offer, and the tiers above them."),
    )

    parent_page_types = ["cms.OfferIndexPage"]
    subpage_types: list[str] = []
    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("listing_image"),
        FieldPanel("body"),
        FieldPanel("terms"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                FieldPanel("audience"),
                FieldPanel("tiers", widget=forms.CheckboxSelectMultiple),
                FieldPanel("featured"),
            ],
            heading=_("Who sees it, and when"),
        ),
        MultiFieldPanel(
            [FieldPanel("cta_kind"), FieldPanel("cta_text"), FieldPanel("cta_reward"), FieldPanel("cta_url")],
            heading=_("Call to action"),
        ),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("body"), index.FilterField("valid_until")]

    class Meta:
        verbose_name = _("offer")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _("The offer must end after it starts.")
        if self.cta_kind == OfferCallToAction.REWARD and not (self.cta_reward_id or self.cta_url):
            errors["cta_reward"] = _("Choose a reward or give a web address, or choose the sales rep as the action.")
        if self.cta_kind == OfferCallToAction.REWARD and self.cta_reward_id and self.cta_url:
            errors["cta_url"] = _("Link to a reward or to a web address, not both.")
        if errors:
            raise ValidationError(errors)

    @property
    def tier_ids(self) -> set[int]:
        return {tier.pk for tier in self.tiers.all()}

    def is_current(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or self.valid_until > now
        )

    def get_context(self, request, *args, **kwargs):
        from .points import catalogue_reward, reward_standing_for  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        membership = getattr(request, "membership", None)
        if self.cta_kind == OfferCallToAction.REWARD and self.cta_reward_id:
            if membership:
                context["cta_reward_standing"] = reward_standing_for(
                    reward_id=self.cta_reward_id, company=membership.company
                )
            else:  # staff, who have no company: the reward as members see it, without a standing
                context["cta_reward_preview"] = catalogue_reward(reward_id=self.cta_reward_id)
        return context

    def serve(self, request, *args, **kwargs):
        from . import selectors  # lazy: it imports these models

        if not request.user.is_authenticated:
            return super().serve(request, *args, **kwargs)
        if not self.is_current() and not getattr(request, "is_preview", False):
            raise Http404(_("This offer has ended."))
        if not selectors.offer_unlocked_for(request, self):
            context = self.get_context(request)
            context["tier_to_reach"] = selectors.offer_tier_to_reach(self)
            return TemplateResponse(request, "cms/offer_page_locked.html", context, status=403)
        return super().serve(request, *args, **kwargs)


# --- News ------------------------------------------------------------------------------


class NewsCategoryForm(WagtailAdminModelForm):
    """The name in the club's default language is required; the other languages may wait
    for a translator (until then readers see the default language's name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, _name in settings.LANGUAGES:
            field = self.fields.get(f"name_{code}")
            if field is not None:
                field.required = code == settings.MODELTRANSLATION_DEFAULT_LANGUAGE


@register_snippet
class NewsCategory(models.Model):
    """A news category; its name is kept in every shipped language (``cms/translation.py``)."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    base_form_class = NewsCategoryForm
    panels = [
        MultiFieldPanel(
            [FieldPanel(f"name_{code}", heading=language) for code, language in settings.LANGUAGES],
            heading=_("name"),
        ),
        FieldPanel("slug"),
    ]

    class Meta:
        verbose_name = _("news category")
        verbose_name_plural = _("news categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey("cms.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE)


class NewsIndexPage(BasePage):
    max_count = 1
    subpage_types = ["cms.ArticlePage"]
    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    per_page = 12

    class Meta:
        verbose_name = _("news index")

    def get_context(self, request, *args, **kwargs):
        from . import selectors  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        category = request.GET.get("category") or ""
        tag = request.GET.get("tag") or ""
        categories = list(NewsCategory.objects.all())
        # A category or tag that does not exist (a mistyped or stale link) is a 404, never an
        # empty list reading "No news yet.".
        if category and category not in {known.slug for known in categories}:
            raise Http404(_("No such news category."))
        if tag and not selectors.news_tag_used(tag):
            raise Http404(_("No such news tag."))
        articles = selectors.latest_articles(category_slug=category, tag=tag)
        context["articles"] = Paginator(articles, self.per_page).get_page(request.GET.get("page"))
        context["categories"] = categories
        context["active_category"] = category
        context["active_tag"] = tag
        return context


class ArticlePage(BasePage):
    """News and product launches."""

    date = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    is_launch = models.BooleanField(_("product launch"), default=False)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    categories = ParentalManyToManyField(NewsCategory, verbose_name=_("categories"), blank=True)
    tags = ClusterTaggableManager(through=ArticleTag, blank=True)

    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []
    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("date"), FieldPanel("is_launch")]),
        FieldPanel("introduction"),
        FieldPanel("listing_image"),
        FieldPanel("body"),
        FieldPanel("categories"),
        FieldPanel("tags"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")


# --- Events ----------------------------------------------------------------------------


class EventIndexPage(BasePage):
    max_count = 1
    subpage_types = ["cms.EventPage"]
    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    class Meta:
        verbose_name = _("event index")

    def get_context(self, request, *args, **kwargs):
        from . import selectors  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        context["events"] = selectors.upcoming_events(user=request.user)[:50]
        return context


class EventPage(BasePage):
    """A member event with limited places and a waiting list."""

    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True, help_text=_("Shown to people with a place."))
    capacity = models.PositiveIntegerField(_("places"), default=20)
    signup_closes_at = models.DateTimeField(
        _("sign-up closes"), null=True, blank=True, help_text=_("Leave empty to close at the start.")
    )
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    parent_page_types = ["cms.EventIndexPage"]
    subpage_types: list[str] = []
    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldRowPanel([FieldPanel("location"), FieldPanel("online_url")]),
        FieldRowPanel([FieldPanel("capacity"), FieldPanel("signup_closes_at")]),
        FieldPanel("introduction"),
        FieldPanel("listing_image"),
        FieldPanel("body"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("body"), index.SearchField("location")]

    class Meta:
        verbose_name = _("event")

    def clean(self) -> None:
        super().clean()
        if not self.location and not self.online_url:
            raise ValidationError(_("Give a place, an online link, or both."))
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The event must end after it starts.")})

    @property
    def signup_deadline(self):
        return self.signup_closes_at or self.starts_at

    def signup_open(self, now=None) -> bool:
        return (now or timezone.now()) < self.signup_deadline

    def serve(self, request, *args, **kwargs):
        if request.method == "POST" and request.user.is_authenticated:
            from .views import event_registration_post  # lazy: the views import these models

            return event_registration_post(request, self)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from . import selectors  # lazy: it imports these models

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.event_status_for(self.registration_event(), user=request.user))
        return context

    def registration_event(self) -> EventPage:
        """The version of this event that holds its sign-ups: the default language's, so
        the Swedish and Dutch pages of one event share one capacity and one list."""
        if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
            return self
        default = Locale.get_default()
        if self.locale_id == default.pk:
            return self
        return self.get_translation_or_none(default) or self


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class EventRegistration(models.Model):
    """A person's place (or place in the queue) at an event. Changed only in ``services``."""

    event = models.ForeignKey(
        EventPage, verbose_name=_("event"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="event_registrations"
    )
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=models.Q(status__in=["confirmed", "waitlisted"]),
                name="cms_registration_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["confirmed", "waitlisted", "cancelled"]),
                name="cms_registration_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.event} ({self.get_status_display()})"


# --- Search ----------------------------------------------------------------------------


class SearchPage(BasePage):
    """Search across offers, news and events, showing only what the member may see."""

    max_count = 1
    subpage_types: list[str] = []
    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    class Meta:
        verbose_name = _("search page")

    def serve(self, request, *args, **kwargs):
        # The portal's one search (offers, news, events, rewards, companies) lives at the
        # URL named "search"; this page, wherever it sits in the tree, leads there.
        from django.shortcuts import redirect
        from django.urls import reverse

        query = request.GET.urlencode()
        return redirect(f"{reverse('search')}?{query}" if query else reverse("search"))


# --- Moderation ------------------------------------------------------------------------


class SecondPersonApprovalTask(AbstractGroupApprovalTask):
    """A group approval in which the person who submitted cannot approve their own work."""

    def get_actions(self, obj, user):
        workflow_state = getattr(obj, "current_workflow_state", None)
        if workflow_state is not None and workflow_state.requested_by_id == user.pk:
            return []
        return super().get_actions(obj, user)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        # What Wagtail lists as "Awaiting your review": never the person's own submissions.
        return super().get_task_states_user_can_moderate(user, **kwargs).exclude(workflow_state__requested_by=user)

    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name != "approve":
            return super().on_action(task_state, user, action_name, **kwargs)
        page = task_state.workflow_state.content_object
        if not self.get_actions(page, user):
            raise PermissionDenied
        # The approval *is* the decision to publish: Marketing has no direct publish
        # permission (it would let an author skip the review), so the workflow publishes
        # on its own behalf once a second person has approved. The approval is logged
        # with the approver.
        task_state.approve(user=user, update=False, **kwargs)
        task_state.workflow_state.update(user=None)

    @classmethod
    def get_description(cls):
        return _("Another member of the chosen groups approves; nobody approves their own submission.")

    class Meta:
        verbose_name = _("second-person approval")
        verbose_name_plural = _("second-person approvals")

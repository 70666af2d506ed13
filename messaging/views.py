"""Conversation pages, for members (``/messages/``) and for staff (``/staff/messages/``,
behind two-factor authentication). Both sides share the views below; each side only
decides which threads it may find (``messaging.selectors``), so a thread outside the
person's scope is a 404 on every URL, attachments included.

Pages work without JavaScript (forms post and redirect). With it, htmx asks every
``LIVE_THREAD_SECONDS`` for messages after the last one shown and appends them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView

from core.pagination import ForgivingPaginationMixin
from members.views import MemberRequiredMixin, SalesStaffRequiredMixin

from .forms import MessageForm, ThreadStartForm
from .models import Attachment, AttachmentType
from .selectors import (
    member_thread,
    member_threads,
    read_state,
    recent_broadcasts,
    staff_thread,
    staff_threads,
    thread_messages,
    thread_messages_after,
)
from .services import MessagingError, message_post, thread_mark_read, thread_start

THREADS_PER_PAGE = 20
# htmx stops polling on this status: the person logged out or the session ended.
STOP_POLLING = 286


def passive_session(view):
    """Mark a request as a background poll: it does not renew the session's idle expiry
    (``core.middleware.PortalSessionMiddleware``), so an open tab never keeps a
    session alive by itself."""

    def wrapped(request, *args, **kwargs):
        request.passive_session = True
        return view(request, *args, **kwargs)

    wrapped.__name__ = getattr(view, "__name__", "view")
    wrapped.__doc__ = view.__doc__
    return wrapped


class _Side:
    """What differs between the member and the staff pages. The concrete views list the
    access mixin before any view class, so its ``dispatch`` always runs first."""

    namespace = ""

    def find_thread(self, pk: int):
        raise NotImplementedError

    def thread_or_404(self, pk: int):
        thread = self.find_thread(pk)
        if thread is None:
            raise Http404(_("No such conversation."))
        return thread

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)


class MemberSide(_Side, MemberRequiredMixin):
    namespace = "messaging"

    def find_thread(self, pk: int):
        return member_thread(membership=self.membership, thread_id=pk)


class StaffSide(_Side, SalesStaffRequiredMixin):
    namespace = "staff_messages"

    def find_thread(self, pk: int):
        return staff_thread(user=self.request.user, thread_id=pk)


# --- Lists ----------------------------------------------------------------------------------------


class MemberThreadListView(MemberSide, ForgivingPaginationMixin, ListView):
    """The company's conversations with its rep, newest activity first."""

    template_name = "messaging/thread_list.html"
    context_object_name = "threads"
    paginate_by = THREADS_PER_PAGE

    def get_queryset(self):
        return member_threads(membership=self.membership)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(namespace=self.namespace, company=self.company, rep=self.company.sales_rep, staff=False)
        return context


class StaffThreadListView(StaffSide, ForgivingPaginationMixin, ListView):
    """A rep's conversations with their accounts (every account's for a club admin);
    ``?unread=1`` for the unread ones."""

    template_name = "messaging/thread_list.html"
    context_object_name = "threads"
    paginate_by = THREADS_PER_PAGE

    def get_queryset(self):
        self.unread_only = self.request.GET.get("unread") == "1"
        return staff_threads(user=self.request.user, unread_only=self.unread_only, hide_unanswered_broadcasts=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            namespace=self.namespace,
            staff=True,
            unread_only=self.unread_only,
            broadcasts=recent_broadcasts(user=self.request.user),
        )
        return context


# --- Starting a conversation (members; staff start theirs from the account page) -------------------


class MemberThreadStartView(MemberSide, FormView):
    form_class = ThreadStartForm
    template_name = "messaging/thread_start.html"

    def get_initial(self):
        # An offer's "write to your rep" button names the offer: ?subject=<title>.
        subject = self.request.GET.get("subject", "").strip()[: ThreadStartForm.base_fields["subject"].max_length]
        return {**super().get_initial(), "subject": subject} if subject else super().get_initial()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(company=self.company, rep=self.company.sales_rep, cancel_url=self.url("list"))
        return context

    def form_valid(self, form):
        try:
            thread = thread_start(
                company=self.company,
                author=self.request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except MessagingError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Your message has been sent."))
        return redirect(self.url("thread", thread.pk))


# --- One conversation ----------------------------------------------------------------------------


class _ThreadView:
    """A thread: the newest page of messages (``?before=<id>`` for earlier ones), a reply form,
    and the live poller. Opening the newest page marks the thread read for the person."""

    template_name = "messaging/thread_detail.html"

    def _before(self) -> int | None:
        try:
            return int(self.request.GET["before"])
        except (KeyError, ValueError):
            return None

    def _render(self, request, thread, form, status=200):
        before = self._before()
        state = read_state(thread=thread, user=request.user)
        page = thread_messages(thread=thread, before_id=before)
        first_unread = None
        if state is None or state.last_read_message_id < page.last_id:
            read_upto = state.last_read_message_id if state else 0
            first_unread = next(
                (m.pk for m in page.messages if m.pk > read_upto and m.author_id != request.user.pk), None
            )
        if before is None:
            thread_mark_read(thread=thread, user=request.user, upto_message_id=page.last_id, state=state)
        context = {
            "thread": thread,
            "company": thread.company,
            "page": page,
            "first_unread": first_unread,
            "form": form,
            "namespace": self.namespace,
            "staff": self.namespace == "staff_messages",
            "live_seconds": settings.LIVE_THREAD_SECONDS,
            "viewing_earlier": before is not None,
            "email_minutes": settings.MESSAGE_EMAIL_INTERVAL_MINUTES,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        return self._render(request, self.thread_or_404(pk), MessageForm())

    def post(self, request, pk: int):
        thread = self.thread_or_404(pk)
        form = MessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = message_post(
                    thread=thread,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except MessagingError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(f"{self.url('thread', thread.pk)}#message-{message.pk}")
        messages.error(request, _("Your message was not sent. Please correct the problems below."))
        return self._render(request, thread, form, status=400)


class MemberThreadView(MemberSide, _ThreadView, View):
    pass


class StaffThreadView(StaffSide, _ThreadView, View):
    pass


class _NewMessagesView:
    """The live update of an open thread: messages after ``?after=<id>`` and a new poller,
    or 204 (htmx keeps the page as it is) when there is nothing new. Marks them read."""

    def handle_no_permission(self):
        if getattr(self.request, "htmx", False):
            return HttpResponse(status=STOP_POLLING)
        return super().handle_no_permission()

    def get(self, request, pk: int):
        thread = self.thread_or_404(pk)
        try:
            after = int(request.GET.get("after", ""))
        except ValueError:
            return HttpResponse(status=400)
        new = thread_messages_after(thread=thread, after_id=after)
        if not new:
            response = HttpResponse(status=204)
        else:
            thread_mark_read(thread=thread, user=request.user, upto_message_id=new[-1].pk)
            # Without the request's context processors: a poll needs no menu or unread counts.
            response = HttpResponse(
                loader.render_to_string(
                    "messaging/includes/new_messages.html",
                    {
                        "thread": thread,
                        "messages_after": new,
                        "last_id": new[-1].pk,
                        "namespace": self.namespace,
                        "live_seconds": settings.LIVE_THREAD_SECONDS,
                        "user": request.user,
                    },
                )
            )
        response["Cache-Control"] = "no-store"
        return response


class MemberNewMessagesView(_NewMessagesView, MemberSide, View):
    pass


class StaffNewMessagesView(_NewMessagesView, StaffSide, View):
    pass


class _AttachmentView:
    """An attachment, after the same access check as its thread. PDFs download; images are
    shown inline (the thread shows them as thumbnails). Never cached by shared caches."""

    def get(self, request, pk: int, attachment_id: int):
        thread = self.thread_or_404(pk)
        attachment = Attachment.objects.filter(pk=attachment_id, message__thread=thread).first()
        if attachment is None or not default_storage.exists(attachment.file.name):
            raise Http404(_("No such file."))
        response = FileResponse(
            default_storage.open(attachment.file.name, "rb"),
            as_attachment=attachment.content_type == AttachmentType.PDF,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, max-age=3600"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class MemberAttachmentView(MemberSide, _AttachmentView, View):
    pass


class StaffAttachmentView(StaffSide, _AttachmentView, View):
    pass


member_new_messages = passive_session(MemberNewMessagesView.as_view())
staff_new_messages = passive_session(StaffNewMessagesView.as_view())
